"""Exception hierarchy of the alarm engine; each also inherits the matching builtin."""

from __future__ import annotations


class AlarmError(Exception):
    """Base of every error raised by ashisense.alarms."""


class RuleFileError(AlarmError, ValueError):
    """A rule set or contraindication file that cannot be read or breaks the format.

    Messages name the file, the rule, the field, what was expected and what was found.
    """


class UnknownRuleKindError(RuleFileError):
    """A rule whose kind is not in the registry; the message lists the valid kinds."""


class ProfileError(AlarmError, ValueError):
    """A client or therapist profile the rules cannot use (unknown contraindication, no weight)."""


class SignalError(AlarmError, ValueError):
    """Signals handed to the engine that are malformed (wrong shape, no t_s, time going back)."""


class AlarmPolicyError(AlarmError, ValueError):
    """An operator action the studio's policy forbids (alarm off on high, pause too long)."""


class UnknownRuleError(AlarmError, LookupError):
    """An operator action naming a rule id the engine does not have."""
