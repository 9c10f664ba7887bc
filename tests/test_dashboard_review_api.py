"""The review API over HTTP on a real server (review only, no rig): a session is derived once
with its progress and then kept in the store, trainers' notes carry their author and only
they edit or delete them, the notes reach the report and the export, two sessions compare,
a session is evaluated again with stricter rules; and the same review reads a PostgreSQL
store (the desk)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import dashkit
import httpx
import infrakit
import pytest
import reviewkit

from ashisense.session.display import display_key
from ashisense.store import Batch, PressRecord, SQLiteStore, open_store
from ashisense.store import copy as store_copy
from ashisense.store.postgres import PostgresStore
from dashboard.review import Review


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dashkit.Server]:
    folder = tmp_path_factory.mktemp("review-api")
    with reviewkit.review_server(folder, (60.0, 40.0), 150) as srv:
        yield srv


def client(server: dashkit.Server, name: str) -> httpx.Client:
    """An API client logged in under a name (the author of its notes)."""
    res = httpx.post(f"{server.url}/api/login", json={"password": dashkit.PASSWORD, "name": name})
    token = res.json()["token"]
    headers = {"Authorization": f"Bearer {token}", "Origin": server.url}
    return httpx.Client(base_url=server.url, headers=headers, timeout=120)


def test_a_session_is_derived_once_with_progress_then_kept(server: dashkit.Server) -> None:
    store_path = server.app.state.settings.store_path
    with client(server, "Aiko") as http:
        first = http.get("/api/sessions/1/review").json()
        assert first["state"] in ("deriving", "ready")
        review = reviewkit.open_review(http, 1)
        with SQLiteStore(store_path, readonly=True) as store:
            assert review["key"] == display_key(store.session(1), store.sample_count(1))

        def kept() -> bool:  # "ready" comes as soon as they are derived; kept just after
            with SQLiteStore(store_path, readonly=True) as store:
                return bool(store.derived(1, review["key"], ["overview"]))

        infrakit.wait_until(kept, "the display series kept with the session")
        again = http.get("/api/sessions/1/review").json()
        assert again["state"] == "ready" and again["key"] == review["key"]
        assert len(review["episodes"]) > 0
        assert all(e["duration_s"] >= 0 and e["region"] is not None for e in review["episodes"])
        assert http.get("/api/sessions/99/review").status_code == 404


def test_notes_are_their_authors_and_reach_the_report_and_export(server: dashkit.Server) -> None:
    with client(server, "Aiko") as aiko, client(server, "Ben") as ben:
        t0 = reviewkit.open_review(aiko, 1)["session"]["started_s"]
        point = aiko.post("/api/sessions/1/notes", json={"t_s": t0 + 12.5, "text": "heel on L4"})
        span = aiko.post(
            "/api/sessions/1/notes",
            json={"t_s": t0 + 20, "t_end_s": t0 + 30, "text": "steady rhythm"},
        )
        point_id, span_id = point.json()["id"], span.json()["id"]
        bad = aiko.post("/api/sessions/1/notes", json={"t_s": t0 + 5, "t_end_s": t0, "text": "x"})
        assert bad.status_code == 422
        notes = {n["id"]: n for n in reviewkit.open_review(ben, 1)["notes"]}
        assert notes[point_id]["author"] == "Aiko" and not notes[point_id]["own"]
        assert ben.delete(f"/api/sessions/1/notes/{point_id}").status_code == 403
        edit = {"t_s": t0 + 13.0, "text": "heel on L5"}
        assert ben.put(f"/api/sessions/1/notes/{point_id}", json=edit).status_code == 403
        assert aiko.put(f"/api/sessions/1/notes/{point_id}", json=edit).status_code == 200
        assert aiko.delete(f"/api/sessions/1/notes/{span_id}").status_code == 200
        assert aiko.delete(f"/api/sessions/1/notes/{span_id}").status_code == 404
        mine = reviewkit.open_review(aiko, 1)["notes"]
        assert [(n["text"], n["own"]) for n in mine] == [("heel on L5", True)]
        report = aiko.get(aiko.post("/api/sessions/1/report", json={}).json()["url"]).text
        assert "13.0 s, Aiko: heel on L5" in report
        export = aiko.post("/api/sessions/1/export", json={"format": "csv"}).json()
        rows = list(csv.DictReader(io.StringIO(aiko.get(export["url"]).text)))
        noted = [r for r in rows if r["note"]]
        assert [r["note"] for r in noted] == ["Aiko: heel on L5"]
        assert float(noted[0]["elapsed_s"]) == pytest.approx(13.0, abs=1 / 80)


def test_two_sessions_compare_and_a_session_is_evaluated_again(server: dashkit.Server) -> None:
    with client(server, "Aiko") as http:
        a, b = reviewkit.open_review(http, 1), reviewkit.open_review(http, 2)
        rows = reviewkit.compare_rows(http, 1, 2)
        by_key = {r["key"]: r for r in rows}
        assert by_key["duration_s"]["a"] == a["figures"]["duration_s"]
        assert by_key["peak_n"]["b"] == b["figures"]["peak_n"]
        for r in rows:
            if r["a"] is not None and r["b"] is not None:
                assert r["diff"] == pytest.approx(r["b"] - r["a"], abs=1e-3)
        assert http.get("/api/review/choices").json()["rules"] == ["strict.toml"]
        own = http.post("/api/sessions/1/evaluate", json={}).json()
        strict = http.post("/api/sessions/1/evaluate", json={"rules": "strict.toml"}).json()
        recorded = sum(r["recorded"] for r in own["by_rule"])
        assert sum(r["evaluated"] for r in own["by_rule"]) == recorded  # the same rules

        def overload_s(result: dict) -> float:  # time the overall overload alarm lasted
            eps = [e for e in result["episodes"] if e["rule_id"] == "feet_overload"]
            return sum(e["duration_s"] for e in eps)

        strict_eps = [e for e in strict["episodes"] if e["rule_id"] == "feet_overload"]
        assert strict_eps and all(e["limit"] <= 150 for e in strict_eps)
        assert overload_s(strict) > overload_s(own)
        assert len(strict["episodes"]) == sum(strict["raised"].values())
        missing = http.post("/api/sessions/1/evaluate", json={"rules": "../etc.toml"})
        assert missing.status_code == 404


def test_an_export_brings_the_clients_presses_beside_the_samples(server: dashkit.Server) -> None:
    with client(server, "Aiko") as http:
        t0 = reviewkit.open_review(http, 2)["session"]["started_s"]
        plain = http.post("/api/sessions/2/export", json={"format": "csv"}).json()
        assert "presses_url" not in plain  # nothing pressed: no second file
        with SQLiteStore(server.app.state.settings.store_path) as store:
            store.write(2, Batch(presses=[PressRecord(t0 + 4.0, "lighter", "handset", 300.0)]))
        export = http.post("/api/sessions/2/export", json={"format": "csv"}).json()
        rows = list(csv.DictReader(io.StringIO(http.get(export["presses_url"]).text)))
    assert export["presses_url"].endswith("session-2.presses.csv")
    assert [(r["button"], r["source"], float(r["elapsed_s"])) for r in rows] == [
        ("lighter", "handset", pytest.approx(4.0))
    ]


def test_the_review_reads_a_postgresql_store(tmp_path: Path, pg_url: str) -> None:
    room = reviewkit.studio_file(tmp_path / "room.sqlite", (30.0,))
    with SQLiteStore(room, readonly=True) as src, PostgresStore(pg_url) as dst:
        (copied,) = store_copy.copy_sessions(src, dst)
    review = Review(pg_url)
    try:
        with open_store(pg_url, readonly=True) as store:
            sid = store.session_id(copied.uuid)  # type: ignore[attr-defined]
        assert sid is not None
        opened = review.open(sid, "kg", "Aiko")
        while opened["state"] != "ready":
            assert opened["state"] in ("deriving", "preview"), opened
            review.jobs.current(sid)[2].done.wait(60)  # type: ignore[union-attr]
            opened = review.open(sid, "kg", "Aiko")

        def kept() -> bool:  # "ready" comes as soon as they are derived; kept just after
            with open_store(pg_url, readonly=True) as store:
                return len(store.derived(sid, opened["key"], ["overview", "figures"])) == 2

        infrakit.wait_until(kept, "the display series kept in PostgreSQL")
        t0 = opened["session"]["started_s"]
        window = review.window(sid, opened["key"], t0 + 5, t0 + 10)
        assert window is not None and len(window["t_s"]) == 5 * 80 + 1
    finally:
        review.jobs.close()
