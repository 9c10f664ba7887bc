"""Technical rule kinds: stale link, lost samples, bad channels, and any named signal."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field, NonNegativeFloat, NonNegativeInt, PositiveFloat

from ashisense.alarms.kinds import fused
from ashisense.alarms.kinds.base import (
    BindContext,
    Measure,
    Measurer,
    RuleSpec,
    Signals,
    column,
)
from ashisense.alarms.kinds.fused import Fused
from ashisense.alarms.wording import force_text


class NoData(RuleSpec):
    """No sample for more than limit_s: the link is stale or down. Measured on clock ticks
    (the engine's `tick`), since a dead link delivers no block to measure on."""

    kind_name = "no_data"
    unit = "s"
    limit_field = "limit_s"
    hysteresis_field = "hysteresis_s"
    precision = 1
    ticking = True

    limit_s: PositiveFloat
    hysteresis_s: NonNegativeFloat = 0.0

    def fused(self, ctx: BindContext) -> Fused:
        # Every sample is fresh data when it arrives; ticks measure the age between samples.
        return Fused(fused.CONSTANT, (), (0.0,))


class LostRate(RuleSpec):
    """Lost samples above limit_pct of those due over the last window_s (judged once at least
    min_samples were due). lost_n: samples lost just before each sample (link health)."""

    kind_name = "lost_rate"
    unit = "%"
    limit_field = "limit_pct"
    hysteresis_field = "hysteresis_pct"
    needs = ("lost_n",)
    precision = 1

    limit_pct: PositiveFloat
    hysteresis_pct: NonNegativeFloat = 0.2
    window_s: float = Field(default=10.0, gt=0.0)
    min_samples: NonNegativeInt = 50

    def measurer(self, ctx: BindContext) -> Measurer:
        carry_t = np.empty(0)
        carry_lost = np.empty(0)

        def measure(sig: Signals) -> Measure:
            nonlocal carry_t, carry_lost
            t_s, lost = column(sig, "t_s"), np.nan_to_num(column(sig, "lost_n"))
            n = t_s.shape[0]
            t_all = np.concatenate([carry_t, t_s])
            lost_all = np.concatenate([carry_lost, lost])
            cum = np.concatenate([[0.0], np.cumsum(lost_all)])
            k = np.arange(t_all.shape[0] - n, t_all.shape[0])
            j = np.searchsorted(t_all, t_all[k] - self.window_s, side="right")
            lost_w = cum[k + 1] - cum[j]
            due = lost_w + (k - j + 1)
            keep = t_all > t_all[-1] - self.window_s
            carry_t, carry_lost = t_all[keep], lost_all[keep]
            return Measure(100.0 * lost_w / due, applies=due >= self.min_samples)

        return measure


def _popcount(mask: np.ndarray) -> np.ndarray:
    bits = np.unpackbits(np.ascontiguousarray(mask, dtype="<u8").view(np.uint8).reshape(-1, 8))
    return bits.reshape(mask.shape[0], 64).sum(axis=1).astype(np.float64)


class ChannelFlags(RuleSpec):
    """More than limit_channels channels flagged in a per-sample bit mask (bit i: channel i):
    invalid_mask (the device marked them), saturated_mask (at the ADC rail), flat_mask (stuck)."""

    kind_name = "channel_flags"
    unit = "channels"
    limit_field = "limit_channels"
    hysteresis_field = "hysteresis_channels"

    signal: Literal["invalid_mask", "saturated_mask", "flat_mask"]
    limit_channels: NonNegativeInt = 0
    hysteresis_channels: NonNegativeInt = 0

    def required_signals(self) -> tuple[str, ...]:
        return (self.signal,)

    def hazard_key(self) -> str:
        return f"{self.kind_name}:{self.signal}"

    def measurer(self, ctx: BindContext) -> Measurer:
        def measure(sig: Signals) -> Measure:
            mask = np.asarray(sig[self.signal]).astype(np.int64)
            return Measure(_popcount(mask), detail=mask)

        return measure

    def describe(self, value: float, detail: int | None, ctx: BindContext) -> str:
        if not detail:
            return ""
        names = ctx.channel_names
        return ", ".join(
            names[i] if i < len(names) else f"channel {i}" for i in range(64) if detail >> i & 1
        )


# Unit shown for a generic signal, from its name's suffix (units are in the names).
_SUFFIX_UNITS = {"_n": "N", "_kpa": "kPa", "_s": "s", "_m": "m", "_days": "days", "_pct": "%"}


def unit_of(signal: str) -> str:
    """The unit a signal's name carries ('' for ratios, shares and counts)."""
    return next((u for sfx, u in _SUFFIX_UNITS.items() if signal.endswith(sfx)), "")


class Above(RuleSpec):
    """Any named signal above `limit` (in the signal's unit): calibration age, zero drift, ...

    Without `limit`, the rig file's limit for the signal applies (BindContext.signal_limits);
    with neither, the rule is reported unavailable.
    """

    kind_name = "above"
    unit = ""
    limit_field = "limit"
    hysteresis_field = "hysteresis"
    precision = 1

    signal: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    limit: float | None = None
    hysteresis: NonNegativeFloat = 0.0

    @property
    def limit_value(self) -> float:
        return math.nan if self.limit is None else float(self.limit)

    def required_signals(self) -> tuple[str, ...]:
        return (self.signal,) if self.limit is not None else (self.signal, f"{self.signal} limit")

    def hazard_key(self) -> str:
        return f"{self.kind_name}:{self.signal}"

    def for_client(self, ctx: BindContext) -> Above:
        """The rule with the rig's limit for its signal when it has none of its own."""
        if self.limit is None and self.signal in ctx.signal_limits:
            return self.with_changes(limit=ctx.signal_limits[self.signal])
        return self

    def fmt(self, x: float, unit: str = "N") -> str:
        if unit_of(self.signal) == "N":
            return force_text(x, unit)
        return "n/a" if math.isnan(x) else f"{x:.{self.precision}f} {unit_of(self.signal)}".strip()

    def fused(self, ctx: BindContext) -> Fused:
        return Fused(fused.SIGNAL, (self.signal,))


class Below(Above):
    """Any named signal below `limit` (in the signal's unit)."""

    kind_name = "below"
    direction = "below"


class Flag(RuleSpec):
    """A condition of the link that comes with no data to measure, flagged by the runtime as
    a session-wide value `signal` (AlarmEngine.set_context: 1 while it holds, else 0) and so
    judged on clock ticks as well as blocks: a device refused as another than the rig's
    (device_refused, ashisense.live). Its message is its label."""

    kind_name = "flag"
    unit = ""
    limit_field = "limit"
    hysteresis_field = "hysteresis"
    ticking = True
    limit: ClassVar[float] = 0.5
    hysteresis: ClassVar[float] = 0.0

    signal: str = Field(pattern=r"^[a-z][a-z0-9_]*$")

    def hazard_key(self) -> str:
        return f"{self.kind_name}:{self.signal}"

    def tick_value(self, age_s: float, context: Mapping[str, float]) -> float:
        return float(context.get(self.signal, 0.0))

    def read_signals(self) -> tuple[str, ...]:
        return (self.signal,)

    def fused(self, ctx: BindContext) -> Fused:
        return Fused(fused.SIGNAL, (self.signal,))  # absent, it reads 0: never flagged

    def wording(self, where: str, value: float, limit: float, unit: str = "N") -> str:
        return self.headed(where)

    def row_text(
        self, transition: str, where: str, value: float, limit: float, unit: str = "N"
    ) -> str | None:
        if transition == "raised":
            return self.wording(where, value, limit, unit)
        if transition in ("condition_ended", "cleared"):
            return f"{self.title()}: no longer"
        return None


LINK_KINDS: tuple[type[RuleSpec], ...] = (NoData, LostRate, ChannelFlags, Above, Below, Flag)
