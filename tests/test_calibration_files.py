"""Calibration files round-trip, never overwrite, and the newest is checked against the device."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calibration.errors import (
    CalibrationFileError,
    CalibrationMismatchError,
    CalibrationNotFoundError,
)
from calibration.files import (
    CalibrationFile,
    ChannelCalibration,
    load_calibration,
    newest_valid,
    save_calibration,
)


def make_cal(serial: str = "SN-1", created: str = "2025-03-01T09:30:00Z", **chans: float):
    names = chans or {"bar_left_head": 0.00186, "mat_head_left": 0.00093}
    return CalibrationFile(
        version=1,
        created_utc=created,
        device_serial=serial,
        channels={n: ChannelCalibration(100.0, g, 0.02, 0.01, 0.05) for n, g in names.items()},
        method="test",
        report={"note": "x"},
        unloaded_zero_counts={n: 100.0 for n in names},
    )


finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
optional_pos = st.none() | st.floats(min_value=0, max_value=1e6, allow_nan=False)
channel = st.builds(
    ChannelCalibration,
    offset_counts=finite,
    gain_n_per_count=finite.filter(lambda g: g != 0),
    linearity_pct=optional_pos,
    hysteresis_pct=optional_pos,
    repeatability_n=optional_pos,
)


@settings(max_examples=40, deadline=None)
@given(chans=st.dictionaries(st.text(min_size=1, max_size=12), channel, min_size=1, max_size=6))
def test_save_then_load_gives_back_the_same_calibration(tmp_path_factory, chans):
    folder = tmp_path_factory.mktemp("hist")
    cal = CalibrationFile(
        version=1,
        created_utc="2025-03-01T09:30:00Z",
        device_serial="SN-1",
        channels=chans,
        method="bars+mat",
        report={"eccentricity": [{"x_m": 0.5, "total_err_pct": 0.01}]},
        unloaded_zero_counts={n: c.offset_counts for n, c in chans.items()},
    )
    assert load_calibration(save_calibration(cal, folder)) == cal


def test_saving_twice_adds_a_numbered_file_and_keeps_the_first(tmp_path):
    first = save_calibration(make_cal(), tmp_path)
    before = first.read_bytes()
    second = save_calibration(make_cal(), tmp_path)
    assert first != second
    assert first.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "cal-0001-20250301T093000Z.json",
        "cal-0002-20250301T093000Z.json",
    ]


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda d: d.update(version=99), "version"),
        (lambda d: d.update(created_utc="yesterday"), "created_utc"),
        (lambda d: d["channels"]["a"].update(gain_n_per_count=0), "channels.a.gain_n_per_count"),
        (lambda d: d["channels"]["a"].update(offset_counts="12"), "channels.a.offset_counts"),
        (lambda d: d["channels"]["a"].update(linearity_pct=-1), "channels.a.linearity_pct"),
        (lambda d: d.update(unloaded_zero_counts={}), "unloaded_zero_counts"),
        (lambda d: d.update(device_serial=""), "device_serial"),
    ],
)
def test_load_rejects_a_bad_field_naming_file_and_field(tmp_path, edit, field):
    doc = make_cal(a=0.001).to_dict()
    edit(doc)
    path = tmp_path / "cal-0001-20250301T093000Z.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(CalibrationFileError) as info:
        load_calibration(path)
    assert str(path) in str(info.value)
    assert f"{field}:" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_newest_valid_takes_the_newest_and_skips_unreadable_files(tmp_path, caplog):
    save_calibration(make_cal(created="2025-01-01T00:00:00Z"), tmp_path)
    newest = save_calibration(make_cal(created="2025-02-01T00:00:00Z"), tmp_path)
    (tmp_path / "cal-0009-20250301T000000Z.json").write_text("{not json")
    with caplog.at_level(logging.WARNING):
        cal = newest_valid(tmp_path, "SN-1", ["bar_left_head"])
    assert cal == load_calibration(newest)
    assert "skipping unreadable calibration" in caplog.text


def test_newest_valid_refuses_another_device_serial(tmp_path):
    save_calibration(make_cal(serial="SN-OLD", created="2025-01-01T00:00:00Z"), tmp_path)
    save_calibration(make_cal(serial="SN-NEW", created="2025-02-01T00:00:00Z"), tmp_path)
    with pytest.raises(CalibrationMismatchError, match=r"'SN-OLD'.*'SN-NEW'"):
        newest_valid(tmp_path, "SN-OLD", ["bar_left_head"])


def test_newest_valid_refuses_a_calibration_lacking_a_device_channel(tmp_path):
    save_calibration(make_cal(), tmp_path)
    with pytest.raises(CalibrationMismatchError, match="mat_foot_right"):
        newest_valid(tmp_path, "SN-1", ["bar_left_head", "mat_foot_right"])


def test_newest_valid_without_any_file_says_so(tmp_path):
    with pytest.raises(CalibrationNotFoundError, match="none"):
        newest_valid(tmp_path, "SN-1", [])
    with pytest.raises(CalibrationNotFoundError):
        newest_valid(Path(tmp_path, "absent"), "SN-1", [])


def test_an_old_calibration_is_flagged_and_logged_as_stale(tmp_path, caplog):
    save_calibration(make_cal(created="2025-01-01T00:00:00Z"), tmp_path)
    now = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=200)
    with caplog.at_level(logging.WARNING):
        cal = newest_valid(tmp_path, "SN-1", [], interval_days=180, now=now)
    assert cal.is_stale(180, now) and not cal.is_stale(365, now)
    assert cal.age_days(now) == pytest.approx(200)
    assert "older than the studio interval of 180 days" in caplog.text
