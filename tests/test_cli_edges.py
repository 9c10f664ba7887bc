"""The command line refuses bad input in its own words, naming the option: numbers that make no
sense, files that are not there, folders that do not exist, a wizard with no one to answer it;
and it prints figures as a person reads them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ashisense.commands import count_of
from ashisense.store.records import duration_text
from ashisense_cli import main

ROOT = Path(__file__).resolve().parents[1]
RIG = ROOT / "examples" / "sim_rig.toml"


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """main(argv) exits 2 before doing anything; what it said on stderr."""
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    return capsys.readouterr().err


NOT_POSITIVE = "expected a number > 0, got"


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["monitor", "sim://calm", "--seconds", "0"], f"argument --seconds: {NOT_POSITIVE} '0'"),
        (["monitor", "sim://calm", "--seconds", "-1"], f"argument --seconds: {NOT_POSITIVE} '-1'"),
        (["monitor", "sim://calm", "--seconds", "nan"], f"--seconds: {NOT_POSITIVE} 'nan'"),
        (["monitor", "sim://calm", "--ascii-rate", "0"], f"argument --ascii-rate: {NOT_POSITIVE}"),
        (["monitor", "sim://calm", "--baud", "-9600"], "argument --baud: expected a whole number"),
        (["record", "--rig", str(RIG), "--out", "x.sqlite", "--seconds", "0"], "--seconds: exp"),
        (["simulate", "--rate", "0"], f"argument --rate: {NOT_POSITIVE} '0'"),
        (["simulate", "--seconds", "-1"], f"argument --seconds: {NOT_POSITIVE} '-1'"),
        (["replay", "s.sqlite", "--speed", "-2"], f"argument --speed: {NOT_POSITIVE} '-2'"),
        (["demo", "--port", "0"], "argument --port: expected a TCP port from 1 to 65535, got '0'"),
        (["serve", "--rig", str(RIG), "--port", "70000"], "argument --port: expected a TCP port"),
    ],
)  # fmt: skip
def test_numbers_that_make_no_sense_are_refused_naming_the_option(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert said in _refused(argv, capsys)


@pytest.mark.parametrize(
    "argv",
    [
        ["record", "--rig", "/tmp/nope.toml", "--out", "x.sqlite"],
        ["serve", "--rig", "/tmp/nope.toml"],
        ["calibrate", "--rig", "/tmp/nope.toml", "--simulate"],
    ],
)
def test_a_missing_rig_file_names_the_option(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    err = _refused(argv, capsys)
    assert "argument --rig: no such file: /tmp/nope.toml" in err
    assert "Errno" not in err


def test_profiles_and_rules_that_are_not_there_name_their_option(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["record", "--rig", str(RIG), "--out", "x.sqlite", "--client", "nobody.toml"]
    assert "argument --client: no such file: nobody.toml" in _refused(argv, capsys)
    argv = ["evaluate", "s.sqlite", "--rules", str(ROOT / "examples")]
    assert "argument --rules: expected a file, found a folder" in _refused(argv, capsys)


@pytest.mark.parametrize(
    "argv",
    [
        ["export", "s.sqlite", "1", "--out", "/nope/s1.csv"],
        ["export", "s.sqlite", "1", "--format", "parquet", "--out", "/nope/s1.parquet"],
        ["report", "s.sqlite", "1", "--out", "/nope/r.html"],
        ["simulate", "--truth", "/nope/truth.csv"],
    ],
)
def test_an_output_in_a_missing_folder_says_so_in_our_words(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    err = _refused(argv, capsys)
    assert "no such folder: /nope (for /nope/" in err
    assert "Errno" not in err and "Failed to open" not in err


def test_the_calibration_wizard_with_its_input_closed_says_why_and_fails(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ashisense", "calibrate", "--rig", str(RIG), "--simulate",
         "--out", str(tmp_path)],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2
    assert "ashisense calibrate: error: the input closed before the question" in done.stderr
    assert "run it in a terminal" in done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []  # nothing saved


@pytest.mark.parametrize(
    ("duration_s", "shown"),
    [
        (59.97, "1:00.0"),
        (59.94, "0:59.9"),
        (0.04, "0:00.0"),
        (119.96, "2:00.0"),
        (3725.5, "62:05.5"),
    ],
)
def test_session_durations_read_as_minutes_and_seconds(duration_s: float, shown: str) -> None:
    assert duration_text(duration_s) == shown


def test_counts_agree_with_their_noun() -> None:
    assert [count_of(n, "alarm") for n in (0, 1, 2)] == ["0 alarms", "1 alarm", "2 alarms"]
