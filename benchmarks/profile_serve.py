"""Where the live server's time goes: `ashisense serve` fed a simulated 8 ch x 80 Hz rig on a
pty (the rig in another process), nobody watching, profiled as it runs with py-spy.

    pip install py-spy          # (in the test extras)
    python3 benchmarks/profile_serve.py [--seconds 20] [--raw profile.txt] [--top 20]

First the server's CPU share is measured over --seconds (goal <= 5 % of one core), then py-spy
samples it for as long again, counting only the thread that holds the GIL (`--gil`: this
machine's idle-thread detection does not see Python threads waiting in C, and the GIL holder
is the Python work). Printed: the functions with the most samples of their own and the most
samples anywhere in their stack, as shares of the GIL-held samples.
"""

from __future__ import annotations

import argparse
import collections
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchkit  # noqa: F401 (the repository on sys.path)

from tests.dashkit import free_port
from tests.servekit import cpu_share, served, simulated_rig

GOAL_CPU = 0.05
RATE_HZ = 200
# Frames that hold every stack: they say nothing about where the time goes.
ROOTS = ("Thread._bootstrap", "Thread._bootstrap_inner", "Thread.run", "<module>")
_FRAME = re.compile(r"(?P<fn>.*) \((?P<file>[^:()]*)(?::\d+)?\)$")


def frame_name(frame: str) -> str:
    """'fn (path/to/module.py:123)' -> 'fn (module path)', the line dropped."""
    m = _FRAME.match(frame)
    return f"{m['fn']} ({m['file']})" if m else frame


def read_raw(path: Path) -> tuple[collections.Counter[str], collections.Counter[str], int]:
    """Own and inclusive sample counts per function of a py-spy raw (collapsed) profile."""
    own: collections.Counter[str] = collections.Counter()
    anywhere: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        n = int(count)
        names = [frame_name(f) for f in stack.split(";")]
        total += n
        own[names[-1]] += n
        for name in set(names):
            if not name.startswith(ROOTS):
                anywhere[name] += n
    return own, anywhere, total


def print_top(title: str, counts: collections.Counter[str], total: int, top: int) -> None:
    print(f"  {title}")
    for name, n in counts.most_common(top):
        print(f"    {100 * n / total:5.1f} %  {name}")


def profile(pid: int, seconds: float, raw: Path) -> None:
    """py-spy record of the GIL holder of `pid` for `seconds` into `raw` (collapsed stacks)."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    cmd = [py_spy, "record", "--pid", str(pid), "--duration", str(int(seconds)),
           "--rate", str(RATE_HZ), "--gil", "--format", "raw", "--output", str(raw)]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True, timeout=seconds + 60)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--raw", type=Path, help="keep py-spy's raw profile here")
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        raw = args.raw or tmp / "profile.txt"
        with simulated_rig(tmp) as (_, device), served(tmp, device, free_port()) as server:
            time.sleep(5.0)  # the link is up, the client baseline taken
            share = cpu_share(server.pid, args.seconds)
            profile(server.pid, args.seconds, raw)
    own, anywhere, total = read_raw(raw)
    ok = share <= GOAL_CPU
    print("ashisense serve, simulated 8 ch x 80 Hz rig on a pty in another process, no viewer")
    print(
        f"  server CPU {100 * share:.1f} % of one core (goal <= {100 * GOAL_CPU:.0f} %) "
        f"{'PASS' if ok else 'FAIL'}"
    )
    print(f"  py-spy: {total} samples with the GIL held over {args.seconds:g} s at {RATE_HZ} Hz")
    print_top("own samples (the function itself)", own, total, args.top)
    print_top("inclusive samples (the function and what it calls)", anywhere, total, args.top)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
