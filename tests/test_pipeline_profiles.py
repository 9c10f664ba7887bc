"""Client and therapist profiles are data files (JSON or TOML), validated with named errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ashisense.bodymap import REGION_CODE
from ashisense.profiles import (
    G_M_PER_S2,
    ClientProfile,
    ProfileError,
    load_client,
    load_therapist,
    profile_from_dict,
)
from tests.pipelinekit import EXAMPLES

PROFILES = EXAMPLES / "profiles"


def test_example_profiles_load() -> None:
    client = load_client(PROFILES / "client_example.toml")
    other = load_client(PROFILES / "client_lumbar_contra.json")
    therapist = load_therapist(PROFILES / "therapist_example.toml")
    assert client.weight_n == pytest.approx(70.0 * G_M_PER_S2)
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
        ({"contraindications": ["kidneys"]}, "unknown body regions ['kidneys']"),
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
