"""The review's display series of a session: derived once from the raw counts, kept with the
session under a key naming what they were derived with (a session re-analysed with another
calibration or rules, or grown, is derived again), an overview whose buckets hold every
peak and show gaps as gaps, full-rate windows equal to the derivation, figures against the
limit that held where the feet were, and the alarm log read as episodes."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
import reviewkit

from ashisense.bodymap import REGIONS
from ashisense.session.display import (
    FLOAT_COLUMNS,
    OVERVIEW_BUCKETS,
    DisplaySeries,
    derive_display,
    display_key,
    keep_display,
    read_display,
    window,
)
from ashisense.session.episodes import alarm_episodes
from ashisense.store import AlarmRecord, Batch, SQLiteStore


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("display") / "s.sqlite"
    with SQLiteStore(path) as store:
        sid = reviewkit.recorded_session(store, 120.0, seed=3)
        reviewkit.recorded_session(store, 40.0, rig="grid_rig.toml", scenario="stepping")
        assert sid == 1
    return path


def test_the_overview_holds_every_peak(studio: Path) -> None:
    with SQLiteStore(studio, readonly=True) as store:
        series = derive_display(store, 1)
    cols = series.columns
    ov = series.overview(np.array([0]))
    assert len(ov["t_s"]) == OVERVIEW_BUCKETS
    assert np.nanmax(ov["feet_max_n"]) == np.nanmax(cols["feet_n"])
    assert np.nanmin(ov["feet_min_n"]) == np.nanmin(cols["feet_n"])
    # each bucket's max is the max of its samples (bucket k: [t_k, t_k+1))
    edges = np.append(ov["t_s"], np.inf)
    for k in (0, 777, 2500, OVERVIEW_BUCKETS - 1):
        inside = cols["feet_n"][(cols["t_s"] >= edges[k]) & (cols["t_s"] < edges[k + 1])]
        if k == OVERVIEW_BUCKETS - 1:
            inside = cols["feet_n"][cols["t_s"] >= edges[k]]
        known = inside[np.isfinite(inside)]
        if known.size:
            assert ov["feet_max_n"][k] == known.max()
        else:
            assert np.isnan(ov["feet_max_n"][k])
    # the limit held at each sample is the one its region's rules set, never above the
    # overall one; it changes as the feet move
    overall = series.overall_limit_n
    for code in np.unique(cols["region"][cols["region"] >= 0]):
        held = np.unique(cols["limit_n"][cols["region"] == code])
        assert len(held) == 1 and held[0] <= np.float32(overall), REGIONS[code]
    lumbar = cols["limit_n"][cols["region"] == REGIONS.index("lumbar")]
    assert lumbar[0] == series.region_limits_n[REGIONS.index("lumbar")] < overall
    assert len(np.unique(cols["limit_n"])) > 2


def test_the_overview_shows_a_stretch_without_samples_as_a_gap() -> None:
    t = 1.7e9 + np.concatenate([np.arange(0, 60, 1 / 80), np.arange(90, 120, 1 / 80)])
    n = len(t)
    cols = {name: np.full(n, 100.0, np.float32) for name in FLOAT_COLUMNS}
    cols |= {"t_s": t, "region": np.full(n, -1, np.int8), "limit_n": np.full(n, 500, np.float32)}
    cols["mat_cells_n"] = np.zeros((n, 4), np.float32)
    series = DisplaySeries("k", 1.7e9, 80.0, "none", cols, {}, np.full(11, np.nan), 500.0)
    ov = series.overview(np.array([0]))
    empty = np.isnan(ov["feet_max_n"])
    inside = (ov["t_s"] > 1.7e9 + 60.1) & (ov["t_s"] < 1.7e9 + 89.9)
    assert empty[inside].all() and not empty[~inside & (ov["t_s"] < 1.7e9 + 59.9)].any()
    assert np.isnan(ov["limit_n"][inside]).all()  # no limit line across the gap


def test_kept_series_come_back_until_the_session_changes(studio: Path, tmp_path: Path) -> None:
    path = tmp_path / "copy.sqlite"
    path.write_bytes(studio.read_bytes())
    with SQLiteStore(path) as store:
        assert read_display(store, 1) is None  # never derived
        progress: list[float] = []
        kept = keep_display(store, 1, progress.append)
        assert progress == sorted(progress) and progress[-1] == 1.0
        again = read_display(store, 1)
        assert again is not None and again.key == kept.key
        assert again.figure_values() == kept.figure_values()
        # full-rate windows are the derivation's samples, exactly
        series = derive_display(store, 1)
        t = series.columns["t_s"]
        a, b = t[1000], t[9000]
        got = window(
            lambda names: store.derived(1, kept.key, names), kept.overview["segment_t0_s"], a, b
        )
        assert got is not None
        np.testing.assert_array_equal(got["t_s"], t[1000:9001])
        np.testing.assert_array_equal(got["feet_n"], series.columns["feet_n"][1000:9001])
        # re-analysed with other rules: another key, so derived again on open
        info = store.session(1)
        other = dataclasses.replace(
            info, meta=dataclasses.replace(info.meta, rules_text=info.meta.rules_text + "\n#")
        )
        assert display_key(other, store.sample_count(1)) != kept.key
        store.write(1, Batch(calibration={"changed": True}))  # a new calibration
        assert read_display(store, 1) is None


def test_a_quick_first_pass_of_a_grid_rig_differs_only_in_pressure(studio: Path) -> None:
    """The same series but the pressure (blocks cut elsewhere without the grid frames: the
    filters agree to float rounding, well under a newton and a millimetre)."""
    with SQLiteStore(studio, readonly=True) as store:
        full = derive_display(store, 2)
        quick = derive_display(store, 2, grids=False)
    assert full.grids["levels"].shape[1:] == (64, 27) and not quick.grids
    for name, values in full.columns.items():
        if name != "pressure_kpa":
            np.testing.assert_allclose(values, quick.columns[name], atol=0.01, err_msg=name)
    assert full.pressure_basis == "grid" != quick.pressure_basis


def test_figures_judge_each_sample_against_the_limit_that_held(studio: Path) -> None:
    with SQLiteStore(studio, readonly=True) as store:
        series = derive_display(store, 1)
    cols, f = series.columns, series.figures()
    over = np.sum(cols["feet_n"] > cols["limit_n"]) / series.rate_hz
    values = dict(zip(("peak_n", "peak_at_s", "time_over_limit_s"), f["values"], strict=False))
    assert values["time_over_limit_s"] == pytest.approx(over) and over > 0
    lumbar = REGIONS.index("lumbar")
    here = cols["region"] == lumbar
    assert f["region_time_s"][lumbar] == pytest.approx(here.sum() / series.rate_hz)
    assert f["region_peak_n"][lumbar] == pytest.approx(np.nanmax(cols["feet_n"][here]))


def _row(t: float, transition: str, value: float = math.nan) -> AlarmRecord:
    return AlarmRecord(t, "feet_overload", "high", transition, "", "", value, 200.0, "m")


def test_alarm_transitions_read_as_one_episode_each() -> None:
    log = [
        _row(10.0, "raised", 250.0),
        _row(11.0, "acknowledged", 260.0),
        _row(12.5, "cleared", 150.0),
        _row(20.0, "raised", 230.0),
        _row(21.0, "condition_ended", 190.0),
        _row(25.0, "cleared"),
        _row(30.0, "raised", 240.0),  # still on when the session ended
    ]
    eps = alarm_episodes(log, lambda t: "lumbar" if t < 15 else "")
    assert [(e.t_s, e.end_s, e.value, e.acknowledged, e.region) for e in eps] == [
        (10.0, 12.5, 260.0, True, "lumbar"),
        (20.0, 21.0, 230.0, False, ""),
        (30.0, None, 240.0, False, ""),
    ]
    assert [e.duration_s(40.0) for e in eps] == [2.5, 1.0, 10.0]
