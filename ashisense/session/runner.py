"""One rig's stream through its analysis and, while a session records, into a SessionWriter.

`SessionRunner` is the link's listener behind `ashisense record` (one session: Recorder) and
the dashboard's live runtime (sessions start and stop while the rig runs). It owns the
wiring between the two halves of a session: the writer gets every raw item first (it only
queues, so raw data is safe before any estimate is computed); the analysis then runs the
pipeline and the alarm engine; the writer gets what the analysis finds (the calibration and
the pipeline's state as the session starts, each baseline change, the peak feet force,
every alarm transition) and the engine gets the writer's health (the signal
RECORDER_FAULT_SIGNAL). Consumers hang on it as raw listeners (every item, after the writer
and before the analysis) or as SessionListeners (steps, grid estimates, alarms, analysis and
recorder changes).
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any, Literal

from ashisense.alarms import AlarmEngine, AlarmEvent, RuleSet
from ashisense.pipeline.types import GridEstimate
from ashisense.profiles import ClientProfile, TherapistProfile
from ashisense.rig import Rig
from ashisense.session.analysis import PressStep, SessionAnalysis, Step
from ashisense.session.setup import SessionSetup
from ashisense.session.snapshot import calibration_of
from ashisense.store import (
    AlarmRecord,
    PressRecord,
    SessionMeta,
    SessionStore,
    SessionWriter,
    WriterHealth,
)
from firmware_bridge.blocks import DeviceEvent, Gap, GridBlock, SampleBlock
from firmware_bridge.link import host_clock
from firmware_bridge.listener import Item, Listener, deliver
from firmware_bridge.protocol import Hello

log = logging.getLogger(__name__)

#: Alarm signal the runner sets for the engine: 1.0 while the recording's health is not
#: "ok", else 0.0. A rule of kind "above" on it (limit 0.5) makes a failing recording a
#: technical alarm.
RECORDER_FAULT_SIGNAL = "recorder_fault"

SessionAction = Literal["start", "stop"]


class SessionListener:
    """What a SessionRunner tells its consumers: override what you need. Called from the
    link's dispatcher thread (on_alarm also from ticks and operator actions, on_recorder from
    the writer's thread); must return at once. One that raises is logged, not fatal."""

    def on_analysis(self, analysis: SessionAnalysis | None, error: Exception | None) -> None:
        """A new analysis runs (the rig resolved for the device, other people), or none:
        error says why the device does not fit the rig."""

    def on_step(self, step: Step) -> None:
        """A block's estimates and the alarm transitions it caused."""

    def on_grid_estimate(self, grid: GridEstimate) -> None:
        """Processed grid frames."""

    def on_alarm(self, event: AlarmEvent) -> None:
        """An alarm transition, from a block, a tick or an operator action."""

    def on_press(self, step: PressStep) -> None:
        """The client pressed a button (handset or client page): the press with its moment
        and the alarms it raised ("stop"); they come to on_alarm too."""

    def on_recorder(self, health: WriterHealth) -> None:
        """The recording's health changed (into a fault, and back to "ok")."""

    def on_note(self, t_s: float, text: str, author: str = "") -> None:
        """A note pinned to time t_s of the session recording now."""

    def on_session(
        self, action: SessionAction, t_s: float, session_id: int | None = None, label: str = ""
    ) -> None:
        """A recording session started or stopped (action "start" or "stop") at host time t_s
        (from the thread that started or stopped it)."""


class SessionRunner(Listener):
    """Runs one rig's stream: its analysis, the recording of a session, the consumers.

    setup: its rig as loaded (resolved for the device at each HELLO, its calibration files
    read then; a rig resolved as is runs from the start, also for a device without HELLO).
    A rig that differs after a HELLO (another device, a new calibration) gets a new
    analysis, as do other people (set_people); a device that does not fit leaves none and
    `failure` says why. setup.rules None: no alarm engine. record() and stop_recording() may
    be called from any thread; the Listener methods come from the link's dispatcher thread.
    """

    def __init__(self, setup: SessionSetup, *, listeners: Iterable[SessionListener] = ()) -> None:
        self._setup = setup  # its rig as loaded; replaced whole, so read unlocked
        self._lock = threading.RLock()
        self._rig: Rig | None = setup.rig if setup.rig.resolved else None  # for the device
        self._hello: Hello | None = None
        self._analysis: SessionAnalysis | None = None
        self._writer: SessionWriter | None = None
        self._started: SessionWriter | None = None  # has the start state (dispatcher only)
        self._since_s = -math.inf  # start of the session recorded: presses before it are not its
        # Both replaced whole, so the dispatcher reads them unlocked.
        self._raw: tuple[Listener, ...] = ()
        self._listeners: tuple[SessionListener, ...] = tuple(listeners)
        self._failing: set[tuple[int, type]] = set()  # consumers that raised (logged once)
        self.failure: Exception | None = None
        self._problem = ""
        with self._lock:
            self._build()

    # -- state ---------------------------------------------------------------------------
    @property
    def analysis(self) -> SessionAnalysis | None:
        with self._lock:
            return self._analysis

    @property
    def recording(self) -> SessionWriter | None:
        """The writer of the session being recorded (None when not recording)."""
        with self._lock:
            return self._writer

    @property
    def rig(self) -> Rig | None:
        """The rig resolved for the connected device (None while it is not)."""
        with self._lock:
            return self._rig

    @property
    def hello(self) -> Hello | None:
        """What the connected device said it is (serial, channels, rate); None before."""
        with self._lock:
            return self._hello

    @property
    def people(self) -> tuple[ClientProfile | None, TherapistProfile | None]:
        """The client and the therapist on the rig."""
        with self._lock:
            return self._setup.client, self._setup.therapist

    @property
    def problem(self) -> str:
        """The latest trouble of the chain ("" when none): device, link or recorder."""
        with self._lock:
            return self._problem

    # -- controls ------------------------------------------------------------------------
    def record(self, store: SessionStore, meta: SessionMeta) -> SessionWriter:
        """Start recording a session into `store` (the store's error at once if it cannot),
        stopping one that records; returns its writer, started."""
        self.stop_recording()
        writer = SessionWriter(store, meta, on_fault=self._on_writer_health)
        writer.start()
        with self._lock:  # with on_hello's: a session gets the HELLO exactly once
            if self._hello is not None:  # the device said who it is before the session
                writer.on_hello(self._hello)
            self._writer, analysis = writer, self._analysis
            self._since_s = meta.started_s
        _set_fault_signal(analysis.engine if analysis else None, writer.health)
        t_s, sid = host_clock(), writer.session_id
        self._tell(lambda c: c.on_session("start", t_s, sid, meta.label))
        return writer

    def stop_recording(self) -> SessionWriter | None:
        """Stop recording and flush (presses still waiting for their follow-up are kept
        without it); returns the writer of the session that stopped, if any."""
        with self._lock:
            writer, self._writer = self._writer, None
            analysis = self._analysis
        if writer is not None:
            t_s = host_clock()
            if analysis is not None:
                writer.add_presses(analysis.presses.flush())
            writer.stop()
            label = writer.meta.label
            self._tell(lambda c: c.on_session("stop", t_s, writer.session_id, label))
        return writer

    def annotate(self, t_s: float, text: str, author: str = "") -> bool:
        """Pin a note to t_s of the session recording now, and tell the consumers; False
        (nothing done) when no session records."""
        writer = self.recording
        if writer is None:
            return False
        writer.annotate(t_s, text, author)
        self._tell(lambda c: c.on_note(t_s, text, author))
        return True

    def set_rules(self, rules: RuleSet | None) -> None:
        """Other alarm rules from now on (a session's accepted comfort limits): a new alarm
        engine; the pipeline and its client baseline go on."""
        with self._lock:
            if rules == self._setup.rules:
                return
            self._setup = replace(self._setup, rules=rules)
            analysis = self._analysis
            if analysis is not None:
                self._wire(analysis.use_rules(rules))
        if analysis is not None:
            self._tell(lambda c: c.on_analysis(analysis, None))

    def set_people(self, client: ClientProfile | None, therapist: TherapistProfile | None) -> None:
        """Other people on the rig: a new analysis (a new client baseline, the client's limits)."""
        with self._lock:
            if (client, therapist) == (self._setup.client, self._setup.therapist):
                return
            self._setup = replace(self._setup, client=client, therapist=therapist)
            analysis = self._build()
        self._tell(lambda c: c.on_analysis(analysis, None))

    def resolve(self, hello: Hello) -> None:
        """Resolve the rig for this device (calibration files read now) and feed the HELLO to
        its analysis: a new one if the rig differs, none if the device does not fit."""
        try:
            rig = self._setup.rig.for_device(hello.serial, hello.channels)
        except (ValueError, OSError) as err:  # RigMismatchError, calibration files
            self._unfit(err)
            return
        with self._lock:
            rebuild = rig != self._rig or self._analysis is None
            self._rig, self.failure, self._problem = rig, None, ""
            analysis = self._build() if rebuild else self._analysis
        if analysis is not None:
            analysis.feed(hello)
        if rebuild:
            self._tell(lambda c: c.on_analysis(analysis, None))

    def _unfit(self, error: Exception) -> None:
        """The device does not fit the rig: no analysis, `failure` and the problem say why."""
        log.error("no estimates, raw data only: %s", error)
        with self._lock:
            self._rig, self._analysis = None, None
            self.failure, self._problem = error, str(error)
        self._tell(lambda c: c.on_analysis(None, error))

    def press(self, t_s: float, button: str, source: str = "page") -> PressStep:
        """The client pressed `button` outside the device (the dashboard's client page): its
        moment, its alarms ("stop"), told to the consumers. Without an analysis (the rig has
        not said who it is) the press is still told, with no moment and no alarm."""
        analysis = self.analysis
        step = (
            PressStep(PressRecord(t_s, button, source))
            if analysis is None
            else analysis.press(t_s, button, source)
        )
        self._tell(lambda c: c.on_press(step))
        return step

    def tick(self, t_s: float, data_seen_s: float = math.nan) -> list[AlarmEvent]:
        """Clock tick for the alarm engine (call a few times a second while live);
        data_seen_s: when data last arrived on the port, if known (AlarmEngine.tick)."""
        analysis = self.analysis
        return [] if analysis is None else analysis.tick(t_s, data_seen_s)

    def add_listener(self, listener: SessionListener) -> None:
        with self._lock:
            self._listeners = (*self._listeners, listener)

    def remove_listener(self, listener: SessionListener) -> None:
        with self._lock:
            self._listeners = tuple(c for c in self._listeners if c is not listener)

    def add_raw_listener(self, listener: Listener) -> None:
        """Hand every item to `listener` (after the writer, before the analysis; also while
        the rig is unresolved). It must return at once; stop() reaches it too."""
        with self._lock:
            self._raw = (*self._raw, listener)

    def remove_raw_listener(self, listener: Listener) -> None:
        with self._lock:
            self._raw = tuple(r for r in self._raw if r is not listener)

    # -- the dispatcher thread -------------------------------------------------------------
    def on_hello(self, hello: Hello) -> None:
        with self._lock:  # with record's: a session gets the HELLO exactly once
            self._hello, writer = hello, self._writer
        if writer is not None:
            writer.on_hello(hello)
        self._fan_out(hello)
        self.resolve(hello)

    def on_block(self, block: SampleBlock) -> None:
        writer = self._record_raw(block)
        analysis = self.analysis
        if analysis is None:
            return
        if writer is not None and writer is not self._started:
            # The session's first block: keep where the pipeline stands (a client baseline
            # taken before the therapist climbed on), for its replay to start from.
            writer.set_calibration(calibration_of(analysis.rig))
            writer.add_baselines([analysis.pipeline.baseline_state()])
            self._started = writer
        step = analysis.feed(block)
        if step is None:
            return
        if writer is not None:
            writer.note_estimate(step.estimate.feet_n)
            writer.add_baselines(step.baselines)
            writer.add_presses(p for p in step.presses if p.t_s >= self._since_s)
        self._tell(lambda c: c.on_step(step))

    def on_grid(self, grid: GridBlock) -> None:
        self._record_raw(grid)
        analysis = self.analysis
        estimate = None if analysis is None else analysis.feed_grid(grid)
        if estimate is not None:
            self._tell(lambda c: c.on_grid_estimate(estimate))

    def on_gap(self, gap: Gap) -> None:
        self._record_raw(gap)
        analysis = self.analysis
        if analysis is not None:
            analysis.feed(gap)

    def on_event(self, event: DeviceEvent) -> None:
        self._record_raw(event)
        log.info("device event: %s", event.payload)
        analysis = self.analysis
        step = None if analysis is None else analysis.feed_event(event)
        if step is not None:
            self._tell(lambda c: c.on_press(step))

    def on_error(self, exc: BaseException) -> None:
        self._record_raw(exc)
        with self._lock:
            self._problem = f"{type(exc).__name__}: {exc}"

    def stop(self) -> None:
        """Stop recording (flushing) and stop the raw listeners; no more items follow."""
        self.stop_recording()
        for raw in self._raw:
            raw.stop()

    # -- helpers ---------------------------------------------------------------------------
    def _record_raw(self, item: Item) -> SessionWriter | None:
        """The item to the writer, then to the raw listeners; returns the writer."""
        writer = self.recording
        if writer is not None:
            deliver(writer, item)
        self._fan_out(item)
        return writer

    def _fan_out(self, item: Item) -> None:
        for raw in self._raw:
            self._isolated(raw, deliver, item)

    def _tell(self, call: Callable[[SessionListener], None]) -> None:
        for listener in self._listeners:
            self._isolated(listener, call)

    def _isolated(self, consumer: Any, call: Callable[..., None], *args: Any) -> None:
        """call(consumer, *args); a consumer that raises is logged (in full once), not fatal."""
        try:
            call(consumer, *args)
        except Exception as exc:
            key = (id(consumer), type(exc))
            first = key not in self._failing
            self._failing.add(key)
            log.log(logging.ERROR if first else logging.DEBUG, "%r failed", consumer, exc_info=exc)

    def _build(self) -> SessionAnalysis | None:
        """A new analysis for the resolved rig and the people on it (lock held); presses of
        the old one still waiting for their follow-up are kept without it."""
        if self._analysis is not None and self._writer is not None:
            self._writer.add_presses(self._analysis.presses.flush())
        if self._rig is None:
            self._analysis = None
            return None
        analysis = SessionAnalysis(
            replace(self._setup, rig=self._rig),
            rate_hz=self._hello.rate_hz if self._hello else None,
        )
        self._wire(analysis.engine)
        self._analysis = analysis
        return analysis

    def _wire(self, engine: AlarmEngine | None) -> None:
        """A new alarm engine logs into the session and knows the recording's health."""
        if engine is None:
            return
        engine.add_listener(self._on_alarm)
        if self._writer is not None:
            _set_fault_signal(engine, self._writer.health)

    def _on_alarm(self, event: AlarmEvent) -> None:
        """Every transition (from a block, a tick or the operator) goes into the session log."""
        writer = self.recording
        if writer is not None:
            writer.add_alarms([AlarmRecord.of(event)])
        log.debug("alarm %s %s: %s", event.rule_id, event.transition, event.message)
        self._tell(lambda c: c.on_alarm(event))

    def _on_writer_health(self, health: WriterHealth) -> None:
        """A failing recording is the chain's problem and the alarm signal; then on_recorder."""
        with self._lock:
            self._problem = "" if health.ok else f"recorder {health.state}: {health.message}"
            analysis = self._analysis
        _set_fault_signal(analysis.engine if analysis else None, health)
        self._tell(lambda c: c.on_recorder(health))


def _set_fault_signal(engine: AlarmEngine | None, health: WriterHealth) -> None:
    """The recording's health as the alarm signal RECORDER_FAULT_SIGNAL."""
    if engine is not None:
        engine.set_context(**{RECORDER_FAULT_SIGNAL: 0.0 if health.ok else 1.0})
