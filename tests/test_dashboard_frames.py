"""Messages for the browser: NaN becomes null, the grid survives its 8-bit trip, and the review
series is thinned the same however the session's blocks were cut."""

from __future__ import annotations

import base64
import json
import math

import numpy as np
import pytest

from ashisense.alarms import AlarmState, AlarmStatus, Priority
from ashisense.pipeline.types import MAX_BLOBS, SERIES, EstimateBlock, GridEstimate
from dashboard.display import encode
from dashboard.frames import alarms_message, frame_message, grid_message

CHANNELS = ("bar_l", "mat_a", "mat_b")


def estimate(t_s: np.ndarray, feet_n: np.ndarray, **fields: np.ndarray) -> EstimateBlock:
    """An EstimateBlock with NaN (unknown) everywhere but the given series."""
    n = t_s.shape[0]
    cols = {name: np.full(n, np.nan) for name in SERIES}
    cols.update(
        t_s=t_s,
        feet_n=feet_n,
        feet_display_n=feet_n,
        region=np.full(n, -1, dtype=np.int8),
        no_go=np.zeros(n, dtype=bool),
        uncertain=np.zeros(n, dtype=bool),
        uncertain_reason=np.zeros(n, dtype=np.uint16),
    )
    cols.update(fields)
    return EstimateBlock(
        channels=CHANNELS,
        force_n=np.stack([feet_n, feet_n + 1.0, feet_n + 2.0], axis=1),
        pressure_basis="profile:whole_foot",
        baseline_ready=True,
        client_n=686.0,
        client_cop_x_m=0.9,
        client_cop_y_m=0.0,
        therapist_weight_n=637.0,
        weight_source="profile",
        **cols,
    )


def test_a_frame_is_strict_json_with_null_for_unknown_values() -> None:
    t = 1.7e9 + np.arange(3) / 80
    est = estimate(
        t,
        np.array([100.0, np.nan, 250.04]),
        region=np.array([-1, 3, 3], dtype=np.int8),
        uncertain_reason=np.array([0, 0, 4 | 8], dtype=np.uint16),
    )
    msg = frame_message(est, 42, np.array([1, 2]), [(t[0], 100.0), (t[1], math.nan)], 251.0)
    back = json.loads(encode(msg))
    assert back["seq"] == 42 and back["feet_n"] == 250.0 and back["region"] == "upper_back"
    assert back["feet_x_m"] is None and back["mat_cells_n"] == [251.0, 252.0]
    assert back["uncertain"] == ["FEET_NEAR_ZERO", "CLIENT_MOVING"]
    assert back["strip"][1][0] == pytest.approx(t[1], abs=1e-3) and back["strip"][1][1] is None


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


def test_alarms_message_shows_raised_and_off_alarms_and_the_loudest_priority() -> None:
    def status(rule: str, priority: Priority, state: AlarmState) -> AlarmStatus:
        return AlarmStatus(rule, priority, state, True, False, True, 1.0, math.nan, 1.0, 2.0, rule)

    msg = alarms_message(
        [
            status("quiet", Priority.HIGH, AlarmState.INACTIVE),
            status("ack", Priority.HIGH, AlarmState.ACKNOWLEDGED),
            status("loud", Priority.MEDIUM, AlarmState.ACTIVE),
            status("muted", Priority.LOW, AlarmState.OFF),
        ],
        5.0,
    )
    assert [a["rule_id"] for a in msg["list"]] == ["ack", "loud", "muted"]
    assert msg["audible"] == "medium"  # acknowledged alarms are silent
