"""Recorded sessions: raw blocks and everything around them, behind one SessionStore interface.

`open_store(target)` picks the backend: a file path is SQLite (the embedded default); a URL
`<scheme>://...` names a backend in BACKENDS: `sqlite://` or `postgresql://` (a studio's
sessions in PostgreSQL, copied there from the rooms' SQLite files by store.copy).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from ashisense.store.base import SessionStore
from ashisense.store.errors import (
    AnnotationNotFoundError,
    SessionDataError,
    SessionNotFoundError,
    StoreError,
    StoreFullError,
    StoreOpenError,
    StoreWriteError,
)
from ashisense.store.records import (
    AlarmRecord,
    Annotation,
    Batch,
    PressRecord,
    RecorderFault,
    SessionInfo,
    SessionMeta,
    SessionSummary,
)
from ashisense.store.sqlite import SQLiteStore
from ashisense.store.writer import SessionWriter, WriterHealth


def _sqlite(url: str, readonly: bool) -> SessionStore:
    """`sqlite:///abs/path.db` or `sqlite://relative.db`: the same as the bare path."""
    return SQLiteStore(url.removeprefix("sqlite://"), readonly=readonly)


def _postgres(url: str, readonly: bool) -> SessionStore:
    """`postgresql://user@host/db`: credentials from the URL or the PG* environment."""
    from ashisense.store.postgres import PostgresStore  # psycopg only when asked for

    return PostgresStore(url, readonly=readonly)


#: URL scheme -> factory(url, readonly) of a SessionStore.
BACKENDS: dict[str, Callable[[str, bool], SessionStore]] = {
    "sqlite": _sqlite,
    "postgresql": _postgres,
    "postgres": _postgres,
}


def open_store(target: str | Path, *, readonly: bool = False) -> SessionStore:
    """Open a session store: a file path (SQLite) or a `<scheme>://` URL of a known backend."""
    text = str(target)
    match = re.match(r"^([a-z][a-z0-9+.-]*)://", text)
    if match is None:
        return SQLiteStore(text, readonly=readonly)
    scheme = match.group(1)
    if scheme not in BACKENDS:
        raise StoreOpenError(
            f"{text}: no session store for scheme {scheme!r}; known: {sorted(BACKENDS)} "
            "or a file path (SQLite)"
        )
    return BACKENDS[scheme](text, readonly)


__all__ = [
    "BACKENDS",
    "AlarmRecord",
    "Annotation",
    "AnnotationNotFoundError",
    "Batch",
    "PressRecord",
    "RecorderFault",
    "SQLiteStore",
    "SessionDataError",
    "SessionInfo",
    "SessionMeta",
    "SessionNotFoundError",
    "SessionStore",
    "SessionSummary",
    "SessionWriter",
    "StoreError",
    "StoreFullError",
    "StoreOpenError",
    "StoreWriteError",
    "WriterHealth",
    "open_store",
]
