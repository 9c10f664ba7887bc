"""Exception hierarchy of the alarm engine; each also inherits the matching builtin."""

from __future__ import annotations

from ashisense.errors import AshisenseError


class AlarmError(AshisenseError):
    """Base of every error raised by ashisense.alarms."""


class RuleFileError(AlarmError, ValueError):
    """A rule set or contraindication file that cannot be read or breaks the format.

    Messages name the file, the rule, the field, what was expected and what was found.
    """


class UnknownRuleKindError(RuleFileError):
    """A rule whose kind is not in the registry; the message lists the valid kinds."""


class ClientLimitsError(AlarmError, ValueError):
    """A client profile whose limits the rules cannot apply (limits_n off the body regions, an
    unknown contraindication); not a profile file error (that is ashisense.profiles.ProfileError).
    """


class SignalError(AlarmError, ValueError):
    """Signals handed to the engine that are malformed (wrong shape, no t_s, time going back)."""


class AlarmPolicyError(AlarmError, ValueError):
    """An operator action the studio's policy forbids (alarm off on high, pause too long)."""


class UnknownRuleError(AlarmError, LookupError):
    """An operator action naming a rule id the engine does not have."""
