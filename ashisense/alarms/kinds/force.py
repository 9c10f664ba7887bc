"""Rule kinds on the forces: overload, regions, impact, grip loss, support, balance, dwell."""

from __future__ import annotations

import functools
import math

import numpy as np
from pydantic import Field, NonNegativeFloat, PositiveFloat, field_validator

from ashisense.alarms.kinds import fused
from ashisense.alarms.kinds.base import BindContext, RuleSpec, Signals
from ashisense.alarms.kinds.fused import Fused
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

    def fused(self, ctx: BindContext) -> Fused:
        return Fused(fused.SIGNAL, ("feet_n",))


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

    def fused(self, ctx: BindContext) -> Fused:
        # Position unknown: a light load clears, a heavy one keeps the previous verdict.
        clear_below_n = self.limit_n - self.hysteresis_n
        table = _region_table(self.regions)
        return Fused(fused.REGION_FORCE, ("feet_n", "region"), (clear_below_n,), table)

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

    def fused(self, ctx: BindContext) -> Fused:
        return Fused(fused.RISE, ("t_s", "feet_n"), window_s=self.window_s)


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

    def fused(self, ctx: BindContext) -> Fused:
        signals = ("bar_left_n", "bar_right_n", "feet_n", "therapist_weight_n")
        params = (self.min_bar_fraction, self.on_client_share)
        return Fused(fused.BAR_DROP, signals, params, window_s=self.window_s)  # detail 1: right

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

    def fused(self, ctx: BindContext) -> Fused:
        signals = ("bar_n", "feet_n", "therapist_weight_n")
        return Fused(fused.SHARE_OF_WEIGHT, signals, (self.on_client_share,))


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

    def fused(self, ctx: BindContext) -> Fused:
        signals = ("bar_left_share", "bar_n")
        return Fused(fused.HEAVIER_SHARE, signals, (self.min_bar_n,))  # detail 1: right heavy

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

    def fused(self, ctx: BindContext) -> Fused:
        signals = ("support_ratio", "feet_n", "therapist_weight_n")
        return Fused(fused.ON_CLIENT, signals, (self.on_client_share,))


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

    def fused(self, ctx: BindContext) -> Fused:
        # Per grid, carried: the cell of the previous sample (float codes x cell * 100_003 +
        # y cell, exact integers; -1 unloaded) and when its stay began (loops.dwell_held_s).
        signals = ("t_s", "feet_x_m", "feet_y_m", "feet_n")
        return Fused(fused.DWELL, signals, (self.min_force_n, self.spot_m))


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
