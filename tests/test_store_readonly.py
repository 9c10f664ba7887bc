"""A read-only location is a clear error when recording starts, and still readable for review.

How "read-only" is produced: a directory with mode 0555 holding a recording with mode 0444.
Root ignores permission bits through the capabilities CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH and
CAP_FOWNER, and the tests usually run as root; so when we are root the store is exercised in a
child process that first drops those three from its capability bounding set (prctl
PR_CAPBSET_DROP, Linux) and then re-executes Python, which therefore runs without them (the
child checks its effective set in /proc/self/status and reports it). As any other user the
modes already hold. Either way the kernel really refuses the writes: nothing is faked.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import storekit

from ashisense.store import Batch, SQLiteStore

ROOT = Path(__file__).resolve().parents[1]

# Stage 1 (as root): drop the capabilities that bypass file modes, then exec stage 2.
DROP_AND_EXEC = """
import ctypes, os, sys
PR_CAPBSET_DROP = 24
libc = ctypes.CDLL(None, use_errno=True)
if os.geteuid() == 0:
    for cap in (1, 2, 3):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            sys.exit(f"prctl(PR_CAPBSET_DROP, {cap}) failed: errno {ctypes.get_errno()}")
os.execv(sys.executable, [sys.executable, "-c", sys.argv[1], *sys.argv[2:]])
"""

CHILD = """
import json, sys
from ashisense.store import SQLiteStore, StoreError
status = open("/proc/self/status").read()
cap_eff = int(status.split("CapEff:")[1].split()[0], 16)
out = {"dac_override": bool(cap_eff & 0b1110)}
try:
    SQLiteStore(sys.argv[1] + "/new.sqlite")
    out["new"] = "opened"
except StoreError as err:
    out["new"] = [type(err).__name__, isinstance(err, OSError), str(err)]
with SQLiteStore(sys.argv[1] + "/old.sqlite", readonly=True) as store:
    out["sessions"] = [s.summary.samples for s in store.sessions()]
    out["samples"] = sum(len(b) for b in store.blocks(store.sessions()[0].id))
print(json.dumps(out))
"""


def _run_without_override(directory: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", DROP_AND_EXEC, CHILD, str(directory)],
        capture_output=True, text=True, cwd=ROOT, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"child failed: {done.stderr}"
    return json.loads(done.stdout)


def test_recording_into_a_read_only_directory_fails_at_start_and_review_still_works(
    tmp_path: Path,
) -> None:
    directory = tmp_path / "ro"
    directory.mkdir()
    with SQLiteStore(directory / "old.sqlite") as store:
        sid = store.create_session(storekit.meta())
        store.write(sid, Batch(blocks=storekit.blocks(5)))
    (directory / "old.sqlite").chmod(0o444)
    directory.chmod(0o555)
    try:
        out = _run_without_override(directory)
    finally:
        directory.chmod(0o755)
    assert out["dac_override"] is False
    kind, is_oserror, message = out["new"]  # type: ignore[misc]
    assert kind == "StoreOpenError" and is_oserror
    assert "cannot record here" in message and str(directory) in message
    assert "SQLITE_CANTOPEN" in message
    assert out["sessions"] == [50] and out["samples"] == 50
    assert not (directory / "new.sqlite").exists()
