"""Recorded sessions for the review tests and benchmark: simulated sessions written straight
into a store, with the alarm log a live recording would have kept (the session's own rules
run over its raw counts) and, if asked, a trainer's note."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import storekit

from ashisense.store import Batch, SessionStore

EXAMPLES = storekit.EXAMPLES


def recorded_session(
    store: SessionStore, seconds: float, *, scenario: str = "overload", **sim: Any
) -> int:
    """`seconds` of the simulated rig (storekit.sim_session, with `sim` its other options)
    and the alarm log the session's own rules give; returns the session id."""
    sid = storekit.sim_session(store, seconds, scenario=scenario, **sim)
    alarms = storekit.replayed_alarms(store, store.session(sid))
    store.write(sid, Batch(alarms=alarms))
    return sid


def studio_file(path: Path, seconds: tuple[float, ...] = (150.0, 100.0)) -> Path:
    """An SQLite store with one recorded session per entry of `seconds` (the first on the
    overload script, the next ones stepping, each with its own seed)."""
    from ashisense.store import SQLiteStore

    with SQLiteStore(path) as store:
        for k, s in enumerate(seconds):
            recorded_session(store, s, scenario="overload" if k == 0 else "stepping", seed=k + 1)
    return path


@contextlib.contextmanager
def review_server(folder: Path, seconds: tuple[float, ...], limit_n: int) -> Iterator[Any]:
    """A dashboard (dashkit.Server) over a studio file of these sessions, with a second rule
    set "strict": the studio rules with the overload limit at limit_n."""
    import dashkit

    from dashboard.app import create_app

    studio_file(folder / "sessions.sqlite", seconds)
    port = dashkit.free_port()
    settings = dashkit.dashboard_settings(folder, None, port)
    rules = settings.home / "rules"
    rules.mkdir(parents=True)
    strict = (EXAMPLES / "rules" / "studio_default.toml").read_text()
    (rules / "strict.toml").write_text(strict.replace("limit_n = 490", f"limit_n = {limit_n}"))
    with dashkit.Server(create_app(settings), port) as srv:
        yield srv


def open_review(http: Any, session_id: int, timeout_s: float = 120.0) -> dict[str, Any]:
    """The review payload of a session over HTTP (an httpx client with a login), polling
    while its display series are first derived; the complete one (state "ready")."""
    deadline = time.monotonic() + timeout_s
    while True:
        res = http.get(f"/api/sessions/{session_id}/review")
        assert res.status_code == 200, res.text
        body: dict[str, Any] = res.json()
        assert body["state"] != "failed", body
        if body["state"] == "ready":
            return body
        assert time.monotonic() < deadline, f"session {session_id} not derived: {body}"
        time.sleep(0.05)


def compare_rows(http: Any, a: int, b: int, timeout_s: float = 120.0) -> list[dict[str, Any]]:
    """The table of differences of two sessions over HTTP, once both are derived."""
    deadline = time.monotonic() + timeout_s
    while True:
        body = http.get(f"/api/sessions/{a}/compare/{b}").json()
        if body["state"] == "ready":
            rows: list[dict[str, Any]] = body["rows"]
            return rows
        assert time.monotonic() < deadline, f"sessions {a} and {b} not derived"
        time.sleep(0.05)
