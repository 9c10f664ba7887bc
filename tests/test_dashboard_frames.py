"""Messages for the browser: NaN becomes null, the grid survives its 8-bit trip, and the review
series is thinned the same however the session's blocks were cut."""

from __future__ import annotations

import base64
import json
import math

import numpy as np
import pytest

from ashisense.alarms import AlarmEngine
from ashisense.alarms.defaults import studio_rules
from ashisense.bodymap import REGION_CODE
from ashisense.pipeline.types import MAX_BLOBS, EstimateBlock, GridEstimate
from dashboard.display import encode
from dashboard.frames import alarms_message, frame_message, grid_message, region_view
from tests.pipelinekit import estimate_block

CHANNELS = ("bar_l", "mat_a", "mat_b")
G = 9.80665


def estimate(t_s: np.ndarray, feet_n: np.ndarray, **fields: np.ndarray) -> EstimateBlock:
    """An EstimateBlock with NaN (unknown) everywhere but the given series."""
    n = t_s.shape[0]
    cols: dict[str, object] = {
        "feet_n": feet_n,
        "feet_display_n": feet_n,
        "region": np.full(n, -1, dtype=np.int8),
        "channels": CHANNELS,
        "force_n": np.stack([feet_n, feet_n + 1.0, feet_n + 2.0], axis=1),
        "client_n": 686.0,
        "therapist_weight_n": 637.0,
    }
    cols.update(fields)
    return estimate_block(t_s, np.nan, "profile:whole_foot", **cols)


def test_a_frame_is_strict_json_with_null_for_unknown_values() -> None:
    t = 1.7e9 + np.arange(3) / 80
    est = estimate(
        t,
        np.array([100.0, np.nan, 250.04]),
        region=np.array([-1, 3, 3], dtype=np.int8),
        uncertain_reason=np.array([0, 0, 4 | 8], dtype=np.uint16),
    )
    strip = [(t[0], 100.0, 450.0), (t[1], math.nan, math.nan)]
    msg = frame_message(est, 42, np.array([1, 2]), strip, 251.0)
    back = json.loads(encode(msg))
    assert back["seq"] == 42 and back["feet_n"] == 250.0 and back["region"] == "upper_back"
    assert back["feet_x_m"] is None and back["mat_cells_n"] == [251.0, 252.0]
    assert back["uncertain"] == ["FEET_NEAR_ZERO", "CLIENT_MOVING"]
    assert back["strip"][1][0] == pytest.approx(t[1], abs=1e-3) and back["strip"][1][1] is None
    assert back["strip"][0][2] == 450.0 and back["strip"][1][2] is None
    assert back["limit_n"] is None and back["limit_source"] is None  # no rules: no limit


def _engine_with_client() -> AlarmEngine:
    client = {"weight_kg": 70, "max_feet_n": 500, "limits_n": {"upper_back": 450.0}}
    return AlarmEngine.for_session(studio_rules(), client)


def test_a_frame_carries_the_limit_that_held_at_each_moment_and_its_rule() -> None:
    eng = _engine_with_client()
    t = 1.7e9 + np.arange(4) / 80
    region = np.array([REGION_CODE[r] for r in ("upper_back", "upper_back", "pelvis", "lumbar")])
    est = estimate(t, np.full(4, 200.0), region=region.astype(np.int8))
    limits = eng.binding_limits({"t_s": t, "feet_n": est.feet_n, "region": region})
    assert limits.limit_n.tolist() == pytest.approx([450.0, 450.0, 0.7 * 70 * G, 300.0])
    strip = list(zip(t.tolist(), est.feet_n.tolist(), limits.limit_n.tolist(), strict=True))
    back = json.loads(encode(frame_message(est, 7, np.array([1]), strip, 200.0, limits)))
    assert [p[2] for p in back["strip"]] == [450.0, 450.0, 480.5, 300.0]
    assert back["limit_n"] == 300.0 and back["limit_source"] == "Lumbar/kidney band over its limit"
    assert back["region_state"] == "limited" and not back["no_go"]


def test_the_spine_band_without_an_alarm_rule_is_no_danger_state() -> None:
    eng = _engine_with_client()
    t = 1.7e9 + np.arange(2) / 80
    region = np.array([REGION_CODE["spine"], REGION_CODE["neck"]])
    est = estimate(t, np.full(2, 300.0), region=region.astype(np.int8), no_go=np.ones(2, bool))
    limits = eng.binding_limits({"t_s": t, "feet_n": est.feet_n, "region": region})
    spine = region_view(int(region[0]), True, limits.source_at(0))
    assert spine["region_state"] == "unguarded" and not spine["no_go"]
    assert spine["region_text"] == "Feet straddling the spine"
    msg = frame_message(est, 7, np.array([1]), [], 300.0, limits)
    assert msg["region_state"] == "no_go" and msg["no_go"]  # the neck: the no-go rule alarms
    assert msg["limit_n"] == 60.0 and msg["region_text"] == "No-go: neck"


def test_grid_levels_scale_to_the_frame_peak_and_skip_rejected_frames() -> None:
    added = np.zeros((2, 4, 3), dtype=np.float32)
    added[0, 1, 2] = 99.0  # a valid frame
    added[1] = np.nan  # a rejected (corrupt) frame after it
    nan2 = np.full((2, MAX_BLOBS), np.nan)
    est = GridEstimate(
        t_s=np.array([1.0, 2.0]),
        valid=np.array([True, False]),
        added=added,
        unit="kPa",
        peak=np.array([99.0, np.nan]),
        area_m2=np.array([0.01, np.nan]),
        load=np.array([5.0, np.nan]),
        saturated=np.zeros(2, dtype=np.int32),
        n_blobs=np.array([1, 0], dtype=np.int16),
        blob_load=nan2,
        blob_force_n=np.array([[5.0, np.nan], [np.nan, np.nan]]),
        blob_area_m2=nan2,
        blob_x_m=np.array([[0.3, np.nan], [np.nan, np.nan]]),
        blob_y_m=np.array([[0.1, np.nan], [np.nan, np.nan]]),
        baseline_ready=True,
    )
    msg = grid_message(est)
    assert msg is not None and msg["t_s"] == 1.0 and (msg["rows"], msg["cols"]) == (4, 3)
    levels = np.frombuffer(base64.b64decode(msg["levels"]), dtype=np.uint8).reshape(4, 3)
    assert levels[1, 2] == 255 and levels.sum() == 255
    assert msg["blobs"] == [{"x_m": 0.3, "y_m": 0.1, "force_n": 5.0, "area_m2": None}]


def test_alarms_message_has_one_row_per_hazard_in_the_studios_unit() -> None:
    eng = _engine_with_client()
    t = 1000.0 + np.arange(80) / 80
    feet = np.full(80, 520.0)
    region = np.full(80, REGION_CODE["upper_back"])
    eng.process({"t_s": t, "feet_n": feet, "region": region})
    msg = json.loads(encode(alarms_message(eng.hazards(), 5.0, "kg")))
    (row,) = msg["list"]  # the overload trips two rules: one banner
    assert row["rule_id"] == "feet_overload_upper_back" and row["state"] == "active"
    assert row["message"].startswith("Client's limit for the upper back (upper back): 53.0 kg")
    assert "limit 45.9 kg" in row["message"] and " N" not in row["message"]
    assert "also over: Feet force over the client's limit (limit 49.0 kg)" in row["message"]
    assert row["value_n"] == 520.0 and row["limit_n"] == 450.0
    assert [c["rule_id"] for c in row["causes"]] == ["feet_overload_upper_back", "feet_overload"]
    assert msg["audible"] == "high"
    eng.acknowledge(1001.0, "feet_overload_upper_back")  # acts on the whole hazard
    assert json.loads(encode(alarms_message(eng.hazards(), 6.0, "N")))["audible"] is None
