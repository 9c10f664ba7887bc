"""`ashisense evaluate`: a recorded session re-judged under another rule set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from storekit import sim_session

from ashisense.sim.model import CLIENT_HEAD_X_M, CLIENT_STATURE_M
from ashisense.store import open_store
from ashisense_cli import main

RULES = Path(__file__).resolve().parents[1] / "examples" / "rules" / "studio_default.toml"


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A 90 s simulated session with an overload, and a client profile matching the sim."""
    folder = tmp_path_factory.mktemp("evaluate")
    db = folder / "sessions.db"
    with open_store(db) as store:
        sim_session(store, 90.0, scenario="overload", seed=1)
    client = folder / "client.toml"
    client.write_text(
        f'id = "sim"\nweight_kg = 70.0\nheight_m = {CLIENT_STATURE_M}\n'
        f"head_x_m = {CLIENT_HEAD_X_M}\n"
    )
    return db, client


def evaluate(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert main(["evaluate", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_evaluate_prints_the_alarms_a_rule_set_would_have_raised(
    recording: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    db, client = recording
    out = evaluate(capsys, str(db), "--rules", str(RULES), "--client", str(client))
    overloads = [a for a in out["alarms"] if a["rule_id"] == "feet_overload"]
    assert overloads and all(a["transition"] == "raised" for a in out["alarms"])
    assert overloads[0]["value"] > overloads[0]["limit"] and "N" in overloads[0]["message"]
    assert out["raised"]["high:feet_overload"] == len(overloads)
    assert "high:no_go" not in out["raised"]


def test_other_limits_change_what_an_old_session_would_have_raised(
    recording: tuple[Path, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db, client = recording
    loose = tmp_path / "loose.toml"
    loose.write_text(
        RULES.read_text()
        .replace("limit_n = 490 ", "limit_n = 900 ")
        .replace("limit_client_weight_share = 0.7", "")
    )
    out = evaluate(capsys, str(db), "1", "--rules", str(loose), "--client", str(client))
    assert out["session"] == 1
    assert "high:feet_overload" not in out["raised"]


def test_a_bad_rule_file_is_a_clear_error(
    recording: tuple[Path, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[rule]]\nid = "x"\nkind = "feet_forse"\npriority = "high"\n')
    assert main(["evaluate", str(recording[0]), "--rules", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.toml: rule 'x': field 'kind'" in err and "feet_force" in err
