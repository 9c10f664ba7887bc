"""PostgreSQL session store: the SessionStore interface over psycopg 3, for a studio's sessions.

The layout mirrors the SQLite store (store/rows.py); the tables are described once for both
(store/tables.py) and built by versioned migrations applied at start (store/pgschema.py).
Sample chunks and grid frames go in through COPY (binary) into a staging table, then an upsert
keyed on (session, chunk number), so a chunk written again replaces itself. Rows copied from
another store carry a key (content and occurrence), so a copy run again adds nothing
(store/copy.py). Credentials come from the URL or the PG* environment variables and never
appear in a message: str(store) and every error name the user, host, port and database only.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import psycopg
from psycopg import conninfo, errors

from ashisense.store import pgschema, records
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
    StoreUnavailableError,
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
    press_record,
    press_values,
    session_info,
    summary_from_rows,
    to_json,
)
from ashisense.store.sqlite import CHUNK_SAMPLES
from firmware_bridge.blocks import DeviceEvent, Gap, GridBlock, SampleBlock

#: Seconds to wait for the server when the URL does not say (libpq would wait for ever).
CONNECT_TIMEOUT_S = 10
#: Chunks read per query (a page), so a long session streams instead of loading whole.
READ_PAGE_CHUNKS = 64

_CHUNK_COPY = ("session_id, chunk_seq, seq0, t0_s, t1_s, n, t_s, t_device_s, seq, counts, invalid",
               ["int8", "int4", "int8", "float8", "float8", "int4"] + ["bytea"] * 5)  # fmt: skip
_GRID_COPY = ("session_id, grid_seq, t0_s, n, n_rows, n_cols, t_s, seq, frame_values",
              ["int8", "int4", "float8", "int4", "int4", "int4"] + ["bytea"] * 3)  # fmt: skip


@dataclass(frozen=True)
class SideTable:
    """A table of a session's rare records (gaps, alarms, ...): its value columns, the time
    column it is read back in order of, and the record <-> row conversions. The name is the
    Batch field and the SessionStore method of the same records."""

    name: str
    columns: str
    time_column: str
    values: Callable[[Any], tuple[Any, ...]]
    record: Callable[[tuple[Any, ...]], Any]


SIDE_TABLES = (
    SideTable("gaps", "t_start_s, t_end_s, lost, reason", "t_start_s",
              lambda g: (g.t_start_s, g.t_end_s, g.lost, g.reason), lambda r: Gap(*r)),
    SideTable("events", "t_s, t_device_s, payload_json", "t_s",
              lambda e: (e.t_s, e.t_device_s, to_json(e.payload)),
              lambda r: DeviceEvent(r[0], r[1], json.loads(r[2]))),
    SideTable("alarms", "t_s, rule_id, priority, transition, from_state, state, value, "
              "limit_value, message", "t_s",
              lambda a: (a.t_s, a.rule_id, a.priority, a.transition, a.from_state, a.state,
                         a.value, a.limit, a.message),
              lambda r: records.AlarmRecord(*r)),
    SideTable("annotations", "t_s, text, author, t_end_s", "t_s",
              lambda a: (a.t_s, a.text, a.author, a.t_end_s), lambda r: records.Annotation(*r)),
    SideTable("faults", "t_s, kind, message, dropped_samples", "t_s",
              lambda f: (f.t_s, f.kind, f.message, f.dropped_samples),
              lambda r: records.RecorderFault(*r)),
    SideTable("baselines", "t_s, state_json", "t_s",
              lambda b: (b.t_s, to_json(b.state)),
              lambda r: records.BaselineRecord(r[0], json.loads(r[1]))),
    SideTable("presses", PRESS_COLUMNS, "t_s", press_values, press_record),
)  # fmt: skip
SIDE = {t.name: t for t in SIDE_TABLES}


def row_keys(values: Sequence[tuple[Any, ...]]) -> list[str]:
    """Keys of copied rows: the content's hash and its occurrence among equal rows, so the
    same rows copied again match, and two equal rows stay two. Trailing None values (columns
    added later, unset) are left out of the hash: rows copied before a column existed keep
    their keys."""
    seen: dict[str, int] = {}
    keys = []
    for row in values:
        end = len(row)
        while end and row[end - 1] is None:
            end -= 1
        digest = hashlib.sha256(repr(tuple(row[:end])).encode()).hexdigest()[:32]
        seen[digest] = seen.get(digest, -1) + 1
        keys.append(f"{digest}/{seen[digest]}")
    return keys


def _where(params: dict[str, Any]) -> str:
    """postgresql://user@host:port/dbname as far as known, never with the password."""

    def part(key: str, env: str) -> str:
        return str(params.get(key) or os.environ.get(env, ""))

    user, host, port = part("user", "PGUSER"), part("host", "PGHOST"), part("port", "PGPORT")
    login = f"{user}@" if user else ""
    return f"postgresql://{login}{host}{':' + port if port else ''}/{part('dbname', 'PGDATABASE')}"


class PostgresStore(SessionStore):
    """Sessions in a PostgreSQL database.

    url: `postgresql://[user[:password]@][host][:port][/dbname][?...]`; what it leaves out
    comes from the PG* environment variables (PGPASSWORD, PGHOST, ...), as libpq does.
    readonly: read-only transactions, and no schema changes (StoreOpenError if the schema is
    missing or older). Otherwise the migrations the database lacks are applied at once.
    A broken connection raises StoreUnavailableError; the next call connects again.
    """

    def __init__(self, url: str, *, readonly: bool = False) -> None:
        self.readonly = readonly
        self._secrets = [s for s in (os.environ.get("PGPASSWORD"),) if s]
        try:
            self._params = conninfo.conninfo_to_dict(url)
        except psycopg.Error as err:
            raise StoreOpenError(
                f"{url.split('@')[-1]}: not a PostgreSQL URL: {self._redact(err)}"
            ) from None
        if self._params.get("password"):
            self._secrets.append(str(self._params["password"]))
        self._params.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
        self._where = _where(self._params)
        self._conn: psycopg.Connection[Any] | None = None
        self._open_chunks: dict[int, tuple[int, SampleBlock]] = {}
        try:
            conn = self._connection()
            if readonly:
                pgschema.check(conn, self._where)
            else:
                pgschema.migrate(conn, self._where)
        except psycopg.Error as err:
            self.close()
            message = f"{self}: cannot open the session store: {self._redact(err)}"
            raise StoreOpenError(message) from None
        except StoreError:
            self.close()
            raise

    def _redact(self, err: BaseException) -> str:
        text = str(err).strip()
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _connection(self) -> psycopg.Connection[Any]:
        """The open connection, or a new one when there is none or it broke."""
        if self._conn is None or self._conn.closed:
            params = dict(self._params)
            if self.readonly:
                params["options"] = "-c default_transaction_read_only=on"
            self._conn = psycopg.connect(conninfo.make_conninfo("", **params), autocommit=True)
        return self._conn

    @contextlib.contextmanager
    def _translated(self, what: str, writing: bool) -> Iterator[None]:
        """Translate psycopg's errors into the store's, naming the database, not the password;
        forget a broken connection so that the next call connects again."""
        try:
            yield
        except psycopg.Error as err:
            if self._conn is not None and self._conn.broken:
                self._conn.close()
            message = f"{self}: {what} failed: {self._redact(err)}"
            if isinstance(err, errors.DiskFull):
                raise StoreFullError(message) from None
            if isinstance(err, psycopg.OperationalError):
                raise StoreUnavailableError(message) from None
            if writing:
                raise StoreWriteError(message) from None
            raise

    def _once_more(self, err: psycopg.OperationalError) -> psycopg.Connection[Any]:
        """A new connection in place of one found dead before any work (the server restarted,
        or ended it while idle); re-raises `err` if the connection is not the problem."""
        if self._conn is None or not self._conn.broken:
            raise err
        self._conn.close()
        return self._connection()

    @contextlib.contextmanager
    def transaction(self, what: str) -> Iterator[psycopg.Connection[Any]]:
        """A connection inside one transaction: all of it is written, or nothing."""
        with self._translated(what, writing=True), contextlib.ExitStack() as stack:
            conn = self._connection()
            try:
                stack.enter_context(conn.transaction())  # BEGIN: nothing done yet
            except psycopg.OperationalError as err:
                conn = self._once_more(err)
                stack.enter_context(conn.transaction())
            yield conn

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._translated("read", writing=False):
            try:
                return self._connection().execute(sql, params, binary=True).fetchall()
            except psycopg.OperationalError as err:
                return self._once_more(err).execute(sql, params, binary=True).fetchall()

    # -- writing -------------------------------------------------------------------------

    def create_session(self, meta: records.SessionMeta) -> int:
        with self.transaction("create session") as conn:
            row = conn.execute(
                f"INSERT INTO sessions (uuid, {META_COLUMNS}) VALUES (gen_random_uuid(), "
                "%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                meta_values(meta),
            ).fetchone()
        assert row is not None
        return int(row[0])

    def put_session(self, info: records.SessionInfo) -> int:
        """The session copied from another store, found or added by its UUID (everything but
        its stop time and summary, which set_stopped writes once its rows are in); its id."""
        with self.transaction("copy session") as conn:
            row = conn.execute(
                f"INSERT INTO sessions (uuid, {META_COLUMNS}, hello_json, channels_json) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (uuid) DO UPDATE SET calibration_json = EXCLUDED.calibration_json, "
                "hello_json = EXCLUDED.hello_json, channels_json = EXCLUDED.channels_json "
                "RETURNING id",
                (
                    info.uuid,
                    *meta_values(info.meta),
                    None if info.hello is None else to_json(info.hello),
                    to_json(list(info.channels)) if info.channels else None,
                ),
            ).fetchone()
        assert row is not None
        return int(row[0])

    def set_stopped(
        self, session_id: int, stopped_s: float | None, summary: records.SessionSummary
    ) -> None:
        """Write a session's stop time (None: it has not stopped) and summary."""
        with self.transaction("finish session") as conn:
            cur = conn.execute(
                "UPDATE sessions SET stopped_s = %s, summary_json = %s WHERE id = %s",
                (stopped_s, to_json(summary.to_dict()), session_id),
            )
            if cur.rowcount != 1:
                raise SessionNotFoundError(f"{self}: no session {session_id}")

    def finish_session(
        self, session_id: int, stopped_s: float, summary: records.SessionSummary
    ) -> None:
        self.set_stopped(session_id, stopped_s, summary)

    def write(self, session_id: int, batch: records.Batch) -> None:
        with self.transaction("write") as conn:
            open_chunk = self._write(conn, session_id, batch)
        if open_chunk is not None:  # only once committed: a rolled back batch changes nothing
            self._open_chunks[session_id] = open_chunk

    def _write(
        self, conn: psycopg.Connection[Any], sid: int, batch: records.Batch
    ) -> tuple[int, SampleBlock] | None:
        row = conn.execute(
            "SELECT channels_json FROM sessions WHERE id = %s FOR UPDATE", (sid,)
        ).fetchone()
        if row is None:
            raise SessionNotFoundError(f"{self}: no session {sid}")
        known = None if row[0] is None else tuple(json.loads(row[0]))
        channels = records.batch_channels(known, batch, f"{self}: session {sid}")
        updates: dict[str, Any] = {"channels_json": to_json(channels) if channels else row[0]}
        if batch.hello is not None:
            updates["hello_json"] = to_json(batch.hello.to_dict())
        if batch.calibration is not None:
            updates["calibration_json"] = to_json(batch.calibration)
        if batch.summary is not None:
            updates["summary_json"] = to_json(batch.summary.to_dict())
        conn.execute(
            f"UPDATE sessions SET {', '.join(f'{k} = %s' for k in updates)} WHERE id = %s",
            (*updates.values(), sid),
        )
        numbered = self._number_chunks(conn, sid, batch.blocks)
        self._copy_chunks(conn, sid, numbered)
        if batch.grids:
            first = self._count(conn, "grids", sid)
            self._copy_grids(conn, sid, list(enumerate(batch.grids, first)))
        for table in SIDE_TABLES:
            side_rows = getattr(batch, table.name)
            if side_rows:
                self._insert_rows(conn, sid, table, [table.values(r) for r in side_rows], None)
        return numbered[-1] if numbered else self._open_chunks.get(sid)

    def _number_chunks(
        self, conn: psycopg.Connection[Any], sid: int, blocks: list[SampleBlock]
    ) -> list[tuple[int, SampleBlock]]:
        """The chunks these blocks make, numbered: the open one extended, then new ones."""
        open_chunk = self._open_chunks.get(sid)
        extended, new = append_to_chunks(
            None if open_chunk is None else open_chunk[1], blocks, CHUNK_SAMPLES
        )
        numbered = []
        if extended is not None and open_chunk is not None:
            numbered.append((open_chunk[0], extended))
        if new:
            row = conn.execute(
                "SELECT COALESCE(MAX(chunk_seq) + 1, 0) FROM chunks WHERE session_id = %s", (sid,)
            ).fetchone()
            assert row is not None
            numbered += enumerate(new, int(row[0]))
        return numbered

    def put_chunks(self, session_id: int, numbered: list[tuple[int, SampleBlock]]) -> None:
        """Write chunks under their numbers (one transaction), replacing those already there."""
        with self.transaction("copy chunks") as conn:
            self._copy_chunks(conn, session_id, numbered)

    def put_grids(self, session_id: int, numbered: list[tuple[int, GridBlock]]) -> None:
        """Write grid frames under their numbers (one transaction); those there stay."""
        with self.transaction("copy grids") as conn:
            self._copy_grids(conn, session_id, numbered)

    def put_rows(self, session_id: int, table: SideTable, side_rows: Sequence[Any]) -> int:
        """Add copied records to a side table (one transaction), keyed by row_keys so that
        those already there are left out; returns how many were new."""
        values = [table.values(r) for r in side_rows]
        with self.transaction(f"copy {table.name}") as conn:
            return self._insert_rows(conn, session_id, table, values, row_keys(values))

    def _insert_rows(
        self,
        conn: psycopg.Connection[Any],
        sid: int,
        table: SideTable,
        values: list[tuple[Any, ...]],
        keys: list[str] | None,
    ) -> int:
        marks = ", ".join(["%s"] * (table.columns.count(",") + 3))
        with conn.cursor() as cur:
            cur.executemany(
                f"INSERT INTO {table.name} (session_id, row_key, {table.columns}) "
                f"VALUES ({marks}) ON CONFLICT (session_id, row_key) DO NOTHING",
                [(sid, None if keys is None else keys[i], *v) for i, v in enumerate(values)],
                returning=False,
            )
            return max(cur.rowcount, 0)

    def _copy_in(
        self,
        conn: psycopg.Connection[Any],
        table: str,
        layout: tuple[str, list[str]],
        rows: list[tuple[Any, ...]],
        on_conflict: str,
    ) -> None:
        """COPY rows into a staging table like `table`, then insert them with on_conflict."""
        if not rows:
            return
        columns, types = layout
        staging = f"{table}_staging"
        conn.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {staging} (LIKE {table}) ON COMMIT DELETE ROWS"
        )
        with conn.cursor().copy(f"COPY {staging} ({columns}) FROM STDIN (FORMAT BINARY)") as cp:
            cp.set_types(types)
            for row in rows:
                cp.write_row(row)
        conn.execute(f"INSERT INTO {table} SELECT * FROM {staging} {on_conflict}")

    def _copy_chunks(
        self, conn: psycopg.Connection[Any], sid: int, numbered: list[tuple[int, SampleBlock]]
    ) -> None:
        rows = [(sid, k, int(b.seq[0]), *chunk_values(b)) for k, b in numbered]
        replace = ", ".join(
            f"{c} = EXCLUDED.{c}"
            for c in ("seq0", "t0_s", "t1_s", "n", "t_s", "t_device_s", "seq", "counts", "invalid")
        )
        self._copy_in(
            conn,
            "chunks",
            _CHUNK_COPY,
            rows,
            f"ON CONFLICT (session_id, chunk_seq) DO UPDATE SET {replace}",
        )

    def _copy_grids(
        self, conn: psycopg.Connection[Any], sid: int, numbered: list[tuple[int, GridBlock]]
    ) -> None:
        rows = [
            (sid, k, float(g.t_s[0]), len(g), *g.values.shape[1:],
             pack(g.t_s), pack(g.seq), pack(g.values))
            for k, g in numbered
            if len(g)
        ]  # fmt: skip
        self._copy_in(conn, "grids", _GRID_COPY, rows, "ON CONFLICT DO NOTHING")

    @staticmethod
    def _count(conn: psycopg.Connection[Any], table: str, sid: int) -> int:
        row = conn.execute(f"SELECT COUNT(*) FROM {table} WHERE session_id = %s", (sid,))
        return int(row.fetchone()[0])  # type: ignore[index]

    def copied_counts(self, session_id: int) -> dict[str, int]:
        """Rows copied into each side table, and grid frames blocks ("grids"), of a session."""
        selects = [
            f"(SELECT COUNT(*) FROM {t.name} WHERE session_id = %s AND row_key IS NOT NULL)"
            for t in SIDE_TABLES
        ]
        selects.append("(SELECT COUNT(*) FROM grids WHERE session_id = %s)")
        (row,) = self._query(f"SELECT {', '.join(selects)}", [session_id] * len(selects))
        names = [t.name for t in SIDE_TABLES] + ["grids"]
        return dict(zip(names, map(int, row), strict=True))

    # -- reading -------------------------------------------------------------------------

    def sessions(self) -> list[records.SessionInfo]:
        rows = self._query(
            f"SELECT {SESSION_COLUMNS}, uuid::text FROM sessions ORDER BY started_s, id"
        )
        return [self._info(row) for row in rows]

    def session(self, session_id: int) -> records.SessionInfo:
        rows = self._query(
            f"SELECT {SESSION_COLUMNS}, uuid::text FROM sessions WHERE id = %s", (session_id,)
        )
        if not rows:
            ids = [r[0] for r in self._query("SELECT id FROM sessions ORDER BY id")]
            raise SessionNotFoundError(f"{self}: no session {session_id}; sessions: {ids}")
        return self._info(rows[0])

    def session_id(self, uuid: str) -> int | None:
        """The id of the session with this UUID here, None if there is none."""
        rows = self._query("SELECT id FROM sessions WHERE uuid = %s", (uuid,))
        return int(rows[0][0]) if rows else None

    def _info(self, row: tuple[Any, ...]) -> records.SessionInfo:
        def one(query: str) -> tuple[Any, ...]:
            return self._query(query.replace("?", "%s"), (row[0],))[0]

        return session_info(
            row[:-1],
            row[-1],
            lambda sid: summary_from_rows(one, self.alarms(sid)),
            self.baselines(row[0]),
        )

    def _require(self, session_id: int) -> tuple[str, ...]:
        """The session's channels; raises SessionNotFoundError for an unknown id."""
        return self._readable(session_id)[0]

    def _readable(self, session_id: int) -> tuple[tuple[str, ...], int]:
        """The session's channels and its last chunk's number, read in one statement: a
        session being copied gains its channels with its first chunk, so a reader takes the
        chunks up to this number and leaves later ones to its next read."""
        rows = self._query(
            "SELECT channels_json, (SELECT COALESCE(MAX(chunk_seq), -1) FROM chunks "
            "WHERE session_id = %s) FROM sessions WHERE id = %s",
            (session_id, session_id),
        )
        if not rows:
            self.session(session_id)  # raises, listing the ids there are
        channels_json, last = rows[0]
        return (() if channels_json is None else tuple(json.loads(channels_json))), int(last)

    def _chunk_pages(
        self, session_id: int, first: int, t_start_s: float, t_end_s: float
    ) -> Iterator[SampleBlock]:
        channels, last = self._readable(session_id)
        while True:
            rows = self._query(
                f"SELECT chunk_seq, {CHUNK_COLUMNS} FROM chunks WHERE session_id = %s "
                "AND chunk_seq BETWEEN %s AND %s AND t1_s >= %s AND t0_s <= %s "
                "ORDER BY chunk_seq LIMIT %s",
                (session_id, first, last, t_start_s, t_end_s, READ_PAGE_CHUNKS),
            )
            for row in rows:
                yield chunk_block(row[1:], channels)
            if len(rows) < READ_PAGE_CHUNKS:
                return
            first = rows[-1][0] + 1

    def blocks(
        self, session_id: int, t_start_s: float | None = None, t_end_s: float | None = None
    ) -> Iterator[SampleBlock]:
        start = -math.inf if t_start_s is None else t_start_s
        end = math.inf if t_end_s is None else t_end_s
        return self._chunk_pages(session_id, 0, start, end)

    def chunks(self, session_id: int, first: int = 0) -> Iterator[SampleBlock]:
        return self._chunk_pages(session_id, first, -math.inf, math.inf)

    def chunk_sizes(self, session_id: int) -> list[int]:
        self._require(session_id)
        rows = self._query(
            "SELECT n FROM chunks WHERE session_id = %s ORDER BY chunk_seq", (session_id,)
        )
        return [int(n) for (n,) in rows]

    def sample_count(self, session_id: int) -> int:
        self._require(session_id)
        rows = self._query(
            "SELECT COALESCE(SUM(n), 0) FROM chunks WHERE session_id = %s", (session_id,)
        )
        return int(rows[0][0])

    def grids(self, session_id: int) -> Iterator[GridBlock]:
        self._require(session_id)
        rows = self._query(
            f"SELECT {GRID_COLUMNS} FROM grids WHERE session_id = %s ORDER BY grid_seq",
            (session_id,),
        )
        return (grid_block(row) for row in rows)

    def _side(self, session_id: int, table: SideTable) -> list[Any]:
        self._require(session_id)
        rows = self._query(
            f"SELECT {table.columns} FROM {table.name} WHERE session_id = %s "
            f"ORDER BY {table.time_column}, id",
            (session_id,),
        )
        return [table.record(row) for row in rows]

    def gaps(self, session_id: int) -> list[Gap]:
        return self._side(session_id, SIDE["gaps"])

    def events(self, session_id: int) -> list[DeviceEvent]:
        return self._side(session_id, SIDE["events"])

    def alarms(self, session_id: int) -> list[records.AlarmRecord]:
        return self._side(session_id, SIDE["alarms"])

    def annotations(self, session_id: int) -> list[records.Annotation]:
        self._require(session_id)
        rows = self._query(
            f"SELECT {SIDE['annotations'].columns}, id FROM annotations WHERE session_id = %s "
            "ORDER BY t_s, id",
            (session_id,),
        )
        return [records.Annotation(*row) for row in rows]

    def add_annotation(self, session_id: int, note: records.Annotation) -> int:
        with self.transaction("add note") as conn:
            self._lock_session(conn, session_id)
            row = conn.execute(
                "INSERT INTO annotations (session_id, t_s, text, author, t_end_s) "
                "VALUES (%s, %s, %s, %s, %s) RETURNING id",
                (session_id, note.t_s, note.text, note.author, note.t_end_s),
            ).fetchone()
        assert row is not None
        return int(row[0])

    def update_annotation(self, session_id: int, note: records.Annotation) -> None:
        with self.transaction("edit note") as conn:
            cur = conn.execute(
                "UPDATE annotations SET t_s = %s, text = %s, author = %s, t_end_s = %s "
                "WHERE id = %s AND session_id = %s",
                (note.t_s, note.text, note.author, note.t_end_s, note.id, session_id),
            )
            self._one_note(cur.rowcount, session_id, note.id)

    def delete_annotation(self, session_id: int, note_id: int) -> None:
        with self.transaction("delete note") as conn:
            cur = conn.execute(
                "DELETE FROM annotations WHERE id = %s AND session_id = %s", (note_id, session_id)
            )
            self._one_note(cur.rowcount, session_id, note_id)

    def _one_note(self, rowcount: int, session_id: int, note_id: int | None) -> None:
        if rowcount != 1:
            self._require(session_id)
            raise AnnotationNotFoundError(f"{self}: session {session_id} has no note {note_id}")

    def _lock_session(self, conn: psycopg.Connection[Any], session_id: int) -> None:
        row = conn.execute("SELECT id FROM sessions WHERE id = %s FOR UPDATE", (session_id,))
        if row.fetchone() is None:
            raise SessionNotFoundError(f"{self}: no session {session_id}")

    def put_derived(self, session_id: int, key: str, parts: Parts) -> None:
        with self.transaction("keep derived series") as conn:
            self._lock_session(conn, session_id)
            conn.execute("DELETE FROM derived WHERE session_id = %s", (session_id,))
            with conn.cursor() as cur:
                cur.executemany(
                    f"INSERT INTO derived (session_id, {DERIVED_COLUMNS}) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    [(session_id, *row) for row in derived_rows(key, parts)],
                )

    def derived(
        self, session_id: int, key: str, parts: Sequence[str]
    ) -> dict[str, dict[str, np.ndarray]]:
        self._require(session_id)
        rows = self._query(
            "SELECT part, name, dtype, shape_json, data FROM derived WHERE session_id = %s "
            "AND version_key = %s AND part = ANY(%s)",
            (session_id, key, list(parts)),
        )
        return parts_from_rows(rows)

    def faults(self, session_id: int) -> list[records.RecorderFault]:
        return self._side(session_id, SIDE["faults"])

    def baselines(self, session_id: int) -> list[records.BaselineRecord]:
        return self._side(session_id, SIDE["baselines"])

    def presses(self, session_id: int) -> list[records.PressRecord]:
        return self._side(session_id, SIDE["presses"])

    def __str__(self) -> str:
        return self._where

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
