"""Live recording: a SessionWriter for the raw stream beside the session's analysis.

`Recorder` is what `ashisense record` uses: give its `listeners` to a Link. (The
dashboard's LiveRuntime keeps one analysis across sessions and wires its own writer to
it.) The writer comes first, so raw data is queued before any estimate is computed; the
analysis listener runs the pipeline and the alarm engine on the dispatcher thread, hands
the peak feet force, every alarm transition and the pipeline's baseline states (at the
start and each change) to the writer, and each Step to `on_step` (a live view). The
writer's health reaches the alarm engine as the signal `recorder_fault`, so a rule set
can make a failing recording a technical alarm.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from types import TracebackType

from ashisense.alarms import AlarmEvent, ContraindicationMap, RuleSet
from ashisense.profiles import ClientProfile, TherapistProfile
from ashisense.rig import Rig
from ashisense.store.analysis import SessionAnalysis, Step
from ashisense.store.base import SessionStore
from ashisense.store.context import calibration_of
from ashisense.store.records import AlarmRecord, SessionMeta
from ashisense.store.writer import SessionWriter, WriterHealth
from firmware_bridge.blocks import Gap, GridBlock, SampleBlock
from firmware_bridge.listener import Listener
from firmware_bridge.protocol import Hello

log = logging.getLogger(__name__)

#: Alarm signal the recorder sets for the engine: 1.0 while its health is not "ok", else 0.0.
#: A rule of kind "above" on it (limit 0.5) makes a failing recording a technical alarm.
RECORDER_FAULT_SIGNAL = "recorder_fault"


class _AnalysisListener(Listener):
    """Builds the analysis at HELLO (the rig resolved for the device) and feeds it."""

    def __init__(self, recorder: Recorder) -> None:
        self._rec = recorder

    def on_hello(self, hello: Hello) -> None:
        self._rec._on_hello(hello)

    def on_block(self, block: SampleBlock) -> None:
        self._rec._on_block(block)

    def on_grid(self, grid: GridBlock) -> None:
        self._rec._feed(grid)

    def on_gap(self, gap: Gap) -> None:
        self._rec._feed(gap)


class Recorder:
    """Record one live session: raw stream to `store`, estimates and alarms alongside.

    rig: the rig as loaded (calibration files are resolved at HELLO for the device's serial;
    a device that does not fit the rig sets `failure` and the session records raw data only).
    rules None: no alarm engine. on_step(step): each block's estimates and alarms (called on
    the dispatcher thread; must be quick). on_alarm(event): every alarm transition, from
    blocks and ticks alike. on_fault: SessionWriter's. Use as a context manager around the
    Link: start() creates the session, stop() flushes and closes it.
    """

    def __init__(
        self,
        store: SessionStore,
        meta: SessionMeta,
        rig: Rig,
        client: ClientProfile | None = None,
        therapist: TherapistProfile | None = None,
        rules: RuleSet | None = None,
        contraindications: ContraindicationMap | None = None,
        *,
        on_step: Callable[[Step], None] | None = None,
        on_fault: Callable[[WriterHealth], None] | None = None,
        on_alarm: Callable[[AlarmEvent], None] | None = None,
    ) -> None:
        self._on_fault = on_fault
        self._alarm_callback = on_alarm
        self.writer = SessionWriter(store, meta, on_fault=self._on_writer_fault)
        self._rig, self._client, self._therapist = rig, client, therapist
        self._rules, self._contra = rules, contraindications
        self._on_step = on_step
        self.analysis: SessionAnalysis | None = None
        self.failure: Exception | None = None
        self.failed = threading.Event()
        self.skipped_samples = 0
        self.listeners: tuple[Listener, ...] = (self.writer, _AnalysisListener(self))

    def start(self) -> int:
        """Create the session (the store's error at once if it cannot); returns its id."""
        return self.writer.start()

    def stop(self) -> None:
        self.writer.stop()

    def __enter__(self) -> Recorder:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def tick(self, t_s: float) -> list[AlarmEvent]:
        """Clock tick for the alarm engine (call a few times a second while live)."""
        return [] if self.analysis is None else self.analysis.tick(t_s)

    def _on_hello(self, hello: Hello) -> None:
        if self.analysis is None and self.failure is None:
            try:
                rig = self._rig.for_device(hello.serial, hello.channels)
                self._start_analysis(rig, hello.rate_hz)
            except (ValueError, OSError) as err:  # RigMismatchError, calibration files
                self._fail(err)
        self._feed(hello)

    def _start_analysis(self, rig: Rig, rate_hz: float | None) -> None:
        analysis = SessionAnalysis(
            rig, self._client, self._therapist, self._rules, self._contra, rate_hz=rate_hz
        )
        if analysis.engine is not None:
            analysis.engine.add_listener(self._on_alarm)
            fault = 0.0 if self.writer.health.ok else 1.0
            analysis.engine.set_context(**{RECORDER_FAULT_SIGNAL: fault})
        self.writer.set_calibration(calibration_of(rig))
        self.writer.add_baselines([analysis.pipeline.baseline_state()])
        self.analysis = analysis

    def _on_writer_fault(self, health: WriterHealth) -> None:
        """The recorder's state as the alarm signal RECORDER_FAULT_SIGNAL, then on_fault."""
        analysis = self.analysis
        if analysis is not None and analysis.engine is not None:
            analysis.engine.set_context(**{RECORDER_FAULT_SIGNAL: 0.0 if health.ok else 1.0})
        if self._on_fault is not None:
            self._on_fault(health)

    def _on_alarm(self, event: AlarmEvent) -> None:
        self.writer.add_alarms([AlarmRecord.of(event)])
        log.debug("alarm %s %s: %s", event.rule_id, event.transition, event.message)
        if self._alarm_callback is not None:
            self._alarm_callback(event)

    def _on_block(self, block: SampleBlock) -> None:
        if self.analysis is None and self.failure is None and self._rig.resolved:
            self._start_analysis(self._rig, None)  # a device without HELLO (ASCII input)
        if self.analysis is None:
            self.skipped_samples += len(block)
            return
        step = self.analysis.feed(block)
        if step is not None:
            self.writer.note_estimate(step.estimate.feet_n)
            self.writer.add_baselines(step.baselines)
            if self._on_step is not None:
                self._on_step(step)

    def _feed(self, item: Hello | GridBlock | Gap) -> None:
        if self.analysis is not None:
            self.analysis.feed(item)

    def _fail(self, err: Exception) -> None:
        self.failure = err
        self.failed.set()
        log.error("recording raw data only: %s", err)
