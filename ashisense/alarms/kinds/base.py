"""What every rule kind shares: the validated spec, the bind context and the per-block measure.

A kind is a pydantic model (its fields are the rule's TOML keys, units in their names) that
builds a stateful measurer. The measurer turns a block's signals into the rule's measured
value per sample; the engine compares it with the limit, applies delay and hysteresis.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, NamedTuple, Protocol, Self

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, NonNegativeFloat

from ashisense.alarms.events import Priority
from ashisense.alarms.wording import FORCE_UNITS, force_text

# A block of checked signals (signals.as_signals); measurers may add derived ones (`derived`).
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

    def measurer(self, ctx: BindContext) -> Measurer:
        """A fresh measurer for one session."""
        raise NotImplementedError

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
    """A float64 view of one signal (the usual signal, a float64 array, as it is: a rule reads
    a score of columns a block, and np.asarray with a dtype costs twice this test)."""
    x = sig[name]
    if type(x) is np.ndarray and x.dtype == _FLOAT64:
        return x
    return np.asarray(x, dtype=np.float64)


def derived(sig: Signals, key: str, make: Callable[[Signals], np.ndarray]) -> np.ndarray:
    """A value several rules compute from a block (the therapist's weight where known, the
    region codes as indices), made once per block: kept in the block under `key` (a name no
    signal has: it starts with '_')."""
    found = sig.get(key)
    if found is None:
        found = sig[key] = make(sig)
    return found


@functools.lru_cache(maxsize=32)
def constant(n: int, value: float) -> np.ndarray:
    """A read-only (n,) array of `value` (the measure of rules that measure nothing on samples),
    made once per block size."""
    out = np.full(n, value)
    out.flags.writeable = False
    return out


@dataclass
class TrailingWindow:
    """The last few samples of signals carried across blocks, for look-back over a time window.

    window_s: how far back. The number of samples that spans (`lag`) is fixed from the first
    sample interval of the stream (rigs sample at a fixed rate), so it does not depend on how
    the stream is cut; it is 0 until two samples were seen.
    """

    window_s: float
    lag: int = 0
    _t_s: np.ndarray = field(default_factory=lambda: np.empty(0))
    _x: np.ndarray | None = None

    def extend(self, t_s: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """This block preceded by exactly `lag` carried samples, NaN before the stream began:
        (t_s, x), x of shape (..., n) (several signals at once). Until `lag` is known: the
        block, preceded by at most the one sample seen before."""
        x_all = x if self._x is None else np.concatenate([self._x, x], axis=-1)
        t_all = np.concatenate([self._t_s, t_s])
        if self.lag == 0 and t_all.shape[0] > 1:
            dt_s = float(t_all[1] - t_all[0])
            self.lag = max(1, round(self.window_s / dt_s)) if dt_s > 0 else 1
        if self.lag:
            pad = self.lag + t_s.shape[0] - t_all.shape[0]
            if pad > 0:
                t_all = np.concatenate([np.full(pad, np.nan), t_all])
                x_all = np.concatenate([np.full((*x.shape[:-1], pad), np.nan), x_all], axis=-1)
        keep = max(self.lag, 1)
        # copies: the carried samples are shifted in place once `carried` gives them
        self._t_s = t_all[-keep:].copy()
        self._x = x_all[..., -keep:].copy()
        return t_all, x_all

    def carried(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The carried samples (t_s (lag,), x (..., lag)) once exactly `lag` are carried (from
        the second block on, usually), for a compiled kernel that reads them before the block
        and shifts them on by it in place (loops.rise_carried): the work of `extend` without
        its array calls. None until then: call `extend`."""
        if self.lag and self._x is not None and self._t_s.shape[0] == self.lag:
            return self._t_s, self._x
        return None
