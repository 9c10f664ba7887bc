"""Numbers as a person reads them: forces in the studio's unit (kg, lb or N), never rule ids.

The engine measures in newtons; every text a person sees (banner, log, review, report, the
command line) is written with `force_text` in the unit the studio chose. The alarm rows also
carry the plain numbers (value, limit, unit) so a display can format them itself.
"""

from __future__ import annotations

import math
from typing import Any, Literal, Protocol, cast

from ashisense.alarms.errors import AlarmError
from calibration.units import STANDARD_GRAVITY_M_S2

DisplayUnit = Literal["kg", "lb", "N"]
DISPLAY_UNITS: tuple[DisplayUnit, ...] = ("kg", "lb", "N")
N_PER_LB = 4.4482216152605  # the international avoirdupois pound-force

_N_PER_UNIT: dict[str, float] = {"kg": STANDARD_GRAVITY_M_S2, "lb": N_PER_LB, "N": 1.0}
_DIGITS: dict[str, int] = {"kg": 1, "lb": 0, "N": 0}

#: Rule units that are forces (or force rates) and so follow the display unit.
FORCE_UNITS: dict[str, str] = {"N": "", "N/s": "/s"}


class UnitError(AlarmError, ValueError):
    """A display unit that is not kg, lb or N."""


def display_unit(unit: str) -> DisplayUnit:
    """Check a display unit; UnitError lists the valid ones."""
    if unit not in _N_PER_UNIT:
        raise UnitError(f"display unit: expected one of {', '.join(DISPLAY_UNITS)}, found {unit!r}")
    return cast(DisplayUnit, unit)


def force_in(value_n: float, unit: str) -> float:
    """A force (N) in the display unit (kg means kilogram-force, as the studio says it)."""
    return value_n / _N_PER_UNIT[display_unit(unit)]


def force_text(value_n: float, unit: str, per: str = "") -> str:
    """'53.0 kg', '117 lb', '520 N' ('n/a' for NaN); per: a suffix of the unit ('/s')."""
    if math.isnan(value_n):
        return "n/a"
    value = force_in(value_n, unit)
    digits = _DIGITS[unit]
    if abs(value) < 0.5 * 10.0**-digits:
        value = 0.0  # no "-0.0"
    return f"{value:.{digits}f} {unit}{per}"


class WordedRule(Protocol):
    """What alarm_text needs of a rule (a RuleSpec)."""

    def row_text(
        self, transition: str, where: str, value: float, limit: float, unit: str = "N"
    ) -> str | None: ...


def alarm_text(row: Any, rule: WordedRule | None, unit: str) -> str:
    """A log row (an AlarmEvent, or a stored AlarmRecord) in words and the display unit: the
    rule's title, where, the value and the limit. Rows without measured numbers, or of a
    rule not known (rule None), keep their logged message. For the log, report and CLI."""
    display_unit(unit)
    text = None
    if rule is not None:
        where = str(getattr(row, "where", ""))
        text = rule.row_text(str(row.transition), where, row.value, row.limit, unit)
    return text or str(row.message)
