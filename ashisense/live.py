"""The live runtime: Link → Pipeline → AlarmEngine → SessionWriter → display.

One `LiveRuntime` runs a rig: its SessionRunner (ashisense.session) is the link's listener,
so everything below happens in the link's dispatcher thread, block by block, and never
waits for a disk or a browser (the recorder and the display take what they are given and
return at once). A ticker thread
gives the alarm engine its clock ticks (a dead link still alarms: silence on the port, told
from the link reader's count, not the dispatcher's pace) and the display its link health.
Sessions (recordings) start and stop while the rig keeps running.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ashisense.alarms import (
    AlarmEngine,
    AlarmEvent,
    ContraindicationMap,
    HazardStatus,
    RuleSet,
    load_contraindications,
    load_rule_set,
    parse_rule_set,
    region_limits,
)
from ashisense.alarms.hazards import BindingLimits
from ashisense.alarms.technical import PortSilence
from ashisense.bodymap import REGIONS
from ashisense.client.comfort import ComfortMap, client_comfort
from ashisense.client.proposal import (
    ComfortLimitError,
    LimitProposal,
    check_accepted,
    comfort_rules_text,
    propose_limits,
    region_caps,
)
from ashisense.errors import AshisenseError
from ashisense.pipeline.baseline import BaselineRefused
from ashisense.pipeline.types import EstimateBlock, GridEstimate, PipelineState
from ashisense.profiles import ClientProfile, Profiles, TherapistProfile
from ashisense.rig import Rig, load_rig
from ashisense.session.analysis import PressStep, SessionAnalysis, Step
from ashisense.session.runner import SessionListener, SessionRunner
from ashisense.session.setup import SessionSetup
from ashisense.session.snapshot import session_meta
from ashisense.store import PressRecord, StoreOpenError, WriterHealth, open_store
from firmware_bridge.blocks import SampleBlock
from firmware_bridge.events import BUTTONS
from firmware_bridge.link import LinkStats, host_clock
from firmware_bridge.listener import Listener
from firmware_bridge.protocol import Hello

log = logging.getLogger(__name__)

TICK_S = 0.25
STATUS_EVERY_S = 0.5
#: How often the link reads the port while nobody watches (no viewer, consumer or tap): the
#: analysis then takes blocks of ~8 samples at 80 Hz instead of one, at a fraction of the CPU;
#: alarms are logged up to this much later (a viewer that comes sees them at once, and reads
#: go back to every sample within a tick).
UNWATCHED_READ_EVERY_S = 0.1

BlockTap = Callable[[SampleBlock], None]

#: Alarm signal the runtime sets at each tick: 1.0 while the link refuses the device as
#: another than the rig's (until a person accepts it), else 0.0; a rule of kind "flag" on
#: it makes that a technical alarm.
DEVICE_REFUSED_SIGNAL = "device_refused"


class LiveError(AshisenseError, RuntimeError):
    """A live-runtime request that cannot be met (no rig data yet, unknown profile, ...)."""


@dataclass(frozen=True)
class LiveConfig:
    """What a live runtime runs. rig: the rig file as loaded (calibration files are resolved
    when the device says who it is); rig_path, rules_path, contraindications_path: the files,
    snapshotted into every session. rules None: no alarms. device_url: overrides the rig
    file's URL. store_path: where sessions are recorded. client_id / therapist_id: who is on
    the rig at start (default: the first profiles). auto_session: record at once (the demo).
    consumers: attached to the runtime made of it (LiveRuntime.add_consumer), such as
    ashisense.lsl.LslOutlets."""

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
    consumers: tuple[object, ...] = ()

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

    @property
    def watched(self) -> bool:
        """Does someone see this display now (then samples are shown as they come)?"""
        return True

    def setup(self, setup: LiveSetup) -> None:
        """The rig, the people or the session changed."""

    def estimate(
        self, est: EstimateBlock, seq: np.ndarray, limits: BindingLimits | None = None
    ) -> None:
        """A processed block; seq: the device sample numbers of its samples; limits: the
        feet-force limit that held at each sample and its rule (None without alarm rules)."""

    def grid(self, est: GridEstimate) -> None:
        """Processed grid frames."""

    def alarms(self, hazards: Sequence[HazardStatus]) -> None:
        """The alarms changed (a transition or an operator action): one per hazard shown."""

    def status(self, status: LiveStatus) -> None:
        """Link, pipeline and recorder health."""

    def press(self, press: PressRecord) -> None:
        """The client pressed a button (handset or client page): a cue for the therapist."""


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


class _BlockTap(Listener):
    """A block tap as a raw listener of the runner."""

    def __init__(self, tap: BlockTap) -> None:
        self.tap = tap

    def on_block(self, block: SampleBlock) -> None:
        self.tap(block)


class LiveRuntime(SessionListener):
    """Runs one rig live: estimates, alarms, recording, display.

    A SessionRunner (ashisense.session: the analysis, the code path replay takes too, and the
    recording) is the link's listener; the runtime listens to it for the display. The
    analysis is built when the rig is resolved for the connected device, and again when
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
        client = profiles.client(config.client_id) if config.client_id else None
        therapist = profiles.therapist(config.therapist_id) if config.therapist_id else None
        if client is None and profiles.clients:
            client = next(iter(profiles.clients.values()))
        if therapist is None and profiles.therapists:
            therapist = next(iter(profiles.therapists.values()))
        self._session_started_s: float | None = None
        self._silence = PortSilence(TICK_S)
        self._taps: dict[BlockTap, _BlockTap] = {}
        self._consumers = 0  # attached consumers (LSL outlets, a studio publisher)
        self._exclusive: dict[BlockTap, str] = {}  # tap -> activity that forbids recording
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick_loop, name="ashisense-live-tick")
        setup = SessionSetup(config.rig, client, therapist, config.rules, config.contraindications)
        self.runner = SessionRunner(setup, listeners=[self])
        self.link = config.rig.link(config.url, listeners=[self.runner])
        for consumer in config.consumers:
            self.add_consumer(consumer)

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
        analysis = self.runner.analysis
        return analysis.engine if analysis else None

    @property
    def hello(self) -> Hello | None:
        """What the connected device said it is (serial, channels, rate); None before."""
        return self.runner.hello

    def setup(self) -> LiveSetup:
        client, therapist = self.runner.people
        writer = self.runner.recording
        with self._lock:
            started_s = self._session_started_s
        return describe_setup(
            self.runner.rig or self.config.rig,
            client,
            therapist,
            self.engine,
            writer.session_id if writer else None,
            started_s,
        )

    def status(self) -> LiveStatus:
        analysis, writer = self.runner.analysis, self.runner.recording
        return LiveStatus(
            t_s=host_clock(),
            link=self.link.stats,
            pipeline=analysis.pipeline.state if analysis else None,
            recorder=writer.health if writer else None,
            session_id=writer.session_id if writer else None,
            problem=self.runner.problem,
        )

    def hazards(self) -> list[HazardStatus]:
        """The alarms a person sees, one per hazard (AlarmEngine.hazards); [] without rules."""
        engine = self.engine
        return [] if engine is None else engine.hazards()

    # -- controls -------------------------------------------------------------------------
    def start_session(
        self,
        client_id: str | None = None,
        therapist_id: str | None = None,
        label: str = "",
        comfort_limits_n: Mapping[str, float] | None = None,
    ) -> int:
        """Start recording a session (stopping one that runs); returns its id. Other people
        on the rig mean a new analysis: a new client baseline and the client's limits.
        comfort_limits_n: the per-region limits the therapist accepted from the client's
        comfort map (comfort_proposals), kept with the session's rules snapshot and alarmed
        on; LiveError if one is above the studio's limit there."""
        profiles = self.config.profiles
        client, therapist = self.runner.people
        client = profiles.client(client_id) if client_id else client
        therapist = profiles.therapist(therapist_id) if therapist_id else therapist
        self.stop_session()
        cfg = self.config
        started_s = time.time()
        rules_text, rules = self._session_rules(client, comfort_limits_n or {})
        with self._lock:
            if self._exclusive:  # none can be added while recording: nothing was stopped
                activity = next(iter(self._exclusive.values()))
                raise LiveError(f"session refused: {activity} is running; finish or abort it first")
            self.runner.set_rules(rules)
            self.runner.set_people(client, therapist)
            meta = session_meta(
                self.runner.rig or cfg.rig,
                cfg.rig_path,
                started_s=started_s,
                client=client,
                therapist=therapist,
                rules_path=cfg.rules_path,
                contraindications_path=cfg.contraindications_path,
                label=label,
            )
            meta = replace(meta, rules_text=meta.rules_text + rules_text)
            session_id = self.runner.record(open_store(cfg.store_path), meta).session_id
            self._session_started_s = started_s
        log.info("session %d started (client %s)", session_id, client.id if client else "-")
        self.display.setup(self.setup())
        return session_id

    def _session_rules(
        self, client: ClientProfile | None, accepted: Mapping[str, float]
    ) -> tuple[str, RuleSet | None]:
        """The accepted comfort limits as rule text to append to the snapshot, and the rules
        the session runs (the studio's with them); LiveError when they cannot apply."""
        cfg = self.config
        if not accepted:
            return "", cfg.rules
        if cfg.rules is None or cfg.rules_path is None:
            raise LiveError("comfort limits refused: no alarm rules are loaded")
        caps = region_caps(cfg.rules, client, cfg.contraindications)
        try:
            kept = check_accepted(accepted, caps)
        except ComfortLimitError as err:
            raise LiveError(str(err)) from err
        text = comfort_rules_text(kept, client.id if client else "")
        base = cfg.rules_path.read_text(encoding="utf-8")
        return text, parse_rule_set(base + text, f"{cfg.rules_path} + comfort limits")

    def comfort(self, client_id: str | None = None) -> ComfortMap:
        """A client's comfort map from the sessions recorded here (default: the client on
        the rig); UnknownProfileError for an unknown client."""
        client = self._client(client_id)
        try:
            store = open_store(self.config.store_path, readonly=True)
        except StoreOpenError:  # nothing recorded yet
            return ComfortMap(client.id, (), ())
        with store:
            return client_comfort(store, client.id)

    def comfort_proposals(self, client_id: str | None = None) -> list[LimitProposal]:
        """Per-region limits proposed from a client's comfort map, capped by the studio's
        (and the client's contraindication) limits; [] without alarm rules."""
        client = self._client(client_id)
        if self.config.rules is None:
            return []
        return propose_limits(
            self.comfort(client.id), self.config.rules, client, self.config.contraindications
        )

    def client_press(self, button: str) -> PressRecord:
        """The client pressed `button` on the dashboard's client page: alarmed ("stop"),
        shown to the therapist and kept like a handset press. LiveError for an unknown one."""
        if button not in BUTTONS:
            raise LiveError(f"press: expected one of {', '.join(BUTTONS)}, got {button!r}")
        t_s = host_clock()
        self.link.catch_up()  # its moment is the newest sample, also while reads are spaced
        return self.runner.press(t_s, button, "page").press

    def _client(self, client_id: str | None) -> ClientProfile:
        if client_id:
            return self.config.profiles.client(client_id)
        client, _therapist = self.runner.people
        if client is None:
            raise LiveError("no client is on the rig: name one")
        return client

    def stop_session(self) -> int | None:
        """Stop recording and flush; returns the id of the session that stopped, if any."""
        if self.runner.recording is not None:
            self.link.catch_up()  # the samples up to now, also while reads are spaced
        writer = self.runner.stop_recording()  # flushes: not under the lock on_alarm takes
        with self._lock:
            self._session_started_s = None
        if writer is None:
            return None
        writer.store.close()  # each session opened its own connection
        log.info("session %d stopped", writer.session_id)
        self.display.setup(self.setup())
        return writer.session_id

    def take_baseline(self) -> str:
        """Take the client baseline now; LiveError saying why when refused."""
        analysis = self.runner.analysis
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
        t_s = host_clock()
        if not self.runner.annotate(t_s, text, author):
            raise LiveError("note refused: no session is being recorded")
        return t_s

    def accept_device(self) -> str:
        """A person accepts the device the link refused as another than the rig's (serial,
        model or channels): its data flows from the next connection. LiveError when none is
        refused."""
        refused = self.link.stats.refused
        if not refused:
            raise LiveError("no device is refused: nothing to accept")
        self.link.accept_new_device()
        return f"accepted: {refused}"

    def add_consumer(self, consumer: object) -> None:
        """Hang a consumer on the rig's stream (an LSL outlet, a studio publisher): as a raw
        listener if it is a firmware_bridge Listener (HELLO, blocks, gaps, device events;
        stop() when the stream ends), and as a SessionListener if it is one (steps, alarms,
        notes, sessions starting and stopping). It must return at once."""
        if not isinstance(consumer, Listener | SessionListener):
            raise TypeError(f"{consumer!r}: expected a Listener or a SessionListener")
        self._consumers += 1  # a consumer wants samples as they come: reads are not spaced
        if isinstance(consumer, Listener):
            self.runner.add_raw_listener(consumer)
        if isinstance(consumer, SessionListener):
            self.runner.add_listener(consumer)

    def add_block_tap(self, tap: BlockTap, *, excludes_sessions: str | None = None) -> None:
        """Hand every SampleBlock to tap, in the dispatcher thread before the analysis (also
        while the rig is unresolved); tap must return at once and not raise.

        excludes_sessions names an activity that cannot run while recording (such as "a
        calibration"): LiveError while a session records, and start_session is refused
        until the tap is removed.
        """
        with self._lock:
            if excludes_sessions is not None:
                writer = self.runner.recording
                if writer is not None:
                    raise LiveError(
                        f"{excludes_sessions} cannot start while session "
                        f"{writer.session_id} is recording: stop the session first"
                    )
                self._exclusive[tap] = excludes_sessions
            self._taps[tap] = _BlockTap(tap)
            self.runner.add_raw_listener(self._taps[tap])

    def remove_block_tap(self, tap: BlockTap) -> None:
        """Stop handing blocks to tap (and allow sessions again if it excluded them)."""
        with self._lock:
            raw = self._taps.pop(tap, None)
            if raw is not None:
                self.runner.remove_raw_listener(raw)
            self._exclusive.pop(tap, None)

    def reload_calibration(self) -> None:
        """Resolve the rig for the connected device again (a calibration file was saved).
        Refused while recording: a session keeps the constants it started with."""
        hello, writer = self.runner.hello, self.runner.recording
        if writer is not None:
            raise LiveError(
                f"session {writer.session_id} is recording and keeps its calibration: the "
                "new one is used when the rig next connects"
            )
        if hello is None:
            raise LiveError("reload refused: the rig has not said who it is yet")
        self.runner.resolve(hello)

    def _require_engine(self) -> AlarmEngine:
        engine = self.engine
        if engine is None:
            raise LiveError("no alarm engine: no rules loaded or the rig is not resolved yet")
        return engine

    # -- what the runner tells (dispatcher thread, ticks, operator actions) ----------------
    def on_analysis(self, analysis: SessionAnalysis | None, error: Exception | None) -> None:
        if analysis is not None:
            self.display.setup(self.setup())

    def on_step(self, step: Step) -> None:
        self.display.estimate(step.estimate, step.block.seq, step.limits)
        self._show_alarms(step.alarms)

    def on_grid_estimate(self, grid: GridEstimate) -> None:
        self.display.grid(grid)

    def on_press(self, step: PressStep) -> None:
        self.display.press(step.press)
        self._show_alarms(step.alarms)

    # -- helpers -----------------------------------------------------------------------------
    def _show_alarms(self, events: list[AlarmEvent]) -> int:
        """Show the alarms if these transitions changed them; returns how many there were."""
        if events:
            self.display.alarms(self.hazards())
        return len(events)

    @property
    def watched(self) -> bool:
        """Does anyone take the live stream now: a viewer of the display, a consumer, a tap?"""
        with self._lock:
            tapped = bool(self._taps)
        return self.display.watched or tapped or self._consumers > 0

    def _tick_loop(self) -> None:
        next_status = 0.0
        while not self._stop.wait(TICK_S):
            self.link.read_every_s = 0.0 if self.watched else UNWATCHED_READ_EVERY_S
            now_s, link = host_clock(), self.link.stats
            seen_s = self._silence.seen_s(now_s, link.samples)
            engine = self.engine
            if engine is not None:
                engine.set_context(**{DEVICE_REFUSED_SIGNAL: 1.0 if link.refused else 0.0})
            self._show_alarms(self.runner.tick(now_s, seen_s))
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
    consumers: tuple[object, ...] = (),
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
        consumers=consumers,
    )


__all__ = [
    "DEVICE_REFUSED_SIGNAL",
    "Display",
    "LiveConfig",
    "LiveError",
    "LiveRuntime",
    "LiveSetup",
    "LiveStatus",
    "describe_setup",
    "load_live_config",
]
