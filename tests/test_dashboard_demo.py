"""`ashisense demo` on a fresh machine: one command, a URL and a password printed, the live page
served with the simulated rig, recording under way; a second run keeps the password."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import dashkit
import httpx

from ashisense.store import open_store


def _start(home: Path, port: int) -> tuple[subprocess.Popen[str], list[str]]:
    env = {**os.environ, "PYTHONPATH": str(dashkit.ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ashisense", "demo", "--home", str(home), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    lines = [proc.stdout.readline(), proc.stdout.readline()]
    return proc, lines


def _stop(proc: subprocess.Popen[str]) -> int:
    """Ctrl-C: the server shuts down cleanly (sessions flushed); the exit code says Ctrl-C."""
    proc.send_signal(signal.SIGINT)
    code = proc.wait(20)
    assert proc.stdout is not None
    proc.stdout.close()
    return code


def test_demo_prints_url_and_password_then_serves_the_live_view(tmp_path: Path) -> None:
    port = dashkit.free_port()
    proc, lines = _start(tmp_path / "home", port)
    try:
        assert lines[0].strip() == f"AshiSense dashboard: http://127.0.0.1:{port}/live"
        password = re.match(r"login password: (\S+)", lines[1])
        assert password is not None, lines
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            assert http.get("/live").status_code == 200
            assert http.post("/api/login", json={"password": "nope"}).status_code == 401
            login = http.post("/api/login", json={"password": password.group(1)})
            assert login.status_code == 200
            sessions = http.get("/api/sessions").json()
            assert len(sessions) == 1 and sessions[0]["client"] == "client-0001"
    finally:
        assert _stop(proc) == 130
    with open_store(tmp_path / "home" / "demo.sqlite", readonly=True) as store:
        (info,) = store.sessions()
    assert info.stopped_s is not None and info.summary.samples > 0  # flushed and closed
    # a second run keeps the password (only its hash is stored) and says where it is set
    proc, lines = _start(tmp_path / "home", port)
    _stop(proc)
    assert "login password" not in lines[1] and "studio.json" in lines[1]
