"""Dashboard figures: latency from a packet written on the rig's pseudo-terminal to the websocket
message arriving at a viewer, and what viewers cost.

    python3 benchmarks/bench_dashboard.py [--seconds 15]

A scripted rig (tests/dashkit.py: the sim rig's 8 channels at 80 Hz) writes protocol-v1
packets on a real pty and notes when each sample went out. `ashisense serve` runs in its own
process on that pty (link, pipeline, alarms, recording, hub). Viewers are websocket clients
in this process; each frame names the newest sample it carries, so its latency is the time
of arrival minus the time that sample was written. Targets (issue 6): p50 <= 5 ms and
p99 <= 20 ms with 10 viewers and one that never reads; with 50 viewers the pipeline keeps
real time; server CPU per viewer measured against the same server with no viewer.
Needs nothing outside the repository (Linux: /proc for the CPU figures).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the scripted rig lives with the test kit

import dashkit  # noqa: E402

import ashisense  # noqa: E402,F401  (sim URL scheme, package on the path)
from ashisense.sim.ptyserver import PtyRig  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds used so far by process `pid` (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


class Viewer:
    """A websocket viewer that reads everything; `probe` viewers time their frames."""

    def __init__(self, url: str, headers: dict[str, str], rig: dashkit.ScriptedRig, probe: bool):
        self.url, self.headers, self.rig, self.probe = url, headers, rig, probe
        self.latencies_ms: list[float] = []
        self.messages = 0
        self.recording = False
        self.last_status: dict | None = None

    async def run(self, stop: asyncio.Event) -> None:
        origin = self.headers["Origin"]
        cookie = {"Cookie": self.headers["Cookie"]}
        async with connect(self.url, origin=origin, additional_headers=cookie) as ws:  # type: ignore[arg-type]
            while not stop.is_set():
                try:
                    text = await asyncio.wait_for(ws.recv(), 0.5)
                except TimeoutError:
                    continue
                now = time.monotonic()
                self.messages += 1
                if not self.probe:
                    continue
                msg = json.loads(text)
                if msg["type"] == "frame":
                    sent = self.rig.sent_at.get(msg["seq"])
                    if self.recording and sent is not None:
                        self.latencies_ms.append((now - sent) * 1e3)
                elif msg["type"] == "status":
                    self.last_status = msg


def stalled_viewer(port: int, headers: dict[str, str]) -> socket.socket:
    """Completes the websocket handshake, then never reads a byte."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /ws/live HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: {headers['Origin']}\r\nCookie: {headers['Cookie']}\r\n\r\n"
        ).encode()
    )
    if sock.recv(12) != b"HTTP/1.1 101":
        raise RuntimeError("the stalled viewer's handshake was refused")
    return sock


async def phase(
    port: int,
    headers: dict[str, str],
    rig: dashkit.ScriptedRig,
    n_viewers: int,
    n_probes: int,
    seconds: float,
    server_pid: int,
) -> dict[str, float]:
    """Run n_viewers (n_probes of them timing frames) for `seconds` after a 1 s warm-up."""
    stop = asyncio.Event()
    url = f"ws://127.0.0.1:{port}/ws/live"
    viewers = [Viewer(url, headers, rig, i < n_probes) for i in range(n_viewers)]
    tasks = [asyncio.create_task(v.run(stop)) for v in viewers]
    await asyncio.sleep(1.0)
    for v in viewers:
        v.recording = True
    messages0 = sum(v.messages for v in viewers)
    samples0 = rig._seq
    cpu0, t0 = cpu_s(server_pid), time.monotonic()
    await asyncio.sleep(seconds)
    cpu1, t1 = cpu_s(server_pid), time.monotonic()
    samples1 = rig._seq
    messages1 = sum(v.messages for v in viewers)
    stop.set()
    for result in await asyncio.gather(*tasks, return_exceptions=True):
        if isinstance(result, Exception):
            raise result
    lat = np.array([x for v in viewers for x in v.latencies_ms])
    status = next((v.last_status for v in viewers if v.last_status), None)
    out = {
        "viewers": n_viewers,
        "cpu_pct": 100 * (cpu1 - cpu0) / (t1 - t0),
        "messages_per_s_per_viewer": (messages1 - messages0) / (t1 - t0) / max(n_viewers, 1),
        "samples_per_s": (samples1 - samples0) / (t1 - t0),
        "link_rate_hz": float(status["link"]["rate_hz"]) if status else float("nan"),
    }
    if lat.size:
        out.update(
            p50_ms=float(np.percentile(lat, 50)),
            p99_ms=float(np.percentile(lat, 99)),
            max_ms=float(lat.max()),
            n=float(lat.size),
        )
    return out


def start_server(tmp: Path, pty_path: str, port: int) -> tuple[subprocess.Popen[str], str]:
    """`ashisense serve` on the pty in its own process; returns it and its first-run password."""
    cmd = [
        sys.executable, "-m", "ashisense", "serve",
        "--rig", str(dashkit.RIG_FILE), "--device", pty_path, "--port", str(port),
        "--home", str(tmp / "home"), "--store", str(tmp / "sessions.sqlite"),
        "--profiles", str(dashkit.EXAMPLES / "profiles"),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with open(tmp / "server.log", "w") as log:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True, env=env)
    password = ""
    assert proc.stdout is not None
    for line in proc.stdout:
        if m := re.match(r"login password: (\S+)", line):
            password = m.group(1)
            break
    deadline = time.monotonic() + 20
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/me", timeout=1)
            return proc, password
        except httpx.TransportError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(
                    f"the server did not come up; see {tmp / 'server.log'}"
                ) from None
            time.sleep(0.1)


def fmt(row: dict[str, float]) -> str:
    lat = (
        f"p50 {row['p50_ms']:5.2f} ms  p99 {row['p99_ms']:5.2f} ms  max {row['max_ms']:6.2f} ms  "
        f"(n={int(row['n'])})"
        if "p50_ms" in row
        else "(no probe)"
    )
    return (
        f"{int(row['viewers']):3d} viewers  {lat}  server CPU {row['cpu_pct']:5.1f} %  "
        f"rig {row['samples_per_s']:5.1f} samples/s  link {row['link_rate_hz']:5.1f} Hz  "
        f"{row['messages_per_s_per_viewer']:5.1f} messages/s/viewer"
    )


async def run(seconds: float) -> int:
    rig = dashkit.ScriptedRig()
    rig.keep_send_times = True
    rig.wobble_n = 20.0
    with tempfile.TemporaryDirectory() as tmp_name, PtyRig(rig) as pty:  # type: ignore[arg-type]
        tmp = Path(tmp_name)
        port = dashkit.free_port()
        proc, password = start_server(tmp, pty.path, port)
        try:
            base = f"http://127.0.0.1:{port}"
            token = httpx.post(f"{base}/api/login", json={"password": password}).json()["token"]
            headers = {"Origin": base, "Cookie": f"ashisense_login={token}"}
            auth = {"Authorization": f"Bearer {token}"}
            await asyncio.sleep(1.5)  # the client baseline (therapist off the rig)
            rig.climb_on(250.0)
            httpx.post(f"{base}/api/session/start", json={}, headers=auth).raise_for_status()
            idle = await phase(port, headers, rig, 0, 0, seconds, proc.pid)
            stalled = stalled_viewer(port, headers)
            ten = await phase(port, headers, rig, 10, 10, seconds, proc.pid)
            stalled.close()
            fifty = await phase(port, headers, rig, 50, 5, seconds, proc.pid)
            httpx.post(f"{base}/api/session/stop", headers=auth).raise_for_status()
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(20)
    print("Dashboard: pty write -> websocket arrival, 8 channels at 80 Hz (simulated rig file)")
    for row in (idle, ten, fifty):
        print("  " + fmt(row))
    per_viewer = (fifty["cpu_pct"] - idle["cpu_pct"]) / 50
    realtime = fifty["link_rate_hz"] / 80.0
    print(
        f"  with 10 viewers + 1 that never reads: p50 {ten['p50_ms']:.2f} ms (target <= 5), "
        f"p99 {ten['p99_ms']:.2f} ms (target <= 20)"
    )
    print(
        f"  50 viewers: link at {fifty['link_rate_hz']:.1f} Hz = {realtime:.3f} x real time; "
        f"latency p99 {fifty['p99_ms']:.2f} ms"
    )
    print(
        f"  server CPU per viewer: {per_viewer:.2f} % of one core "
        f"({idle['cpu_pct']:.1f} % with none, {fifty['cpu_pct']:.1f} % with 50)"
    )
    ok = ten["p50_ms"] <= 5 and ten["p99_ms"] <= 20 and realtime > 0.98
    print("  targets met" if ok else "  TARGETS NOT MET")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="measured time per phase")
    return asyncio.run(run(parser.parse_args().seconds))


if __name__ == "__main__":
    sys.exit(main())
