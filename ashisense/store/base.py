"""The one interface every session store implements (SQLite, PostgreSQL)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from types import TracebackType
from typing import Self

import numpy as np

from ashisense.store import records
from ashisense.store.derived import Parts
from ashisense.store.errors import SessionNotFoundError
from firmware_bridge.blocks import DeviceEvent, Gap, GridBlock, SampleBlock


class SessionStore(ABC):
    """Sessions of raw blocks and everything around them, written in batches, read by session.

    A store is used by one thread at a time per instance (a writer owns its own instance);
    several instances may read one store while one writes. Writes raise StoreWriteError or
    StoreFullError; a session id that does not exist raises SessionNotFoundError.
    """

    @abstractmethod
    def create_session(self, meta: records.SessionMeta) -> int:
        """Start a session; returns its id."""

    @abstractmethod
    def write(self, session_id: int, batch: records.Batch) -> None:
        """Append a batch atomically: after a crash it is either all there or not at all."""

    @abstractmethod
    def finish_session(
        self, session_id: int, stopped_s: float, summary: records.SessionSummary
    ) -> None:
        """Mark a session stopped with its summary."""

    @abstractmethod
    def sessions(self) -> list[records.SessionInfo]:
        """Every session, oldest first."""

    @abstractmethod
    def session(self, session_id: int) -> records.SessionInfo:
        """One session's description."""

    @abstractmethod
    def blocks(
        self, session_id: int, t_start_s: float | None = None, t_end_s: float | None = None
    ) -> Iterator[SampleBlock]:
        """The session's samples in time order as blocks (a block may reach outside the range)."""

    @abstractmethod
    def sample_count(self, session_id: int) -> int:
        """How many samples the session holds (for progress bars and checks)."""

    @abstractmethod
    def chunk_sizes(self, session_id: int) -> list[int]:
        """Samples in each stored chunk of the session, in order (chunk k holds sizes[k])."""

    @abstractmethod
    def chunks(self, session_id: int, first: int = 0) -> Iterator[SampleBlock]:
        """The session's stored chunks from number `first` on, one block each, in order (what
        a copy to another store reads; the newest chunk grows while the session records)."""

    @abstractmethod
    def grids(self, session_id: int) -> Iterator[GridBlock]:
        """The session's grid frames in time order."""

    @abstractmethod
    def gaps(self, session_id: int) -> list[Gap]:
        """Samples that never arrived (link) or that the recorder had to drop, in time order."""

    @abstractmethod
    def events(self, session_id: int) -> list[DeviceEvent]:
        """Device EVENTs in time order."""

    @abstractmethod
    def alarms(self, session_id: int) -> list[records.AlarmRecord]:
        """The alarm log in time order."""

    @abstractmethod
    def annotations(self, session_id: int) -> list[records.Annotation]:
        """Notes in time order."""

    @abstractmethod
    def faults(self, session_id: int) -> list[records.RecorderFault]:
        """The recorder's own problems during the session, in time order."""

    @abstractmethod
    def baselines(self, session_id: int) -> list[records.BaselineRecord]:
        """The pipeline's baseline states kept with the session, in time order (none for
        sessions recorded before they were kept)."""

    @abstractmethod
    def presses(self, session_id: int) -> list[records.PressRecord]:
        """The client's presses kept with the session, in time order (none for sessions
        recorded before they were kept)."""

    @abstractmethod
    def __str__(self) -> str:
        """Where the sessions are (a file path, a database URL), for messages."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection; the instance is unusable afterwards."""

    def session_or_latest(self, session_id: int | None) -> records.SessionInfo:
        """That session, or the newest one when None; SessionNotFoundError if there is none."""
        if session_id is not None:
            return self.session(session_id)
        infos = self.sessions()
        if not infos:
            raise SessionNotFoundError(f"{self}: no sessions recorded yet")
        return infos[-1]

    @abstractmethod
    def add_annotation(self, session_id: int, note: records.Annotation) -> int:
        """Add a note to a session (also after it stopped: a trainer's review); its id."""

    @abstractmethod
    def update_annotation(self, session_id: int, note: records.Annotation) -> None:
        """Replace the note `note.id` of the session with `note` (time, range, text, author);
        AnnotationNotFoundError if the session has no such note."""

    @abstractmethod
    def delete_annotation(self, session_id: int, note_id: int) -> None:
        """Remove a note; AnnotationNotFoundError if the session has no such note."""

    @abstractmethod
    def put_derived(self, session_id: int, key: str, parts: Parts) -> None:
        """Keep arrays derived from the session under a version key (one transaction),
        replacing every derived array it held before, under any key."""

    @abstractmethod
    def derived(
        self, session_id: int, key: str, parts: Sequence[str]
    ) -> dict[str, dict[str, np.ndarray]]:
        """Those of the named parts kept under this key (a part kept under another key, or
        never, is left out: the caller derives it again)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
