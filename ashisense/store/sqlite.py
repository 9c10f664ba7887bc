"""SQLite session store: one file, WAL, a transaction per batch, blocks as compressed blobs.

WAL with synchronous=NORMAL: a committed batch survives the process being killed (it is in the
WAL, which the OS holds); only an OS crash or power cut may lose the last commits. Each chunk
row holds up to CHUNK_SAMPLES consecutive samples as codec.pack blobs: while a session is
recorded, each commit extends the newest row (re-encoding it, in the same transaction) until
it is full, so an hour at 80 Hz is about 70 rows, compresses well, and reads back at memory
speed.
"""

from __future__ import annotations

import json
import math
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np

from ashisense.store import records, tables
from ashisense.store.base import SessionStore
from ashisense.store.blocks import append_to_chunks
from ashisense.store.codec import pack
from ashisense.store.derived import DERIVED_COLUMNS, Parts, derived_rows, parts_from_rows
from ashisense.store.errors import (
    AnnotationNotFoundError,
    SessionNotFoundError,
    StoreError,
    StoreFullError,
    StoreOpenError,
    StoreWriteError,
)
from ashisense.store.rows import (
    CHUNK_COLUMNS,
    GRID_COLUMNS,
    META_COLUMNS,
    PRESS_COLUMNS,
    SESSION_COLUMNS,
    chunk_block,
    chunk_values,
    grid_block,
    meta_values,
    nan_if_null,
    press_record,
    press_values,
    session_info,
    summary_from_rows,
    to_json,
)
from firmware_bridge.blocks import DeviceEvent, Gap, GridBlock, SampleBlock

FORMAT = "ashisense-sessions"
#: 2: sessions have a UUID (format 1 files get one when opened for writing).
#: 3: notes have an id and may span a time range; arrays derived from a session (the
#: review's display series) are kept in `derived`.
FORMAT_VERSION = 3
#: Namespace of the UUIDs of sessions recorded in format 1, derived from what the row holds,
#: so a file read as it is and the same file upgraded name its sessions alike.
FORMAT1_NAMESPACE = uuid.UUID("5d8a4c1e-2f0b-4a57-9a3e-6c1f0e7b2d94")
#: Samples per stored row: about 50 s at 80 Hz, 4 s at 1 kHz.
CHUNK_SAMPLES = 4096
BUSY_TIMEOUT_MS = 5_000

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);\n"
    + tables.schema("sqlite")
)

#: Format 2 -> 3: notes get an id (their rowid so far) and an end time for ranges: the table
#: is made as it is now under another name, takes the rows and then the old one's place.
_NOTES_WITH_IDS = (
    tables.create_table(tables.TABLE["annotations"], "sqlite", name="annotations_v3")
    + """
INSERT INTO annotations_v3 (id, session_id, t_s, text, author)
    SELECT rowid, session_id, t_s, text, author FROM annotations ORDER BY rowid;
DROP TABLE annotations;
ALTER TABLE annotations_v3 RENAME TO annotations;
"""
    + tables.create_indexes(tables.TABLE["annotations"], "sqlite")
)

# SQLite's primary result codes (the low byte of an extended code).
SQLITE_READONLY = 8
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
SQLITE_NOTADB = 26


def format1_uuid(session_id: int, started_s: float, rig_path: str) -> str:
    """The UUID of a session recorded before sessions had one (format 1)."""
    return str(uuid.uuid5(FORMAT1_NAMESPACE, f"{session_id}/{started_s!r}/{rig_path}"))


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


def _upgrade(conn: sqlite3.Connection) -> None:
    """Bring an older file to this format (inside the open transaction): a UUID per session
    (format 2); notes with ids and ranges (format 3; SCHEMA made the `derived` table)."""
    if "id" not in _columns(conn, "annotations"):
        for statement in _NOTES_WITH_IDS.split(";"):
            if statement.strip():
                conn.execute(statement)
    if "uuid" not in _columns(conn, "sessions"):
        conn.execute("ALTER TABLE sessions ADD COLUMN uuid TEXT")
    rows = conn.execute("SELECT id, started_s, rig_path FROM sessions WHERE uuid IS NULL")
    conn.executemany(
        "UPDATE sessions SET uuid = ? WHERE id = ?",
        [(format1_uuid(*row), row[0]) for row in rows.fetchall()],
    )
    conn.execute("CREATE UNIQUE INDEX IF NOT EXISTS sessions_by_uuid ON sessions(uuid)")
    conn.execute(f"UPDATE store_meta SET value = '{FORMAT_VERSION}' WHERE key = 'version'")


def _primary_code(err: sqlite3.Error) -> int:
    return int(getattr(err, "sqlite_errorcode", 0)) & 0xFF


class SQLiteStore(SessionStore):
    """Sessions in one SQLite file.

    path: the file (created with its schema if missing, unless readonly). readonly: open with
    SQLite's mode=ro, for listing, export and reports. max_bytes: a size quota for the file
    (SQLite's max_page_count): writes beyond it fail with StoreFullError, as a full disk
    does, which keeps room for the rest of the system. Raises StoreOpenError at once when the
    file cannot be opened as asked (missing, read-only location, not a recording).
    """

    def __init__(
        self, path: str | Path, *, readonly: bool = False, max_bytes: int | None = None
    ) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self._open_chunks: dict[int, tuple[int, SampleBlock]] = {}
        self._conn = self._connect(max_bytes)
        # A format 1 file opened read-only has no UUIDs: derive them as the upgrade would.
        self._uuid_column = "uuid" if "uuid" in _columns(self._conn, "sessions") else "NULL"
        # Older files opened read-only lack newer tables (baselines, presses, derived) and
        # columns: read them as empty.
        self._tables = {name for (name,) in self._conn.execute("SELECT name FROM sqlite_master")}
        self._has_derived = "derived" in self._tables
        notes = _columns(self._conn, "annotations")
        self._note_columns = "t_end_s, id" if "t_end_s" in notes else "NULL, rowid"

    def _connect(self, max_bytes: int | None) -> sqlite3.Connection:
        where = self.path
        if self.readonly and not where.is_file():
            raise StoreOpenError(f"{where}: no such recording file")
        if not self.readonly and not where.parent.is_dir():
            raise StoreOpenError(f"{where}: directory {where.parent} does not exist")
        conn: sqlite3.Connection | None = None
        try:
            if self.readonly:
                return self._open_readonly()
            conn = self._sqlite("")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode != "wal":
                raise StoreOpenError(
                    f"{where}: expected SQLite to use its write-ahead log (journal_mode=wal), "
                    f"got {mode!r}; a recording needs a local file system"
                )
            conn.execute("PRAGMA synchronous = NORMAL")
            if max_bytes is not None:
                page_size = conn.execute("PRAGMA page_size").fetchone()[0]
                conn.execute(f"PRAGMA max_page_count = {max(1, max_bytes // page_size)}")
            self._create_schema(conn)
            return conn
        except sqlite3.Error as err:
            if conn is not None:
                conn.close()
            raise StoreOpenError(self._open_message(err)) from err
        except StoreError:
            if conn is not None:
                conn.close()
            raise

    def _sqlite(self, query: str) -> sqlite3.Connection:
        uri = f"file:{quote(str(self.path.absolute()))}{query}"
        conn = sqlite3.connect(
            uri, uri=True, isolation_level=None, check_same_thread=False, timeout=5.0
        )
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        return conn

    def _open_readonly(self) -> sqlite3.Connection:
        """mode=ro; on read-only media, where SQLite cannot make its -shm file, immutable=1,
        which is safe only when no write-ahead log holds data the file lacks."""
        conn = self._sqlite("?mode=ro")
        try:
            self._check_format(conn)
            return conn
        except sqlite3.OperationalError as err:
            conn.close()
            if _primary_code(err) not in (SQLITE_READONLY, SQLITE_CANTOPEN):
                raise
            wal = self.path.with_name(self.path.name + "-wal")
            if wal.exists() and wal.stat().st_size > 0:
                raise StoreOpenError(
                    f"{self.path}: cannot read it here ({err}): its write-ahead log {wal} holds "
                    "data and SQLite cannot create the -shm file it needs in this read-only "
                    "location; copy the recording with its -wal file somewhere writable"
                ) from err
        conn = self._sqlite("?mode=ro&immutable=1")
        try:
            self._check_format(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _open_message(self, err: sqlite3.Error) -> str:
        name = getattr(err, "sqlite_errorname", "")
        if _primary_code(err) == SQLITE_NOTADB:
            return f"{self.path}: not an AshiSense recording (not an SQLite database)"
        if self.readonly:
            return f"{self.path}: cannot open the recording for reading: {err} ({name})"
        return (
            f"{self.path}: cannot record here: {err} ({name}); SQLite needs to write the file "
            f"and create its -wal and -shm files beside it in {self.path.parent}"
        )

    def _check_format(self, conn: sqlite3.Connection) -> None:
        """Raise StoreOpenError unless this is a recording of a version we read."""
        try:
            rows = dict(conn.execute("SELECT key, value FROM store_meta").fetchall())
        except sqlite3.OperationalError as err:
            if "no such table" not in str(err):
                raise
            raise StoreOpenError(f"{self.path}: not an AshiSense recording ({err})") from err
        if rows.get("format") != FORMAT or int(rows.get("version", "0")) > FORMAT_VERSION:
            raise StoreOpenError(
                f"{self.path}: expected an {FORMAT} file of version <= {FORMAT_VERSION}, "
                f"got {rows.get('format')!r} version {rows.get('version')!r}"
            )

    def _create_schema(self, conn: sqlite3.Connection) -> None:
        try:
            conn.executescript(
                "BEGIN IMMEDIATE;"
                + SCHEMA
                + f"INSERT OR IGNORE INTO store_meta VALUES ('format', '{FORMAT}');"
                + f"INSERT OR IGNORE INTO store_meta VALUES ('version', '{FORMAT_VERSION}');"
            )
            self._check_format(conn)  # before upgrading: a newer file is left as it is
            _upgrade(conn)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        self._check_format(conn)

    # -- writing -------------------------------------------------------------------------

    def _transaction(self, work: Any, *args: Any) -> Any:
        """Run work(cursor, *args) in one IMMEDIATE transaction; translate SQLite errors."""
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            result = work(conn, *args)
            conn.execute("COMMIT")
            return result
        except sqlite3.Error as err:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            name = getattr(err, "sqlite_errorname", "")
            message = f"{self.path}: write failed: {err} ({name})"
            if _primary_code(err) == SQLITE_FULL:
                raise StoreFullError(message) from err
            raise StoreWriteError(message) from err
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def create_session(self, meta: records.SessionMeta) -> int:
        def work(conn: sqlite3.Connection) -> int:
            cur = conn.execute(
                f"INSERT INTO sessions (uuid, {META_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (str(uuid.uuid4()), *meta_values(meta)),
            )
            return int(cur.lastrowid or 0)

        return int(self._transaction(work))

    def write(self, session_id: int, batch: records.Batch) -> None:
        open_chunk = self._transaction(self._write, session_id, batch)
        if open_chunk is not None:  # only once committed: a rolled back batch changes nothing
            self._open_chunks[session_id] = open_chunk

    def _write(
        self, conn: sqlite3.Connection, sid: int, batch: records.Batch
    ) -> tuple[int, SampleBlock] | None:
        row = conn.execute("SELECT channels_json FROM sessions WHERE id = ?", (sid,)).fetchone()
        if row is None:
            raise SessionNotFoundError(f"{self.path}: no session {sid}")
        known = None if row[0] is None else tuple(json.loads(row[0]))
        channels = records.batch_channels(known, batch, f"{self.path}: session {sid}")
        if channels != known:
            conn.execute(
                "UPDATE sessions SET channels_json = ? WHERE id = ?", (to_json(channels), sid)
            )
        if batch.hello is not None:
            conn.execute(
                "UPDATE sessions SET hello_json = ? WHERE id = ?",
                (to_json(batch.hello.to_dict()), sid),
            )
        if batch.calibration is not None:
            conn.execute(
                "UPDATE sessions SET calibration_json = ? WHERE id = ?",
                (to_json(batch.calibration), sid),
            )
        open_chunk = self._write_chunks(conn, sid, batch.blocks)
        conn.executemany(
            "INSERT INTO grids (session_id, t0_s, n, n_rows, n_cols, t_s, seq, frame_values) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    sid,
                    float(g.t_s[0]),
                    len(g),
                    *g.values.shape[1:],
                    pack(g.t_s),
                    pack(g.seq),
                    pack(g.values),
                )
                for g in batch.grids
                if len(g)
            ],
        )
        conn.executemany(
            "INSERT INTO gaps VALUES (?, ?, ?, ?, ?)",
            [(sid, g.t_start_s, g.t_end_s, g.lost, g.reason) for g in batch.gaps],
        )
        conn.executemany(
            "INSERT INTO events VALUES (?, ?, ?, ?)",
            [(sid, e.t_s, e.t_device_s, to_json(e.payload)) for e in batch.events],
        )
        conn.executemany(
            "INSERT INTO alarms VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    sid,
                    a.t_s,
                    a.rule_id,
                    a.priority,
                    a.transition,
                    a.from_state,
                    a.state,
                    a.value,
                    a.limit,
                    a.message,
                )
                for a in batch.alarms
            ],
        )
        conn.executemany(
            "INSERT INTO annotations (session_id, t_s, text, author, t_end_s) "
            "VALUES (?, ?, ?, ?, ?)",
            [(sid, a.t_s, a.text, a.author, a.t_end_s) for a in batch.annotations],
        )
        conn.executemany(
            "INSERT INTO faults VALUES (?, ?, ?, ?, ?)",
            [(sid, f.t_s, f.kind, f.message, f.dropped_samples) for f in batch.faults],
        )
        conn.executemany(
            "INSERT INTO baselines VALUES (?, ?, ?)",
            [(sid, b.t_s, to_json(b.state)) for b in batch.baselines],
        )
        conn.executemany(
            "INSERT INTO presses VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(sid, *press_values(p)) for p in batch.presses],
        )
        if batch.summary is not None:
            conn.execute(
                "UPDATE sessions SET summary_json = ? WHERE id = ?",
                (to_json(batch.summary.to_dict()), sid),
            )
        return open_chunk

    def _write_chunks(
        self, conn: sqlite3.Connection, sid: int, blocks: list[SampleBlock]
    ) -> tuple[int, SampleBlock] | None:
        """Extend the session's open (newest, not full) row with the blocks that continue
        it, then add new rows; returns the open row (id, its samples) afterwards."""
        open_chunk = self._open_chunks.get(sid)
        head = None if open_chunk is None else open_chunk[1]
        extended, new = append_to_chunks(head, blocks, CHUNK_SAMPLES)
        if extended is not None and open_chunk is not None:
            conn.execute(
                "UPDATE chunks SET t1_s = ?, n = ?, t_s = ?, t_device_s = ?, seq = ?, "
                "counts = ?, invalid = ? WHERE id = ?",
                (*chunk_values(extended)[1:], open_chunk[0]),
            )
            open_chunk = (open_chunk[0], extended)
        for block in new:
            cur = conn.execute(
                "INSERT INTO chunks (session_id, t0_s, seq0, t1_s, n, t_s, t_device_s, seq, "
                "counts, invalid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (sid, float(block.t_s[0]), int(block.seq[0]), *chunk_values(block)[1:]),
            )
            open_chunk = (int(cur.lastrowid or 0), block)
        return open_chunk

    def finish_session(
        self, session_id: int, stopped_s: float, summary: records.SessionSummary
    ) -> None:
        def work(conn: sqlite3.Connection) -> None:
            cur = conn.execute(
                "UPDATE sessions SET stopped_s = ?, summary_json = ? WHERE id = ?",
                (stopped_s, to_json(summary.to_dict()), session_id),
            )
            if cur.rowcount != 1:
                raise SessionNotFoundError(f"{self.path}: no session {session_id}")

        self._transaction(work)

    # -- reading -------------------------------------------------------------------------

    def sessions(self) -> list[records.SessionInfo]:
        rows = self._conn.execute(
            f"SELECT {SESSION_COLUMNS}, {self._uuid_column} FROM sessions ORDER BY id"
        )
        return [self._info(row) for row in rows.fetchall()]

    def session(self, session_id: int) -> records.SessionInfo:
        row = self._conn.execute(
            f"SELECT {SESSION_COLUMNS}, {self._uuid_column} FROM sessions WHERE id = ?",
            (session_id,),
        ).fetchone()
        if row is None:
            ids = [r[0] for r in self._conn.execute("SELECT id FROM sessions ORDER BY id")]
            raise SessionNotFoundError(f"{self.path}: no session {session_id}; sessions: {ids}")
        return self._info(row)

    def _info(self, row: tuple[Any, ...]) -> records.SessionInfo:
        sid, started, rig_path, uuid_text = row[0], row[1], row[4], row[-1]
        return session_info(
            row[:-1],
            uuid_text or format1_uuid(sid, started, rig_path),
            lambda sid: summary_from_rows(
                lambda q: self._conn.execute(q, (sid,)).fetchone(), self.alarms(sid)
            ),
            self.baselines(sid),
        )

    def _require(self, session_id: int) -> tuple[str, ...]:
        """The session's channels; raises SessionNotFoundError for an unknown id."""
        return self._readable(session_id)[0]

    def _readable(self, session_id: int) -> tuple[tuple[str, ...], int]:
        """The session's channels and its last chunk's id, read in one statement: a session
        being recorded gains its channels with its first chunk, so a reader takes the chunks
        up to this id and leaves later ones (written meanwhile) to its next read."""
        row = self._conn.execute(
            "SELECT channels_json, (SELECT COALESCE(MAX(id), 0) FROM chunks WHERE session_id = ?)"
            " FROM sessions WHERE id = ?",
            (session_id, session_id),
        ).fetchone()
        if row is None:
            self.session(session_id)  # raises, listing the ids there are
        return (() if row[0] is None else tuple(json.loads(row[0]))), int(row[1])

    def blocks(
        self, session_id: int, t_start_s: float | None = None, t_end_s: float | None = None
    ) -> Iterator[SampleBlock]:
        channels, last = self._readable(session_id)
        rows = self._conn.execute(
            f"SELECT {CHUNK_COLUMNS} FROM chunks "
            "WHERE session_id = ? AND id <= ? AND t1_s >= ? AND t0_s <= ? ORDER BY id",
            (
                session_id,
                last,
                -math.inf if t_start_s is None else t_start_s,
                math.inf if t_end_s is None else t_end_s,
            ),
        )
        return (chunk_block(row, channels) for row in rows)

    def chunks(self, session_id: int, first: int = 0) -> Iterator[SampleBlock]:
        channels, last = self._readable(session_id)
        rows = self._conn.execute(
            f"SELECT {CHUNK_COLUMNS} FROM chunks WHERE session_id = ? AND id <= ? ORDER BY id "
            "LIMIT -1 OFFSET ?",
            (session_id, last, first),
        )
        return (chunk_block(row, channels) for row in rows)

    def chunk_sizes(self, session_id: int) -> list[int]:
        self._require(session_id)
        rows = self._conn.execute(
            "SELECT n FROM chunks WHERE session_id = ? ORDER BY id", (session_id,)
        )
        return [n for (n,) in rows]

    def sample_count(self, session_id: int) -> int:
        """Samples stored for a session (for progress bars)."""
        self._require(session_id)
        return int(
            self._conn.execute(
                "SELECT COALESCE(SUM(n), 0) FROM chunks WHERE session_id = ?", (session_id,)
            ).fetchone()[0]
        )

    def grids(self, session_id: int) -> Iterator[GridBlock]:
        self._require(session_id)
        rows = self._conn.execute(
            f"SELECT {GRID_COLUMNS} FROM grids WHERE session_id = ? ORDER BY id", (session_id,)
        )
        return (grid_block(row) for row in rows)

    def _rows(self, sql: str, session_id: int) -> list[tuple[Any, ...]]:
        self._require(session_id)
        return self._conn.execute(sql, (session_id,)).fetchall()

    def gaps(self, session_id: int) -> list[Gap]:
        rows = self._rows(
            "SELECT t_start_s, t_end_s, lost, reason FROM gaps WHERE session_id = ? "
            "ORDER BY t_start_s, rowid",
            session_id,
        )
        return [Gap(*row) for row in rows]

    def events(self, session_id: int) -> list[DeviceEvent]:
        rows = self._rows(
            "SELECT t_s, t_device_s, payload_json FROM events WHERE session_id = ? "
            "ORDER BY t_s, rowid",
            session_id,
        )
        return [DeviceEvent(t, td, json.loads(p)) for t, td, p in rows]

    def alarms(self, session_id: int) -> list[records.AlarmRecord]:
        rows = self._rows(
            "SELECT t_s, rule_id, priority, transition, from_state, state, value, limit_value, "
            "message FROM alarms WHERE session_id = ? ORDER BY t_s, rowid",
            session_id,
        )
        return [
            records.AlarmRecord(
                t, rule, prio, why, a, b, nan_if_null(value), nan_if_null(limit), msg
            )
            for t, rule, prio, why, a, b, value, limit, msg in rows
        ]

    def annotations(self, session_id: int) -> list[records.Annotation]:
        rows = self._rows(
            f"SELECT t_s, text, author, {self._note_columns} FROM annotations "
            "WHERE session_id = ? ORDER BY t_s, rowid",
            session_id,
        )
        return [records.Annotation(*row) for row in rows]

    def add_annotation(self, session_id: int, note: records.Annotation) -> int:
        def work(conn: sqlite3.Connection) -> int:
            self._require(session_id)
            cur = conn.execute(
                "INSERT INTO annotations (session_id, t_s, text, author, t_end_s) "
                "VALUES (?, ?, ?, ?, ?)",
                (session_id, note.t_s, note.text, note.author, note.t_end_s),
            )
            return int(cur.lastrowid or 0)

        return int(self._transaction(work))

    def update_annotation(self, session_id: int, note: records.Annotation) -> None:
        def work(conn: sqlite3.Connection) -> None:
            cur = conn.execute(
                "UPDATE annotations SET t_s = ?, text = ?, author = ?, t_end_s = ? "
                "WHERE id = ? AND session_id = ?",
                (note.t_s, note.text, note.author, note.t_end_s, note.id, session_id),
            )
            self._one_note(cur.rowcount, session_id, note.id)

        self._transaction(work)

    def delete_annotation(self, session_id: int, note_id: int) -> None:
        def work(conn: sqlite3.Connection) -> None:
            cur = conn.execute(
                "DELETE FROM annotations WHERE id = ? AND session_id = ?", (note_id, session_id)
            )
            self._one_note(cur.rowcount, session_id, note_id)

        self._transaction(work)

    def _one_note(self, rowcount: int, session_id: int, note_id: int | None) -> None:
        if rowcount != 1:
            self._require(session_id)
            raise AnnotationNotFoundError(
                f"{self.path}: session {session_id} has no note {note_id}"
            )

    def put_derived(self, session_id: int, key: str, parts: Parts) -> None:
        def work(conn: sqlite3.Connection) -> None:
            self._require(session_id)
            conn.execute("DELETE FROM derived WHERE session_id = ?", (session_id,))
            conn.executemany(
                f"INSERT INTO derived (session_id, {DERIVED_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(session_id, *row) for row in derived_rows(key, parts)],
            )

        self._transaction(work)

    def derived(
        self, session_id: int, key: str, parts: Sequence[str]
    ) -> dict[str, dict[str, np.ndarray]]:
        self._require(session_id)
        if not self._has_derived or not parts:
            return {}
        marks = ", ".join("?" * len(parts))
        rows = self._conn.execute(
            "SELECT part, name, dtype, shape_json, data FROM derived WHERE session_id = ? "
            f"AND version_key = ? AND part IN ({marks})",
            (session_id, key, *parts),
        )
        return parts_from_rows(rows)

    def faults(self, session_id: int) -> list[records.RecorderFault]:
        rows = self._rows(
            "SELECT t_s, kind, message, dropped_samples FROM faults WHERE session_id = ? "
            "ORDER BY t_s, rowid",
            session_id,
        )
        return [records.RecorderFault(*row) for row in rows]

    def _kept_rows(self, table: str, columns: str, session_id: int) -> list[tuple[Any, ...]]:
        """A session's rows of a table that older files lack (none there), in time order."""
        if table not in self._tables:
            self._require(session_id)
            return []
        return self._rows(
            f"SELECT {columns} FROM {table} WHERE session_id = ? ORDER BY t_s, rowid", session_id
        )

    def baselines(self, session_id: int) -> list[records.BaselineRecord]:
        rows = self._kept_rows("baselines", "t_s, state_json", session_id)
        return [records.BaselineRecord(t_s, json.loads(state)) for t_s, state in rows]

    def presses(self, session_id: int) -> list[records.PressRecord]:
        rows = self._kept_rows("presses", PRESS_COLUMNS, session_id)
        return [press_record(row) for row in rows]

    def integrity_check(self) -> str:
        """SQLite's own check of the file: "ok", or what is damaged."""
        rows = self._conn.execute("PRAGMA integrity_check").fetchall()
        return "\n".join(str(r[0]) for r in rows)

    def __str__(self) -> str:
        return str(self.path)

    def close(self) -> None:
        self._conn.close()
