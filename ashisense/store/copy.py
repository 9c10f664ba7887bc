"""Copying sessions into PostgreSQL, idempotent and resumable: run it again, after an
interruption at any point or while the source still records, and every sample and record is
there exactly once.

Keys: the session's UUID; a chunk's number within its session (a chunk whose size differs
from the source's, the newest one of a session still recording, is written again, replacing
itself); grid frame blocks by number; other records by content and occurrence
(postgres.row_keys). Each step is one transaction, so an interruption loses only the step
under way, which the next run does again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import TypeVar

from ashisense.store.base import SessionStore
from ashisense.store.postgres import SIDE_TABLES, PostgresStore

T = TypeVar("T")

#: Chunks written per transaction (at most 4096 samples each).
CHUNKS_PER_COMMIT = 16


@dataclass
class SessionCopy:
    """What one copy of one session did. target_id: its id in the PostgreSQL store."""

    uuid: str
    source_id: int
    target_id: int
    chunks_copied: int = 0
    chunks_skipped: int = 0
    grids_copied: int = 0
    rows_copied: dict[str, int] = field(default_factory=dict)

    @property
    def copied_anything(self) -> bool:
        return bool(self.chunks_copied or self.grids_copied or any(self.rows_copied.values()))


#: Called after each committed step with a word on what it wrote (progress, and tests).
OnCommit = Callable[[str], None]


def _batches(items: Iterator[T], size: int) -> Iterator[list[T]]:
    while batch := list(islice(items, size)):
        yield batch


def _copy_chunks(
    src: SessionStore, dst: PostgresStore, sid: int, copy: SessionCopy, on_commit: OnCommit
) -> None:
    """The chunks the target lacks or holds shorter, in order, CHUNKS_PER_COMMIT at a time."""
    sizes = src.chunk_sizes(sid)
    there = dst.chunk_sizes(copy.target_id)
    need = {k for k, n in enumerate(sizes) if k >= len(there) or there[k] != n}
    copy.chunks_skipped = len(sizes) - len(need)
    if not need:
        return
    first = min(need)
    numbered = enumerate(islice(src.chunks(sid, first), len(sizes) - first), first)
    wanted = ((k, block) for k, block in numbered if k in need)
    for batch in _batches(wanted, CHUNKS_PER_COMMIT):
        dst.put_chunks(copy.target_id, batch)
        copy.chunks_copied += len(batch)
        on_commit(f"session {copy.uuid}: chunks {batch[0][0]}..{batch[-1][0]}")


def _copy_records(
    src: SessionStore, dst: PostgresStore, sid: int, copy: SessionCopy, on_commit: OnCommit
) -> None:
    """Grid frames and the rare records (gaps, alarms, notes, ...) the target lacks."""
    there = dst.copied_counts(copy.target_id)
    grids = list(islice(src.grids(sid), there["grids"], None))
    if grids:
        dst.put_grids(copy.target_id, list(enumerate(grids, there["grids"])))
        copy.grids_copied = len(grids)
        on_commit(f"session {copy.uuid}: grids")
    for table in SIDE_TABLES:
        records = getattr(src, table.name)(sid)
        copy.rows_copied[table.name] = 0
        if len(records) != there[table.name]:
            copy.rows_copied[table.name] = dst.put_rows(copy.target_id, table, records)
            on_commit(f"session {copy.uuid}: {table.name}")


def copy_session(
    src: SessionStore, dst: PostgresStore, session_id: int, on_commit: OnCommit | None = None
) -> SessionCopy:
    """Copy one session of `src` into `dst` (what is there already is left as it is)."""
    notify = on_commit or (lambda _what: None)
    info = src.session(session_id)
    copy = SessionCopy(info.uuid, info.id, dst.put_session(info))
    notify(f"session {info.uuid}")
    # Samples that came after `info` was read without channels (a session copied as it
    # starts) wait for the next copy: chunks under a session without channels are unreadable.
    if info.channels:
        _copy_chunks(src, dst, session_id, copy, notify)
    _copy_records(src, dst, session_id, copy, notify)
    # Last: a session shows as stopped only once everything it holds is there.
    dst.set_stopped(copy.target_id, info.stopped_s, info.summary)
    notify(f"session {info.uuid}: stopped")
    return copy


def copy_sessions(
    src: SessionStore, dst: PostgresStore, on_commit: OnCommit | None = None
) -> list[SessionCopy]:
    """Copy every session of `src` into `dst`, oldest first; returns what each copy did."""
    return [copy_session(src, dst, info.id, on_commit) for info in src.sessions()]
