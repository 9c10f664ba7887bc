"""Limits that learn each client: a simulated client with known comfort levels per region,
on the handset over five recorded sessions (simulated rig bytes -> link decoding -> pipeline
-> presses -> store), gives a comfort map and proposed limits within 5 % of those levels;
proposals never go above the studio's or a contraindication's limit; what is accepted is
kept with the session's rules and alarmed on."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from ashisense.alarms import parse_rule_set
from ashisense.alarms.defaults import RULES_FILE, studio_contraindications, studio_rules
from ashisense.client.comfort import ComfortMap, RegionComfort, client_comfort, presses_of
from ashisense.client.proposal import (
    ComfortLimitError,
    accepted_limits,
    check_accepted,
    comfort_rules_text,
    propose_limits,
    region_caps,
)
from ashisense.profiles import ClientProfile
from ashisense.session.analysis import SessionAnalysis
from ashisense.store import SQLiteStore
from calibration.units import STANDARD_GRAVITY_M_S2 as G
from tests.handsetkit import record_handset_session

# The simulated client's comfort levels (kgf), within the calm scenario's 20-38 kgf.
LEVELS_KGF = {"upper_back": 31.0, "lumbar": 24.0, "pelvis": 33.0, "thigh": 28.0, "calf": 25.0}
SPEC = ",".join(f"{r}:{kgf:g}" for r, kgf in LEVELS_KGF.items())


@pytest.fixture(scope="module")
def five_sessions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("comfort") / "sessions.sqlite"
    with SQLiteStore(path) as store:
        for nth in range(5):
            record_handset_session(store, 600.0, nth, handset=SPEC)
    return path


def test_five_sessions_give_proposed_limits_within_5_percent_of_the_comfort_levels(
    five_sessions: Path,
) -> None:
    with SQLiteStore(five_sessions, readonly=True) as store:
        comfort = client_comfort(store, "sim-client")
    assert comfort.sessions == 5
    rules = parse_rule_set(RULES_FILE.read_text(), "studio")  # the lumbar band caps at 300 N
    proposals = {p.region: p for p in propose_limits(comfort, rules)}
    for region, kgf in LEVELS_KGF.items():
        p = proposals[region]
        assert p.comfort_n / G == pytest.approx(kgf, rel=0.05), region
        assert p.proposed_n / G == pytest.approx(kgf, rel=0.05), region
        assert p.sessions == 5 and p.presses >= 5, (region, p.presses)
    assert all(math.isnan(r.limit_n) or r.region in LEVELS_KGF or r.presses <= 20
               for r in comfort.regions)  # fmt: skip


def test_presses_are_kept_with_their_moment_and_what_the_therapist_did_next(
    five_sessions: Path,
) -> None:
    with SQLiteStore(five_sessions, readonly=True) as store:
        lighter = presses_of(store, ["lighter"], "sim-client")
        stops = [(sid, p) for sid, p in presses_of(store, ["stop"]) if p.region]
        alarms = {sid: store.alarms(sid) for sid in {sid for sid, _ in stops}}
    assert {sid for sid, _ in lighter} == {1, 2, 3, 4, 5}
    assert all(p.source == "handset" and p.region and p.feet_n > 0 for _, p in lighter)
    assert sum(not math.isnan(p.feet_after_n) for _, p in lighter) >= 0.9 * len(lighter)
    for sid, p in stops:  # each stop alarmed HIGH at its press, with force and region
        raised = [a for a in alarms[sid] if a.rule_id == "client_stop" and a.t_s == p.t_s]
        assert raised and raised[0].transition == "raised" and raised[0].priority == "high"


def _comfort(**limits_n: float) -> ComfortMap:
    regions = tuple(RegionComfort(r, (n,), (), 3) for r, n in limits_n.items())
    return ComfortMap("c", (1, 2, 3), regions)


def test_proposals_never_go_above_the_studio_or_a_contraindication() -> None:
    client = ClientProfile(id="c", weight_kg=70, height_m=1.75, contraindications=("osteoporosis",))
    comfort = _comfort(upper_back=320.0, lumbar=250.0, thigh=150.0, neck=200.0)
    found = {
        p.region: p
        for p in propose_limits(comfort, studio_rules(), client, studio_contraindications())
    }
    # osteoporosis halves the feet force (70 % of 70 kg) and the lumbar band (x 0.6: 180 N)
    overload_n = 0.5 * 0.7 * 70.0 * G
    assert found["upper_back"].proposed_n == pytest.approx(overload_n)
    assert found["upper_back"].capped
    assert found["lumbar"].proposed_n == pytest.approx(180.0) and found["lumbar"].capped
    assert found["thigh"].proposed_n == 150.0 and not found["thigh"].capped
    assert found["neck"].proposed_n == 60.0  # a no-go region stays at its no-go limit


def test_accepted_limits_are_checked_and_kept_with_the_sessions_rules() -> None:
    caps = region_caps(studio_rules())
    with pytest.raises(ComfortLimitError, match="above the studio's limit"):
        check_accepted({"lumbar": 320.0}, caps)
    with pytest.raises(ComfortLimitError, match="not a body region"):
        check_accepted({"shoulder": 100.0}, caps)
    kept = check_accepted({"thigh": 250.0, "lumbar": 300.0}, caps)
    assert kept == {"thigh": 250.0}  # the lumbar band's 300 N already holds there
    text = RULES_FILE.read_text() + comfort_rules_text(kept, "c")
    rules = parse_rule_set(text, "snapshot")
    assert accepted_limits(rules) == {"thigh": 250.0}
    rule = rules.get("comfort_thigh")
    assert rule.title() == "Client's comfort limit for the thigh" and rule.limit_value == 250.0


def test_a_session_with_accepted_limits_alarms_on_them_in_replay(five_sessions: Path) -> None:
    with SQLiteStore(five_sessions, readonly=True) as store:
        info = store.session(1)
    text = info.meta.rules_text + comfort_rules_text({"thigh": 200.0})
    analysis = SessionAnalysis.for_session(info, rules=parse_rule_set(text, "snapshot"))
    assert analysis.engine is not None and analysis.engine.rule("comfort_thigh") is not None


def test_the_report_shows_the_comfort_map_and_the_presses(five_sessions: Path) -> None:
    from ashisense.report import make_report

    with SQLiteStore(five_sessions, readonly=True) as store:
        page = make_report([(store, 5)], progress=False)
    assert "<h2>Client&#x27;s comfort map</h2>" in page or "<h2>Client's comfort map</h2>" in page
    assert "the client pressed lighter (handset) on the" in page and "2 s later" in page


def test_the_presses_are_exported_beside_the_samples(five_sessions: Path, tmp_path: Path) -> None:
    import pyarrow.csv as pa_csv

    from ashisense.session.export import export_presses, presses_path

    out = presses_path(tmp_path / "s1.csv")
    with SQLiteStore(five_sessions, readonly=True) as store:
        rows = export_presses(store, 1, out, "csv")
        kept = store.presses(1)
    table = pa_csv.read_csv(out)
    assert out.name == "s1.presses.csv" and rows == len(kept) == table.num_rows > 0
    assert table.column_names[:4] == ["t_s", "elapsed_s", "button", "source"]
    assert table.column("button").to_pylist() == [p.button for p in kept]
