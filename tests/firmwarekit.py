"""The firmware's portable C on the host: builds the harness, asks it, reads its answers.

The harness (hardware/firmware/ashiproto/test_vectors_main.c) is compiled with the host gcc
under AddressSanitizer/UBSan, so an out-of-bounds write fails a test instead of passing by
luck. Used by tests/test_c_packet_code.py and tests/test_c_handset.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

FIRMWARE_DIR = Path(__file__).resolve().parents[1] / "hardware" / "firmware"
PORTABLE_SOURCES = (
    FIRMWARE_DIR / "ashiproto" / "ashiproto.c",
    FIRMWARE_DIR / "hx711_array" / "hx711_array.c",
    FIRMWARE_DIR / "handset" / "handset.c",
)
HARNESS_SOURCE = FIRMWARE_DIR / "ashiproto" / "test_vectors_main.c"
# Strict C99 with the warnings a firmware build would want.
STRICT_C = ("-std=c99", "-Wall", "-Wextra", "-Wpedantic", "-Wconversion", "-Wshadow", "-Werror")
SANITIZE = ("-O1", "-fsanitize=address,undefined", "-fno-sanitize-recover=all")
HARNESS_ENV = {**os.environ, "ASAN_OPTIONS": "detect_leaks=0"}


def build_harness(out_dir: Path) -> Path:
    """Compile the harness into out_dir; fails the test saying why when gcc is missing."""
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.fail(
            "gcc not found on PATH: the firmware C tests compile hardware/firmware C code "
            "with the host C compiler; install it (apt-get install gcc, or run scripts/test)"
        )
    exe = out_dir / "test_vectors_main"
    sources = [*map(str, PORTABLE_SOURCES), str(HARNESS_SOURCE)]
    build = subprocess.run(
        [gcc, *STRICT_C, *SANITIZE, "-o", str(exe), *sources],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert build.returncode == 0, f"gcc could not build the C harness:\n{build.stderr}"
    return exe


def run_vectors(harness: Path) -> dict[str, str]:
    """The harness's fixed test vectors, name -> printed value."""
    run = subprocess.run(
        [str(harness)], capture_output=True, text=True, timeout=30, env=HARNESS_ENV, check=True
    )
    return dict(line.split(" ", 1) for line in run.stdout.splitlines())


def ask(harness: Path, requests: list[str]) -> list[str]:
    """Send request lines to the harness's --lines mode; one answer line per request."""
    run = subprocess.run(
        [str(harness), "--lines"],
        input="".join(r + "\n" for r in requests),
        capture_output=True,
        text=True,
        timeout=30,
        env=HARNESS_ENV,
    )
    assert run.returncode == 0, f"harness failed ({run.returncode}):\n{run.stderr}"
    answers = run.stdout.splitlines()
    assert len(answers) == len(requests), f"{len(requests)} requests, {len(answers)} answers"
    return answers


def c_bytes(printed: str) -> bytes:
    """A harness hex field as bytes ('-' means the C code returned 0: nothing fitted)."""
    return b"" if printed == "-" else bytes.fromhex(printed)
