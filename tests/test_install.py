"""A plain `pip install` (a wheel, not editable) works from any folder: `ashisense demo` runs on
its packaged rig and profiles, and `ashisense init` writes a rig folder that `record` uses.

The wheel is built from a copy of the sources and installed into a fresh venv; the venv sees
the dependencies of the venv running the tests (a path line in a .pth file, so none of their
.pth hooks run: the editable install of the clone stays invisible) and nothing of the clone.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import clikit
import dashkit
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("ashisense", "ashisense_cli", "calibration", "dashboard", "firmware_bridge")
JUNK = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
# A fresh install's first start compiles the numeric kernels (it says so): 20 s on an idle
# desktop, minutes on a busy 2-core machine. Deadlines that only catch a hang.
FIRST_START_DEADLINE_S = 480.0
pytestmark = pytest.mark.timeout(600)


def _run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, **kwargs)  # type: ignore[call-overload]
    assert done.returncode == 0, f"{argv} failed:\n{done.stdout}\n{done.stderr}"
    return done  # type: ignore[no-any-return]


def _wheel(tmp: Path) -> Path:
    """Build the wheel from a clean copy (no build/ leftovers of the clone can slip in)."""
    src = tmp / "src"
    for name in PACKAGES:
        shutil.copytree(ROOT / name, src / name, ignore=JUNK)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    _run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "-w", str(tmp / "dist")])
    (wheel,) = (tmp / "dist").glob("ashisense-*.whl")
    return wheel


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin folder of a fresh venv holding only the wheel (dependencies seen by path)."""
    tmp = tmp_path_factory.mktemp("install")
    wheel = _wheel(tmp)
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    site = Path(
        _run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]
        ).stdout.strip()
    )
    (site / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", str(wheel)])
    return venv / "bin"


def test_the_installed_command_is_the_wheel_not_the_clone(installed: Path, tmp_path: Path) -> None:
    env = clikit.environment(installed, tmp_path)
    done = _run(["ashisense", "--version"], cwd=tmp_path, env=env)
    assert done.stdout.strip() == "ashisense 0.1.0"
    where = _run(
        [
            "python",
            "-c",
            "import ashisense, dashboard; print(ashisense.__file__, dashboard.__file__)",
        ],
        cwd=tmp_path,
        env=env,
    ).stdout.split()
    assert all(Path(w).is_relative_to(installed.parent) for w in where), where
    assert _run(["ashisense", "demo", "--help"], cwd=tmp_path, env=env).stdout.startswith("usage")


def test_the_demo_runs_from_any_folder_on_its_packaged_rig(installed: Path, tmp_path: Path) -> None:
    env = clikit.environment(installed, tmp_path)
    port = dashkit.free_port()
    served = clikit.serve_then_stop(
        ["ashisense", "demo", "--port", str(port)],
        tmp_path,
        env,
        FIRST_START_DEADLINE_S,
        then="client baseline",  # samples have come (a busy machine may take a while)
    )
    assert served.listened, served.output
    assert f"http://127.0.0.1:{port}/live" in served.output
    assert served.code == 130  # Ctrl-C, after a clean shutdown
    listed = _run(
        ["ashisense", "sessions", str(tmp_path / ".ashisense" / "demo.sqlite"), "--json"],
        cwd=tmp_path,
        env=env,
    )
    (session,) = [json.loads(line) for line in listed.stdout.splitlines()]
    assert session["client"] == "client-0001" and session["samples"] > 0


def test_init_writes_a_rig_folder_that_records(installed: Path, tmp_path: Path) -> None:
    env = clikit.environment(installed, tmp_path)
    _run(["ashisense", "init", "studio"], cwd=tmp_path, env=env)
    written = sorted(
        str(p.relative_to(tmp_path / "studio")) for p in (tmp_path / "studio").rglob("*")
    )
    assert written == [
        "calibrations",
        "profiles",
        "profiles/client_example.toml",
        "profiles/client_lumbar_contra.json",
        "profiles/therapist_example.toml",
        "rig.toml",
        "rules",
        "rules/contraindications.toml",
        "rules/studio_default.toml",
    ]
    _run(
        ["ashisense", "record", "--rig", "studio/rig.toml", "--seconds", "3", "--out", "s.sqlite",
         "--client", "studio/profiles/client_example.toml"],
        cwd=tmp_path,
        env=env,
    )  # fmt: skip
    listed = _run(["ashisense", "sessions", "s.sqlite", "--json"], cwd=tmp_path, env=env)
    (session,) = [json.loads(line) for line in listed.stdout.splitlines()]
    assert session["samples"] > 0
