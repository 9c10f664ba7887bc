"""Client and therapist profiles are data files (JSON or TOML), validated with named errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ashisense.alarms import AlarmEngine, load_contraindications, load_rule_set
from ashisense.bodymap import REGION_CODE
from ashisense.profiles import (
    DEFAULT_CONTRAINDICATIONS,
    ClientProfile,
    ProfileError,
    known_conditions,
    load_client,
    load_therapist,
    profile_from_dict,
)
from calibration.units import STANDARD_GRAVITY_M_S2
from tests.pipelinekit import EXAMPLES

PROFILES = EXAMPLES / "profiles"
CONTRA = load_contraindications(DEFAULT_CONTRAINDICATIONS)
STUDIO = load_rule_set(DEFAULT_CONTRAINDICATIONS.with_name("studio_default.toml"))


def test_example_profiles_load() -> None:
    client = load_client(PROFILES / "client_example.toml")
    other = load_client(PROFILES / "client_lumbar_contra.json")
    therapist = load_therapist(PROFILES / "therapist_example.toml")
    assert client.weight_n == pytest.approx(70.0 * STANDARD_GRAVITY_M_S2)
    assert client.limit_n("lumbar") == 200.0 and client.limit_n("neck") == 500.0
    assert "lumbar" in other.no_go and "lumbar" not in client.no_go
    assert therapist.contact_area_m2() == pytest.approx(0.0140)
    assert therapist.contact_area_m2("heel") == pytest.approx(0.0040)


def test_client_profile_gives_its_body_map() -> None:
    client = load_client(PROFILES / "client_lumbar_contra.json")
    body = client.body_map()
    assert body.stature_m == 1.62 and body.head_x_m == 0.08
    code = body.classify([0.08 + 0.37 * 1.62], [0.1])[0]  # lower back
    assert code == REGION_CODE["lumbar"] and body.no_go_mask([code])[0]
    flipped = profile_from_dict({**client.model_dump(), "head_end": "foot"}, ClientProfile)
    assert flipped.body_map().direction == -1


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"weight_kg": -3}, "weight_kg: input should be greater than 20"),
        ({"limits_n": {"lumbr": 100}}, "unknown body regions ['lumbr']"),
        ({"limits_n": {"lumbar": 0}}, "limits must be > 0 N"),
        ({"contraindications": ["kidneys"]}, "unknown contraindications ['kidneys']"),
        ({"contraindications": ["osteoporosis:lumbar"]}, "condition:region for recent_surgery"),
        ({"contraindications": ["recent_surgery:kidney"]}, "['recent_surgery:kidney']"),
        ({"contraindications": ["lumbar:thigh"]}, "a condition (osteoporosis, disc_problems"),
        ({"head_end": "left"}, "head_end: input should be 'head' or 'foot'"),
        ({"shoe_size": 44}, "shoe_size: extra inputs are not permitted"),
    ],
)
def test_wrong_client_fields_are_named(change: dict[str, object], expected: str) -> None:
    doc = json.loads((PROFILES / "client_lumbar_contra.json").read_text())
    with pytest.raises(ProfileError) as info:
        profile_from_dict({**doc, **change}, ClientProfile, "client.json")
    assert str(info.value).startswith("client.json: ")
    assert expected in str(info.value)


def test_unknown_suffix_and_broken_files_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match=r"expected a file ending in \.json or \.toml"):
        load_client(tmp_path / "client.yaml")
    broken = tmp_path / "t.json"
    broken.write_text("{")
    with pytest.raises(ProfileError, match=r"^t\.json: expected UTF-8 json"):
        load_therapist(broken)
    assert issubclass(ProfileError, ValueError)


def test_profiles_accept_the_conditions_of_the_contraindication_map() -> None:
    assert set(known_conditions()) == set(CONTRA.condition)  # one list: the map file's
    assert {n for n, site in known_conditions().items() if site} == {
        n for n, c in CONTRA.condition.items() if c.site_rule
    }
    doc = json.loads((PROFILES / "client_lumbar_contra.json").read_text())
    every = [*CONTRA.condition, "recent_surgery:thigh", "calf"]
    client = profile_from_dict({**doc, "contraindications": every}, ClientProfile)
    assert client.contraindications == tuple(every)
    assert {"thigh", "calf"} <= client.no_go and "osteoporosis" not in client.no_go


def test_client_with_clinical_conditions_gets_tighter_alarm_limits() -> None:
    client = load_client(PROFILES / "client_lumbar_contra.json")
    assert client.contraindications == ("osteoporosis", "recent_surgery:lumbar")
    assert "lumbar" in client.no_go  # the surgery site
    studio = {r.id: r for r in STUDIO}
    rules = AlarmEngine.for_session(STUDIO, client, CONTRA).rule_set
    # feet force: the client's limit, 70 % of 58 kg (398 N, under the studio's 490 N), halved
    # for osteoporosis: 199 N, tighter than x0.6 for the surgery and the profile's 350 N
    assert studio["feet_overload"].limit_n == 490
    assert rules.get("feet_overload").limit_value == pytest.approx(
        0.5 * 0.7 * 58 * STANDARD_GRAVITY_M_S2
    )
    assert rules.get("impact").limit_value == pytest.approx(0.5 * 4000)
    assert rules.get("lumbar_band").limit_value == pytest.approx(0.6 * 300)
    assert rules.get("no_go").regions == ("head", "neck", "popliteal", "lumbar")
