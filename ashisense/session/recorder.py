"""`ashisense record`'s runner: one session recorded from start to stop, headless."""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType

from ashisense.alarms import AlarmEvent, ContraindicationMap, RuleSet
from ashisense.profiles import ClientProfile, TherapistProfile
from ashisense.rig import Rig
from ashisense.session.analysis import SessionAnalysis, Step
from ashisense.session.runner import SessionListener, SessionRunner
from ashisense.store import SessionMeta, SessionStore, SessionWriter, WriterHealth


class _Callbacks(SessionListener):
    """The Recorder's callbacks, and its `failed` event when the device does not fit."""

    def __init__(
        self,
        failed: threading.Event,
        on_step: Callable[[Step], None] | None,
        on_fault: Callable[[WriterHealth], None] | None,
        on_alarm: Callable[[AlarmEvent], None] | None,
    ) -> None:
        self._failed = failed
        self._step, self._fault, self._alarm = on_step, on_fault, on_alarm

    def on_analysis(self, analysis: SessionAnalysis | None, error: Exception | None) -> None:
        if error is not None:
            self._failed.set()

    def on_step(self, step: Step) -> None:
        if self._step is not None:
            self._step(step)

    def on_recorder(self, health: WriterHealth) -> None:
        if self._fault is not None:
            self._fault(health)

    def on_alarm(self, event: AlarmEvent) -> None:
        if self._alarm is not None:
            self._alarm(event)


class Recorder(SessionRunner):
    """Record one live session: raw stream to `store`, estimates and alarms alongside.

    A SessionRunner for one session: give it to a Link as its listener. A device that does
    not fit the rig sets `failure` and `failed`, and the session records raw data only.
    on_step(step): each block's estimates and alarms (on the dispatcher thread; must be
    quick). on_alarm(event): every alarm transition, from blocks and ticks alike.
    on_fault(health): each change of the recording's health. Use as a context manager around
    the Link: start() creates the session, stop() flushes and closes it.
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
        self.failed = threading.Event()
        callbacks = _Callbacks(self.failed, on_step, on_fault, on_alarm)
        super().__init__(rig, client, therapist, rules, contraindications, listeners=[callbacks])
        self._store, self._meta = store, meta
        self._session: SessionWriter | None = None

    @property
    def writer(self) -> SessionWriter:
        """The session's writer (kept after stop, for its health and session id)."""
        if self._session is None:
            raise RuntimeError("Recorder: start() has not been called")
        return self._session

    def start(self) -> int:
        """Create the session (the store's error at once if it cannot); returns its id."""
        if self._session is None:
            self._session = self.record(self._store, self._meta)
        return self._session.session_id

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
