"""The tables a session is stored in, described once for both databases.

SQLite (store/sqlite.py) creates every table as it is now, at each opening; PostgreSQL
(store/pgschema.py) builds them in versioned migrations: a table or column says the migration
that brought it (`since`). So a change to the layout is a new column or table with a new
`since`, never an edit of one a database may already hold. The two layouts differ only where
the stores do: PostgreSQL numbers chunks within their session (a copy replaces a chunk by its
number) and keys copied rows (a copy run again adds nothing); SQLite keeps rowids.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Dialect = Literal["sqlite", "postgresql"]

#: A column's kind -> its type (with constraints) in (SQLite, PostgreSQL).
TYPES = {
    "id": ("INTEGER PRIMARY KEY", "BIGSERIAL PRIMARY KEY"),
    "session": (
        "INTEGER NOT NULL REFERENCES sessions (id)",
        "BIGINT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE",
    ),
    # SQLite files of format 1 had none (sqlite._upgrade adds them, and their unique index).
    "uuid": ("TEXT", "UUID NOT NULL UNIQUE"),
    "int": ("INTEGER NOT NULL", "INTEGER NOT NULL"),
    "int64": ("INTEGER NOT NULL", "BIGINT NOT NULL"),
    "float": ("REAL NOT NULL", "DOUBLE PRECISION NOT NULL"),
    "float?": ("REAL", "DOUBLE PRECISION"),
    # NaN for unknown: PostgreSQL keeps NaN, SQLite stores it as NULL.
    "nan": ("REAL", "DOUBLE PRECISION NOT NULL"),
    "text": ("TEXT NOT NULL", "TEXT NOT NULL"),
    "text?": ("TEXT", "TEXT"),
    "blob": ("BLOB NOT NULL", "BYTEA NOT NULL"),
}


@dataclass(frozen=True)
class Column:
    """A column: its kind (a key of TYPES), the migration that added it, and the one
    database that has it, if only one does."""

    name: str
    kind: str
    since: int = 1
    only: Dialect | None = None


@dataclass(frozen=True)
class Index:
    """An index over some columns ("session_id, t_s"), made with its table."""

    name: str
    columns: str
    only: Dialect | None = None


@dataclass(frozen=True)
class Table:
    """A table: columns, table constraints (text, database), indexes, its migration."""

    name: str
    columns: tuple[Column, ...]
    constraints: tuple[tuple[str, Dialect | None], ...] = ()
    indexes: tuple[Index, ...] = ()
    since: int = 1


def columns(spec: str) -> tuple[Column, ...]:
    """Columns from "name kind, name kind, ...", all there from the table's first migration."""
    pairs = (item.split() for item in spec.split(","))
    return tuple(Column(name, kind) for name, kind in pairs)


SESSION_ID = Column("session_id", "session")


def numbered(name: str, number: str, order_by: str, spec: str) -> Table:
    """A table of a session's sample blocks, in order: rowids in SQLite, numbered within the
    session in PostgreSQL, where a copy replaces a block by its number."""
    return Table(
        name,
        (
            Column("id", "id", only="sqlite"),
            SESSION_ID,
            Column(number, "int", only="postgresql"),
            *columns(spec),
        ),
        constraints=((f"PRIMARY KEY (session_id, {number})", "postgresql"),),
        indexes=(Index(f"{name}_by_session", f"session_id, {order_by}", only="sqlite"),),
    )


def copied(
    name: str,
    spec: str,
    *,
    order_by: str = "t_s",
    since: int = 1,
    edited: bool = False,
    later: tuple[Column, ...] = (),
    more_indexes: tuple[Index, ...] = (),
) -> Table:
    """A table of a session's records, read back in time order (order_by). In PostgreSQL
    every row has an id and, when copied from another store, a key (its content's hash and
    occurrence among equal rows; NULL for a row written there, a note added at the desk). In
    SQLite only rows edited by id (edited=True) have one. later: columns added since."""
    return Table(
        name,
        (
            Column("id", "id", only=None if edited else "postgresql"),
            SESSION_ID,
            Column("row_key", "text?", only="postgresql"),
            *columns(spec),
            *later,
        ),
        constraints=(("UNIQUE (session_id, row_key)", "postgresql"),),
        indexes=(Index(f"{name}_by_session", f"session_id, {order_by}"), *more_indexes),
        since=since,
    )


# JSON is kept as text: it may hold NaN, which PostgreSQL's jsonb refuses. Sample chunks and
# grid frames are codec.pack blobs.
TABLES = (
    Table(
        "sessions",
        (
            Column("id", "id"),
            Column("uuid", "uuid"),
            *columns(
                "started_s float, stopped_s float?, label text, rig_path text, rig_text text, "
                "calibration_json text, client_json text, therapist_json text, rules_text text, "
                "contraindications_text text, hello_json text?, channels_json text?, "
                "summary_json text?"
            ),
        ),
        indexes=(Index("sessions_by_start", "started_s", only="postgresql"),),
    ),
    numbered(
        "chunks",
        "chunk_seq",
        "t1_s",
        "t0_s float, t1_s float, seq0 int64, n int, t_s blob, t_device_s blob, seq blob, "
        "counts blob, invalid blob",
    ),
    numbered(
        "grids",
        "grid_seq",
        "t0_s",
        "t0_s float, n int, n_rows int, n_cols int, t_s blob, seq blob, frame_values blob",
    ),
    copied("gaps", "t_start_s float, t_end_s float, lost int64, reason text", order_by="t_start_s"),
    copied("events", "t_s float, t_device_s float, payload_json text"),
    copied(
        "alarms",
        "t_s float, rule_id text, priority text, transition text, from_state text, state text, "
        "value nan, limit_value nan, message text",
    ),
    # Notes may span a time range (t_end_s: NULL for a note at one moment).
    copied(
        "annotations",
        "t_s float, text text, author text",
        edited=True,
        later=(Column("t_end_s", "float?", since=2),),
    ),
    copied("faults", "t_s float, kind text, message text, dropped_samples int64"),
    copied("baselines", "t_s float, state_json text"),
    # Arrays derived from a session (the review's display series), one row per array, under
    # a version key naming what they were derived with; a new key replaces every row.
    Table(
        "derived",
        (
            SESSION_ID,
            *columns(
                "part text, name text, version_key text, dtype text, shape_json text, data blob"
            ),
        ),
        constraints=(("PRIMARY KEY (session_id, part, name)", None),),
        since=2,
    ),
    # The client's presses with the feet force, region and pressure at that moment, and the
    # feet force 2 s later (docs/client.md).
    copied(
        "presses",
        "t_s float, button text, source text, feet_n nan, region text, pressure_kpa nan, "
        "pressure_basis text, feet_after_n nan",
        since=3,
        more_indexes=(Index("presses_by_button", "button, session_id", only="postgresql"),),
    ),
)
TABLE = {t.name: t for t in TABLES}


def _type(kind: str, dialect: Dialect) -> str:
    return TYPES[kind][dialect == "postgresql"]


def _mine(only: Dialect | None, dialect: Dialect) -> bool:
    return only in (None, dialect)


def create_table(
    table: Table, dialect: Dialect, *, version: int | None = None, name: str | None = None
) -> str:
    """CREATE TABLE (SQLite: IF NOT EXISTS); version: as the table
    was after that PostgreSQL migration (None: now); name: another name than its own."""
    kept = [c for c in table.columns if _mine(c.only, dialect)]
    if version is not None:
        kept = [c for c in kept if c.since <= version]
    lines = [f"{c.name} {_type(c.kind, dialect)}" for c in kept]
    lines += [text for text, only in table.constraints if _mine(only, dialect)]
    body = ",\n    ".join(lines)
    exists = "IF NOT EXISTS " if dialect == "sqlite" else ""
    return f"CREATE TABLE {exists}{name or table.name} (\n    {body}\n);\n"


def create_indexes(table: Table, dialect: Dialect) -> str:
    """CREATE INDEX (SQLite: IF NOT EXISTS) of each of the table's indexes."""
    exists = "IF NOT EXISTS " if dialect == "sqlite" else ""
    return "".join(
        f"CREATE INDEX {exists}{i.name} ON {table.name} ({i.columns});\n"
        for i in table.indexes
        if _mine(i.only, dialect)
    )


def schema(dialect: Dialect) -> str:
    """Every table as it is now, with its indexes."""
    return "".join(create_table(t, dialect) + create_indexes(t, dialect) for t in TABLES)


def migration(version: int) -> str:
    """What PostgreSQL migration `version` does: the tables it brings, the columns it adds to
    older ones."""
    statements = []
    for table in TABLES:
        if table.since == version:
            statements.append(create_table(table, "postgresql", version=version))
            statements.append(create_indexes(table, "postgresql"))
        elif table.since < version:
            statements += [
                f"ALTER TABLE {table.name} ADD COLUMN {c.name} {_type(c.kind, 'postgresql')};\n"
                for c in table.columns
                if c.since == version and _mine(c.only, "postgresql")
            ]
    return "".join(statements)
