"""Every `ashisense` example of README.md runs as written, in order, from a scratch copy of the
repository's examples: a line that breaks (a file that does not exist, an option renamed, a
session not recorded yet) fails here.

Each ```bash block's `ashisense` lines (and `wait`) run as one bash script with `ashisense` on
PATH, as after `source .venv/bin/activate`; the set-up lines (venv, pip, source) are what this
test environment already did. Servers (demo, serve) are started, waited for until they print
their URL, and stopped with Ctrl-C; they get a free --port so that a busy 8000 cannot fail them.
Questions (the calibration wizard's) are answered with Enter.

Each line's written form is parsed by the command's own parser (a renamed option or a bad
value fails there); it then runs with `--seconds` cut to FAST_SECONDS (what the later lines
read is still recorded, in less time), except in a block that runs a line in the background:
there the durations are what makes the lines overlap, and they run as written.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import clikit
import dashkit
import pytest

from ashisense_cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BIN = Path(sys.executable).parent
SERVERS = re.compile(r"^ashisense (demo|serve)\b")
RUN_FIRST_WORDS = ("ashisense", "wait")
ENTER_PRESSES = "\n" * 500
SECONDS = re.compile(r"(\s--seconds\s+)(\d+(?:\.\d+)?)")
FAST_SECONDS = 2.0


@dataclass(frozen=True)
class Step:
    """Lines of one README block to run together (a server line is a step of its own)."""

    lines: tuple[str, ...]

    @property
    def server(self) -> bool:
        return bool(SERVERS.match(self.lines[0]))


def readme_steps(text: str) -> list[Step]:
    """The runnable lines of every ```bash block, continuations joined, in README order."""
    steps: list[Step] = []
    for body in re.findall(r"^```bash\n(.*?)^```", text, flags=re.S | re.M):
        lines = [line.strip() for line in re.sub(r"\s*\\\n\s*", " ", body).splitlines()]
        run = [line for line in lines if line.split(" ", 1)[0] in RUN_FIRST_WORDS]
        script: list[str] = []
        for line in run:
            if SERVERS.match(line):
                steps += [Step(tuple(script))] if script else []
                steps.append(Step((line,)))
                script = []
            else:
                script.append(line)
        steps += [Step(tuple(script))] if script else []
    return steps


def _parses_as_written(line: str) -> None:
    """The command's own parser takes the line as the README writes it."""
    argv = shlex.split(line.removesuffix("&"), comments=True)
    if argv[0] != "ashisense":
        return
    try:
        build_parser().parse_args(argv[1:])
    except SystemExit as stop:  # --help and --version end here too, with 0
        if stop.code == 0:
            return
        message = f"the README's line does not parse (exit {stop.code}): {line}"
        raise AssertionError(message) from None


def fast(step: Step) -> Step:
    """The step with every `--seconds` cut to FAST_SECONDS, unless it runs a line in the
    background (the durations make its lines overlap)."""
    if any(line.endswith("&") for line in step.lines):
        return step

    def cut(m: re.Match[str]) -> str:
        return f"{m.group(1)}{min(float(m.group(2)), FAST_SECONDS):g}"

    return Step(tuple(SECONDS.sub(cut, line) for line in step.lines))


def _with_port(line: str, port: int) -> str:
    command = re.sub(r"\s--port\s+\d+", "", line)
    return re.sub(SERVERS, lambda m: f"{m.group(0)} --port {port}", command, count=1)


def _run_script(step: Step, cwd: Path, env: dict[str, str]) -> str:
    script = "\n".join(("set -euo pipefail", *step.lines))
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=cwd,
        env=env,
        input=ENTER_PRESSES,
        capture_output=True,
        text=True,
        timeout=clikit.DEADLINE_S * 3,
    )
    said = f"{done.stdout}\n{done.stderr}"
    assert done.returncode == 0, f"README lines failed (exit {done.returncode}):\n{script}\n{said}"
    assert "Traceback" not in said, f"README lines printed a traceback:\n{script}\n{said}"
    return said


def _run_server(step: Step, cwd: Path, env: dict[str, str]) -> str:
    line = _with_port(step.lines[0], dashkit.free_port())
    served = clikit.serve_then_stop(shlex.split(line, comments=True), cwd, env)
    assert served.listened, f"README line did not serve: {line}\n{served.output}"
    assert served.code == 130, f"{line} did not stop cleanly on Ctrl-C:\n{served.output}"
    return served.output


@pytest.mark.timeout(900)
def test_every_readme_example_runs_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not (BIN / "ashisense").is_file():
        pytest.fail(f"expected the ashisense command in {BIN} (run scripts/setup first)")
    steps = readme_steps(README.read_text(encoding="utf-8"))
    assert sum(len(s.lines) for s in steps) >= 15, "expected the README's examples"
    clone = tmp_path / "clone"
    shutil.copytree(ROOT / "examples", clone / "examples")  # links followed: plain files
    env = clikit.environment(BIN, tmp_path / "home")
    monkeypatch.chdir(clone)  # the parser checks the files the lines name, from there
    for step in steps:
        for line in step.lines:
            _parses_as_written(line)
        (_run_server if step.server else _run_script)(fast(step), clone, env)
    assert (clone / "s1.csv").stat().st_size > 0 and (clone / "trainee.html").stat().st_size > 0
    assert sorted(p.name for p in (clone / "examples" / "calibrations").glob("cal-*.json"))


def test_readme_steps_keep_blocks_and_servers_apart() -> None:
    text = (
        "```bash\npython3.11 -m venv .venv\nsource .venv/bin/activate\nashisense --help\n```\n"
        "```bash\nashisense init s\nashisense serve --rig s/rig.toml --port 8000\n```\n"
        "```bash\nashisense record --rig r.toml \\\n    --seconds 1\nwait\n```\n"
        "```bash\n.venv/bin/python benchmarks/bench_decode.py\n```\n"
    )
    steps = readme_steps(text)
    assert [s.lines for s in steps] == [
        ("ashisense --help",),
        ("ashisense init s",),
        ("ashisense serve --rig s/rig.toml --port 8000",),
        ("ashisense record --rig r.toml --seconds 1", "wait"),
    ]
    assert [s.server for s in steps] == [False, False, True, False]
    assert _with_port(steps[2].lines[0], 9) == "ashisense serve --port 9 --rig s/rig.toml"


def test_durations_are_cut_except_where_lines_run_in_the_background() -> None:
    alone = Step(("ashisense monitor sim://x --seconds 5 --json", "ashisense sessions s"))
    assert fast(alone).lines == (
        "ashisense monitor sim://x --seconds 2 --json",
        "ashisense sessions s",
    )
    assert fast(Step(("ashisense record --seconds 1.5",))).lines == (
        "ashisense record --seconds 1.5",
    )
    together = Step(("ashisense simulate --seconds 8 &", "ashisense monitor t --seconds 3", "wait"))
    assert fast(together) == together


def test_a_line_that_does_not_parse_fails_saying_so() -> None:
    _parses_as_written("ashisense monitor sim://x --seconds 5 &")
    _parses_as_written("wait")
    with pytest.raises(AssertionError, match="does not parse"):
        _parses_as_written("ashisense monitor sim://x --secs 5")
    with pytest.raises(AssertionError, match="does not parse"):
        _parses_as_written("ashisense record --rig r.toml --seconds soon --out s.sqlite")
