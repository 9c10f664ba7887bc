"""Replay figures: a 1-hour, 8-channel, 80 Hz session derived again through the whole
pipeline and the alarm engine (goal <= 2 s), and what export and the report cost.

Run: python3 benchmarks/bench_replay.py [--minutes 60]

The session is the simulated rig's "stepping" scenario with the example rig, profiles and
studio rules, written as the recorder commits it (every 0.5 s). Timed, in one run:
  read only (decode every stored row), replay as `ashisense replay --fast` does it
  (rows joined into 8192-sample blocks; pipeline + alarms), the same with the stored rows
  as they are, pipeline alone, export to CSV and Parquet, and the report.
Needs nothing outside the repository. Writes to a temporary directory.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import benchkit

from ashisense.commands.replay import FAST_BLOCK_SAMPLES
from ashisense.report import make_report
from ashisense.session.analysis import SessionAnalysis
from ashisense.session.export import export_session
from ashisense.store import SQLiteStore
from ashisense.store.replay import session_items
from tests.simsessionkit import simulate_session

EXAMPLES = benchkit.ROOT / "examples"
GOAL_S = 2.0


def timed(what: str, work: Callable[[], object], per_hour: float) -> float:
    started = time.perf_counter()
    result = work()
    elapsed = time.perf_counter() - started
    extra = f"  ({result})" if result is not None else ""
    print(f"  {what:<52} {elapsed:7.2f} s   {elapsed * per_hour:7.2f} s per hour{extra}")
    return elapsed * per_hour


def replay(store: SQLiteStore, block_samples: int | None, alarms: bool = True) -> str:
    info = store.session(1)
    analysis = SessionAnalysis.for_session(info, alarms=alarms)
    samples = raised = 0
    for item in session_items(store, 1, block_samples=block_samples):
        step = analysis.feed(item)
        if step is not None:
            samples += len(step.block)
            raised += sum(str(e.transition) == "raised" for e in step.alarms)
    return f"{samples} samples, {raised} alarms raised"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    args = parser.parse_args()
    per_hour = 60.0 / args.minutes
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        path = tmp / "hour.sqlite"
        started = time.perf_counter()
        with SQLiteStore(path) as store:
            simulate_session(
                store,
                args.minutes * 60,
                rig_path=EXAMPLES / "sim_rig.toml",
                client_path=EXAMPLES / "profiles" / "client_example.toml",
                therapist_path=EXAMPLES / "profiles" / "therapist_example.toml",
                rules_path=EXAMPLES / "rules" / "studio_default.toml",
                contraindications_path=EXAMPLES / "rules" / "contraindications.toml",
                seed=7,
            )
        print(
            f"{args.minutes:g} min of 8 ch x 80 Hz simulated and stored in "
            f"{time.perf_counter() - started:.1f} s ({path.stat().st_size / 1e6:.1f} MB)"
        )
        with SQLiteStore(path, readonly=True) as store:
            read = timed(
                "read only (decode every stored row)",
                lambda: sum(len(b) for b in store.blocks(1)),
                per_hour,
            )
            fast = timed(
                f"replay --fast (joined {FAST_BLOCK_SAMPLES}-sample blocks, pipeline+alarms)",
                lambda: replay(store, FAST_BLOCK_SAMPLES),
                per_hour,
            )
            timed(
                "replay, the stored rows as they are (pipeline+alarms)",
                lambda: replay(store, None),
                per_hour,
            )
            timed(
                "replay --fast, pipeline alone",
                lambda: replay(store, FAST_BLOCK_SAMPLES, alarms=False),
                per_hour,
            )
            timed(
                "export CSV with --raw",
                lambda: export_session(store, 1, tmp / "s.csv", "csv", raw=True),
                per_hour,
            )
            timed(
                "export Parquet with --raw",
                lambda: export_session(store, 1, tmp / "s.parquet", "parquet", raw=True),
                per_hour,
            )
            timed(
                "report (HTML, 4 figures)",
                lambda: len(make_report([(store, 1)], progress=False)),
                per_hour,
            )
        print(
            f"replay of an hour through the whole pipeline: {fast:.2f} s, goal <= {GOAL_S} s "
            f"({'met' if fast <= GOAL_S else 'NOT met'}); {fast / read:.1f}x the bare read"
        )


if __name__ == "__main__":
    main()
