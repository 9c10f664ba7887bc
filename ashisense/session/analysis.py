"""The pipeline and the alarm engine over one session's stream: the one code path that live
recording, replay, export and the report all take from raw counts to estimates and alarms."""

from __future__ import annotations

import collections
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ashisense.alarms import (
    AlarmEngine,
    AlarmEvent,
    ContraindicationMap,
    RuleSet,
    signals_from_estimate,
)
from ashisense.alarms.hazards import BindingLimits
from ashisense.alarms.kinds.client import HANDSET_STUCK_SIGNAL
from ashisense.alarms.technical import CalibrationHealth, LinkHealth
from ashisense.bodymap import REGION_CODE
from ashisense.client.tracker import PressTracker
from ashisense.pipeline.core import Pipeline
from ashisense.pipeline.types import EstimateBlock, GridEstimate
from ashisense.profiles import ClientProfile
from ashisense.rig import Rig
from ashisense.session.setup import SessionSetup
from ashisense.session.snapshot import (
    client_of,
    contraindications_of,
    rig_of,
    rules_of,
    therapist_of,
)
from ashisense.store.blocks import slice_block
from ashisense.store.records import BaselineRecord, PressRecord, SessionInfo
from firmware_bridge.blocks import DeviceEvent, Gap, GridBlock, SampleBlock
from firmware_bridge.events import (
    BUTTONS,
    ClientPress,
    HandsetEventError,
    HandsetStuck,
    parse_handset_event,
)
from firmware_bridge.listener import Item
from firmware_bridge.protocol import Hello

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Step:
    """What one block of samples gave: its estimates, the alarm transitions it caused, the
    baseline changes the pipeline reported meanwhile (Pipeline.baseline_changes: a recorder
    keeps them with the session), the feet-force limit that held at each sample and its
    rule (None without alarm rules): what a display draws under the force, and the client's
    presses whose follow-up it reached, complete (a recorder keeps them)."""

    block: SampleBlock
    estimate: EstimateBlock
    alarms: list[AlarmEvent]
    baselines: list[dict[str, Any]] = field(default_factory=list)
    limits: BindingLimits | None = None
    presses: list[PressRecord] = field(default_factory=list)


@dataclass(frozen=True)
class PressStep:
    """What a press of the client gave: the press with its moment (feet force, region,
    pressure; the follow-up comes with a later Step's presses) and the alarms it raised."""

    press: PressRecord
    alarms: list[AlarmEvent] = field(default_factory=list)


class SessionAnalysis:
    """Feed it a session's items in order (HELLO, blocks, grids, gaps, device events); blocks
    give Steps, a press of the client's handset a PressStep (feed_event), as does a press of
    the dashboard's client page (press).

    setup: its rig resolved for the device; rules None: no alarm engine (estimates only).
    The engine gets the estimates' signals, the link's (lost samples, channel flags) and the
    calibration's (age, zero drift), with the rig's limits for the latter: the same technical
    rules run live and in replay. baselines: the baseline states recorded with the session;
    the pipeline holds each from the first sample after its time (the start state before
    the first block), so a session that began with the therapist already on the client
    derives the same feet force as live. Not thread-safe: one feeder.
    """

    def __init__(
        self,
        setup: SessionSetup,
        *,
        rate_hz: float | None = None,
        baselines: Iterable[BaselineRecord] = (),
    ) -> None:
        self.rig, self.client, self.therapist = setup.rig, setup.client, setup.therapist
        self.pipeline = Pipeline(self.rig, self.client, self.therapist, rate_hz=rate_hz)
        self._due = collections.deque(sorted(baselines, key=lambda b: b.t_s))
        self._calibration = CalibrationHealth(self.rig)
        self._contra = setup.contraindications
        self._health: LinkHealth | None = None  # technical signals, in the device's order
        self.presses = PressTracker()
        self._stuck_mask = 0  # handset buttons held down (bit i: BUTTONS[i])
        self.engine: AlarmEngine | None = None
        self.use_rules(setup.rules)

    def use_rules(self, rules: RuleSet | None) -> AlarmEngine | None:
        """Evaluate these rules from now on (a new alarm engine; None: no alarms); the
        pipeline and its baseline go on. Returns the new engine."""
        self.engine = (
            None
            if rules is None
            else AlarmEngine.for_session(
                rules,
                self.client,
                self._contra,
                self.rig.channels,
                signal_limits=self._calibration.limits,
            )
        )
        if self.engine is not None:
            self.engine.set_context(**{HANDSET_STUCK_SIGNAL: float(self._stuck_mask)})
        return self.engine

    @classmethod
    def for_session(
        cls,
        info: SessionInfo,
        *,
        rig_path: str | Path | None = None,
        rules: RuleSet | None = None,
        client: ClientProfile | None = None,
        contraindications: ContraindicationMap | None = None,
        alarms: bool = True,
    ) -> SessionAnalysis:
        """As the session was recorded (its rig snapshot, calibration, people, rules and
        baseline states), or with another rig file (new calibration), rule set, client
        profile or contraindication map; alarms=False: estimates only. The recorded baseline
        states are forces of the session's calibration: with a rig file that derives other
        forces they are left out (logged), and the baseline is detected again from the
        counts, as for old sessions."""
        hello = info.hello or {}
        if not alarms:
            rules = None
        elif rules is None:
            rules = rules_of(info)
        rig = rig_of(info, rig_path)
        baselines = info.baselines
        if baselines and rig_path is not None and not _same_forces(rig, info):
            log.warning(
                "%s: session %d: its recorded baseline states were taken with other channel "
                "constants or positions; the client baseline is detected again from the counts",
                rig_path,
                info.id,
            )
            baselines = ()
        setup = SessionSetup(
            rig,
            client_of(info) if client is None else client,
            therapist_of(info),
            rules,
            contraindications_of(info) if contraindications is None else contraindications,
        )
        return cls(
            setup,
            rate_hz=hello.get("rate_hz"),
            baselines=baselines,
        )

    def feed(self, item: Item) -> Step | None:
        """Take one item; a SampleBlock returns its Step, anything else None."""
        if isinstance(item, SampleBlock):
            estimate = self._estimate(item)
            changes = self.pipeline.baseline_changes()
            alarms, limits = self._alarms(item, estimate)
            presses = self.presses.on_estimate(estimate)
            return Step(item, estimate, alarms, changes, limits, presses)
        if isinstance(item, DeviceEvent):
            self.feed_event(item)
        elif isinstance(item, GridBlock):
            self.feed_grid(item)
        elif isinstance(item, Gap):
            self.pipeline.reset_stream()
            self._calibration.on_gap(item)
            if self._health is not None:
                self._health.on_gap(item)
        elif isinstance(item, Hello):
            self.pipeline.set_rate(item.rate_hz)
        return None

    def feed_event(self, event: DeviceEvent) -> PressStep | None:
        """Take a device EVENT: a handset press gives its PressStep; a stuck (or released)
        button sets the handset_stuck alarm signal; other events, and handset events that
        name no known button (kept in the recording, not acted on), give None."""
        try:
            handset = parse_handset_event(event)
        except HandsetEventError as err:
            log.warning("handset event not acted on: %s", err)
            return None
        if isinstance(handset, ClientPress):
            return self.press(handset.t_s, handset.button, "handset")
        if isinstance(handset, HandsetStuck):
            bit = 1 << BUTTONS.index(handset.button)
            self._stuck_mask = self._stuck_mask | bit if handset.stuck else self._stuck_mask & ~bit
            if self.engine is not None:
                self.engine.set_context(**{HANDSET_STUCK_SIGNAL: float(self._stuck_mask)})
        return None

    def press(self, t_s: float, button: str, source: str) -> PressStep:
        """The client pressed `button` at host time t_s (source "handset" or "page"): the
        press with its moment, and the alarms it raised at once ("stop")."""
        record = self.presses.press(t_s, button, source)
        alarms = (
            []
            if self.engine is None
            else self.engine.press(t_s, button, record.feet_n, REGION_CODE.get(record.region, -1))
        )
        return PressStep(record, alarms)

    def feed_grid(self, grid: GridBlock) -> GridEstimate | None:
        """Take grid frames; their estimates (None when the rig has no grid)."""
        return None if self.rig.grid is None else self.pipeline.process_grid(grid)

    def _estimate(self, block: SampleBlock) -> EstimateBlock:
        """The pipeline's estimates, the block cut where a recorded baseline state is due."""
        due = self._due
        if not due or not len(block) or due[0].t_s >= block.t_s[-1]:
            return self.pipeline.process(block)
        parts = []
        while due and due[0].t_s < block.t_s[-1]:
            cut = int(np.searchsorted(block.t_s, due[0].t_s, side="right"))
            if cut:
                parts.append(self.pipeline.process(slice_block(block, 0, cut)))
                block = slice_block(block, cut, len(block))
            self.pipeline.restore_baseline(due.popleft().state)
        parts.append(self.pipeline.process(block))
        return parts[0] if len(parts) == 1 else EstimateBlock.concat(parts)

    def _alarms(
        self, block: SampleBlock, estimate: EstimateBlock
    ) -> tuple[list[AlarmEvent], BindingLimits | None]:
        """The engine's transitions for this block and the limit that held at each sample."""
        engine = self.engine  # one engine for the block, even if use_rules() runs meanwhile
        if engine is None:
            return [], None
        if self._health is None or self._health.channels != block.channels:
            self._health = LinkHealth(block.channels)
        signals = signals_from_estimate(estimate, self.rig.kind)
        technical = self._health.signals(block) | self._calibration.signals(block)
        events = engine.process(signals | technical)
        return events, engine.binding_limits(signals)

    def tick(self, t_s: float, data_seen_s: float = math.nan) -> list[AlarmEvent]:
        """Clock tick for the alarm engine (stale-link rules, audio pauses); data_seen_s: when
        data last arrived on the port, if known (AlarmEngine.tick)."""
        return [] if self.engine is None else self.engine.tick(t_s, data_seen_s)


def _same_forces(rig: Rig, info: SessionInfo) -> bool:
    """Whether `rig` turns counts into the same forces and moments as the session's own rig
    (channels, roles, positions, offsets and gains), so its baseline states fit."""
    try:
        own = rig_of(info)
    except ValueError:  # the session's snapshot cannot be read: nothing to compare with
        return False
    return (
        rig.channels == own.channels
        and [(c.role, c.x_m, c.y_m) for c in rig.channel]
        == [(c.role, c.x_m, c.y_m) for c in own.channel]
        and np.array_equal(rig.offsets_counts, own.offsets_counts)
        and np.array_equal(rig.gains_n_per_count, own.gains_n_per_count)
    )
