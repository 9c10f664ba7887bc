"""Every session has a UUID, its name in every store it is copied to; a file recorded before
sessions had one (format 1) reads with derived UUIDs, which an upgrade then writes in."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import storekit

from ashisense.store import SQLiteStore
from ashisense.store import sqlite as store_sqlite


def _format1_file(path: Path) -> None:
    """Two sessions in a file as format 1 wrote it: no uuid column, version 1."""
    with SQLiteStore(path) as store:
        store.create_session(storekit.meta(1.7e9))
        store.create_session(storekit.meta(1.7e9 + 3600))
    with sqlite3.connect(path) as conn:
        conn.execute("DROP INDEX sessions_by_uuid")
        conn.execute("ALTER TABLE sessions DROP COLUMN uuid")
        conn.execute("UPDATE store_meta SET value = '1' WHERE key = 'version'")


def _version(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return str(conn.execute("SELECT value FROM store_meta WHERE key = 'version'").fetchone()[0])


def test_new_sessions_get_distinct_random_uuids(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "s.sqlite") as store:
        for _ in range(3):
            store.create_session(storekit.meta())
        names = [info.uuid for info in store.sessions()]
    assert len(set(names)) == 3
    assert all(uuid.UUID(n).version == 4 for n in names)


def test_a_format1_file_reads_with_derived_uuids_and_keeps_them_when_upgraded(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.sqlite"
    _format1_file(path)
    with SQLiteStore(path, readonly=True) as store:
        read_only = [info.uuid for info in store.sessions()]
    assert len(set(read_only)) == 2 and _version(path) == "1"
    with SQLiteStore(path) as store:  # opening for writing upgrades the file
        assert [info.uuid for info in store.sessions()] == read_only
        store.create_session(storekit.meta())
    assert _version(path) == str(store_sqlite.FORMAT_VERSION)  # upgraded all the way
    with sqlite3.connect(path) as conn:
        stored = [u for (u,) in conn.execute("SELECT uuid FROM sessions ORDER BY id")]
    assert stored[:2] == read_only and stored[2] not in read_only
