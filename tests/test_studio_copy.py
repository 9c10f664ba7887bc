"""The live copy of a session whose first samples arrive while it is being copied: the copy
never leaves chunks under a session without channels (which nothing could read); the next
copy brings them, and the database then holds every sample once."""

from __future__ import annotations

from pathlib import Path

import storekit
from studiokit import assert_copied_once

from ashisense.store import Batch, SessionInfo, SQLiteStore
from ashisense.store.copy import copy_session
from ashisense.store.postgres import PostgresStore


class FirstSamplesMidCopy(SQLiteStore):
    """The room's file as a copy sees it when the writer commits the first samples just
    after the copy read the session (its description still without channels)."""

    stale: SessionInfo | None = None

    def session(self, session_id: int) -> SessionInfo:
        stale, self.stale = self.stale, None
        return stale or super().session(session_id)


def test_samples_that_arrive_mid_copy_come_with_the_next_copy(tmp_path: Path, pg_url: str) -> None:
    path = tmp_path / "room.sqlite"
    with FirstSamplesMidCopy(path) as room, PostgresStore(pg_url) as studio:
        sid = room.create_session(storekit.meta())
        room.stale = room.session(sid)
        room.write(sid, Batch(hello=storekit.hello(), blocks=storekit.blocks(5)))
        early = copy_session(room, studio, sid)
        assert early.chunks_copied == 0 and studio.sample_count(early.target_id) == 0
        later = copy_session(room, studio, sid)
        assert later.chunks_copied == 1 and later.target_id == early.target_id
        uuid = room.session(sid).uuid
    assert_copied_once(path, pg_url, uuid)
