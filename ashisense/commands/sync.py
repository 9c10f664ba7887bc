"""`ashisense sync FILE --store postgresql://...`: copy a file's sessions into PostgreSQL."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ashisense.store.copy import SessionCopy

#: Where --store comes from when not given.
STORE_ENV = "ASHISENSE_STORE"


def register(sub: Any) -> None:
    p = sub.add_parser(
        "sync",
        help="copy the sessions of a session file into PostgreSQL",
        description="Copy every session of FILE into the PostgreSQL store: what is there "
        "already is skipped, so running it again (after an interruption, or while FILE still "
        "records) copies only what is new. Credentials from the URL or the PG* environment "
        "variables (PGPASSWORD, ...).",
    )
    p.add_argument("file", help="session file (SQLite)")
    p.add_argument(
        "--store",
        default=os.environ.get(STORE_ENV),
        help=f"postgresql://[user@]host[:port]/dbname (default: ${STORE_ENV})",
    )
    p.set_defaults(func=run)


def _line(c: SessionCopy) -> str:
    rows = ", ".join(f"{n} {name}" for name, n in c.rows_copied.items() if n)
    return (
        f"session {c.source_id} ({c.uuid}) -> {c.target_id}: {c.chunks_copied} chunks copied, "
        f"{c.chunks_skipped} already there" + (f"; {rows}" if rows else "")
        + (f"; {c.grids_copied} grid blocks" if c.grids_copied else "")
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    # Imported here: psycopg only for the commands that use it.
    from ashisense.store import SQLiteStore
    from ashisense.store.copy import copy_sessions
    from ashisense.store.postgres import PostgresStore

    if not args.store:
        raise ValueError(f"sync: give --store postgresql://... (or set ${STORE_ENV})")
    with SQLiteStore(args.file, readonly=True) as src, PostgresStore(args.store) as dst:
        copies = copy_sessions(src, dst)
        for c in copies:
            print(_line(c))
        fresh = sum(c.copied_anything for c in copies)
        print(
            f"{len(copies)} sessions of {args.file} in {dst}: {fresh} with new data, "
            f"{sum(c.chunks_copied for c in copies)} chunks copied, "
            f"{sum(c.chunks_skipped for c in copies)} skipped as already there"
        )
    return 0
