"""The pipeline's stages on their own: channel rows, counts to forces and rails, the bars of a
rig with one bar, and estimates that do not depend on the order of the rig file's channels."""

from __future__ import annotations

import dataclasses
import itertools
import tomllib

import numpy as np
import pytest

from ashisense.pipeline import EstimateBlock, Pipeline, Uncertain
from ashisense.pipeline.bars import BarStage
from ashisense.pipeline.flags import INVALID_INPUT, SATURATED, new_flags, reason_codes
from ashisense.pipeline.forces import ADC_RAIL_COUNTS, CountsToForces, channel_rows
from ashisense.pipeline.settings import PipelineSettings, SettingsError
from ashisense.rig import Rig, rig_from_dict
from firmware_bridge.blocks import SampleBlock
from tests.pipelinekit import CLIENT, EXAMPLES, RATE_HZ, THERAPIST, W_N, block, counts, scene


def sim_rig_with(order: list[int] | None = None, keep: set[str] | None = None) -> Rig:
    """The simulated rig with its channels reordered (indices into the file's) or some left out."""
    doc = tomllib.loads((EXAMPLES / "sim_rig.toml").read_text())
    channels = [c for c in doc["channel"] if keep is None or c["name"] in keep]
    if order is not None:
        channels = [channels[i] for i in order]
    return rig_from_dict({**doc, "channel": channels}, "stages.toml")


def part(b: SampleBlock, i: int, j: int) -> SampleBlock:
    """Samples i to j of a block."""
    cut = {f: getattr(b, f)[i:j] for f in ("t_s", "t_device_s", "seq", "counts", "invalid")}
    return dataclasses.replace(b, **cut)


def test_channel_rows_are_views_where_the_channels_are_evenly_spaced() -> None:
    assert channel_rows([4, 5, 6, 7]) == slice(4, 8, 1)
    assert channel_rows([2]) == slice(2, 3, 1)
    assert channel_rows([0, 2, 4]) == slice(0, 5, 2)
    rows = channel_rows([0, 1, 3])
    assert isinstance(rows, np.ndarray) and rows.tolist() == [0, 1, 3]
    assert isinstance(channel_rows([3, 1]), np.ndarray)  # descending: an index, never a slice


def test_counts_become_forces_in_rig_order_with_invalid_and_railed_samples_nan_and_flagged() -> (
    None
):
    rig = sim_rig_with()
    force = scene(rig, 6, feet_n=300.0, bar_left_n=100.0, bar_right_n=80.0)
    invalid = np.zeros(force.shape, dtype=bool)
    invalid[1, 5] = True
    b = block(rig, force, invalid=invalid)
    raw = b.counts.copy()
    raw[3, 0], raw[4, 7] = ADC_RAIL_COUNTS
    perm = [7, 6, 5, 4, 3, 2, 1, 0]  # the device sends its channels in another order
    shuffled = dataclasses.replace(
        b,
        counts=raw[:, perm],
        invalid=b.invalid[:, perm],
        channels=tuple(b.channels[i] for i in perm),
    )
    flags = new_flags(6)
    force_n = CountsToForces(rig)(shuffled, flags)
    assert force_n.shape == (8, 6) and force_n.flags.c_contiguous
    nan = np.isnan(force_n)
    assert sorted(zip(*np.nonzero(nan), strict=True)) == [(0, 3), (5, 1), (7, 4)]
    good = ~nan.T
    assert np.allclose(force_n.T[good], force[good], atol=0.01)
    assert flags[INVALID_INPUT].tolist() == [False, True, False, True, True, False]
    assert flags[SATURATED].tolist() == [False, False, False, True, True, False]
    want = [0, 1, 0, 1 | 128, 1 | 128, 0]
    codes, uncertain = reason_codes(flags)
    assert codes.tolist() == want
    assert uncertain.tolist() == [c != 0 for c in want]
    assert [Uncertain(int(c)) for c in want][3] == Uncertain.INVALID_INPUT | Uncertain.SATURATED


def test_a_rig_with_one_bar_has_its_hand_position_and_nan_for_the_other() -> None:
    rig = sim_rig_with(keep={"bar_left_head", "bar_left_foot"})  # bars only, one bar
    force = scene(rig, 4, bar_left_n=120.0, hands_x=(0.75, 0.9))
    stage = BarStage(rig, PipelineSettings(), RATE_HZ)
    force_n = CountsToForces(rig)(block(rig, force), new_flags(4))
    bars = stage(force_n)
    assert np.allclose(bars.hand_left_x_m, 0.75, atol=1e-3)
    assert np.isnan(bars.hand_right_x_m).all() and np.isnan(bars.right_n).all()
    assert np.allclose(bars.total_n, 120.0, atol=0.05) and np.allclose(bars.left_share, 1.0)


def test_estimates_do_not_depend_on_the_order_of_the_rig_files_channels() -> None:
    """Bars and mat interleaved (the stages then read strided rows) or grouped: equal bits."""
    grouped = sim_rig_with()
    interleaved = sim_rig_with(order=[0, 4, 1, 5, 2, 6, 3, 7])
    n = 4 * round(RATE_HZ)
    t = np.arange(n) / RATE_HZ
    on = t >= 2.0  # the client alone for 2 s, then the therapist steps on
    force = scene(
        grouped,
        n,
        feet_n=np.where(on, W_N - 150.0 + 40.0 * np.sin(3 * t), 0.0),
        bar_left_n=np.where(on, 80.0, 0.0),
        bar_right_n=np.where(on, 70.0, 0.0),
    )
    rng = np.random.default_rng(3)
    raw = counts(grouped, force) + rng.integers(-20, 21, force.shape, dtype=np.int32)
    b = block(grouped, force)
    b = dataclasses.replace(b, counts=raw)
    cols = [grouped.channels.index(c) for c in interleaved.channels]
    c = dataclasses.replace(b, counts=raw[:, cols], channels=interleaved.channels)
    cuts = [0, 1, 3, 10, 90, 170, 171, 250, n]  # blocks of many sizes (numpy paths differ)
    p_g = Pipeline(grouped, CLIENT, THERAPIST, rate_hz=RATE_HZ)
    p_i = Pipeline(interleaved, CLIENT, THERAPIST, rate_hz=RATE_HZ)
    est_g = EstimateBlock.concat([p_g.process(part(b, i, j)) for i, j in itertools.pairwise(cuts)])
    est_i = EstimateBlock.concat([p_i.process(part(c, i, j)) for i, j in itertools.pairwise(cuts)])
    assert est_g.baseline_ready and np.isfinite(est_g.feet_x_m[-1])
    for f in dataclasses.fields(est_g):
        a, z = getattr(est_g, f.name), getattr(est_i, f.name)
        if f.name == "force_n":
            z = z[:, [interleaved.channels.index(ch) for ch in grouped.channels]]
        if isinstance(a, np.ndarray):
            assert np.array_equal(a, z, equal_nan=True), f.name
        elif f.name != "channels":
            assert a == z, f.name


def test_a_shift_fit_longer_than_the_watch_keeps_is_refused_by_name() -> None:
    # The re-estimate reads its fit window from the watch's sums; beyond them it would read
    # wrapped-around history (dozens of false shifts) instead of failing.
    with pytest.raises(SettingsError, match=r"shift_fit_s must be at most .* = 5\.5 s, got 8 s"):
        PipelineSettings(shift_fit_s=8.0)
    assert PipelineSettings(shift_fit_s=5.5).shift_fit_s == 5.5
