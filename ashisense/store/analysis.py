"""The pipeline and the alarm engine over one session's stream: the one code path that live
recording, replay, export and the report all take from raw counts to estimates and alarms."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ashisense.alarms import (
    AlarmEngine,
    AlarmEvent,
    ContraindicationMap,
    RuleSet,
    signals_from_estimate,
)
from ashisense.alarms.technical import CalibrationHealth, LinkHealth
from ashisense.pipeline.core import Pipeline
from ashisense.pipeline.types import EstimateBlock
from ashisense.profiles import ClientProfile, TherapistProfile
from ashisense.rig import Rig
from ashisense.store.context import (
    client_of,
    contraindications_of,
    rig_of,
    rules_of,
    therapist_of,
)
from ashisense.store.records import SessionInfo
from firmware_bridge.blocks import Gap, GridBlock, SampleBlock
from firmware_bridge.listener import Item
from firmware_bridge.protocol import Hello


@dataclass(frozen=True)
class Step:
    """What one block of samples gave: its estimates and the alarm transitions it caused."""

    block: SampleBlock
    estimate: EstimateBlock
    alarms: list[AlarmEvent]


class SessionAnalysis:
    """Feed it a session's items in order (HELLO, blocks, grids, gaps); blocks give Steps.

    rig: resolved for the device. rules None: no alarm engine (estimates only). The engine
    gets the estimates' signals, the link's (lost samples, channel flags) and the
    calibration's (age, zero drift), with the rig's limits for the latter: the same technical
    rules run live and in replay. Not thread-safe: one feeder.
    """

    def __init__(
        self,
        rig: Rig,
        client: ClientProfile | None = None,
        therapist: TherapistProfile | None = None,
        rules: RuleSet | None = None,
        contraindications: ContraindicationMap | None = None,
        *,
        rate_hz: float | None = None,
    ) -> None:
        self.rig, self.client, self.therapist = rig, client, therapist
        self.pipeline = Pipeline(rig, client, therapist, rate_hz=rate_hz)
        self._calibration = CalibrationHealth(rig)
        self.engine = (
            None
            if rules is None
            else AlarmEngine.for_session(
                rules,
                client,
                contraindications,
                rig.channels,
                signal_limits=self._calibration.limits,
            )
        )
        self._health: LinkHealth | None = None  # technical signals, in the device's order

    @classmethod
    def for_session(
        cls,
        info: SessionInfo,
        *,
        rig_path: str | Path | None = None,
        rules: RuleSet | None = None,
        alarms: bool = True,
    ) -> SessionAnalysis:
        """As the session was recorded (its rig snapshot, calibration, people and rules), or
        with another rig file (new calibration) or rule set; alarms=False: estimates only."""
        hello = info.hello or {}
        if not alarms:
            rules = None
        elif rules is None:
            rules = rules_of(info)
        return cls(
            rig_of(info, rig_path),
            client_of(info),
            therapist_of(info),
            rules,
            contraindications_of(info),
            rate_hz=hello.get("rate_hz"),
        )

    def feed(self, item: Item) -> Step | None:
        """Take one item; a SampleBlock returns its Step, anything else None."""
        if isinstance(item, SampleBlock):
            estimate = self.pipeline.process(item)
            return Step(item, estimate, self._alarms(item, estimate))
        if isinstance(item, GridBlock) and self.rig.grid is not None:
            self.pipeline.process_grid(item)
        elif isinstance(item, Gap):
            self.pipeline.reset_stream()
            self._calibration.on_gap(item)
            if self._health is not None:
                self._health.on_gap(item)
        elif isinstance(item, Hello):
            self.pipeline.set_rate(item.rate_hz)
        return None

    def _alarms(self, block: SampleBlock, estimate: EstimateBlock) -> list[AlarmEvent]:
        if self.engine is None:
            return []
        if self._health is None or self._health.channels != block.channels:
            self._health = LinkHealth(block.channels)
        signals = signals_from_estimate(estimate, self.rig.kind)
        technical = self._health.signals(block) | self._calibration.signals(block)
        return self.engine.process(signals | technical)

    def tick(self, t_s: float) -> list[AlarmEvent]:
        """Clock tick for the alarm engine (stale-link rules, audio pauses)."""
        return [] if self.engine is None else self.engine.tick(t_s)
