"""The PostgreSQL store's schema: versioned migrations, made from the table description
(store/tables.py), applied at start in order, each once, recorded in `schema_migrations`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ashisense.store import tables
from ashisense.store.errors import StoreOpenError

#: Held while migrating, so that rooms and a desk starting together migrate once.
LOCK_KEY = 0x4153_4849_5345_4E53 % 2**63

CREATE_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
    "name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
)


#: The migrations by version (the `since` of store/tables.py), with their names.
NAMES = {
    1: "sessions",  # sessions and everything recorded with them
    2: "notes_and_derived",  # notes with ids and time ranges; derived arrays
    3: "presses",  # the client's presses (issue 18)
}


@dataclass(frozen=True)
class Migration:
    """One step of the schema: version, name and its SQL."""

    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """Every migration, in version order."""
    return [Migration(v, name, tables.migration(v)) for v, name in sorted(NAMES.items())]


def _applied(conn: Any) -> set[int]:
    return {v for (v,) in conn.execute("SELECT version FROM schema_migrations")}


def _check_not_newer(applied: set[int], where: str) -> None:
    known = max(m.version for m in migrations())
    if applied and max(applied) > known:
        raise StoreOpenError(
            f"{where}: database schema is at version {max(applied)}, newer than this AshiSense "
            f"knows (up to {known}); upgrade AshiSense"
        )


def migrate(conn: Any, where: str) -> list[int]:
    """Apply the migrations the database lacks (one transaction); returns their versions.

    conn: a psycopg connection in autocommit mode. where: the database, for messages.
    """
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        conn.execute(CREATE_TABLE)
        applied = _applied(conn)
        _check_not_newer(applied, where)
        done = []
        for m in migrations():
            if m.version not in applied:
                conn.execute(m.sql)
                conn.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                    (m.version, m.name),
                )
                done.append(m.version)
    return done


def check(conn: Any, where: str) -> None:
    """For a read-only opening: StoreOpenError unless the schema is there and up to date."""
    exists = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()[0]
    applied = _applied(conn) if exists else set()
    _check_not_newer(applied, where)
    missing = [m.version for m in migrations() if m.version not in applied]
    if missing:
        raise StoreOpenError(
            f"{where}: no AshiSense sessions schema here, or an older one (missing migrations "
            f"{missing}); open it once for writing (ashisense sync) to create or upgrade it"
        )
