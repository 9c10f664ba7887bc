"""The engine's input from the pipeline: what each rig kind can and cannot give."""

from __future__ import annotations

import numpy as np
import pytest
from alarmkit import engine_for

from ashisense.alarms import SignalError, Transition, signals_from_estimate
from ashisense.pipeline.types import SERIES, EstimateBlock
from tests.pipelinekit import estimate_block


def estimate(n: int = 8) -> EstimateBlock:
    return estimate_block(100.0 + np.arange(n) / 80.0, 1.0, "none")


def test_a_full_rig_gives_every_series_and_the_therapist_weight() -> None:
    sig = signals_from_estimate(estimate())
    assert set(SERIES) <= set(sig) and sig["therapist_weight_n"] == 640.0


@pytest.mark.parametrize(
    ("kind", "absent"),
    [("bars", {"feet_x_m", "region", "no_go", "support_ratio"}), ("mat", {"bar_n", "bar_left_n"})],
)
def test_a_partial_rig_leaves_out_what_it_cannot_measure(kind: str, absent: set[str]) -> None:
    sig = signals_from_estimate(estimate(), kind)
    assert not absent & set(sig) and "feet_n" in sig


def test_rules_a_bars_only_rig_cannot_evaluate_are_logged_unavailable() -> None:
    eng = engine_for(
        '[[rule]]\nid = "no_go"\nkind = "region_force"\npriority = "high"\n'
        'regions = ["neck"]\nlimit_n = 60\n'
    )
    (ev,) = eng.process(signals_from_estimate(estimate(), "bars"))
    assert ev.transition is Transition.UNAVAILABLE and "region" in ev.message


def test_an_unknown_rig_kind_is_refused() -> None:
    with pytest.raises(SignalError, match="full, bars, mat"):
        signals_from_estimate(estimate(), "grid")
