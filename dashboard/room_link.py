"""A room's dashboard linked to its studio (`serve --room --studio --store postgresql://`):
a second live display thinned for the broker, the link's condition on the page.

The room's own page, alarms and recording never depend on the link: the broker gets its
messages from a display of its own (20 frames a second) that only hands them over, and the
link's condition reaches the page as a "studio" message through the hub.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ashisense.alarms import BindingLimits, HazardStatus
from ashisense.live import Display, LiveSetup, LiveStatus
from ashisense.pipeline.types import EstimateBlock, GridEstimate
from ashisense.store import PressRecord
from ashisense.studio import RoomConfig, RoomLink
from dashboard.display import HubDisplay
from dashboard.hub import Hub

#: Frames a second to the broker (the studio's schema promises at most 20).
BROKER_FPS = 20.0
BROKER_GRID_FPS = 2.0


class TeeDisplay(Display):
    """One live display for several: each gets everything, in order."""

    def __init__(self, *displays: Display) -> None:
        self.displays = displays

    def setup(self, setup: LiveSetup) -> None:
        for d in self.displays:
            d.setup(setup)

    def estimate(
        self, est: EstimateBlock, seq: np.ndarray, limits: BindingLimits | None = None
    ) -> None:
        for d in self.displays:
            d.estimate(est, seq, limits)

    @property
    def watched(self) -> bool:
        return any(d.watched for d in self.displays)

    def grid(self, est: GridEstimate) -> None:
        for d in self.displays:
            d.grid(est)

    def alarms(self, hazards: Sequence[HazardStatus]) -> None:
        for d in self.displays:
            d.alarms(hazards)

    def status(self, status: LiveStatus) -> None:
        for d in self.displays:
            d.status(status)

    def press(self, press: PressRecord) -> None:
        for d in self.displays:
            d.press(press)


def linked_display(
    room: RoomConfig | None, display: HubDisplay, hub: Hub, units: Callable[[], str]
) -> tuple[Display, RoomLink | None]:
    """The runtime's display (the page's, and the broker's when there is one) and the room's
    studio link (start it with the runtime, stop it after); (display, None) without a studio."""
    if room is None:
        return display, None
    link = RoomLink(room, on_condition=lambda text: hub.publish("studio", text))
    if link.publisher is None:
        return display, link
    broker = HubDisplay(link.publisher, units, max_fps=BROKER_FPS, grid_fps=BROKER_GRID_FPS)
    return TeeDisplay(display, broker), link
