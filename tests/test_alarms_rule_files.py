"""Rule files: the studio defaults load, and every mistake is named (file, rule, field)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ashisense.alarms import (
    KINDS,
    AlarmEngine,
    Priority,
    RuleFileError,
    UnknownRuleKindError,
    load_rule_set,
    parse_rule_set,
)

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "rules"


def test_studio_defaults_cover_every_rule_the_issue_asks_for() -> None:
    rules = load_rule_set(EXAMPLES / "studio_default.toml")
    by_kind = {r.kind for r in rules}
    assert by_kind >= {
        "feet_force",
        "region_force",
        "rise_rate",
        "bar_drop",
        "unsupported",
        "balance",
        "support_low",
        "dwell",
        "no_data",
        "lost_rate",
        "channel_flags",
        "above",
    }
    priority = {r.id: r.priority for r in rules}
    for high in ("feet_overload", "no_go", "grip_loss", "no_data"):
        assert priority[high] is Priority.HIGH
    for medium in ("lumbar_band", "impact", "unsupported", "off_rig"):
        assert priority[medium] is Priority.MEDIUM
    assert rules.latches(rules.get("feet_overload"))
    assert not rules.latches(rules.get("impact"))
    AlarmEngine(rules)  # binds without a client


def _rule(**fields: object) -> str:
    body = "\n".join(f"{k} = {v!r}".replace("'", '"') for k, v in fields.items())
    return f"[[rule]]\n{body}\n"


BASE = {"id": "press", "kind": "feet_force", "priority": "high", "limit_n": 400}


def test_unknown_kind_lists_the_valid_kinds() -> None:
    with pytest.raises(UnknownRuleKindError) as err:
        parse_rule_set(_rule(**{**BASE, "kind": "feet_forse"}), "studio.toml")
    text = str(err.value)
    assert "studio.toml: rule 'press': field 'kind'" in text and "'feet_forse'" in text
    for kind in KINDS:
        assert kind in text


def test_missing_field_names_file_rule_and_field() -> None:
    fields = dict(BASE)
    del fields["limit_n"]
    with pytest.raises(RuleFileError, match=r"studio.toml: rule 'press': field 'limit_n'.*found"):
        parse_rule_set(_rule(**fields), "studio.toml")


def test_bad_value_says_what_was_expected_and_what_was_found() -> None:
    with pytest.raises(RuleFileError) as err:
        parse_rule_set(_rule(**{**BASE, "limit_n": -3}), "studio.toml")
    assert "field 'limit_n': expected greater than 0, found -3" in str(err.value)


def test_unknown_field_lists_the_known_ones() -> None:
    with pytest.raises(RuleFileError, match=r"field 'limt_n'.*hysteresis_n.*limit_n"):
        parse_rule_set(_rule(**{**BASE, "limt_n": 300}), "studio.toml")


def test_unknown_region_lists_the_regions() -> None:
    rule = _rule(id="nogo", kind="region_force", priority="high", limit_n=50, regions=["nek"])
    with pytest.raises(RuleFileError, match=r"field 'regions'.*nek.*popliteal"):
        parse_rule_set(rule, "studio.toml")


def test_duplicate_rule_ids_are_refused() -> None:
    with pytest.raises(RuleFileError, match="rule 'press': field 'id': expected a unique id"):
        parse_rule_set(_rule(**BASE) + _rule(**BASE), "studio.toml")


def test_bad_policy_and_bad_toml_are_named() -> None:
    with pytest.raises(RuleFileError, match=r"\[policy\]: field 'latching.0'"):
        parse_rule_set('[policy]\nlatching = ["urgent"]\n' + _rule(**BASE), "studio.toml")
    with pytest.raises(RuleFileError, match=r"studio\.toml: expected TOML"):
        parse_rule_set("[[rule]\n", "studio.toml")
    with pytest.raises(RuleFileError, match="at least one"):
        parse_rule_set("[policy]\n", "studio.toml")


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["id", "kind", "priority", "limit_n", "delay_s", "regions", "signal"]),
        st.one_of(
            st.integers(-5, 500),
            st.floats(allow_nan=False, allow_infinity=False, width=32),
            st.sampled_from(["high", "feet_force", "region_force", "above", "x", "neck", ""]),
            st.lists(st.sampled_from(["neck", "lumbar", "?"]), max_size=3),
        ),
    )
)
def test_any_rule_table_either_loads_or_fails_with_a_rule_file_error(fields: dict) -> None:
    try:
        rules = parse_rule_set(_rule(**fields) if fields else "[[rule]]\n", "fuzz.toml")
    except RuleFileError as err:
        assert str(err).startswith("fuzz.toml")
    else:
        assert len(rules) == 1
