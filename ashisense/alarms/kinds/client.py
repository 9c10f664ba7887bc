"""Rule kinds of the client's voice: a handset button that is an alarm, and a stuck handset.

A press is not a measured signal: `client_button` rules are fed by the engine's `press()` (a
press from the rig's handset or the dashboard's client page), raised at the press with no
delay and, being instantaneous, over at once (a latching priority keeps the alarm on until
acknowledged). `handset_stuck` is technical: a button held down past the device's stuck time
(PROTOCOL.md), so the client may not be heard; it is measured on the signal
`handset_stuck_mask` (bit i: BUTTONS[i]) the session keeps from the handset's events.
"""

from __future__ import annotations

import math
from typing import Literal, Self

import numpy as np
from pydantic import NonNegativeInt, model_validator

from ashisense.alarms.kinds import fused
from ashisense.alarms.kinds.base import (
    BindContext,
    Measure,
    Measurer,
    RuleSpec,
    Signals,
)
from ashisense.alarms.kinds.fused import Fused
from ashisense.alarms.wording import force_text
from ashisense.bodymap import REGION_TITLES, REGIONS
from firmware_bridge.events import BUTTONS

#: The technical signal of stuck handset buttons (bit i set: BUTTONS[i] is held down).
HANDSET_STUCK_SIGNAL = "handset_stuck_mask"

Button = Literal["lighter", "deeper", "stop", "ok"]


class _Moment(RuleSpec):
    """A rule whose log has words only where its alarm is raised: a moment (a press, a stuck
    button), with no measured number that comes back within a limit."""

    def saying(self, value: float, unit: str) -> str:
        """The words after 'Title (where): ' for a raise at `value`, in the display unit."""
        raise NotImplementedError

    def wording(self, where: str, value: float, limit: float, unit: str = "N") -> str:
        return f"{self.headed(where)}: {self.saying(value, unit)}"

    def row_text(
        self, transition: str, where: str, value: float, limit: float, unit: str = "N"
    ) -> str | None:
        return self.wording(where, value, limit, unit) if transition == "raised" else None


class ClientButton(_Moment):
    """The client pressed `button` (default "stop"): an alarm at once, with the feet force and
    the body region at that moment in its message. Its value is that feet force (N); it has
    no limit. Condition delays do not apply: a press is a moment (0 is the only value)."""

    kind_name = "client_button"
    unit = "N"
    limit_field = "button"
    hysteresis_field = "button"
    precision = 0

    button: Button = "stop"

    @model_validator(mode="after")
    def _no_delay(self) -> Self:
        if self.delay_s or self.clear_delay_s:
            raise ValueError(
                "a press alarms at once and is over at once: delay_s and clear_delay_s "
                f"must be 0, got {self.delay_s:g} and {self.clear_delay_s:g}"
            )
        return self

    @property
    def limit_value(self) -> float:
        return math.nan

    @property
    def hysteresis_value(self) -> float:
        return 0.0

    def hazard_key(self) -> str:
        return f"{self.kind_name}:{self.button}"

    def fused(self, ctx: BindContext) -> Fused:
        # Never known from samples (NaN keeps the verdict): presses come through press().
        return Fused(fused.CONSTANT, (), (math.nan,))

    def describe(self, value: float, detail: int | None, ctx: BindContext) -> str:
        """The body region under the feet at the press (detail: its code; -1 unknown)."""
        return REGION_TITLES[REGIONS[detail]] if detail is not None and detail >= 0 else ""

    def saying(self, value: float, unit: str) -> str:
        """'feet force 32.0 kg at the press' (after 'Title (where): ')."""
        return f"feet force {force_text(value, unit)} at the press"


class HandsetStuck(_Moment):
    """More than limit_buttons buttons of the client's handset held down past the device's
    stuck time (the buttons named in the message): the client may not be heard."""

    kind_name = "handset_stuck"
    unit = "buttons"
    limit_field = "limit_buttons"
    hysteresis_field = "hysteresis_buttons"
    needs = (HANDSET_STUCK_SIGNAL,)

    limit_buttons: NonNegativeInt = 0
    hysteresis_buttons: NonNegativeInt = 0

    def measurer(self, ctx: BindContext) -> Measurer:
        def measure(sig: Signals) -> Measure:
            signal = np.nan_to_num(np.asarray(sig[HANDSET_STUCK_SIGNAL], dtype=np.float64))
            mask = signal.astype(np.int64)
            bits = (mask[:, None] >> np.arange(len(BUTTONS), dtype=np.int64)) & 1
            return Measure(bits.sum(axis=1).astype(np.float64), detail=mask)

        return measure

    def describe(self, value: float, detail: int | None, ctx: BindContext) -> str:
        if not detail:
            return ""
        return ", ".join(f'"{b}"' for i, b in enumerate(BUTTONS) if detail >> i & 1)

    def saying(self, value: float, unit: str) -> str:
        """'held down, the client may not be heard' (after 'Title ("stop"): ')."""
        return "held down, the client may not be heard"


CLIENT_KINDS: tuple[type[RuleSpec], ...] = (ClientButton, HandsetStuck)
