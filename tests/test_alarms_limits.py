"""Client limits: the studio's rules tightened, never loosened, by profile and contraindications."""

from __future__ import annotations

from pathlib import Path

import pytest

from ashisense.alarms import (
    AlarmEngine,
    ClientLimitsError,
    RuleFileError,
    load_contraindications,
    load_rule_set,
    parse_contraindications,
    tighten_for_client,
)
from ashisense.profiles import load_client

ROOT = Path(__file__).resolve().parents[1]
STUDIO = load_rule_set(ROOT / "examples" / "rules" / "studio_default.toml")
CONTRA = load_contraindications(ROOT / "examples" / "rules" / "contraindications.toml")
G = 9.80665


def limit(rule_set, rule_id: str) -> float:
    return rule_set.get(rule_id).limit_value


def test_feet_limit_is_the_lower_of_the_studio_limit_and_the_weight_share() -> None:
    light, _ = tighten_for_client(STUDIO, {"weight_kg": 50})
    heavy, _ = tighten_for_client(STUDIO, {"weight_kg": 120})
    assert limit(light, "feet_overload") == pytest.approx(0.7 * 50 * G)
    assert limit(heavy, "feet_overload") == limit(STUDIO, "feet_overload")


def test_profile_max_tightens_but_never_loosens() -> None:
    tight, _ = tighten_for_client(STUDIO, {"weight_kg": 90, "max_feet_n": 300})
    assert limit(tight, "feet_overload") == 300
    loose, notes = tighten_for_client(STUDIO, {"weight_kg": 90, "max_feet_n": 900})
    assert limit(loose, "feet_overload") == limit(STUDIO, "feet_overload")
    assert any("studio limit kept" in n for n in notes)


def test_a_profile_region_limit_alarms_like_the_studio_rule_for_that_region() -> None:
    client = load_client(ROOT / "examples" / "profiles" / "client_example.toml")
    rules, notes = tighten_for_client(STUDIO, client, CONTRA)
    lumbar, band = rules.get("feet_overload_lumbar"), rules.get("lumbar_band")
    assert lumbar.limit_value == 200 and lumbar.regions == ("lumbar",)
    # the lumbar band's medium priority and 1 s delay, not the overload's high and 0.25 s
    assert (lumbar.priority, lumbar.delay_s, lumbar.clear_delay_s) == (
        band.priority,
        band.delay_s,
        band.clear_delay_s,
    )
    upper = rules.get("feet_overload_upper_back")  # no region rule there: the overload's
    overload = rules.get("feet_overload")
    assert (upper.priority, upper.delay_s) == (overload.priority, overload.delay_s)
    assert lumbar.title() == "Client's limit for the lumbar / kidney band"
    assert "feet_overload_pelvis" not in rules.ids()  # 500 N is not below the 481 N limit
    assert any("feet_overload_pelvis" in n and "studio limit kept" in n for n in notes)


def test_the_profile_can_set_a_region_limits_priority_and_delay() -> None:
    client = {
        "weight_kg": 70,
        "limits_n": {"lumbar": 200.0},
        "limit_alarms": {"lumbar": {"priority": "high", "delay_s": 0.25}},
    }
    rules, notes = tighten_for_client(STUDIO, client, CONTRA)
    lumbar = rules.get("feet_overload_lumbar")
    assert (lumbar.priority, lumbar.delay_s) == ("high", 0.25)
    assert any("feet_overload_lumbar" in n and "as the profile" in n for n in notes)


def test_a_region_limit_looser_than_the_studios_region_rule_adds_no_rule() -> None:
    client = {"weight_kg": 70, "limits_n": {"lumbar": 350.0}}  # the band is 300 N already
    rules, notes = tighten_for_client(STUDIO, client, CONTRA)
    assert "feet_overload_lumbar" not in rules.ids()
    assert any("lumbar_band" in n and "studio limit kept" in n for n in notes)


@pytest.mark.parametrize(
    ("condition", "rule_id", "factor"),
    [
        ("osteoporosis", "feet_overload", 0.5),
        ("osteoporosis", "impact", 0.5),
        ("disc_problems", "lumbar_band", 0.4),
        ("pregnancy", "feet_overload", 0.5),
        ("recent_surgery", "feet_overload", 0.6),
    ],
)
def test_each_condition_tightens_its_documented_limits(
    condition: str, rule_id: str, factor: float
) -> None:
    base, _ = tighten_for_client(STUDIO, {"weight_kg": 80})
    rules, notes = tighten_for_client(
        STUDIO, {"weight_kg": 80, "contraindications": [condition]}, CONTRA
    )
    assert limit(rules, rule_id) == pytest.approx(factor * limit(base, rule_id))
    assert any(n.startswith(f"{rule_id}: limit") and condition in n for n in notes)


@pytest.mark.parametrize(
    ("contra", "forbidden"),
    [
        (["kidney_disorders"], {"lumbar"}),
        (["pregnancy"], {"lumbar", "pelvis"}),
        (["recent_surgery:thigh"], {"thigh"}),
        (["calf"], {"calf"}),  # a region named directly, as ClientProfile allows
    ],
)
def test_conditions_and_regions_forbid_regions(contra: list[str], forbidden: set[str]) -> None:
    rules, _ = tighten_for_client(STUDIO, {"weight_kg": 70, "contraindications": contra}, CONTRA)
    regions = set(rules.get("no_go").regions)
    assert forbidden <= regions and {"head", "neck", "popliteal"} <= regions


def test_tightest_condition_wins_they_do_not_multiply() -> None:
    both, _ = tighten_for_client(
        STUDIO, {"weight_kg": 80, "contraindications": ["osteoporosis", "recent_surgery"]}, CONTRA
    )
    base, _ = tighten_for_client(STUDIO, {"weight_kg": 80})
    assert limit(both, "feet_overload") == pytest.approx(0.5 * limit(base, "feet_overload"))


def test_unknown_contraindication_is_an_error_listing_what_is_known() -> None:
    with pytest.raises(ClientLimitsError, match=r"'osteoporossis'.*lumbar.*osteoporosis"):
        tighten_for_client(STUDIO, {"contraindications": ["osteoporossis"]}, CONTRA)
    with pytest.raises(ClientLimitsError, match="site_rule"):
        tighten_for_client(STUDIO, {"contraindications": ["osteoporosis:lumbar"]}, CONTRA)


def test_a_map_that_would_loosen_or_names_a_missing_rule_is_refused() -> None:
    loosen = parse_contraindications(
        '[condition.x]\nrationale = "r"\n[condition.x.rule.feet_overload]\nlimit_factor = 1.5\n',
        "c.toml",
    )
    with pytest.raises(RuleFileError, match=r"c.toml: x: rule 'feet_overload': expected a limit"):
        tighten_for_client(STUDIO, {"contraindications": ["x"]}, loosen)
    missing = parse_contraindications(
        '[condition.x]\nrationale = "r"\n[condition.x.rule.nope]\nlimit_factor = 0.5\n', "c.toml"
    )
    with pytest.raises(RuleFileError, match="rule 'nope' is not in the rule set"):
        tighten_for_client(STUDIO, {"contraindications": ["x"]}, missing)
    with pytest.raises(RuleFileError, match=r"c.toml: field 'condition.x.rationale'"):
        parse_contraindications("[condition.x]\n", "c.toml")


def test_engine_for_session_uses_the_tightened_limits_and_keeps_the_notes() -> None:
    eng = AlarmEngine.for_session(
        STUDIO, {"weight_kg": 80, "contraindications": ["osteoporosis"]}, CONTRA
    )
    status = {s.rule_id: s for s in eng.status()}
    assert status["feet_overload"].limit == pytest.approx(0.5 * min(490, 0.7 * 80 * G))
    assert any("osteoporosis" in n for n in eng.notes)
