"""kill -9 of a recording process at a random moment loses at most the last second.

A child process records a real-time 1 kHz x 4-channel source through a Dispatcher into a
SessionWriter (the live path) and prints, after handing over each 10 ms block, its last seq
and the wall time. The parent SIGKILLs it at a random moment, reopens the file and checks
that SQLite finds it intact, that the stored samples run without a hole from the first, and
that every sample handed over more than 1 s before the kill is there.
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
import storekit

from ashisense.store import SQLiteStore

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import sys, time
import storekit
from ashisense.store import SessionWriter, SQLiteStore
from firmware_bridge.listener import Dispatcher

writer = SessionWriter(SQLiteStore(sys.argv[1]), storekit.meta())
writer.start()
dispatcher = Dispatcher([writer])
dispatcher.put(storekit.hello())
t0 = time.monotonic()
i = 0
while True:
    (block,) = storekit.blocks(1, 10, seq0=i * 10, t0_s=1.7e9 + i * 0.01, seed=i)
    time.sleep(max(0.0, t0 + (i + 1) * 0.01 - time.monotonic()))  # the source's own pace
    dispatcher.put(block)
    print(int(block.seq[-1]), time.time(), flush=True)
    i += 1
"""


def test_a_killed_recording_keeps_everything_older_than_one_second(tmp_path: Path) -> None:
    seed = random.randrange(1_000_000)
    lines_before_kill = random.Random(seed).randint(80, 250)  # 0.8-2.5 s into the recording
    path = tmp_path / "killed.sqlite"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert child.stdout is not None
    handed: list[tuple[int, float]] = []
    for line in child.stdout:
        seq, t_s = line.split()
        handed.append((int(seq), float(t_s)))
        if len(handed) == lines_before_kill:
            break
    kill_s = time.time()
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait(timeout=10) == -signal.SIGKILL
    child.stdout.close()

    must_have = max((seq for seq, t_s in handed if t_s <= kill_s - 1.0), default=-1)
    with SQLiteStore(path) as store:
        assert store.integrity_check() == "ok"
        (info,) = store.sessions()
        assert info.interrupted
        seq = np.concatenate([b.seq for b in store.blocks(info.id)])
        np.testing.assert_array_equal(seq, np.arange(len(seq)))  # no hole from the first
        assert seq[-1] >= must_have, (
            f"seed {seed}: killed {len(handed)} blocks in; samples up to seq {must_have} were "
            f"handed over more than 1 s before the kill, but the file ends at {seq[-1]}"
        )
        assert info.summary.samples == len(seq)  # the running summary commits with the data
        assert info.channels == storekit.CHANNELS
