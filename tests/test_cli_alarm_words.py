"""`record`, `replay` and `evaluate` print alarms as people read them: words, never rule ids,
and forces in the unit chosen with --unit (kg unless told)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from ashisense.alarms import load_rule_set
from ashisense_cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
RULES = EXAMPLES / "rules" / "studio_default.toml"
CLIENT = EXAMPLES / "profiles" / "client_example.toml"
UNIT_OF_LINE = re.compile(r"> limit [-\d.]+ (kg|lb|N)$")


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A stepping session with alarms, recorded with --unit lb; (file, what record printed)."""
    out = tmp_path_factory.mktemp("words") / "s.sqlite"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(
            ["record", "--rig", str(EXAMPLES / "sim_rig.toml"),
             "--device", "sim://stepping?seed=2&speed=fast", "--seconds", "1",
             "--out", str(out), "--client", str(CLIENT), "--unit", "lb"]
        )  # fmt: skip
    assert code == 0
    return out, printed.getvalue()


def _alarm_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if re.match(r"^\s+[\d.]+ s  ", line)]


def _no_rule_ids(lines: list[str]) -> None:
    ids = load_rule_set(RULES).ids()
    leaked = [line for line in lines for rule_id in ids if rule_id in line]
    assert not leaked, f"rule ids in what a person reads: {leaked}"


def test_record_prints_its_alarms_in_words_in_the_unit_chosen(recorded: tuple[Path, str]) -> None:
    lines = _alarm_lines(recorded[1])
    assert lines, "the stepping scenario raises alarms within the recording"
    assert {m.group(1) for line in lines if (m := UNIT_OF_LINE.search(line))} == {"lb"}
    _no_rule_ids(lines)


@pytest.mark.parametrize(("unit", "expected"), [((), "kg"), (("--unit", "N"), "N")])
def test_replay_prints_its_alarms_in_words_in_the_unit_chosen(
    recorded: tuple[Path, str],
    capsys: pytest.CaptureFixture[str],
    unit: tuple[str, ...],
    expected: str,
) -> None:
    assert main(["replay", str(recorded[0]), "--fast", *unit]) == 0
    lines = _alarm_lines(capsys.readouterr().out)
    assert len(lines) == len(_alarm_lines(recorded[1]))
    assert {m.group(1) for line in lines if (m := UNIT_OF_LINE.search(line))} == {expected}
    _no_rule_ids(lines)


def test_evaluate_names_alarms_by_their_titles_not_their_ids(
    recorded: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["evaluate", str(recorded[0]), "--rules", str(RULES), "--unit", "kg"]) == 0
    out = capsys.readouterr().out
    lines = _alarm_lines(out)
    assert lines and all(" raised " in line for line in lines)
    assert {m.group(1) for line in lines if (m := UNIT_OF_LINE.search(line))} == {"kg"}
    summary = out.split("would have been raised\n", 1)[1].splitlines()
    counted = {line.split(maxsplit=2)[2] for line in summary}  # priority, count, title
    assert "Load on a no-go region" in counted and "Client's limit for the calf" in counted
    _no_rule_ids(lines + summary)
