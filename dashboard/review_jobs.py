"""Deriving a session's display series for review, in the background, once: a job per
session reports its progress; the series go into the session's store (put_derived) and, until
written (or when the store cannot be written: read-only media), stay in memory. A grid rig
gets a quick first pass without the grid frames (all but the pressure), shown while the
full pass runs."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ashisense.session.display import KeptDisplay, derive_display, kept, read_display
from ashisense.store import StoreError, open_store
from ashisense.store.derived import Parts

log = logging.getLogger(__name__)

#: Share of the progress bar the quick first pass of a grid rig takes.
QUICK_SHARE = 0.25
#: Sessions whose series are held in memory (not yet written, or not writable).
MEMORY_SESSIONS = 4


class JobCancelled(Exception):
    """The server is stopping: a derivation gives up at its next block."""


@dataclass
class Job:
    """One session's derivation: progress in [0, 1], the error that ended it, done."""

    session_id: int
    progress: float = 0.0
    error: str | None = None
    done: threading.Event = field(default_factory=threading.Event)


class DisplayJobs:
    """Display series of the sessions of one store: read back, derived, held."""

    def __init__(self, store_target: str | Path) -> None:
        self.store_target = store_target
        self._lock = threading.Lock()
        self._jobs: dict[int, Job] = {}
        self._threads: list[threading.Thread] = []
        self._memory: OrderedDict[tuple[int, str], tuple[KeptDisplay, Parts, bool]] = OrderedDict()
        self._stopping = threading.Event()

    def current(self, session_id: int) -> tuple[KeptDisplay | None, bool, Job | None]:
        """The series to show now (None: none yet), whether they are complete, and the job
        deriving them (None when none runs). Starts a job when nothing fits the session."""
        with self._lock:
            job = self._jobs.get(session_id)
            running = job is not None and not job.done.is_set()
            held = [v for (sid, _), v in self._memory.items() if sid == session_id]
        if running:  # shown from memory meanwhile: a quick pass, or the full one being kept
            return (held[-1][0] if held else None), bool(held and held[-1][2]), job
        with open_store(self.store_target, readonly=True) as store:
            stored = read_display(store, session_id)
        if stored is not None:
            return stored, True, None
        if held and held[-1][2]:  # derived, but the store could not keep them
            return held[-1][0], True, None
        if job is not None and job.error is not None:
            return None, False, job
        self.prepare(session_id)
        with self._lock:
            return None, False, self._jobs[session_id]

    def prepare(self, session_id: int) -> None:
        """Derive a session's series now (a session just recorded), unless it runs already."""
        with self._lock:
            job = self._jobs.get(session_id)
            if job is None or job.done.is_set():
                self._start(session_id)

    def read(self, session_id: int, key: str, names: list[str]) -> dict[str, dict[str, np.ndarray]]:
        """Parts of a session's series under `key`, from memory or the store."""
        with self._lock:
            held = self._memory.get((session_id, key))
        if held is not None:
            parts = held[1]
            return {n: dict(parts[n]) for n in names if n in parts}
        with open_store(self.store_target, readonly=True) as store:
            return store.derived(session_id, key, names)

    def close(self) -> None:
        """Stop the jobs (each at its next block) and wait for them."""
        self._stopping.set()
        for t in list(self._threads):
            t.join()
        self._threads.clear()
        self._stopping.clear()  # a server started again derives again

    def _start(self, session_id: int) -> Job:
        job = Job(session_id)
        self._jobs[session_id] = job
        t = threading.Thread(target=self._run, args=(job,), name=f"review-derive-{session_id}")
        self._threads = [x for x in self._threads if x.is_alive()] + [t]
        t.start()
        return job

    def _progress(self, job: Job, start: float, share: float) -> Callable[[float], None]:
        def on(done: float) -> None:
            if self._stopping.is_set():
                raise JobCancelled
            job.progress = start + share * done

        return on

    def _run(self, job: Job) -> None:
        try:
            self._derive(job)
        except JobCancelled:
            job.error = "the server stopped"
        except (StoreError, ValueError, OSError) as err:
            log.warning("session %d: cannot derive its display series: %s", job.session_id, err)
            job.error = str(err)
        finally:
            job.progress = 1.0
            job.done.set()

    def _derive(self, job: Job) -> None:
        sid = job.session_id
        with open_store(self.store_target, readonly=True) as store:
            has_grid = next(iter(store.grids(sid)), None) is not None
            full_from = 0.0
            if has_grid:
                quick = derive_display(
                    store, sid, self._progress(job, 0.0, QUICK_SHARE), grids=False
                )
                self._hold(sid, quick.key, quick.parts(), complete=False)
                full_from = QUICK_SHARE
            series = derive_display(store, sid, self._progress(job, full_from, 1.0 - full_from))
        parts = series.parts()
        self._hold(sid, series.key, parts, complete=True)
        try:
            with open_store(self.store_target) as store:
                store.put_derived(sid, series.key, parts)
        except StoreError as err:  # read-only media: keep them in memory only
            log.warning("session %d: display series kept in memory only: %s", sid, err)
            return
        with self._lock:  # written: the store serves them from now on
            self._memory.pop((sid, series.key), None)

    def _hold(self, session_id: int, key: str, parts: Parts, complete: bool) -> None:
        with self._lock:
            self._memory[(session_id, key)] = (kept(key, parts), parts, complete)
            self._memory.move_to_end((session_id, key))
            while len(self._memory) > MEMORY_SESSIONS:
                self._memory.popitem(last=False)
