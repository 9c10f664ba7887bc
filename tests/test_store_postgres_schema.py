"""The PostgreSQL store's schema comes from versioned migrations, applied once; the store also
records directly, and a note added at the desk survives copies."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
import storekit

from ashisense.store import Annotation, Batch, SessionWriter, SQLiteStore, StoreOpenError, pgschema
from ashisense.store import copy as store_copy
from ashisense.store.postgres import PostgresStore
from ashisense.store.sqlite import CHUNK_SAMPLES


def test_migrations_apply_once_and_a_newer_schema_is_refused(pg_url: str) -> None:
    with pytest.raises(StoreOpenError, match=r"open it once for writing \(ashisense sync\)"):
        PostgresStore(pg_url, readonly=True)
    PostgresStore(pg_url).close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        versions = [m.version for m in pgschema.migrations()]
        assert versions[0] == 1
        applied = conn.execute("SELECT version FROM schema_migrations ORDER BY version")
        assert [v for (v,) in applied] == versions
        assert pgschema.migrate(conn, "here") == []
        PostgresStore(pg_url, readonly=True).close()
        conn.execute("INSERT INTO schema_migrations (version, name) VALUES (9999, 'future')")
    with pytest.raises(StoreOpenError, match="version 9999, newer than this AshiSense knows"):
        PostgresStore(pg_url)


def test_a_writer_records_into_postgres_as_into_sqlite(tmp_path: Path, pg_url: str) -> None:
    blocks = storekit.blocks(300, 40)  # 12000 samples, committed in small batches
    with SQLiteStore(tmp_path / "s.sqlite") as lite, PostgresStore(pg_url) as pg:
        for store in (lite, pg):
            with SessionWriter(store, storekit.meta(), commit_interval_s=0.01) as writer:
                writer.on_hello(storekit.hello())
                for block in blocks:
                    writer.on_block(block)
            assert writer.health.ok
        (a,), (b,) = lite.sessions(), pg.sessions()
        # where chunks end follows the writer's commit timing: both hold every sample in
        # chunks within the limit
        for sizes in (pg.chunk_sizes(b.id), lite.chunk_sizes(a.id)):
            assert sum(sizes) == 12000 and min(sizes) > 0 and max(sizes) <= CHUNK_SAMPLES
        storekit.assert_same_samples(list(pg.blocks(b.id)), list(lite.blocks(a.id)))
        assert (b.summary.samples, b.channels, b.interrupted) == (12000, storekit.CHANNELS, False)


def test_a_note_added_at_the_desk_stays_through_later_copies(tmp_path: Path, pg_url: str) -> None:
    with SQLiteStore(tmp_path / "room.sqlite") as room, PostgresStore(pg_url) as desk:
        sid = room.create_session(storekit.meta())
        room.write(sid, Batch(blocks=storekit.blocks(5), annotations=[Annotation(1.0, "room")]))
        target = store_copy.copy_session(room, desk, sid).target_id
        desk.add_annotation(target, Annotation(2.0, "desk", "trainer"))
        room.add_annotation(sid, Annotation(3.0, "room again"))
        again = store_copy.copy_session(room, desk, sid)
        assert again.rows_copied["annotations"] == 1  # the new room note only
        store_copy.copy_session(room, desk, sid)
        assert [n.text for n in desk.annotations(target)] == ["room", "desk", "room again"]
