"""kill -9 of `ashisense record` at a random moment: the file is whole and holds the stream
up to less than a second before the kill.

The command records the simulated rig in real time (sim://...&rate=500, through the real
link and pipeline) in a child process; after a random 1 to 2.5 s the parent SIGKILLs it. As
the device runs in real time, a sample's host time t_s is when it reached the host, so the
last stored t_s must be within 1 s of the kill, with no hole in seq before it.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from ashisense.store import SQLiteStore

ROOT = Path(__file__).resolve().parents[1]


def test_a_killed_record_command_leaves_a_whole_file_up_to_the_last_second(
    tmp_path: Path,
) -> None:
    seed = random.randrange(1_000_000)
    delay_s = random.Random(seed).uniform(1.0, 2.5)
    out = tmp_path / "killed.sqlite"
    child = subprocess.Popen(
        [sys.executable, "-m", "ashisense", "record", "--rig", "examples/sim_rig.toml",
         "--device", f"sim://stepping?seed={seed}&rate=500", "--out", str(out)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert child.stdout is not None
    assert child.stdout.readline().startswith("recording session 1")
    with pytest.raises(subprocess.TimeoutExpired):  # it must still be recording by then
        child.wait(timeout=delay_s)
    kill_s = time.time()
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait(timeout=10) == -signal.SIGKILL
    child.stdout.close()

    with SQLiteStore(out) as store:
        assert store.integrity_check() == "ok"
        (info,) = store.sessions()
        assert info.interrupted and info.hello is not None
        blocks = list(store.blocks(info.id))
    seq = np.concatenate([b.seq for b in blocks])
    t_s = np.concatenate([b.t_s for b in blocks])
    np.testing.assert_array_equal(np.diff(seq), 1)  # whole from the first sample on
    assert kill_s - t_s[-1] < 1.0, (
        f"seed {seed}: killed {delay_s:.2f} s in; the file ends {kill_s - t_s[-1]:.2f} s "
        "before the kill"
    )
