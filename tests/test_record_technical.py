"""`ashisense record` without --rules evaluates the studio defaults; the technical rules (a dead
or saturated channel, samples lost on the link) alarm live and again, identically, when the
session is replayed; the commands print the alarms a person must see and keep the library's
chatter out of INFO."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from storekit import replayed_alarms

from ashisense.alarms.defaults import CONTRAINDICATIONS_FILE, RULES_FILE
from ashisense.store import SQLiteStore
from ashisense.store.records import AlarmRecord
from ashisense_cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
CHANNEL_RULES = ("channel_invalid", "channel_saturated", "channel_flat")
# Loggers of the store, alarms and calibration: their INFO must not crowd a command's output.
QUIET = ("ashisense.store", "ashisense.alarms", "ashisense.commands", "calibration")


def _chatter(records: list[logging.LogRecord]) -> list[str]:
    return [
        f"{r.name}: {r.getMessage()}"
        for r in records
        if r.levelno == logging.INFO and r.name.startswith(QUIET)
    ]


def _record(out: Path) -> int:
    return main(
        ["record", "--rig", str(EXAMPLES / "sim_rig.toml"), "--device",
         "sim://faults?seed=3&speed=fast&drop_per_s=0.5", "--seconds", "1", "--out", str(out)]
    )  # fmt: skip


def test_a_faulty_channel_alarms_live_and_identically_in_replay_with_the_studio_defaults(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "s.sqlite"
    with caplog.at_level(logging.DEBUG):
        assert _record(out) == 0
    printed = capsys.readouterr().out
    assert _chatter(caplog.records) == []
    with SQLiteStore(out, readonly=True) as store:
        (info,) = store.sessions()
        assert info.meta.rules_text == RULES_FILE.read_text(encoding="utf-8")
        assert info.meta.contraindications_text == CONTRAINDICATIONS_FILE.read_text(
            encoding="utf-8"
        )
        live = [a for a in store.alarms(info.id) if a.transition in ("raised", "condition_ended")]
        replayed = replayed_alarms(store, info)
    replayed = [a for a in replayed if a.transition in ("raised", "condition_ended")]
    channel = [a for a in live if a.rule_id in CHANNEL_RULES and a.transition == "raised"]
    assert channel, "the faults scenario should make a channel alarm within the recording"
    lost = [a for a in live if a.rule_id == "lost_samples" and a.transition == "raised"]
    assert lost, "bytes dropped on the link should make a lost-samples alarm"
    for alarm in channel + lost:  # printed by the command as they were raised
        assert alarm.message in printed

    def key(a: AlarmRecord) -> tuple[object, ...]:
        return (a.t_s, a.rule_id, a.transition, a.state, a.limit, a.message)

    assert [key(a) for a in replayed] == [key(a) for a in live]
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        assert main(["replay", str(out), "--fast"]) == 0
    raised = sum(a.transition == "raised" for a in live)
    assert f"{raised} alarms raised ({raised} when recorded)" in capsys.readouterr().out
    assert _chatter(caplog.records) == []
