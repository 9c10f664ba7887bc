"""`ashisense --help` and `--version` stay light: building the command line imports no heavy
library (the time it takes is a figure: benchmarks/bench_cli_startup.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

#: Imported only by the commands that use them, when they run.
HEAVY = (
    "numpy",
    "psycopg",
    "paho",
    "pylsl",
    "scipy",
    "matplotlib",
    "pyarrow",
    "fastapi",
    "starlette",
    "uvicorn",
    "pandas",
    "numba",
    "llvmlite",
)


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_the_command_line_starts_without_heavy_imports(flag: str) -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "ashisense", flag],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and done.stdout.startswith(("usage: ashisense", "ashisense "))
    imported = {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "ashisense_cli" in imported  # the measurement saw the command line load
    assert sorted(imported & set(HEAVY)) == []
