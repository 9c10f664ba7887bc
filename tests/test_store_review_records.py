"""What the review keeps with a session, in both stores (SQLite, and PostgreSQL on a real
server): trainers' notes at a moment or over a range, edited and deleted by id; derived
arrays under a version key, replaced as a whole; and a format 2 SQLite file upgraded with
its notes' ids, or read as it is."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import storekit

from ashisense.store import (
    Annotation,
    AnnotationNotFoundError,
    Batch,
    SessionNotFoundError,
    SessionStore,
    SQLiteStore,
    open_store,
)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SessionStore]:
    target = (
        str(tmp_path / "s.sqlite")
        if request.param == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    with open_store(target) as s:
        yield s


def _session(store: SessionStore) -> int:
    sid = store.create_session(storekit.meta())
    store.write(sid, Batch(hello=storekit.hello(), blocks=storekit.blocks(3)))
    return sid


def test_notes_are_added_edited_and_deleted_by_id(store: SessionStore) -> None:
    sid, other = _session(store), _session(store)
    live = Annotation(1.7e9 + 5, "recorded live", "therapist")
    store.write(sid, Batch(annotations=[live]))
    point = store.add_annotation(sid, Annotation(1.7e9 + 1, "heel on the lumbar", "Aiko"))
    span = store.add_annotation(sid, Annotation(1.7e9 + 2, "good rhythm", "Aiko", 1.7e9 + 9))
    notes = store.annotations(sid)
    assert [(n.text, n.t_end_s) for n in notes] == [
        ("heel on the lumbar", None),
        ("good rhythm", 1.7e9 + 9),
        ("recorded live", None),
    ]
    assert [n.id for n in notes[:2]] == [point, span] and notes[2].id is not None
    store.update_annotation(sid, Annotation(1.7e9 + 6, "heel on the sacrum", "Aiko", None, point))
    store.delete_annotation(sid, span)
    assert [(n.t_s, n.text, n.id) for n in store.annotations(sid)] == [
        (1.7e9 + 5, "recorded live", notes[2].id),
        (1.7e9 + 6, "heel on the sacrum", point),
    ]
    with pytest.raises(AnnotationNotFoundError):
        store.delete_annotation(sid, span)
    with pytest.raises(AnnotationNotFoundError):  # a note of another session is not this one's
        store.delete_annotation(other, point)
    with pytest.raises(SessionNotFoundError):
        store.add_annotation(999, Annotation(1.0, "nowhere"))


def test_derived_arrays_come_back_only_under_their_key(store: SessionStore) -> None:
    sid = _session(store)
    feet = np.linspace(0, 500, 1000, dtype=np.float32)
    grid = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    store.put_derived(
        sid,
        "v1",
        {"overview": {"feet_n": feet, "t_s": feet.astype(np.float64)}, "grid": {"g": grid}},
    )
    got = store.derived(sid, "v1", ["overview", "grid", "absent"])
    assert sorted(got) == ["grid", "overview"]
    np.testing.assert_array_equal(got["overview"]["feet_n"], feet)
    assert got["overview"]["feet_n"].dtype == np.float32
    assert got["overview"]["t_s"].dtype == np.float64
    np.testing.assert_array_equal(got["grid"]["g"], grid)
    assert store.derived(sid, "v2", ["overview"]) == {}  # derived with something else
    store.put_derived(sid, "v2", {"overview": {"feet_n": feet[:10]}})
    assert store.derived(sid, "v1", ["overview", "grid"]) == {}  # all of v1 is gone
    assert store.derived(sid, "v2", ["overview"])["overview"]["feet_n"].shape == (10,)
    with pytest.raises(SessionNotFoundError):
        store.derived(999, "v2", ["overview"])


def _format2_file(path: Path) -> None:
    """A file as format 2 wrote it: notes without id or end time, no derived table."""
    with SQLiteStore(path) as store:
        sid = _session(store)
        store.write(sid, Batch(annotations=[Annotation(1.7e9 + 3, "b"), Annotation(1.7e9, "a")]))
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE old (session_id INTEGER NOT NULL, t_s REAL NOT NULL, text TEXT NOT NULL, "
        "author TEXT NOT NULL); INSERT INTO old SELECT session_id, t_s, text, author "
        "FROM annotations ORDER BY id; DROP TABLE annotations; DROP TABLE derived; "
        "ALTER TABLE old RENAME TO annotations; UPDATE store_meta SET value = '2' "
        "WHERE key = 'version';"
    )
    conn.close()


def test_a_format2_file_reads_as_it_is_and_upgrades_keeping_its_notes(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    _format2_file(path)
    with SQLiteStore(path, readonly=True) as old:
        assert [(n.text, n.id) for n in old.annotations(1)] == [("a", 2), ("b", 1)]
        assert old.derived(1, "v1", ["overview"]) == {}
    with SQLiteStore(path) as upgraded:
        assert [(n.text, n.id) for n in upgraded.annotations(1)] == [("a", 2), ("b", 1)]
        upgraded.delete_annotation(1, 1)
        assert upgraded.add_annotation(1, Annotation(1.7e9 + 4, "c")) == 3
        upgraded.put_derived(1, "v1", {"overview": {"x": np.zeros(3, np.float32)}})
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT value FROM store_meta WHERE key = 'version'").fetchone() == ("3",)
    conn.close()
