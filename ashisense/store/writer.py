"""The recorder: a link Listener that writes a session without ever making the live path wait.

on_block only puts the block on a bounded queue; a thread of its own commits what arrived
every `commit_interval_s`, one transaction per commit. When the disk stalls or fills, or the
queue overflows, the writer says so at once (an error in the log, `health`, and `on_fault`
for the alarm engine's technical alarm); what it cannot keep it counts and records as a gap
and a fault, never dropping anything silently.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import math
import queue
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ashisense.store import records
from ashisense.store.base import SessionStore
from ashisense.store.errors import StoreError
from firmware_bridge.blocks import DeviceEvent, Gap, GridBlock, SampleBlock
from firmware_bridge.listener import Listener
from firmware_bridge.protocol import Hello

log = logging.getLogger(__name__)

#: Rare records (HELLO, gaps, events, alarms, notes) wait beside the block queue; past this
#: many they too are counted as dropped rather than letting memory grow without bound.
MAX_SIDE_RECORDS = 100_000

#: A commit is made at least every commit interval, and sooner once this many samples wait.
MAX_BATCH_SAMPLES = 65_536

#: Why the recorder dropped samples (the reason of the gap it records for them).
QUEUE_FULL = "recorder could not keep up"
CHANNELS_CHANGED = "recorder refused blocks with other channels"

_STOP = object()
_SEVERITY = {"ok": 0, "stalled": 1, "dropping": 2, "failed": 3}


@dataclass(frozen=True)
class _Calibration:
    values: dict[str, Any]


@dataclass(frozen=True)
class WriterHealth:
    """How the recorder is doing; what the alarm engine turns into a technical alarm.

    state: "ok"; "stalled" (the writer thread has not come round for stall_after_s: a disk
    that hangs); "dropping" (the queue overflowed: samples are being lost); "failed" (a write
    failed: disk full, read-only, I/O error; the writer retries every commit interval).
    message says what and since when. Counters are totals since start.
    """

    state: str
    message: str
    queued_items: int
    written_samples: int
    dropped_samples: int
    dropped_items: int
    last_commit_s: float

    @property
    def ok(self) -> bool:
        return self.state == "ok"


class SessionWriter(Listener):
    """Record one session into `store`: a Listener and a context manager; stop() flushes.

    meta: the session's description (created in the store by start(), which raises the
    store's error at once if it cannot write). max_queue: blocks held while the disk is slow
    (items, not samples). on_fault(health): called on every change of health state (into a
    fault and back to "ok"), from the thread that noticed it; must return quickly.
    Feed estimates with note_estimate() for the summary's peak, alarm log rows with
    add_alarms(), notes with annotate(), the pipeline's baseline states with add_baselines(),
    the client's presses with add_presses().
    """

    def __init__(
        self,
        store: SessionStore,
        meta: records.SessionMeta,
        *,
        commit_interval_s: float = 0.5,
        max_queue: int = 4096,
        stall_after_s: float = 2.0,
        on_fault: Callable[[WriterHealth], None] | None = None,
    ) -> None:
        self._store = store
        self._meta = meta
        self._interval_s = commit_interval_s
        self._stall_after_s = stall_after_s
        self._on_fault = on_fault
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max_queue)
        self._side: collections.deque[object] = collections.deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._session_id: int | None = None
        self._channels: tuple[str, ...] | None = None
        self._drop_gaps: list[Gap] = []
        self._last_dropped_seq: int | None = None
        self._state = "ok"
        self._message = "not started"
        self._heartbeat = time.monotonic()
        self._last_commit_s = math.nan
        self._written = 0
        self._dropped_samples = 0
        self._dropped_items = 0
        self._lost = 0
        self._alarm_count = 0
        self._peak_feet_n = -math.inf
        self._t_first_s = math.nan
        self._t_last_s = math.nan

    # -- lifecycle -----------------------------------------------------------------------

    @property
    def store(self) -> SessionStore:
        """The store this writer writes to (the caller opened it and closes it)."""
        return self._store

    @property
    def meta(self) -> records.SessionMeta:
        """What the session was started with (label, people, rig snapshot)."""
        return self._meta

    @property
    def session_id(self) -> int:
        if self._session_id is None:
            raise RuntimeError("SessionWriter: start() has not been called")
        return self._session_id

    def start(self) -> int:
        """Create the session and start the writer thread; returns the session id."""
        if self._thread is not None:
            return self.session_id
        self._session_id = self._store.create_session(self._meta)
        self._message = "recording"
        self._heartbeat = time.monotonic()
        self._thread = threading.Thread(
            target=self._run, name=f"ashisense-writer-{self._session_id}", daemon=True
        )
        self._thread.start()
        return self._session_id

    def stop(self, timeout_s: float = 30.0) -> None:
        """Write everything queued, mark the session stopped with its summary, end the thread."""
        thread = self._thread
        if thread is None or not thread.is_alive():
            return
        self._stopping.set()
        # If the queue is full the thread sees _stopping once it has drained it.
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(_STOP)
        thread.join(timeout_s)
        if thread.is_alive():
            self._set_state("failed", f"writer did not finish within {timeout_s:.0f} s")

    def __enter__(self) -> SessionWriter:
        self.start()
        return self

    # -- the live side: never blocks -----------------------------------------------------

    def on_hello(self, hello: Hello) -> None:
        if self._check_channels(hello.channels, "HELLO"):
            self._side_put(hello)

    def on_block(self, block: SampleBlock) -> None:
        if not len(block):
            return
        if self._check_channels(block.channels, "block"):
            self._offer(block)
        else:
            self._count_dropped_block(block, CHANNELS_CHANGED)

    def on_grid(self, grid: GridBlock) -> None:
        self._offer(grid)

    def on_gap(self, gap: Gap) -> None:
        self._side_put(gap)

    def on_event(self, event: DeviceEvent) -> None:
        self._side_put(event)

    def on_error(self, exc: BaseException) -> None:
        self._side_put(
            records.RecorderFault(time.time(), "link_error", f"{type(exc).__name__}: {exc}")
        )

    def add_alarms(self, alarms: Iterable[records.AlarmRecord]) -> None:
        """Append alarm log rows (state transitions) to the session."""
        for alarm in alarms:
            self._side_put(alarm)

    def add_baselines(self, states: Iterable[Mapping[str, Any]]) -> None:
        """Keep the pipeline's baseline states with the session: its state as the session
        starts (Pipeline.baseline_state) and each change (Pipeline.baseline_changes)."""
        for state in states:
            self._side_put(records.BaselineRecord.of(dict(state)))

    def add_presses(self, presses: Iterable[records.PressRecord]) -> None:
        """Keep the client's presses with the session (each once its follow-up is known)."""
        for press in presses:
            self._side_put(press)

    def set_calibration(self, calibration: dict[str, Any]) -> None:
        """The calibration in use, once known (replaces the one given at start)."""
        self._side_put(_Calibration(calibration))

    def annotate(self, t_s: float, text: str, author: str = "") -> None:
        """Pin a note to time t_s of the session."""
        self._side_put(records.Annotation(t_s, text, author))

    def add_fault(self, fault: records.RecorderFault) -> None:
        """A problem around the recording that replay and the report should show (a studio
        link that was out of reach), into the session's faults."""
        self._side_put(fault)

    def note_estimate(self, feet_n: np.ndarray) -> None:
        """Take the feet force of a processed block (N, NaN where unknown) for the peak."""
        if len(feet_n):
            self._peak_feet_n = max(self._peak_feet_n, float(np.fmax.reduce(feet_n)))

    @property
    def health(self) -> WriterHealth:
        """The recorder's state now (also notices a writer thread that stopped coming round)."""
        self._check_stall()
        with self._lock:
            return WriterHealth(
                state=self._state,
                message=self._message,
                queued_items=self._queue.qsize(),
                written_samples=self._written,
                dropped_samples=self._dropped_samples,
                dropped_items=self._dropped_items,
                last_commit_s=self._last_commit_s,
            )

    def _check_channels(self, channels: tuple[str, ...], what: str) -> bool:
        if self._channels is None:
            self._channels = channels
        if channels == self._channels:
            return True
        self._set_state(
            "dropping",
            f"expected channels {list(self._channels)}, got {list(channels)} in a {what}; "
            "not recorded",
        )
        return False

    def _offer(self, item: SampleBlock | GridBlock) -> None:
        self._check_stall()
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            if isinstance(item, SampleBlock):
                self._count_dropped_block(item, QUEUE_FULL)
            else:
                with self._lock:
                    self._dropped_items += 1
                self._set_state("dropping", "recorder queue full: grid frames dropped")

    def _side_put(self, record: object) -> None:
        if len(self._side) >= MAX_SIDE_RECORDS:
            with self._lock:
                self._dropped_items += 1
            self._set_state("dropping", f"recorder side queue full: {type(record).__name__} lost")
            return
        self._side.append(record)

    def _count_dropped_block(self, block: SampleBlock, reason: str) -> None:
        """Account for a block the recorder could not keep: a gap in the recording."""
        with self._lock:
            self._dropped_samples += len(block)
            self._dropped_items += 1
            t0, t1, n = float(block.t_s[0]), float(block.t_s[-1]), len(block)
            last = self._drop_gaps[-1] if self._drop_gaps else None
            if last is not None and self._last_dropped_seq == int(block.seq[0]) - 1:
                self._drop_gaps[-1] = replace(last, t_end_s=t1, lost=last.lost + n)
            else:
                self._drop_gaps.append(Gap(t0, t1, n, reason))
            self._last_dropped_seq = int(block.seq[-1])
            dropped = self._dropped_samples
        self._set_state("dropping", f"{reason}: {dropped} samples dropped so far")

    def _check_stall(self) -> None:
        idle_s = time.monotonic() - self._heartbeat
        if self._thread is not None and self._state == "ok" and idle_s > self._stall_after_s:
            self._set_state("stalled", f"no commit for {idle_s:.1f} s: the disk is not keeping up")

    def _set_state(self, state: str, message: str) -> None:
        """Enter `state`, unless a graver one holds; only the writer thread's success clears."""
        with self._lock:
            if state != "ok" and _SEVERITY[state] < _SEVERITY[self._state]:
                return
            changed = state != self._state
            self._state, self._message = state, message
        if not changed:
            return
        if state == "ok":
            log.warning("recorder recovered: %s", message)
        else:
            log.error("recorder %s: %s", state, message)
        if self._on_fault is not None:
            self._on_fault(self.health)

    # -- the writer thread ---------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._loop()
        except Exception as exc:  # a bug here must still be loud, not a silent dead thread
            log.exception("recorder thread failed")
            self._set_state("failed", f"recorder thread failed: {type(exc).__name__}: {exc}")

    def _loop(self) -> None:
        pending = records.Batch()
        pending_samples = 0  # kept here: Batch.samples sums every block each time
        due = time.monotonic() + self._interval_s
        stopping = False
        while not stopping:
            self._heartbeat = time.monotonic()
            if self._state == "failed":
                # Do not take more from the queue while writes fail: it fills, and what
                # overflows is counted, instead of memory growing without bound.
                stopping = self._stopping.wait(self._interval_s)
                pending = self._commit(pending)
                continue
            try:
                item = self._queue.get(timeout=max(0.0, due - time.monotonic()))
            except queue.Empty:
                item = None
            if item is _STOP or (item is None and self._stopping.is_set()):
                stopping = True
            elif isinstance(item, SampleBlock):
                pending.blocks.append(item)
                pending_samples += len(item)
            elif isinstance(item, GridBlock):
                pending.grids.append(item)
            if stopping or time.monotonic() >= due or pending_samples >= MAX_BATCH_SAMPLES:
                pending = self._commit(pending)
                pending_samples = pending.samples
                due = time.monotonic() + self._interval_s
        self._finish(pending)

    def _take_side(self, batch: records.Batch) -> None:
        """Move the rare records and the drop ledger into the batch about to be committed."""
        while self._side:
            record = self._side.popleft()
            if isinstance(record, Hello):
                batch.hello = record
            elif isinstance(record, _Calibration):
                batch.calibration = record.values
            else:
                batch.add(record)
        with self._lock:
            drops, self._drop_gaps = self._drop_gaps, []
        batch.gaps.extend(drops)
        batch.faults.extend(
            records.RecorderFault(g.t_start_s, "dropped", g.reason, g.lost) for g in drops
        )

    def _span(self, batch: records.Batch) -> tuple[float, float]:
        """Times of the first and last sample written once `batch` is committed (NaN: none)."""
        if not batch.blocks:
            return self._t_first_s, self._t_last_s
        t_first = float(batch.blocks[0].t_s[0]) if math.isnan(self._t_first_s) else self._t_first_s
        return t_first, float(batch.blocks[-1].t_s[-1])

    def _summary(self, batch: records.Batch) -> records.SessionSummary:
        """The running summary as it will be once `batch` is committed."""
        t_first, t_last = self._span(batch)
        with self._lock:
            dropped = self._dropped_samples
        return records.SessionSummary(
            duration_s=0.0 if math.isnan(t_first) else t_last - t_first,
            samples=self._written + batch.samples,
            lost_samples=self._lost + sum(g.lost for g in batch.gaps if g.lost > 0),
            dropped_samples=dropped,
            alarm_count=self._alarm_count + records.count_raised(batch.alarms),
            peak_feet_n=None if math.isinf(self._peak_feet_n) else self._peak_feet_n,
        )

    def _commit(self, batch: records.Batch) -> records.Batch:
        """Write a batch; returns an empty one, or the same one to retry if the write failed."""
        self._take_side(batch)
        if not batch:
            return batch
        summary = self._summary(batch)
        batch.summary = summary
        with self._lock:
            dropped_before = self._dropped_samples
        try:
            self._store.write(self.session_id, batch)
        except StoreError as err:
            self._set_state("failed", f"{err}; holding {batch.samples} samples, retrying")
            return batch
        self._t_first_s, self._t_last_s = self._span(batch)
        with self._lock:
            self._written, self._lost = summary.samples, summary.lost_samples
            self._alarm_count = summary.alarm_count
            self._last_commit_s = time.time()
            no_new_drops = self._dropped_samples == dropped_before == summary.dropped_samples
        if self._state in ("failed", "stalled") or (self._state == "dropping" and no_new_drops):
            self._set_state(
                "ok",
                f"writing again; {summary.dropped_samples} samples dropped in all "
                "(recorded as gaps)",
            )
        return records.Batch()

    def _finish(self, pending: records.Batch) -> None:
        """Last commit after stop(): everything still queued, then the stop time and summary."""
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, SampleBlock):
                pending.blocks.append(item)
            elif isinstance(item, GridBlock):
                pending.grids.append(item)
        pending = self._commit(pending)
        if pending:
            with self._lock:
                self._dropped_samples += pending.samples
                self._dropped_items += len(pending.blocks) + len(pending.grids)
            message = f"stopped with {pending.samples} samples not written: {self._message}"
            log.error("recorder: %s", message)
            self._set_state("failed", message)
            return
        try:
            self._store.finish_session(self.session_id, time.time(), self._summary(records.Batch()))
        except StoreError as err:
            self._set_state("failed", f"could not mark the session stopped: {err}")
