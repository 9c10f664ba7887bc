"""Rule kinds on the forces: overload, regions, impact, grip loss, support, balance, dwell."""

from __future__ import annotations

import functools
import math

import numpy as np
from pydantic import Field, NonNegativeFloat, PositiveFloat, field_validator
from scipy.ndimage import maximum_filter1d

from ashisense.alarms.kinds.base import (
    BindContext,
    Measure,
    Measurer,
    RuleSpec,
    Signals,
    TrailingWindow,
    column,
)
from ashisense.bodymap import REGION_CODE, REGION_TITLES, REGIONS, UNKNOWN, regions_named

# Every limit on the feet force is one hazard: the force on the client where the feet are.
FEET_FORCE_HAZARD = "feet_force"


class FeetForce(RuleSpec):
    """Feet force above the client's limit: limit_n, or a share of the client's weight if lower."""

    kind_name = "feet_force"
    unit = "N"
    limit_field = "limit_n"
    hysteresis_field = "hysteresis_n"
    needs = ("feet_n",)

    limit_n: PositiveFloat
    limit_client_weight_share: float | None = Field(default=None, gt=0.0, le=1.0)
    hysteresis_n: NonNegativeFloat = 20.0

    def for_client(self, ctx: BindContext) -> FeetForce:
        """The limit this client gets: the lower of limit_n and the share of their weight
        (limit_n alone when the weight is unknown)."""
        if self.limit_client_weight_share is None:
            return self
        limit_n = self.limit_n
        if ctx.client_weight_n > 0:
            limit_n = min(limit_n, self.limit_client_weight_share * ctx.client_weight_n)
        return self.with_changes(limit_n=limit_n, limit_client_weight_share=None)

    def hazard_key(self) -> str:
        return FEET_FORCE_HAZARD

    def limit_applies(self, sig: Signals) -> np.ndarray:
        return np.ones(np.shape(sig["t_s"]), dtype=bool)

    def measurer(self, ctx: BindContext) -> Measurer:
        return lambda sig: Measure(column(sig, "feet_n"))


class RegionForce(RuleSpec):
    """Feet force while the feet act in one of `regions` (no-go: a low limit; lumbar band)."""

    kind_name = "region_force"
    unit = "N"
    limit_field = "limit_n"
    hysteresis_field = "hysteresis_n"
    needs = ("feet_n", "region")

    regions: tuple[str, ...] = Field(min_length=1)
    limit_n: PositiveFloat
    hysteresis_n: NonNegativeFloat = 10.0

    @field_validator("regions")
    @classmethod
    def _known_regions(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        regions_named(v)
        return tuple(dict.fromkeys(v))

    def hazard_key(self) -> str:
        return FEET_FORCE_HAZARD

    def _inside(self, region: np.ndarray) -> np.ndarray:
        """(n,) bool: the region codes that are one of this rule's regions (a table lookup;
        code -1, unknown, reads the table's last entry: False)."""
        return _region_table(self.regions)[np.asarray(region, dtype=np.intp)]

    def limit_applies(self, sig: Signals) -> np.ndarray:
        return self._inside(sig["region"])

    def measurer(self, ctx: BindContext) -> Measurer:
        clear_below_n = self.limit_n - self.hysteresis_n

        def measure(sig: Signals) -> Measure:
            feet_n = column(sig, "feet_n")
            region = np.asarray(sig["region"])
            value = np.where(self._inside(region), feet_n, 0.0)
            # Position unknown: a light load clears, a heavy one keeps the previous verdict.
            unknown = region == UNKNOWN
            if unknown.any():
                value[unknown] = np.where(feet_n[unknown] < clear_below_n, 0.0, np.nan)
            return Measure(value, detail=region.astype(np.int64))

        return measure

    def describe(self, value: float, detail: int | None, ctx: BindContext) -> str:
        if detail is not None and 0 <= detail < len(REGIONS):
            return REGION_TITLES[REGIONS[detail]]
        return ", ".join(REGION_TITLES[r] for r in self.regions)


@functools.lru_cache(maxsize=64)
def _region_table(regions: tuple[str, ...]) -> np.ndarray:
    """True at the codes of `regions`, one entry more for code -1 (unknown: False)."""
    table = np.zeros(len(REGIONS) + 1, dtype=bool)
    table[[REGION_CODE[r] for r in regions]] = True
    table.flags.writeable = False
    return table


class RiseRate(RuleSpec):
    """Impact: feet force rising faster than limit_n_per_s, measured over window_s."""

    kind_name = "rise_rate"
    unit = "N/s"
    limit_field = "limit_n_per_s"
    hysteresis_field = "hysteresis_n_per_s"
    needs = ("feet_n",)

    limit_n_per_s: PositiveFloat
    hysteresis_n_per_s: NonNegativeFloat = 500.0
    window_s: float = Field(default=0.05, gt=0.0, le=1.0)

    def measurer(self, ctx: BindContext) -> Measurer:
        history = TrailingWindow(self.window_s)

        def measure(sig: Signals) -> Measure:
            t_s, feet_n = column(sig, "t_s"), column(sig, "feet_n")
            n = t_s.shape[0]
            t_all, f_all = history.extend(t_s, feet_n)
            now = np.arange(t_all.shape[0] - n, t_all.shape[0])
            then = now - history.lag
            ok = (then >= 0) & (history.lag > 0)
            rate = np.full(n, np.nan)
            rate[ok] = (f_all[now[ok]] - f_all[then[ok]]) / (t_all[now[ok]] - t_all[then[ok]])
            return Measure(rate)

        return measure


def _weight(sig: Signals) -> np.ndarray:
    """Therapist weight per sample (N); NaN where unknown or not positive."""
    w = column(sig, "therapist_weight_n")
    return np.where(w > 0, w, np.nan)


class _WeightShare(RuleSpec):
    """A rule whose value is a share of the therapist's weight W."""

    unit = "% W"
    limit_field = "limit_share"
    hysteresis_field = "hysteresis_share"

    def fmt(self, x: float, unit: str = "N") -> str:
        return "n/a" if math.isnan(x) else f"{100 * x:.0f} % of W"


class BarDrop(_WeightShare):
    """Grip loss: one bar's load fell by more than limit_share of the therapist's weight within
    window_s, and by at least min_bar_fraction of what that bar held (a hand let go: a step
    onto the feet or a deliberate drop unloads both bars by less), while the feet carry at
    least on_client_share of the weight."""

    kind_name = "bar_drop"
    needs = ("bar_left_n", "bar_right_n", "feet_n", "therapist_weight_n")

    limit_share: float = Field(gt=0.0, le=1.0)
    hysteresis_share: NonNegativeFloat = 0.05
    window_s: float = Field(default=0.1, gt=0.0, le=1.0)
    on_client_share: float = Field(default=0.3, ge=0.0, le=1.0)
    min_bar_fraction: float = Field(default=0.75, ge=0.0, le=1.0)

    def measurer(self, ctx: BindContext) -> Measurer:
        bars = {name: TrailingWindow(self.window_s) for name in ("bar_left_n", "bar_right_n")}

        def let_go_n(sig: Signals, name: str) -> np.ndarray:
            """How much of this bar's load went within the window, 0 unless most of it."""
            t_s, bar_n = column(sig, "t_s"), column(sig, name)
            n = t_s.shape[0]
            history = bars[name]
            _, b_all = history.extend(t_s, bar_n)
            lag = history.lag
            # the most of each sample and the lag before it (a trailing window: origin)
            b_all = np.where(np.isnan(b_all), -np.inf, b_all)
            recent_max = maximum_filter1d(
                b_all, lag + 1, mode="constant", cval=-np.inf, origin=lag // 2
            )[-n:]
            drop_n = np.where(np.isfinite(recent_max), recent_max - bar_n, np.nan)
            with np.errstate(invalid="ignore"):
                return np.where(drop_n >= self.min_bar_fraction * recent_max, drop_n, 0.0)

        def measure(sig: Signals) -> Measure:
            left, right = let_go_n(sig, "bar_left_n"), let_go_n(sig, "bar_right_n")
            w = _weight(sig)
            with np.errstate(invalid="ignore"):
                on_client = column(sig, "feet_n") >= self.on_client_share * w
                side = np.where(right > left, 1, 0).astype(np.int64)
            return Measure(np.fmax(left, right) / w, applies=on_client, detail=side)

        return measure

    def describe(self, value: float, detail: int | None, ctx: BindContext) -> str:
        return {0: "left hand", 1: "right hand"}.get(detail if detail is not None else -1, "")


class Unsupported(_WeightShare):
    """The bars carry less than limit_share of the therapist's weight while the feet carry at
    least on_client_share of it: the therapist stands on the client without support."""

    kind_name = "unsupported"
    direction = "below"
    needs = ("bar_n", "feet_n", "therapist_weight_n")

    limit_share: float = Field(gt=0.0, le=1.0)
    hysteresis_share: NonNegativeFloat = 0.03
    on_client_share: float = Field(default=0.5, ge=0.0, le=1.0)

    def measurer(self, ctx: BindContext) -> Measurer:
        def measure(sig: Signals) -> Measure:
            w = _weight(sig)
            on_client = column(sig, "feet_n") >= self.on_client_share * w
            return Measure(column(sig, "bar_n") / w, applies=on_client)

        return measure


class Balance(RuleSpec):
    """Left/right imbalance: the heavier bar carries more than limit_share of the bar load
    (only while the bars carry at least min_bar_n)."""

    kind_name = "balance"
    unit = "%"
    limit_field = "limit_share"
    hysteresis_field = "hysteresis_share"
    needs = ("bar_left_share", "bar_n")

    limit_share: float = Field(gt=0.5, le=1.0)
    hysteresis_share: NonNegativeFloat = 0.05
    min_bar_n: NonNegativeFloat = 50.0

    def fmt(self, x: float, unit: str = "N") -> str:
        return "n/a" if math.isnan(x) else f"{100 * x:.0f} % on one bar"

    def measurer(self, ctx: BindContext) -> Measurer:
        def measure(sig: Signals) -> Measure:
            left = column(sig, "bar_left_share")
            heavier = np.maximum(left, 1.0 - left)
            side = np.where(left >= 0.5, 0, 1).astype(np.int64)
            return Measure(heavier, applies=column(sig, "bar_n") >= self.min_bar_n, detail=side)

        return measure

    def describe(self, value: float, detail: int | None, ctx: BindContext) -> str:
        return {0: "left heavy", 1: "right heavy"}.get(detail if detail is not None else -1, "")


class SupportLow(RuleSpec):
    """Off-rig support: (F_bar + F_feet) / W below limit_ratio while the feet carry at least
    on_client_share of W: a foot elsewhere (stool, table edge, floor) or a failing sensor."""

    kind_name = "support_low"
    unit = "× W"
    direction = "below"
    limit_field = "limit_ratio"
    hysteresis_field = "hysteresis_ratio"
    needs = ("support_ratio", "feet_n", "therapist_weight_n")
    precision = 2

    limit_ratio: float = Field(gt=0.0, lt=1.0)
    hysteresis_ratio: NonNegativeFloat = 0.05
    on_client_share: float = Field(default=0.15, ge=0.0, le=1.0)

    def measurer(self, ctx: BindContext) -> Measurer:
        def measure(sig: Signals) -> Measure:
            on_client = column(sig, "feet_n") >= self.on_client_share * _weight(sig)
            return Measure(column(sig, "support_ratio"), applies=on_client)

        return measure


class Dwell(RuleSpec):
    """Pressure held on one spot (a spot_m square) for more than limit_s with at least
    min_force_n through the feet. Two grids offset by half a spot: hovering on one grid's
    border is the middle of the other's cell, so noise does not restart the clock."""

    kind_name = "dwell"
    unit = "s"
    limit_field = "limit_s"
    hysteresis_field = "hysteresis_s"
    needs = ("feet_x_m", "feet_y_m", "feet_n")

    limit_s: PositiveFloat
    hysteresis_s: NonNegativeFloat = 0.0
    spot_m: float = Field(default=0.10, gt=0.0, le=1.0)
    min_force_n: NonNegativeFloat = 50.0

    def measurer(self, ctx: BindContext) -> Measurer:
        spot_m = self.spot_m
        # Per grid: the cell of the previous sample (-1: unloaded) and when its stay began.
        carry = {0.0: (-1, math.nan), 0.5: (-1, math.nan)}

        def stay_s(t_s: np.ndarray, x: np.ndarray, y: np.ndarray, loaded: np.ndarray, off: float):
            ix = np.floor(x / spot_m + off)
            iy = np.floor(y / spot_m + off)
            cell = np.where(loaded, ix * 100_003 + iy, -1).astype(np.int64)
            prev_cell, start_s = carry[off]
            prev = np.concatenate([[prev_cell], cell[:-1]])
            new_stay = cell != prev
            begin = np.where(new_stay, t_s, np.nan)
            if not new_stay[0]:
                begin[0] = start_s
            idx = np.where(np.isnan(begin), -1, np.arange(t_s.shape[0]))
            np.maximum.accumulate(idx, out=idx)
            since = begin[np.maximum(idx, 0)]
            carry[off] = (int(cell[-1]), float(since[-1]))
            return np.where(loaded, t_s - since, 0.0)

        def measure(sig: Signals) -> Measure:
            t_s, x, y = column(sig, "t_s"), column(sig, "feet_x_m"), column(sig, "feet_y_m")
            loaded = (column(sig, "feet_n") >= self.min_force_n) & np.isfinite(x) & np.isfinite(y)
            x, y = np.where(loaded, x, 0.0), np.where(loaded, y, 0.0)
            held = np.maximum(stay_s(t_s, x, y, loaded, 0.0), stay_s(t_s, x, y, loaded, 0.5))
            return Measure(held)

        return measure


FORCE_KINDS: tuple[type[RuleSpec], ...] = (
    FeetForce,
    RegionForce,
    RiseRate,
    BarDrop,
    Unsupported,
    Balance,
    SupportLow,
    Dwell,
)
