"""Benchmark kit: `ashisense serve` and `ashisense simulate` in their own processes, the CPU
they use (Linux /proc), and a busy neighbour process that keeps cores loaded.

Used by benchmarks/bench_live.py and benchmarks/profile_serve.py (the repository root on
sys.path); nothing in the product imports it.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
RIG_FILE = EXAMPLES / "sim_rig.toml"
CLK_TCK = os.sysconf("SC_CLK_TCK")
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}


def cpu_s(pid: int) -> float:
    """User + system CPU seconds used so far by process `pid` and its threads (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def cpu_share(pid: int, seconds: float) -> float:
    """Share of one core (0..n) that process `pid` used over the next `seconds`."""
    c0, t0 = cpu_s(pid), time.monotonic()
    time.sleep(seconds)
    return (cpu_s(pid) - c0) / (time.monotonic() - t0)


def stop(proc: subprocess.Popen[str], timeout_s: float = 20.0) -> None:
    """Ctrl-C a child (it flushes and closes), killing it if it does not stop in time."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def simulated_rig(
    tmp: Path, rate_hz: float = 80.0, scenario: str = "stepping", prefix: Sequence[str] = ()
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`ashisense simulate` on a pty in its own process: (process, stable path to open)."""
    link = tmp / "rig"
    cmd = [*prefix, sys.executable, "-m", "ashisense", "simulate", scenario,
           "--rate", str(rate_hz), "--link", str(link)]  # fmt: skip
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=ENV
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if "simulated rig" not in line:
            raise RuntimeError(f"ashisense simulate did not start: {line!r}")
        yield proc, str(link)
    finally:
        stop(proc)


@dataclass
class Served:
    """A running `ashisense serve`: its process, base URL, password and a login token."""

    proc: subprocess.Popen[str]
    url: str
    password: str
    token: str

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/ws/live"

    def headers(self) -> dict[str, str]:
        return {"Origin": self.url, "Cookie": f"ashisense_login={self.token}"}

    def post(self, path: str, body: dict[str, object] | None = None) -> None:
        auth = {"Authorization": f"Bearer {self.token}"}
        httpx.post(f"{self.url}{path}", json=body, headers=auth, timeout=10).raise_for_status()


@contextlib.contextmanager
def served(
    tmp: Path,
    device: str,
    port: int,
    *,
    rig_file: Path = RIG_FILE,
    prefix: Sequence[str] = (),
    timeout_s: float = 30.0,
) -> Iterator[Served]:
    """`ashisense serve` for `device` in its own process (command `prefix`, e.g. taskset),
    logged in; stopped with Ctrl-C on exit. Its log is tmp/server.log."""
    cmd = [
        *prefix, sys.executable, "-m", "ashisense", "serve",
        "--rig", str(rig_file), "--device", device, "--port", str(port),
        "--home", str(tmp / "home"), "--store", str(tmp / "sessions.sqlite"),
        "--profiles", str(EXAMPLES / "profiles"),
    ]  # fmt: skip
    with open(tmp / "server.log", "w") as log:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True, env=ENV)
    try:
        password = _password(proc, timeout_s)
        url = f"http://127.0.0.1:{port}"
        res = httpx.post(f"{url}/api/login", json={"password": password}, timeout=10)
        res.raise_for_status()
        yield Served(proc, url, password, str(res.json()["token"]))
    finally:
        stop(proc)


def _password(proc: subprocess.Popen[str], timeout_s: float) -> str:
    """The first-run password `serve` prints once it listens."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout_s
    for line in proc.stdout:
        if m := re.match(r"login password: (\S+)", line):
            return m.group(1)
        if time.monotonic() > deadline:
            break
    raise RuntimeError("ashisense serve did not come up (see its server.log)")


@contextlib.contextmanager
def busy_neighbour(cores: int = 1, cpus: set[int] | None = None) -> Iterator[list[int]]:
    """`cores` processes that each keep a core busy (a room computer doing other work),
    optionally pinned to `cpus`; yields their pids."""
    prefix = ["taskset", "-c", ",".join(map(str, sorted(cpus)))] if cpus else []
    code = "while True: pass"
    procs = [subprocess.Popen([*prefix, sys.executable, "-c", code]) for _ in range(cores)]
    try:
        yield [p.pid for p in procs]
    finally:
        for p in procs:
            p.kill()
            p.wait()


CGROUP_V2 = (Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/unified"))
CGROUP_V1_CPU = Path("/sys/fs/cgroup/cpu")
PERIOD_US = 100_000


@contextlib.contextmanager
def cpu_quota(pid: int, share: float) -> Iterator[str | None]:
    """Hold process `pid` (every thread) to `share` of one core with a cgroup: a cgroup v2
    folder with cpu.max, else a cgroup v1 cpu folder with a CFS quota. Yields how it was
    done, or None when neither can be made here (the caller then loads the core instead)."""
    quota_us = round(share * PERIOD_US)
    made = _v2_folder(quota_us) or _v1_folder(quota_us)
    if made is None:
        yield None
        return
    folder, how = made
    try:
        (folder / "cgroup.procs").write_text(str(pid))
        yield how
    finally:
        with contextlib.suppress(OSError):  # back to the parent, if it still runs
            (folder.parent / "cgroup.procs").write_text(str(pid))
        with contextlib.suppress(OSError):
            folder.rmdir()


def _v2_folder(quota_us: int) -> tuple[Path, str] | None:
    for root in CGROUP_V2:
        controllers = root / "cgroup.controllers"
        if not controllers.exists() or "cpu" not in controllers.read_text().split():
            continue
        folder = root / f"ashisense-bench-{os.getpid()}"
        try:
            folder.mkdir(exist_ok=True)
            (folder / "cpu.max").write_text(f"{quota_us} {PERIOD_US}")
        except OSError:
            with contextlib.suppress(OSError):
                folder.rmdir()
            continue
        return folder, f"cgroup v2 {folder} cpu.max {quota_us} {PERIOD_US}"
    return None


def _v1_folder(quota_us: int) -> tuple[Path, str] | None:
    if not (CGROUP_V1_CPU / "cpu.cfs_quota_us").exists():
        return None
    folder = CGROUP_V1_CPU / f"ashisense-bench-{os.getpid()}"
    try:
        folder.mkdir(exist_ok=True)
        (folder / "cpu.cfs_period_us").write_text(str(PERIOD_US))
        (folder / "cpu.cfs_quota_us").write_text(str(quota_us))
    except OSError:
        with contextlib.suppress(OSError):
            folder.rmdir()
        return None
    return folder, f"cgroup v1 {folder} cpu.cfs_quota_us {quota_us} per {PERIOD_US} us"
