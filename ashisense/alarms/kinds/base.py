"""What every rule kind shares: the validated spec, the bind context and the per-block measure.

A kind is a pydantic model (its fields are the rule's TOML keys, units in their names) that
describes its measure as a row of the engine's compiled call (`fused`, fused.py) or builds a
stateful measurer of its own. Either turns a block's signals into the rule's measured value
per sample; the engine compares it with the limit, applies delay and hysteresis.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, NamedTuple, Protocol, Self

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, NonNegativeFloat

from ashisense.alarms.events import Priority
from ashisense.alarms.kinds.fused import Fused, measurer_of
from ashisense.alarms.wording import FORCE_UNITS, force_text

# A block of checked signals (signals.as_signals).
Signals = MutableMapping[str, np.ndarray]


class Measure(NamedTuple):
    """A rule's measured value over one block (a named tuple: a dozen are made every block).

    value: (n,) float64 in the rule's unit, NaN where unknown (keeps the previous verdict).
    applies: (n,) bool or None (always); where False the condition is absent whatever value.
    detail: (n,) int64 or None; a kind-specific code the message names (region, channels).
    """

    value: np.ndarray
    applies: np.ndarray | None = None
    detail: np.ndarray | None = None

    def shown(self) -> np.ndarray:
        """The value where the limit applies, NaN elsewhere (what the alarm shows)."""
        return self.value if self.applies is None else np.where(self.applies, self.value, np.nan)


class Measurer(Protocol):
    """Turns one block of signals into a Measure, carrying its own state across blocks."""

    def __call__(self, sig: Signals) -> Measure: ...


@dataclass(frozen=True)
class BindContext:
    """What rules need to know about the session beyond the signals.

    client_weight_n: the client's weight (N, NaN unknown). channel_names: the rig's channel
    names in order (bit i of a channel mask is channel i). signal_limits: limits the rig file
    sets for named signals (its [calibration] interval_days for calibration_age_days,
    zero_drift_limit_n for zero_drift_n), used by above/below rules that give none.
    """

    client_weight_n: float = math.nan
    channel_names: tuple[str, ...] = field(default_factory=tuple)
    signal_limits: Mapping[str, float] = field(default_factory=dict)


class RuleSpec(BaseModel):
    """Fields common to every rule; a kind adds its limit, hysteresis and parameters.

    delay_s: how long the condition must hold before the alarm. clear_delay_s: how long it
    must be gone (past the hysteresis) before the alarm condition ends. latching: None follows
    the studio policy for the priority. label: the message's opening words.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Set by each kind: the name in rule files, the unit shown, the limit's direction and the
    # fields holding the limit and the hysteresis, the signals the rule needs, and the number
    # format of its messages.
    kind_name: ClassVar[str]
    unit: ClassVar[str]
    direction: ClassVar[Literal["above", "below"]] = "above"
    limit_field: ClassVar[str]
    hysteresis_field: ClassVar[str]
    needs: ClassVar[tuple[str, ...]] = ()
    precision: ClassVar[int] = 0
    ticking: ClassVar[bool] = False  # measured on clock ticks, not on samples (stale link)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: str
    priority: Priority
    delay_s: NonNegativeFloat = 0.0
    clear_delay_s: NonNegativeFloat = 0.0
    latching: bool | None = None
    enabled: bool = True
    label: str = ""

    @property
    def limit_value(self) -> float:
        """The limit in force, whatever the kind calls its field."""
        return float(getattr(self, self.limit_field))

    @property
    def hysteresis_value(self) -> float:
        """The clearing hysteresis, in the limit's unit."""
        return float(getattr(self, self.hysteresis_field))

    def required_signals(self) -> tuple[str, ...]:
        """Signals this rule cannot be evaluated without (besides t_s)."""
        return self.needs

    def read_signals(self) -> tuple[str, ...]:
        """Signals this rule reads when a block has them: the required ones, and any it can
        do without (the engine hands a rule no other signal)."""
        return self.required_signals()

    def tick_value(self, age_s: float, context: Mapping[str, float]) -> float:
        """What a ticking rule measures at a clock tick: age_s, the age of the newest data (s),
        unless the kind says otherwise; context: the session-wide values (set_context)."""
        return age_s

    def with_changes(self, **changes: Any) -> Self:
        """A validated copy with some fields replaced (limits tightened, regions added)."""
        return type(self).model_validate(self.model_dump() | changes)

    def for_client(self, ctx: BindContext) -> RuleSpec:
        """This rule with limits that depend on the client resolved (most kinds: unchanged)."""
        return self

    def fused(self, ctx: BindContext) -> Fused | None:
        """This rule's measure as a row of the engine's one compiled call (fused.py); None
        for a kind measured by its own `measurer`."""
        return None

    def measurer(self, ctx: BindContext) -> Measurer:
        """A fresh measurer for one session: by default the `fused` row, measured alone."""
        row = self.fused(ctx)
        if row is None:
            raise NotImplementedError(f"rule kind {self.kind_name!r} has no measure")
        measure = measurer_of(row)
        return lambda sig: Measure(*measure(sig))

    def title(self) -> str:
        return self.label or self.id.replace("_", " ").capitalize()

    def headed(self, where: str) -> str:
        """'Title (where)', or the title alone when where is ''."""
        return f"{self.title()} ({where})" if where else self.title()

    def fmt(self, x: float, unit: str = "N") -> str:
        """A value of this rule with its unit ("612 N", "62.4 kg", "n/a" for NaN); forces
        (and force rates) in the display unit `unit` (kg, lb or N)."""
        if self.unit in FORCE_UNITS:
            return force_text(x, unit, FORCE_UNITS[self.unit])
        if math.isnan(x):
            return "n/a"
        return f"{x:.{self.precision}f} {self.unit}".rstrip()

    @property
    def value_unit(self) -> str:
        """The unit of the measured value and the limit ("N" for forces)."""
        return self.unit

    def hazard_key(self) -> str:
        """The physical hazard this rule watches: rules with the same key are one alarm to a
        person (the engine folds them, citing the binding limit). Default: the kind."""
        return self.kind_name

    def limit_applies(self, sig: Signals) -> np.ndarray | None:
        """Where this rule's limit holds on the feet force, (n,) bool; None for a rule that is
        not a limit on the feet force. Gives the binding limit per sample (engine)."""
        return None

    def describe(self, value: float, detail: int | None, ctx: BindContext) -> str:
        """The words after the title saying where or what (a region, channels); '' if none."""
        return ""

    def message(self, value: float, detail: int | None, ctx: BindContext, unit: str = "N") -> str:
        """Message of a raised alarm: what, where, the measured value and the limit, in words
        and the display unit."""
        return self.wording(self.describe(value, detail, ctx), value, self.limit_value, unit)

    def wording(self, where: str, value: float, limit: float, unit: str = "N") -> str:
        """'Title (where): value > limit limit' in the display unit."""
        sign = ">" if self.direction == "above" else "<"
        return f"{self.headed(where)}: {self.fmt(value, unit)} {sign} limit {self.fmt(limit, unit)}"

    def row_text(
        self, transition: str, where: str, value: float, limit: float, unit: str = "N"
    ) -> str | None:
        """A log row's words in the display unit; None for rows without measured numbers
        (acknowledged, audio paused, alarm off, ...: their message says it all)."""
        if transition == "raised":
            return self.wording(where, value, limit, unit)
        if transition in ("condition_ended", "cleared") and not math.isnan(value):
            return (
                f"{self.headed(where)}: back within limit ({self.fmt(value, unit)}), "
                f"limit {self.fmt(limit, unit)}"
            )
        return None


_FLOAT64 = np.dtype(np.float64)


def column(sig: Signals, name: str) -> np.ndarray:
    """A float64 view of one signal (the usual signal, a float64 array, as it is)."""
    x = sig[name]
    if type(x) is np.ndarray and x.dtype == _FLOAT64:
        return x
    return np.asarray(x, dtype=np.float64)


@functools.lru_cache(maxsize=32)
def constant(n: int, value: float) -> np.ndarray:
    """A read-only (n,) array of `value` (the measure of rules that measure nothing on samples),
    made once per block size."""
    out = np.full(n, value)
    out.flags.writeable = False
    return out
