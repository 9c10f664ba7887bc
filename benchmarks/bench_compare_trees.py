"""Before and after in one run: bench_pipeline.py and bench_replay.py of a base git revision and
of this working tree, interleaved on the same machine, with the speed ratio of every case.

    python3 benchmarks/bench_compare_trees.py [--base REV] [--rounds 3] [--minutes 60] [--wall]

The base revision (default origin/main, else main; e.g. --base HEAD~3) is checked out with
`git worktree add` in a temporary folder and removed afterwards. Each round runs both trees'
pipeline benchmark, then both trees' replay benchmark (base first in odd rounds, new first in
even ones); each case keeps its best figure over the rounds (the least disturbed by other
processes). Pipeline throughput cases use the benchmark's CPU time column, latency cases the
p50 CPU time per block. The replay benchmark times with time.perf_counter; unless --wall, a
wrapper makes that the process CPU clock in both trees (time.perf_counter = time.process_time,
then the script runs as __main__), so other processes on a shared machine do not count.
ratio = new speed / base speed (above 1: faster). Goal: no case slower than 0.9x. Each
benchmark runs as a script of its own tree, with its own tree's code first on sys.path.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_RATIO = 0.9
BENCHES = ("bench_pipeline.py", "bench_replay.py")
# Runs a benchmark script (argv[1:]) as __main__ with the process CPU clock as its perf_counter,
# its folder first on sys.path as `python3 script.py` would put it (benchkit is found there).
CPU_CLOCK = (
    "import os, runpy, sys, time; time.perf_counter = time.process_time; sys.argv = sys.argv[1:]; "
    "sys.path.insert(0, os.path.dirname(sys.argv[0])); "
    "runpy.run_path(sys.argv[0], run_name='__main__')"
)

# bench_pipeline: "<case>  <x real time>  <x CPU time>  <goal>  <ratio>  PASS|FAIL" (older trees
# print ok|BELOW GOAL)
THROUGHPUT = re.compile(
    r"^(?P<case>\S.*?)\s+\d+\s+(?P<cpu>\d+)\s+\d+\s+[\d.]+\s+(PASS|FAIL|ok|BELOW GOAL)$"
)
# bench_pipeline: "  CPU time of this thread  p50 0.123 ms  p99 ..." under a section header
LATENCY = re.compile(r"^\s+CPU time of this thread\s+p50 (?P<p50>[\d.]+) ms")
# bench_replay: "  <case>  1.23 s   12.34 s per hour  (...)" and the simulate-and-store line
REPLAY = re.compile(r"^\s+(?P<case>\S.*?)\s+[\d.]+ s\s+(?P<s>[\d.]+) s per hour")
STORED = re.compile(r"simulated and stored in (?P<s>[\d.]+) s")


def default_base() -> str:
    """origin/main when this clone has it, else main."""
    found = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", "origin/main"],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    return "origin/main" if found.returncode == 0 else "main"


@contextmanager
def base_tree(rev: str) -> Iterator[Path]:
    """A detached checkout of rev in a temporary folder (git worktree), removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="ashisense-base-") as tmp:
        path = Path(tmp) / "tree"
        subprocess.run(
            ["git", "worktree", "add", "--detach", "--quiet", str(path), rev], cwd=ROOT, check=True
        )
        try:
            yield path
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(path)], cwd=ROOT, check=False
            )


def speeds(bench: str, output: str) -> dict[str, float]:
    """Speed of every case in a benchmark's output (higher is faster)."""
    out: dict[str, float] = {}
    section = ""
    for line in output.splitlines():
        if m := THROUGHPUT.match(line):
            out[f"pipeline: {m['case']} (x real time, CPU)"] = float(m["cpu"])
        elif line.startswith(("latency", "live")):
            section = re.sub(r"\s*\(.*?\)", "", line).rstrip(":")
        elif (m := LATENCY.match(line)) and section:
            out[f"pipeline: {section} (p50 CPU per block)"] = 1.0 / float(m["p50"])
        elif bench == "bench_replay.py" and (m := REPLAY.match(line)):
            out[f"replay: {m['case']}"] = 1.0 / max(float(m["s"]), 1e-9)
        elif m := STORED.search(line):
            out["replay: simulate and store the session"] = 1.0 / max(float(m["s"]), 1e-9)
    return out


def run_bench(tree: Path, bench: str, extra: list[str], wall: bool) -> dict[str, float]:
    """Run one benchmark script of one tree; its case speeds (fails loudly on an error)."""
    clock = [] if wall else ["-c", CPU_CLOCK]
    done = subprocess.run(
        [sys.executable, *clock, str(tree / "benchmarks" / bench), *extra],
        cwd=tree,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{tree}/benchmarks/{bench} failed:\n{done.stdout}\n{done.stderr}")
    found = speeds(bench, done.stdout)
    if not found:
        raise SystemExit(f"{tree}/benchmarks/{bench}: no case found in its output:\n{done.stdout}")
    return found


def best_of(runs: list[dict[str, float]]) -> dict[str, float]:
    """Per case, the best speed over the rounds."""
    return {case: max(r[case] for r in runs if case in r) for case in set().union(*runs)}


def measure(
    trees: dict[str, Path], rounds: int, minutes: float | None, wall: bool
) -> dict[str, dict[str, float]]:
    """Best speeds per tree ("base", "new"), the trees interleaved in every round."""
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
    for r in range(rounds):
        for bench in BENCHES:
            extra = ["--minutes", f"{minutes:g}"] if bench == "bench_replay.py" and minutes else []
            order = list(trees.items())
            for name, tree in order if r % 2 == 0 else order[::-1]:  # who goes first alternates
                print(f"round {r + 1}/{rounds}: {bench} of {name} ...", flush=True)
                runs[name].append(run_bench(tree, bench, extra, wall))
    return {name: best_of(found) for name, found in runs.items()}


def report(best: dict[str, dict[str, float]], base_rev: str, clock: str) -> bool:
    """Print every case's ratio and the verdict; True when no case is below the goal."""
    base, new = best["base"], best["new"]
    print(f"\nbase {base_rev} vs this working tree; ratio = new speed / base speed")
    print(f"(pipeline cases: CPU time; replay cases: {clock})")
    print(f"{'case':76s} {'ratio':>6s}")
    slow = []
    for case in sorted(set(base) | set(new)):
        if case not in base or case not in new:
            print(f"{case:76s} {'-':>6s}  only in {'new' if case in new else 'base'}")
            continue
        ratio = new[case] / base[case]
        verdict = "ok" if ratio >= GOAL_RATIO else "SLOWER"
        slow += [case] if ratio < GOAL_RATIO else []
        print(f"{case:76s} {ratio:6.2f}  {verdict}")
    print(f"goal: no case slower than {GOAL_RATIO}x: {'FAIL' if slow else 'PASS'}")
    return not slow


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", help="git revision to compare with (default origin/main, main)")
    parser.add_argument("--rounds", type=int, default=3, help="runs per tree, best kept")
    parser.add_argument("--minutes", type=float, help="bench_replay's session length")
    parser.add_argument("--wall", action="store_true", help="time replay cases by wall clock")
    args = parser.parse_args()
    base_rev = args.base or default_base()
    with base_tree(base_rev) as base:
        best = measure({"base": base, "new": ROOT}, args.rounds, args.minutes, args.wall)
    clock = "wall clock" if args.wall else "process CPU clock"
    return 0 if report(best, base_rev, clock) else 1


if __name__ == "__main__":
    sys.exit(main())
