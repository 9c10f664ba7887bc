"""Body map: regions follow Drillis & Contini proportions of stature from where the head lies."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ashisense.bodymap import REGION_CODE, REGIONS, UNKNOWN, BodyMap, regions_named


def names(codes: np.ndarray) -> list[str]:
    return [REGIONS[c] if c >= 0 else "?" for c in codes]


def test_landmarks_fall_at_their_fractions_of_stature() -> None:
    body = BodyMap(stature_m=1.80, head_x_m=0.10)
    b = body.bounds_x_m()
    assert b["head"] == pytest.approx((0.10, 0.10 + 0.130 * 1.80))  # vertex to chin
    assert b["neck"][1] == pytest.approx(0.10 + 0.182 * 1.80)  # shoulder (acromion)
    assert b["popliteal"] == pytest.approx((0.10 + 0.685 * 1.80, 0.10 + 0.745 * 1.80))
    assert b["calf"][1] == pytest.approx(0.10 + 0.961 * 1.80)  # ankle
    assert list(b) == [
        "head", "neck", "upper_back", "lumbar", "pelvis", "thigh", "popliteal", "calf", "foot"
    ]  # fmt: skip


def test_a_walk_down_the_body_meets_the_regions_in_order() -> None:
    body = BodyMap(stature_m=1.75, head_x_m=0.05)
    x = np.array([0.0, 0.15, 0.32, 0.5, 0.7, 0.9, 1.1, 1.30, 1.5, 1.8, 2.1])
    got = names(body.classify(x, np.full(x.size, 0.10)))
    assert got == [
        "off_body", "head", "neck", "upper_back", "lumbar", "pelvis", "thigh", "popliteal",
        "calf", "foot", "off_body",
    ]  # fmt: skip


def test_spine_band_is_the_midline_of_the_back_only() -> None:
    body = BodyMap(stature_m=1.75, head_x_m=0.05, midline_y_m=0.01, spine_half_width_m=0.03)
    x = np.array([0.5, 0.5, 0.5, 0.7, 1.0, 0.25])
    y = np.array([0.01, 0.035, 0.045, -0.015, 0.01, 0.01])
    assert names(body.classify(x, y)) == ["spine", "spine", "upper_back", "spine", "thigh", "head"]


def test_head_at_the_foot_end_mirrors_the_map() -> None:
    head_end = BodyMap(stature_m=1.7, head_x_m=0.0)
    foot_end = BodyMap(stature_m=1.7, head_x_m=1.9, direction=-1)
    x = np.linspace(0.0, 1.9, 40)
    y = np.full(40, 0.1)
    np.testing.assert_array_equal(head_end.classify(x, y), foot_end.classify(1.9 - x, y))


def test_unknown_position_is_unknown_region_and_not_no_go() -> None:
    body = BodyMap(stature_m=1.7, head_x_m=0.0)
    codes = body.classify(np.array([np.nan, 0.3, 0.1]), np.array([0.0, np.nan, 0.0]))
    np.testing.assert_array_equal(codes, [UNKNOWN, UNKNOWN, REGION_CODE["head"]])
    np.testing.assert_array_equal(body.no_go_mask(codes), [False, False, True])


def test_no_go_regions_default_and_extra() -> None:
    codes = np.array([REGION_CODE[r] for r in ("neck", "popliteal", "spine", "lumbar", "thigh")])
    default = BodyMap(stature_m=1.7, head_x_m=0.0)
    np.testing.assert_array_equal(default.no_go_mask(codes), [True, True, True, False, False])
    strict = BodyMap(stature_m=1.7, head_x_m=0.0, no_go=frozenset({"lumbar", "neck"}))
    np.testing.assert_array_equal(strict.no_go_mask(codes), [True, False, False, True, False])


def test_bad_inputs_are_refused_with_the_valid_names() -> None:
    with pytest.raises(ValueError, match="stature_m"):
        BodyMap(stature_m=17.5, head_x_m=0.0)
    with pytest.raises(ValueError, match="unknown no-go regions"):
        BodyMap(stature_m=1.7, head_x_m=0.0, no_go=frozenset({"kidney"}))
    with pytest.raises(ValueError, match="valid: off_body, head"):
        regions_named(["lumbr"])


@given(
    stature=st.floats(1.2, 2.1),
    head=st.floats(-0.1, 0.3),
    x=st.floats(-0.5, 2.5),
    y=st.floats(-0.4, 0.4),
    dx=st.floats(-0.02, 0.02),
    dy=st.floats(-0.02, 0.02),
)
def test_points_closer_than_their_border_distance_share_the_region(
    stature: float, head: float, x: float, y: float, dx: float, dy: float
) -> None:
    body = BodyMap(stature_m=stature, head_x_m=head)
    d = float(body.border_distance_m(np.array([x]), np.array([y]))[0])
    if np.hypot(dx, dy) < d * 0.999:
        a, b = body.classify(np.array([x, x + dx]), np.array([y, y + dy]))
        assert a == b
