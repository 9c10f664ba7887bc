"""Registry of rule kinds: a plain dict from the `kind` key of a rule file to its spec class."""

from __future__ import annotations

from ashisense.alarms.errors import UnknownRuleKindError
from ashisense.alarms.kinds.base import BindContext, Measure, Measurer, RuleSpec, Signals
from ashisense.alarms.kinds.client import CLIENT_KINDS
from ashisense.alarms.kinds.force import FORCE_KINDS
from ashisense.alarms.kinds.link import LINK_KINDS

KINDS: dict[str, type[RuleSpec]] = {
    k.kind_name: k for k in (*FORCE_KINDS, *LINK_KINDS, *CLIENT_KINDS)
}


def kind_class(name: str, where: str = "") -> type[RuleSpec]:
    """The spec class of a rule kind; UnknownRuleKindError lists the valid ones."""
    try:
        return KINDS[name]
    except KeyError:
        prefix = f"{where}: " if where else ""
        raise UnknownRuleKindError(
            f"{prefix}field 'kind': expected one of {', '.join(sorted(KINDS))}, found {name!r}"
        ) from None


__all__ = ["KINDS", "BindContext", "Measure", "Measurer", "RuleSpec", "Signals", "kind_class"]
