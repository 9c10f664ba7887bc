"""The engine's input: named per-sample signals, decoupled from any pipeline container.

A block of signals is a mapping of name -> (n,) array with the same n, one of them `t_s`
(float64, seconds, increasing). Scalars are allowed and stand for the whole block (a
therapist weight, a calibration age). Names carry units (feet_n, feet_x_m, pressure_kpa).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from numba import njit

from ashisense.alarms.errors import SignalError
from ashisense.alarms.kinds.base import constant
from ashisense.pipeline.types import SERIES, EstimateBlock

# What each rig kind cannot measure: its rules report "unavailable" rather than stay silent.
_MAT_ONLY = ("mat_n", "cop_x_m", "cop_y_m", "feet_mat_n", "feet_x_m", "feet_y_m", "region")
_BAR_ONLY = ("bar_left_n", "bar_right_n", "bar_n", "hand_left_x_m", "hand_right_x_m")
_NOT_MEASURED: dict[str, tuple[str, ...]] = {
    "full": (),
    "bars": (*_MAT_ONLY, "no_go", "support_n", "support_ratio"),
    "mat": (*_BAR_ONLY, "bar_left_share", "feet_bar_n", "support_n", "support_ratio"),
}


def signals_from_estimate(est: EstimateBlock, rig_kind: str = "full") -> dict[str, Any]:
    """The alarm signals of one EstimateBlock: its per-sample series and therapist_weight_n.

    rig_kind: "full", "bars" or "mat" (PipelineState.rig_kind); a partial rig leaves out what
    it cannot measure, so rules needing it are reported unavailable instead of never firing.
    The technical signals come from the raw stream: alarms.technical.LinkHealth and
    CalibrationHealth.
    """
    try:
        drop = _NOT_MEASURED[rig_kind]
    except KeyError:
        raise SignalError(
            f"rig_kind: expected one of {', '.join(_NOT_MEASURED)}, found {rig_kind!r}"
        ) from None
    sig: dict[str, Any] = {name: getattr(est, name) for name in SERIES if name not in drop}
    sig["therapist_weight_n"] = est.therapist_weight_n
    return sig


_ABSENT = object()  # a name the block does not carry


def as_signals(
    signals: Mapping[str, Any],
    context: Mapping[str, float],
    names: Iterable[str] | None = None,
) -> dict[str, np.ndarray]:
    """Check a block of signals and broadcast scalars (and the context values) to (n,).

    names: the signals to give (those present; None: all). Raises SignalError naming the
    signal when t_s is missing or a shape does not fit.
    """
    if "t_s" not in signals:
        raise SignalError(f"signals: expected a 't_s' array, found only {sorted(signals)}")
    t_s = np.asarray(signals["t_s"], dtype=np.float64)
    if t_s.ndim != 1:
        raise SignalError(f"signals['t_s']: expected shape (n,), found {t_s.shape}")
    n = t_s.shape[0]
    if n > 1 and not _increasing(t_s):
        raise SignalError("signals['t_s']: expected increasing times, found a step back or repeat")
    out = {"t_s": t_s}
    merged = {**context, **signals} if context else signals
    for name in merged if names is None else names:
        value = merged.get(name, _ABSENT)
        if value is _ABSENT or name == "t_s":
            continue
        if type(value) is np.ndarray and value.ndim == 1 and len(value) == n:  # the usual case
            out[name] = value
            continue
        if type(value) is float:  # a session value (a weight): one read-only array per value
            out[name] = constant(n, value)
            continue
        arr = np.asarray(value)
        if arr.ndim == 0:
            arr = np.full(n, arr)
        elif arr.shape != (n,):
            raise SignalError(
                f"signals[{name!r}]: expected shape ({n},) or a scalar, found {arr.shape}"
            )
        out[name] = arr
    return out


@njit(cache=True, nogil=True)
def _increasing(t_s: np.ndarray) -> bool:
    """Each time after the one before it (NaN is not: it compares False)."""
    for j in range(1, t_s.shape[0]):  # noqa: SIM110 (numba compiles a loop, not all())
        if not t_s[j] > t_s[j - 1]:
            return False
    return True
