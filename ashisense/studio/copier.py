"""A room's sessions copied into the studio's PostgreSQL as they record.

`LiveCopier` runs a thread: about once a second, while a session records, it copies what is
new of it from the room's SQLite file (store.copy: resumable, idempotent; the file is always
written first), and once more after the session stopped. At start it catches up every
session of the file. When PostgreSQL is out of reach, the condition says so and the next
round tries again: the copy then catches up, every sample exactly once.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

from ashisense.store import SessionStore, SQLiteStore, StoreError
from ashisense.store.copy import copy_session
from ashisense.store.postgres import PostgresStore
from ashisense.studio.condition import DOWN, OK, LinkCondition

log = logging.getLogger(__name__)

#: Seconds between two rounds of copying.
EVERY_S = 1.0
#: A stopped session whose file never says "stopped" (its writer failed) is copied this long
#: after it stopped recording, then left as it is.
FINISH_GRACE_S = 60.0
COPY_ERRORS = (StoreError, psycopg.Error, OSError)


class LiveCopier:
    """Copies the sessions of `source` (a SQLite file) into the PostgreSQL store `target`.

    recording(): the id of the session recording now (None when none). on_change(condition):
    the copy's condition changed, or its lag (from the copier's thread; return at once).
    The condition's counters: lag_s, the age of the newest sample in PostgreSQL when the
    round that copied it ended (while recording); owed, sessions not yet fully there.
    """

    def __init__(
        self,
        source: Path,
        target: str,
        recording: Callable[[], int | None],
        *,
        every_s: float = EVERY_S,
        on_change: Callable[[LinkCondition], None] | None = None,
    ) -> None:
        self.source, self._target_url = Path(source), target
        self._recording, self._every_s, self._on_change = recording, every_s, on_change
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._src: SessionStore | None = None
        self._dst: PostgresStore | None = None
        self._owed: dict[int, float] = {}  # session id -> when it stopped recording (monotonic)
        self._current: int | None = None
        self._condition = LinkCondition(DOWN, "connecting to the studio database", time.time())
        self.rounds = 0
        self._thread = threading.Thread(target=self._run, name="ashisense-copier")

    def start(self) -> LiveCopier:
        self._thread.start()
        return self

    def stop(self) -> None:
        """One last round (the session that just stopped), then end the thread."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(60.0)

    @property
    def condition(self) -> LinkCondition:
        with self._lock:
            return self._condition

    # -- the copier's thread ------------------------------------------------------------------
    def _run(self) -> None:
        try:
            while not self._stop.wait(0.0 if self.rounds == 0 else self._every_s):
                self._round()
            self._round()
        finally:
            for store in (self._src, self._dst):
                if store is not None:
                    store.close()

    def _source(self) -> SessionStore | None:
        """The room's file, read-only (None before its first session). When first opened,
        every session in it is owed (copied once; what is there already is skipped)."""
        if self._src is None and self.source.exists():
            self._src = SQLiteStore(self.source, readonly=True)
            self._owed.update((info.id, -math.inf) for info in self._src.sessions())
        return self._src

    def _round(self) -> None:
        """Copy the session recording now and those owed; the condition says how it went."""
        current = self._recording()
        if current != self._current and self._current is not None:
            self._owed[self._current] = time.monotonic()  # stopped: once more at least
        self._current = current
        if current is not None:
            self._owed[current] = math.inf
        try:
            src = self._source()
            dst = self._target()
            lag_s = self._copy_owed(src, dst) if src is not None else math.nan
        except COPY_ERRORS as err:
            self._set(DOWN, f"copy to the studio database failing, retrying: {err}")
            return
        finally:
            self.rounds += 1
        self._set(OK, "copying to the studio database", lag_s=lag_s, owed=len(self._owed))

    def _target(self) -> PostgresStore:
        if self._dst is None:
            self._dst = PostgresStore(self._target_url)
        return self._dst

    def _copy_owed(self, src: SessionStore, dst: PostgresStore) -> float:
        """Copy every owed session; returns the lag of the current one (NaN if none)."""
        lag_s = math.nan
        for sid, stopped_at in sorted(self._owed.items()):
            copy_session(src, dst, sid)
            info = src.session(sid)
            if sid == self._current:
                t_last = info.meta.started_s + info.summary.duration_s
                lag_s = max(0.0, time.time() - t_last) if info.summary.samples else math.nan
            elif info.stopped_s is not None or time.monotonic() - stopped_at > FINISH_GRACE_S:
                del self._owed[sid]
        return lag_s

    def _set(self, state: str, message: str, **counters: float) -> None:
        with self._lock:
            before = self._condition
            self._condition = before.moved(state, message, time.time()).counted(**counters)
            condition = self._condition
        if state == DOWN and before.state != DOWN:
            log.error("%s", message)
        if self._on_change is not None:
            self._on_change(condition)
