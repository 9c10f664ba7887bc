"""Start-up time of the command line: `ashisense --help` and `--version` against
`python -c "import numpy"`, measured in one run, interleaved, several repeats each.

Goal (issue 11): the median of `ashisense --help` within 2x the median of importing numpy
(the command line must not import scipy, matplotlib, pyarrow or the web stack to print its
help). Run: .venv/bin/python benchmarks/bench_cli_startup.py [REPEATS]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

GOAL_RATIO = 2.0
BIN = Path(sys.executable).parent
CASES = {
    "python -c 'import numpy'": [sys.executable, "-c", "import numpy"],
    "ashisense --help": [str(BIN / "ashisense"), "--help"],
    "ashisense --version": [str(BIN / "ashisense"), "--version"],
}


def wall_s(argv: list[str]) -> float:
    """Seconds from start to exit of one process (its output discarded)."""
    started = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def main(repeats: int = 9) -> int:
    for argv in CASES.values():  # warm the file cache: the first run of each reads from disk
        wall_s(argv)
    times: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(repeats):
        for name, argv in CASES.items():
            times[name].append(wall_s(argv))
    print(f"{'case':<28} {'min ms':>8} {'median ms':>10}   ({repeats} runs each, interleaved)")
    for name, ts in times.items():
        print(f"{name:<28} {min(ts) * 1e3:8.0f} {statistics.median(ts) * 1e3:10.0f}")
    base = statistics.median(times["python -c 'import numpy'"])
    ratio = statistics.median(times["ashisense --help"]) / base
    verdict = "PASS" if ratio <= GOAL_RATIO else "FAIL"
    print(f"ashisense --help / import numpy (medians): {ratio:.2f}x")
    print(f"goal: <= {GOAL_RATIO:g}x  {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main(*(int(a) for a in sys.argv[1:2])))
