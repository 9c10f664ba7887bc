"""Running the `ashisense` command as a person does: a process with its own cwd, environment
and PATH; servers (demo, serve) started, waited for until they print their URL, then stopped."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

#: What `demo` and `serve` print once they listen (dashboard/server.py announce()).
SERVING = "AshiSense dashboard: http://"
DEADLINE_S = 120.0  # only to catch hangs


@dataclass(frozen=True)
class Served:
    """A server run: its exit code after Ctrl-C and everything it printed."""

    code: int
    output: str
    listened: bool


def environment(bin_dir: Path, home: Path, **extra: str) -> dict[str, str]:
    """os.environ with bin_dir first on PATH (where `ashisense` is), HOME and ASHISENSE_HOME
    in a scratch folder (nothing of the user's is read or written) and no PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        HOME=str(home),
        ASHISENSE_HOME=str(home / ".ashisense"),
        **extra,
    )
    return env


def _pump(stream: object, lines: queue.Queue[str | None]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        lines.put(line)
    lines.put(None)


def serve_then_stop(
    argv: Sequence[str],
    cwd: Path,
    env: Mapping[str, str],
    deadline_s: float = DEADLINE_S,
    then: str = "",
) -> Served:
    """Start a server command, wait until it prints that it listens (or ends) and then a line
    holding `then` (if given), press Ctrl-C and wait for it to end. deadline_s: the longest
    wait for a line (only catches a hang)."""
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()
    pump = threading.Thread(target=_pump, args=(proc.stdout, lines), daemon=True)
    pump.start()
    seen: list[str] = []
    listened = heard = False
    try:
        while (line := lines.get(timeout=deadline_s)) is not None:
            seen.append(line)
            listened = listened or line.startswith(SERVING)
            heard = heard or then in line
            if listened and heard:
                break
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(deadline_s)
        finally:  # a hang (or the test's timeout): no server outlives the test
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        pump.join(DEADLINE_S)
        assert proc.stdout is not None
        proc.stdout.close()
    while (line := lines.get_nowait() if not lines.empty() else None) is not None:
        seen.append(line)
    return Served(code, "".join(seen), listened)
