"""Linearity, hysteresis and repeatability figures measure what they say on known data."""

from __future__ import annotations

import numpy as np
import pytest

from calibration.plan import Step
from calibration.report import load_figures


def step(mass_kg, direction="loading", series="g:stack", where=(0.5,)):
    return Step(0, "load", "g", mass_kg, where, direction, series, "x", "")


def test_linearity_is_the_largest_deviation_from_the_best_line_through_zero():
    masses = [5.0, 10.0, 20.0]
    steps = [step(m) for m in masses]
    forces = np.array([[50.0], [100.0], [200.0]])
    forces[1] += 0.3  # a bump in the middle of the range
    fig = load_figures(steps, forces)
    levels = np.array(masses)
    slope = levels @ forces[:, 0] / (levels @ levels)
    expected = np.abs(forces[:, 0] - slope * levels).max()
    assert fig["linearity_n"][0] == pytest.approx(expected)
    assert fig["linearity_n"][0] > 0.2


def test_hysteresis_compares_unloading_with_loading_at_the_same_load():
    steps = [step(5), step(10), step(20), step(10, "unloading"), step(5, "unloading")]
    forces = np.array([[50.0], [100.0], [200.0], [100.4], [50.1]])
    fig = load_figures(steps, forces)
    assert fig["hysteresis_n"][0] == pytest.approx(0.4)


def test_repeatability_pools_repeated_placements_of_the_same_load():
    steps = [step(10, series="g:single"), step(10, series="g:stack"), step(10, series="g:single")]
    forces = np.array([[100.0, 1.0], [100.2, 1.0], [99.8, 1.0]])
    fig = load_figures(steps, forces)
    np.testing.assert_allclose(fig["repeatability_n"], [0.2, 0.0])


def test_figures_without_the_points_they_need_are_nan():
    fig = load_figures([step(10)], np.array([[100.0]]))
    assert all(np.isnan(fig[k][0]) for k in ("linearity_n", "hysteresis_n", "repeatability_n"))
