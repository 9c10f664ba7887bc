"""`ashisense record`'s runner: one session recorded from start to stop, headless."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace

from ashisense.alarms import AlarmEvent
from ashisense.session.analysis import SessionAnalysis, Step
from ashisense.session.runner import SessionListener, SessionRunner
from ashisense.session.setup import SessionSetup
from ashisense.store import SessionMeta, SessionStore, SessionWriter, StoreError, WriterHealth
from firmware_bridge.protocol import Hello


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
    the Link: start() creates the session, stop() flushes and closes it. when_heard: the
    session is created when the device first says who it is (in the dispatcher thread, before
    its first sample, started_s then), not at start(): a device never heard leaves no session
    (`started` False); a store that refuses it then sets `failure` and `failed`.
    """

    def __init__(
        self,
        store: SessionStore,
        meta: SessionMeta,
        setup: SessionSetup,
        *,
        on_step: Callable[[Step], None] | None = None,
        on_fault: Callable[[WriterHealth], None] | None = None,
        on_alarm: Callable[[AlarmEvent], None] | None = None,
        when_heard: bool = False,
    ) -> None:
        self.failed = threading.Event()
        callbacks = _Callbacks(self.failed, on_step, on_fault, on_alarm)
        super().__init__(setup, listeners=[callbacks])
        self._store, self._meta = store, meta
        self._session: SessionWriter | None = None
        self._start_lock = threading.Lock()
        self._waiting = when_heard  # for the device's first HELLO to create the session
        self._tried = threading.Event()  # the session was created, or creating it failed

    @property
    def started(self) -> bool:
        """Whether the session was created (False while waiting for the device)."""
        with self._start_lock:
            return self._session is not None

    def wait_started(self, timeout_s: float) -> bool:
        """Wait until the session is created (`when_heard`: at the device's HELLO) or creating
        it failed, at most timeout_s; whether it was created."""
        self._tried.wait(timeout_s)
        return self.started

    @property
    def meta(self) -> SessionMeta:
        """The session's metadata (started_s: when it was created)."""
        return self._meta

    @property
    def writer(self) -> SessionWriter:
        """The session's writer (kept after stop, for its health and session id)."""
        if self._session is None:
            raise RuntimeError("Recorder: start() has not been called")
        return self._session

    def start(self) -> int:
        """Create the session (the store's error at once if it cannot); returns its id."""
        with self._start_lock:
            self._waiting = False
            if self._session is None:
                self._session = self.record(self._store, self._meta)
            self._tried.set()
            return self._session.session_id

    def __enter__(self) -> Recorder:
        if not self._waiting:
            self.start()
        return self

    def on_hello(self, hello: Hello) -> None:
        """A recorder `when_heard` creates its session at the device's first HELLO."""
        with self._start_lock:
            if self._waiting:
                self._waiting = False
                self._meta = replace(self._meta, started_s=time.time())
                try:
                    self._session = self.record(self._store, self._meta)
                except (StoreError, OSError) as err:
                    self.failure = err
                    self.failed.set()
                self._tried.set()
        super().on_hello(hello)

    def stop(self) -> None:
        """Stop recording (flushing); a recorder still waiting for the device gives up."""
        with self._start_lock:
            self._waiting = False
        super().stop()
