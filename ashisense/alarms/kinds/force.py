"""Rule kinds on the forces: overload, regions, impact, grip loss, support, balance, dwell."""

from __future__ import annotations

import functools
import math

import numpy as np
from pydantic import Field, NonNegativeFloat, PositiveFloat, field_validator

from ashisense.alarms.kinds import loops
from ashisense.alarms.kinds.base import (
    BindContext,
    Measure,
    Measurer,
    RuleSpec,
    Signals,
    TrailingWindow,
    column,
    derived,
)
from ashisense.bodymap import REGION_CODE, REGION_TITLES, REGIONS, regions_named

# Every limit on the feet force is one hazard: the force on the client where the feet are.
FEET_FORCE_HAZARD = "feet_force"


class _FeetLimit(RuleSpec):
    """A limit (limit_n, N) on the feet force, somewhere or everywhere: one hazard."""

    unit = "N"
    limit_field = "limit_n"
    hysteresis_field = "hysteresis_n"

    limit_n: PositiveFloat

    def hazard_key(self) -> str:
        return FEET_FORCE_HAZARD


class FeetForce(_FeetLimit):
    """Feet force above the client's limit: limit_n, or a share of the client's weight if lower."""

    kind_name = "feet_force"
    needs = ("feet_n",)

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

    def limit_applies(self, sig: Signals) -> np.ndarray:
        return np.ones(np.shape(sig["t_s"]), dtype=bool)

    def measurer(self, ctx: BindContext) -> Measurer:
        return lambda sig: Measure(column(sig, "feet_n"))


class RegionForce(_FeetLimit):
    """Feet force while the feet act in one of `regions` (no-go: a low limit; lumbar band)."""

    kind_name = "region_force"
    needs = ("feet_n", "region")

    regions: tuple[str, ...] = Field(min_length=1)
    hysteresis_n: NonNegativeFloat = 10.0

    @field_validator("regions")
    @classmethod
    def _known_regions(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        regions_named(v)
        return tuple(dict.fromkeys(v))

    def _inside(self, region: np.ndarray) -> np.ndarray:
        """(n,) bool: the region codes that are one of this rule's regions (a table lookup;
        code -1, unknown, reads the table's last entry: False)."""
        return _region_table(self.regions)[np.asarray(region, dtype=np.intp)]

    def limit_applies(self, sig: Signals) -> np.ndarray:
        return self._inside(sig["region"])

    def measurer(self, ctx: BindContext) -> Measurer:
        clear_below_n = self.limit_n - self.hysteresis_n
        table = _region_table(self.regions)

        def measure(sig: Signals) -> Measure:
            region = derived(sig, "_region_index", _region_index)
            # Position unknown: a light load clears, a heavy one keeps the previous verdict.
            force_n = np.empty(region.shape[0])
            loops.region_force(column(sig, "feet_n"), region, table, clear_below_n, force_n)
            return Measure(force_n, detail=region)

        return measure

    def describe(self, value: float, detail: int | None, ctx: BindContext) -> str:
        if detail is not None and 0 <= detail < len(REGIONS):
            return REGION_TITLES[REGIONS[detail]]
        return ", ".join(REGION_TITLES[r] for r in self.regions)


def _region_index(sig: Signals) -> np.ndarray:
    """The block's region codes as table indices (shared by every region rule): an integer
    array as it is (the pipeline's int8 codes: the kernel reads any integer)."""
    region = sig["region"]
    if type(region) is np.ndarray and region.dtype.kind == "i":
        return region
    return np.asarray(region, dtype=np.intp)


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
            rate = np.empty(t_s.shape[0])
            carried = history.carried()
            if carried is not None:  # the usual block: one compiled call
                loops.rise_carried(*carried, t_s, feet_n, rate)
                return Measure(rate)
            t_all, f_all = history.extend(t_s, feet_n)
            if not history.lag:  # the second sample of the stream is still to come
                return Measure(np.full(t_all.shape[0], np.nan))
            loops.rise_per_s(t_all, f_all, history.lag, rate)
            return Measure(rate)

        return measure


def _outputs(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A measure's arrays for a kernel to fill: value (n,) float64, applies and detail (n,)
    bool (a kernel fills given arrays faster than it returns new ones)."""
    return np.empty(n), np.empty(n, dtype=bool), np.empty(n, dtype=bool)


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
        history = TrailingWindow(self.window_s)

        def measure(sig: Signals) -> Measure:
            left_n, right_n = column(sig, "bar_left_n"), column(sig, "bar_right_n")
            feet_n, weight_n = column(sig, "feet_n"), column(sig, "therapist_weight_n")
            share, fraction = self.on_client_share, self.min_bar_fraction
            out = _outputs(feet_n.shape[0])
            carried = history.carried()
            if carried is not None:  # the usual block: one compiled call
                loops.bar_drop_carried(
                    carried[1], left_n, right_n, fraction, feet_n, weight_n, share, *out
                )
            else:
                _, b_all = history.extend(column(sig, "t_s"), np.stack([left_n, right_n]))
                loops.bar_drop(b_all, history.lag + 1, fraction, feet_n, weight_n, share, *out)
            return Measure(*out)  # detail 1: the right hand

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
            bar_n = column(sig, "bar_n")
            value, on_client = np.empty(bar_n.shape[0]), np.empty(bar_n.shape[0], dtype=bool)
            loops.share_of_weight(
                bar_n,
                column(sig, "feet_n"),
                column(sig, "therapist_weight_n"),
                self.on_client_share,
                value,
                on_client,
            )
            return Measure(value, applies=on_client)

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
            out = _outputs(left.shape[0])
            loops.heavier_share(left, column(sig, "bar_n"), self.min_bar_n, *out)
            return Measure(*out)  # detail 1: right heavy

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
            feet_n, weight_n = column(sig, "feet_n"), column(sig, "therapist_weight_n")
            on_client = np.empty(feet_n.shape[0], dtype=bool)
            loops.on_client(feet_n, weight_n, self.on_client_share, on_client)
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
        # Per grid: the cell of the previous sample (-1: unloaded) and when its stay began.
        # Cells are float codes (x cell * 100_003 + y cell): exact integers, -1 unloaded.
        last_cell = np.full(2, -1.0)
        start_s = np.full(2, np.nan)

        def measure(sig: Signals) -> Measure:
            held_s = loops.dwell_held_s(
                column(sig, "t_s"),
                column(sig, "feet_x_m"),
                column(sig, "feet_y_m"),
                column(sig, "feet_n"),
                self.min_force_n,
                self.spot_m,
                last_cell,
                start_s,
            )
            return Measure(held_s)

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
