"""The live runtime: Link → Pipeline → AlarmEngine → SessionWriter → display.

One `LiveRuntime` runs a rig: it is the link's listener, so everything below happens in the
link's dispatcher thread, block by block, and never waits for a disk or a browser (the
recorder and the display take what they are given and return at once). A ticker thread
gives the alarm engine its clock ticks (a dead link still alarms) and the display its
link health. Sessions (recordings) start and stop while the rig keeps running.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ashisense.alarms import (
    AlarmEngine,
    AlarmEvent,
    AlarmState,
    AlarmStatus,
    ContraindicationMap,
    RuleSet,
    Transition,
    load_contraindications,
    load_rule_set,
)
from ashisense.alarms.kinds.force import FeetForce, RegionForce
from ashisense.bodymap import REGIONS
from ashisense.pipeline.baseline import BaselineRefused
from ashisense.pipeline.types import EstimateBlock, GridEstimate, PipelineState
from ashisense.profiles import READERS, ClientProfile, TherapistProfile, profile_from_dict
from ashisense.rig import Rig, load_rig
from ashisense.store import AlarmRecord, SessionWriter, WriterHealth, open_store
from ashisense.store.analysis import SessionAnalysis
from ashisense.store.context import session_meta
from ashisense.store.recorder import RECORDER_FAULT_SIGNAL
from firmware_bridge.blocks import DeviceEvent, Gap, GridBlock, SampleBlock
from firmware_bridge.link import LinkStats, host_clock
from firmware_bridge.listener import Listener
from firmware_bridge.protocol import Hello

log = logging.getLogger(__name__)

TICK_S = 0.25
STATUS_EVERY_S = 0.5

BlockTap = Callable[[SampleBlock], None]


class LiveError(RuntimeError):
    """A live-runtime request that cannot be met (no rig data yet, unknown profile, ...)."""


class UnknownProfileError(LiveError, LookupError):
    """A client or therapist id that is not among the loaded profiles."""


@dataclass(frozen=True)
class Profiles:
    """The studio's client and therapist profiles, by id."""

    clients: dict[str, ClientProfile] = field(default_factory=dict)
    therapists: dict[str, TherapistProfile] = field(default_factory=dict)

    @classmethod
    def from_folder(cls, folder: Path) -> Profiles:
        """Every *.toml / *.json profile in `folder`: a therapist has foot_area_cm2."""
        clients: dict[str, ClientProfile] = {}
        therapists: dict[str, TherapistProfile] = {}
        for path in sorted(Path(folder).iterdir()):
            reader = READERS.get(path.suffix.lower())
            if reader is None:
                continue
            doc = reader(path.read_text(encoding="utf-8"))
            if isinstance(doc, dict) and "foot_area_cm2" in doc:
                t = profile_from_dict(doc, TherapistProfile, path.name)
                therapists[t.id] = t
            else:
                c = profile_from_dict(doc, ClientProfile, path.name)
                clients[c.id] = c
        return cls(clients, therapists)

    def client(self, client_id: str) -> ClientProfile:
        if client_id not in self.clients:
            raise UnknownProfileError(
                f"client {client_id!r}: not among the profiles ({', '.join(self.clients)})"
            )
        return self.clients[client_id]

    def therapist(self, therapist_id: str) -> TherapistProfile:
        if therapist_id not in self.therapists:
            raise UnknownProfileError(
                f"therapist {therapist_id!r}: not among the profiles ({', '.join(self.therapists)})"
            )
        return self.therapists[therapist_id]


@dataclass(frozen=True)
class LiveConfig:
    """What a live runtime runs. rig: the rig file as loaded (calibration files are resolved
    when the device says who it is); rig_path, rules_path, contraindications_path: the files,
    snapshotted into every session. rules None: no alarms. device_url: overrides the rig
    file's URL. store_path: where sessions are recorded. client_id / therapist_id: who is on
    the rig at start (default: the first profiles). auto_session: record at once (the demo)."""

    rig: Rig
    rig_path: Path
    store_path: Path
    profiles: Profiles
    rules: RuleSet | None = None
    rules_path: Path | None = None
    contraindications: ContraindicationMap | None = None
    contraindications_path: Path | None = None
    device_url: str | None = None
    client_id: str | None = None
    therapist_id: str | None = None
    auto_session: bool = False

    @property
    def url(self) -> str:
        return self.device_url or self.rig.device.url


@dataclass(frozen=True)
class LiveSetup:
    """What a display needs to draw a session: the rig, who is on it, and the limits.

    region_limits_n: the lowest feet-force limit of the alarm rules in each body region
    (index as REGIONS; None where no rule limits it). session_id / started_s: the recording
    (None when not recording).
    """

    rig: Rig
    client: ClientProfile | None
    therapist: TherapistProfile | None
    region_limits_n: tuple[float | None, ...]
    feet_limit_n: float | None
    session_id: int | None
    started_s: float | None
    rules: tuple[tuple[str, str, str], ...]  # (id, priority, title)


@dataclass(frozen=True)
class LiveStatus:
    """Health of the whole chain, a couple of times a second."""

    t_s: float
    link: LinkStats
    pipeline: PipelineState | None
    recorder: WriterHealth | None
    session_id: int | None
    problem: str


class Display:
    """What the runtime shows: override what you need. Called from the dispatcher or ticker
    thread; implementations must return at once (hand over, never wait)."""

    def setup(self, setup: LiveSetup) -> None:
        """The rig, the people or the session changed."""

    def estimate(self, est: EstimateBlock, seq: np.ndarray) -> None:
        """A processed block; seq: the device sample numbers of its samples."""

    def grid(self, est: GridEstimate) -> None:
        """Processed grid frames."""

    def alarms(self, statuses: Sequence[AlarmStatus]) -> None:
        """The alarms changed (a transition or an operator action)."""

    def status(self, status: LiveStatus) -> None:
        """Link, pipeline and recorder health."""


def region_limits(rules: RuleSet) -> tuple[tuple[float | None, ...], float | None]:
    """The lowest feet-force limit per body region and the limit anywhere, from the rules."""
    anywhere = [r.limit_n for r in rules if isinstance(r, FeetForce) and r.enabled]
    overall = min(anywhere) if anywhere else None
    per_region: list[float | None] = []
    for name in REGIONS:
        found = [
            r.limit_n
            for r in rules
            if isinstance(r, RegionForce) and r.enabled and name in r.regions
        ]
        limits = found + ([overall] if overall is not None else [])
        per_region.append(min(limits) if limits else None)
    return tuple(per_region), overall


def describe_setup(
    rig: Rig,
    client: ClientProfile | None,
    therapist: TherapistProfile | None,
    engine: AlarmEngine | None,
    session_id: int | None = None,
    started_s: float | None = None,
) -> LiveSetup:
    """The LiveSetup of a rig, its people and the alarm engine's limits (live or replayed)."""
    rules = engine.rule_set if engine else None
    limits, overall = region_limits(rules) if rules else ((None,) * len(REGIONS), None)
    return LiveSetup(
        rig=rig,
        client=client,
        therapist=therapist,
        region_limits_n=limits,
        feet_limit_n=overall,
        session_id=session_id,
        started_s=started_s,
        rules=tuple((r.id, str(r.priority), r.title()) for r in rules or () if r.enabled),
    )


class LiveRuntime(Listener):
    """Runs one rig live: estimates, alarms, recording, display.

    The analysis (pipeline and alarm engine, ashisense.store.analysis: the code path replay
    takes too) is built when the rig is resolved for the connected device, and again when
    other people step on. One engine serves the display, the operator's actions and the
    session's alarm log. Controls (start_session, stop_session, take_baseline, acknowledge,
    pause_audio, annotate) may be called from any thread; they raise LiveError (or the
    alarm engine's AlarmPolicyError / UnknownRuleError) with a message for the operator.
    """

    def __init__(self, config: LiveConfig, display: Display | None = None) -> None:
        self.config = config
        self.display = display or Display()
        self._lock = threading.RLock()
        profiles = config.profiles
        self._client = profiles.client(config.client_id) if config.client_id else None
        self._therapist = profiles.therapist(config.therapist_id) if config.therapist_id else None
        if self._client is None and profiles.clients:
            self._client = next(iter(profiles.clients.values()))
        if self._therapist is None and profiles.therapists:
            self._therapist = next(iter(profiles.therapists.values()))
        rig = config.rig
        self._rig: Rig | None = rig if rig.resolved else None  # resolved for the device
        self._hello: Hello | None = None
        self._analysis: SessionAnalysis | None = None
        self._writer: SessionWriter | None = None
        self._session_started_s: float | None = None
        self._problem = ""
        self._raised: dict[str, str] = {}  # rule id -> message of its last raised alarm
        self._taps: tuple[BlockTap, ...] = ()  # replaced whole: on_block reads it unlocked
        self._exclusive: dict[BlockTap, str] = {}  # tap -> activity that forbids recording
        self._baselines_to: SessionWriter | None = None  # has the pipeline's start state
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick_loop, name="ashisense-live-tick")
        self.link = rig.link(config.url, listeners=[self])
        self._rebuild()

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> LiveRuntime:
        """Start the link and the ticker (and a session if the config says so)."""
        if self.config.auto_session:
            self.start_session()
        self.display.setup(self.setup())
        self.link.start()
        self._ticker.start()
        return self

    def stop(self) -> None:
        """Stop the session (flushing it), the link and the ticker. Idempotent."""
        if self._stop.is_set():
            return
        self._stop.set()
        self.stop_session()
        self.link.stop()
        if self._ticker.is_alive():
            self._ticker.join(5.0)

    def __enter__(self) -> LiveRuntime:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- state for displays ---------------------------------------------------------------
    @property
    def engine(self) -> AlarmEngine | None:
        with self._lock:
            return self._analysis.engine if self._analysis else None

    @property
    def hello(self) -> Hello | None:
        """What the connected device said it is (serial, channels, rate); None before."""
        with self._lock:
            return self._hello

    def setup(self) -> LiveSetup:
        with self._lock:
            return describe_setup(
                self._rig or self.config.rig,
                self._client,
                self._therapist,
                self._analysis.engine if self._analysis else None,
                self._writer.session_id if self._writer else None,
                self._session_started_s,
            )

    def status(self) -> LiveStatus:
        with self._lock:
            analysis, writer, problem = self._analysis, self._writer, self._problem
        return LiveStatus(
            t_s=host_clock(),
            link=self.link.stats,
            pipeline=analysis.pipeline.state if analysis else None,
            recorder=writer.health if writer else None,
            session_id=writer.session_id if writer else None,
            problem=problem,
        )

    def alarm_status(self) -> list[AlarmStatus]:
        """Every rule's alarm; a raised one carries the message it was raised with (the
        measured value and the limit at that moment) rather than the value now."""
        engine = self.engine
        if engine is None:
            return []
        with self._lock:
            raised = dict(self._raised)
        return [
            replace(s, message=raised[s.rule_id])
            if s.state is not AlarmState.INACTIVE and s.rule_id in raised
            else s
            for s in engine.status()
        ]

    # -- controls -------------------------------------------------------------------------
    def start_session(
        self, client_id: str | None = None, therapist_id: str | None = None, label: str = ""
    ) -> int:
        """Start recording a session (stopping one that runs); returns its id. Other people
        on the rig mean a new analysis: a new client baseline and the client's limits."""
        profiles = self.config.profiles
        client = profiles.client(client_id) if client_id else self._client
        therapist = profiles.therapist(therapist_id) if therapist_id else self._therapist
        self.stop_session()
        cfg = self.config
        started_s = time.time()
        with self._lock:
            if self._exclusive:  # none can be added while recording: nothing was stopped
                activity = next(iter(self._exclusive.values()))
                raise LiveError(f"session refused: {activity} is running; finish or abort it first")
            if (client, therapist) != (self._client, self._therapist):
                self._client, self._therapist = client, therapist
                self._rebuild()
            meta = session_meta(
                self._rig or cfg.rig,
                cfg.rig_path,
                started_s=started_s,
                client=client,
                therapist=therapist,
                rules_path=cfg.rules_path,
                contraindications_path=cfg.contraindications_path,
                label=label,
            )
            writer = SessionWriter(open_store(cfg.store_path), meta, on_fault=self._on_fault)
            session_id = writer.start()
            engine = self.engine
            if engine is not None:  # the recording is healthy until its writer says otherwise
                engine.set_context(**{RECORDER_FAULT_SIGNAL: 0.0})
            if self._hello is not None:  # the device said who it is before the session
                writer.on_hello(self._hello)
            self._writer, self._session_started_s = writer, started_s
        log.info("session %d started (client %s)", session_id, client.id if client else "-")
        self.display.setup(self.setup())
        return session_id

    def stop_session(self) -> int | None:
        """Stop recording and flush; returns the id of the session that stopped, if any."""
        with self._lock:
            writer, self._writer = self._writer, None
            self._session_started_s = None
        if writer is None:
            return None
        writer.stop()
        writer.store.close()  # each session opened its own connection
        log.info("session %d stopped", writer.session_id)
        self.display.setup(self.setup())
        return writer.session_id

    def take_baseline(self) -> str:
        """Take the client baseline now; LiveError saying why when refused."""
        with self._lock:
            analysis = self._analysis
        if analysis is None:
            raise LiveError("baseline refused: the rig has not said who it is yet")
        try:
            b = analysis.pipeline.take_baseline()
        except BaselineRefused as err:
            raise LiveError(str(err)) from err
        return f"client baseline {b.force_n:.0f} N at ({b.cop_x_m:.3f}, {b.cop_y_m:.3f}) m"

    def acknowledge(self, rule_id: str | None = None) -> int:
        """Acknowledge one alarm or every sounding one; returns how many changed."""
        return self._show_alarms(self._require_engine().acknowledge(host_clock(), rule_id))

    def pause_audio(self, duration_s: float | None = None, rule_id: str | None = None) -> int:
        """Pause the sound of one or all alarms (the studio policy bounds the duration)."""
        engine = self._require_engine()
        return self._show_alarms(engine.pause_audio(host_clock(), duration_s, rule_id))

    def annotate(self, text: str, author: str = "") -> float:
        """Pin a note to now in the running session; returns its time."""
        with self._lock:
            writer = self._writer
        if writer is None:
            raise LiveError("note refused: no session is being recorded")
        t_s = host_clock()
        writer.annotate(t_s, text, author)
        return t_s

    def add_block_tap(self, tap: BlockTap, *, excludes_sessions: str | None = None) -> None:
        """Hand every SampleBlock to tap, in the dispatcher thread before the analysis (also
        while the rig is unresolved); tap must return at once and not raise.

        excludes_sessions names an activity that cannot run while recording (such as "a
        calibration"): LiveError while a session records, and start_session is refused
        until the tap is removed.
        """
        with self._lock:
            if excludes_sessions is not None:
                if self._writer is not None:
                    raise LiveError(
                        f"{excludes_sessions} cannot start while session "
                        f"{self._writer.session_id} is recording: stop the session first"
                    )
                self._exclusive[tap] = excludes_sessions
            self._taps = (*self._taps, tap)

    def remove_block_tap(self, tap: BlockTap) -> None:
        """Stop handing blocks to tap (and allow sessions again if it excluded them)."""
        with self._lock:
            self._taps = tuple(t for t in self._taps if t is not tap)
            self._exclusive.pop(tap, None)

    def reload_calibration(self) -> None:
        """Resolve the rig for the connected device again (a calibration file was saved).
        Refused while recording: a session keeps the constants it started with."""
        with self._lock:
            hello, writer = self._hello, self._writer
        if writer is not None:
            raise LiveError(
                f"session {writer.session_id} is recording and keeps its calibration: the "
                "new one is used when the rig next connects"
            )
        if hello is None:
            raise LiveError("reload refused: the rig has not said who it is yet")
        self._resolve(hello)

    def _require_engine(self) -> AlarmEngine:
        engine = self.engine
        if engine is None:
            raise LiveError("no alarm engine: no rules loaded or the rig is not resolved yet")
        return engine

    # -- the dispatcher thread --------------------------------------------------------------
    # The recorder gets every item first, from this thread, in link order: its on_* only
    # queue, so raw data is safe before any estimate is computed.
    def _recorder(self) -> SessionWriter | None:
        with self._lock:
            return self._writer

    def on_hello(self, hello: Hello) -> None:
        with self._lock:  # with start_session's check: a session gets the HELLO exactly once
            self._hello, writer = hello, self._writer
        if writer is not None:
            writer.on_hello(hello)
        self._resolve(hello)

    def _resolve(self, hello: Hello) -> None:
        """The rig for this device (calibration files read now), and its analysis."""
        try:
            rig = self.config.rig.for_device(hello.serial, hello.channels)
        except (ValueError, OSError) as err:  # RigMismatchError, calibration files
            log.error("%s", err)
            with self._lock:
                self._problem, self._rig, self._analysis = str(err), None, None
            return
        with self._lock:
            rebuild = rig != self._rig or self._analysis is None
            self._rig, self._problem = rig, ""
            if rebuild:
                self._rebuild()
            analysis = self._analysis
        if analysis is not None:
            analysis.feed(hello)
        if rebuild:
            self.display.setup(self.setup())

    def on_block(self, block: SampleBlock) -> None:
        if (writer := self._recorder()) is not None:
            writer.on_block(block)
        for tap in self._taps:
            tap(block)
        with self._lock:
            analysis = self._analysis
        if analysis is None:
            return
        if writer is not None and writer is not self._baselines_to:
            # The session's first block: keep where the pipeline stands (a client baseline
            # taken before the therapist climbed on), for its replay to start from.
            writer.add_baselines([analysis.pipeline.baseline_state()])
            self._baselines_to = writer
        step = analysis.feed(block)
        if step is None:
            return
        if writer is not None:
            writer.note_estimate(step.estimate.feet_n)
            writer.add_baselines(step.baselines)
        self.display.estimate(step.estimate, block.seq)
        self._show_alarms(step.alarms)

    def on_grid(self, grid: GridBlock) -> None:
        if (writer := self._recorder()) is not None:
            writer.on_grid(grid)
        with self._lock:
            analysis = self._analysis
        if analysis is not None and analysis.rig.grid is not None:
            self.display.grid(analysis.pipeline.process_grid(grid))

    def on_gap(self, gap: Gap) -> None:
        if (writer := self._recorder()) is not None:
            writer.on_gap(gap)
        with self._lock:
            analysis = self._analysis
        if analysis is not None:
            analysis.feed(gap)

    def on_event(self, event: DeviceEvent) -> None:
        if (writer := self._recorder()) is not None:
            writer.on_event(event)
        log.info("device event: %s", event.payload)

    def on_error(self, exc: BaseException) -> None:
        if (writer := self._recorder()) is not None:
            writer.on_error(exc)
        with self._lock:
            self._problem = f"{type(exc).__name__}: {exc}"

    # -- helpers -----------------------------------------------------------------------------
    def _rebuild(self) -> None:
        """A new analysis for the resolved rig and the people on it (lock held)."""
        if self._rig is None:
            self._analysis = None
            return
        cfg = self.config
        analysis = SessionAnalysis(
            self._rig,
            self._client,
            self._therapist,
            cfg.rules,
            cfg.contraindications,
            rate_hz=self._hello.rate_hz if self._hello else None,
        )
        if analysis.engine is not None:
            analysis.engine.add_listener(self._on_alarm)
        self._analysis = analysis

    def _on_alarm(self, event: AlarmEvent) -> None:
        """Every transition (from a block, a tick or the operator) goes into the session log."""
        with self._lock:
            writer = self._writer
            if event.transition is Transition.RAISED:
                self._raised[event.rule_id] = event.message
        if writer is not None:
            writer.add_alarms([AlarmRecord.of(event)])

    def _show_alarms(self, events: list[AlarmEvent]) -> int:
        """Show the alarms if these transitions changed them; returns how many there were."""
        if events:
            self.display.alarms(self.alarm_status())
        return len(events)

    def _on_fault(self, health: WriterHealth) -> None:
        """A failing recording is shown and becomes the technical alarm's signal."""
        with self._lock:
            self._problem = "" if health.ok else f"recorder {health.state}: {health.message}"
        engine = self.engine
        if engine is not None:
            engine.set_context(**{RECORDER_FAULT_SIGNAL: 0.0 if health.ok else 1.0})

    def _tick_loop(self) -> None:
        next_status = 0.0
        while not self._stop.wait(TICK_S):
            engine = self.engine
            if engine is not None:
                self._show_alarms(engine.tick(host_clock()))
            now = time.monotonic()
            if now >= next_status:
                next_status = now + STATUS_EVERY_S
                self.display.status(self.status())


def load_live_config(
    rig_path: Path,
    *,
    store_path: Path,
    profiles_dir: Path,
    rules_path: Path | None = None,
    contraindications_path: Path | None = None,
    device_url: str | None = None,
    client_id: str | None = None,
    therapist_id: str | None = None,
    auto_session: bool = False,
) -> LiveConfig:
    """Read the rig file, rules, contraindications and profiles a live runtime needs."""
    return LiveConfig(
        rig=load_rig(rig_path),
        rig_path=Path(rig_path),
        store_path=Path(store_path),
        profiles=Profiles.from_folder(profiles_dir),
        rules=load_rule_set(rules_path) if rules_path else None,
        rules_path=Path(rules_path) if rules_path else None,
        contraindications=(
            load_contraindications(contraindications_path) if contraindications_path else None
        ),
        contraindications_path=Path(contraindications_path) if contraindications_path else None,
        device_url=device_url,
        client_id=client_id,
        therapist_id=therapist_id,
        auto_session=auto_session,
    )


__all__ = [
    "Display",
    "LiveConfig",
    "LiveError",
    "LiveRuntime",
    "LiveSetup",
    "LiveStatus",
    "Profiles",
    "UnknownProfileError",
    "describe_setup",
    "load_live_config",
    "region_limits",
]
