"""Opening a recorded 1-hour session on the review page: first open (its display series
derived from the raw counts, with progress) and later opens (kept with the session), for
an 8-channel 80 Hz rig and the grid rig (64 x 27 taxels at 20 Hz). Goal: the whole timeline
shown and scrub-ready within 2 s; later opens instant.

Run: python3 benchmarks/bench_review_open.py [--minutes 60] [--rig sim|grid|both]

Each session is simulated straight into a fresh SQLite store (the example rig, profiles and
studio rules; tests/simsessionkit.py) and served by a real uvicorn server (review only, no
rig) on 127.0.0.1; the figures are wall-clock times of the HTTP calls the page makes:
  shown       GET /review until the overview comes back (a grid rig's first open shows a
              quick first pass without the grid frames, state "preview"),
  scrub-ready the first full-rate window (100 s around the playhead) after that,
  complete    a grid rig's full pass (heatmaps, grid pressure) done and kept,
and a later open by a new server process (nothing in memory: read from the store).
A session the live dashboard records is derived when it stops, so its first open is a
later open. Needs nothing outside the repository; writes to a temporary directory.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import benchkit
import dashkit
import httpx

from ashisense.store import SQLiteStore
from dashboard.app import create_app
from tests.simsessionkit import simulate_session

EXAMPLES = benchkit.ROOT / "examples"
GOAL_S = 2.0
RIGS = {"sim": "sim_rig.toml", "grid": "grid_rig.toml"}


def make_session(path: Path, rig: str, minutes: float) -> None:
    started = time.perf_counter()
    with SQLiteStore(path) as store:
        simulate_session(
            store,
            minutes * 60.0,
            rig_path=EXAMPLES / rig,
            client_path=EXAMPLES / "profiles" / "client_example.toml",
            therapist_path=EXAMPLES / "profiles" / "therapist_example.toml",
            rules_path=EXAMPLES / "rules" / "studio_default.toml",
            contraindications_path=EXAMPLES / "rules" / "contraindications.toml",
            scenario="overload",
            chunk_s=5.0,
        )
    print(f"  simulated {minutes:g} min on {rig} in {time.perf_counter() - started:.1f} s")


def open_session(http: httpx.Client) -> dict[str, float]:
    """Times (s from the first request) at which the page shows, can scrub, is complete."""
    started = time.perf_counter()
    times: dict[str, float] = {}
    review: dict[str, Any] = {}
    while "shown" not in times:
        review = http.get("/api/sessions/1/review").json()
        if review["state"] == "failed":
            raise SystemExit(f"derivation failed: {review['error']}")
        if review["state"] in ("ready", "preview"):
            times["shown"] = time.perf_counter() - started
        else:
            time.sleep(0.05)
    t0 = review["session"]["started_s"] + 1800.0
    params = {"key": review["key"], "t0_s": t0 - 40.0, "t1_s": t0 + 60.0}
    res = http.get("/api/sessions/1/window", params=params)
    assert res.status_code == 200, res.text
    times["scrub-ready"] = time.perf_counter() - started
    while review["state"] != "ready":
        time.sleep(0.1)
        review = http.get("/api/sessions/1/review").json()
    times["complete"] = time.perf_counter() - started
    times["overview_kb"] = len(http.get("/api/sessions/1/review").content) / 1e3
    times["window_kb"] = len(res.content) / 1e3
    return times


def serve_and_open(tmp: Path) -> dict[str, float]:
    port = dashkit.free_port()
    settings = dashkit.dashboard_settings(tmp, None, port)
    with dashkit.Server(create_app(settings), port) as server:
        token = server.login()
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=300) as http:
            return open_session(http)


def verdict(seconds: float) -> str:
    return "PASS" if seconds <= GOAL_S else "FAIL"


def bench(rig: str, minutes: float) -> list[tuple[str, float]]:
    print(f"{rig}:")
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        make_session(tmp / "sessions.sqlite", rig, minutes)
        first = serve_and_open(tmp)
        later = serve_and_open(tmp)
    for what, t in (("first open", first), ("later open", later)):
        print(
            f"  {what:<11} shown {t['shown']:6.2f} s  scrub-ready {t['scrub-ready']:6.2f} s  "
            f"complete {t['complete']:6.2f} s   (overview {t['overview_kb']:.0f} kB, "
            f"window {t['window_kb']:.0f} kB)   {verdict(t['scrub-ready'])}"
        )
    return [
        (f"{rig} first open", first["scrub-ready"]),
        (f"{rig} later open", later["scrub-ready"]),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--rig", choices=("sim", "grid", "both"), default="both")
    args = parser.parse_args()
    rigs = list(RIGS) if args.rig == "both" else [args.rig]
    results = [r for name in rigs for r in bench(RIGS[name], args.minutes)]
    print(f"\ngoal: shown and scrub-ready within {GOAL_S:g} s")
    for what, seconds in results:
        print(f"  {what:<24} {seconds:6.2f} s   {verdict(seconds)}")


if __name__ == "__main__":
    main()
