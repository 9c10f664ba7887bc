"""`ashisense sync FILE --store postgresql://...`: copies what is new and says so; the other
commands read the copy through the URL; no message shows the password."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import storekit
from infrakit import PostgresCluster

from ashisense.store import SQLiteStore
from ashisense_cli import main


def _file(path: Path) -> Path:
    with SQLiteStore(path) as store:
        storekit.sim_session(store, 10.0, seed=1)
        storekit.sim_session(store, 70.0, seed=2)
    return path


def test_sync_twice_copies_once_and_then_nothing(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _file(tmp_path / "room.sqlite")
    assert main(["sync", str(path), "--store", pg_url]) == 0
    first = capsys.readouterr().out
    assert "2 sessions" in first and "2 with new data, 3 chunks copied, 0 skipped" in first
    assert main(["sync", str(path), "--store", pg_url]) == 0
    second = capsys.readouterr().out
    assert "0 with new data, 0 chunks copied, 3 skipped as already there" in second
    assert main(["sessions", str(path), "--json"]) == 0
    in_file = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert main(["sessions", pg_url, "--json"]) == 0
    in_db = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [{**r, "id": 0} for r in in_db] == [{**r, "id": 0} for r in in_file]


def test_sync_takes_the_password_from_pgpassword_and_never_prints_it(
    tmp_path: Path,
    postgres_cluster: PostgresCluster,
    pg_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = _file(tmp_path / "room.sqlite")
    password = postgres_cluster.password
    bare = pg_url.replace(f":{password}@", "@")
    monkeypatch.setenv("PGPASSWORD", "not-it")
    assert main(["sync", str(path), "--store", bare]) == 2
    refused = capsys.readouterr()
    assert "password authentication failed" in refused.err
    assert bare.split("/")[-1] in refused.err and "127.0.0.1" in refused.err
    assert "not-it" not in refused.err + refused.out
    monkeypatch.setenv("PGPASSWORD", password)
    assert main(["sync", str(path), "--store", bare]) == 0
    out = capsys.readouterr()
    assert "2 with new data" in out.out
    assert main(["sync", str(path), "--store", pg_url.replace(password, "wrong-one")]) == 2
    shown = capsys.readouterr()
    assert password not in shown.out + shown.err and "wrong-one" not in shown.err
