"""Every rule of the usual kinds measured in one compiled call per block.

A live block is 1 to 8 samples. Measured one rule at a time, each rule paid a Python call, its
signal lookups, its output arrays and a compiled call that checks a dozen array arguments: a
few microseconds each, most of the engine's cost. Here a kind describes its measure as a row
(`Fused`: which computation, which signals, which numbers), the block's signals become one
matrix, and one loop over the rows does every rule's work (the same per-sample loops, loops.py).
State carried across blocks (the look-back windows of rise_rate and bar_drop, dwell's spots)
lives in one array per set of rows, so it survives whatever subset a block lets the engine
evaluate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
from numba import njit

from ashisense.alarms.kinds import loops
from ashisense.bodymap import REGIONS
from ashisense.compiled import compile_now

# What a row computes (Fused.code); the signals it reads, in order, are Fused.signals.
SIGNAL = 0  # the value is its one signal
CONSTANT = 1  # the value is params[0] (a rule measured only on clock ticks or presses)
REGION_FORCE = 2  # feet_n, region; params: clear_below_n; table: the rule's regions
RISE = 3  # t_s, feet_n; the look-back window window_s
BAR_DROP = 4  # bar_left_n, bar_right_n, feet_n, therapist_weight_n; params: min fraction, share
SHARE_OF_WEIGHT = 5  # x_n, feet_n, therapist_weight_n; params: on-client share
HEAVIER_SHARE = 6  # bar_left_share, bar_n; params: min_bar_n
ON_CLIENT = 7  # value, feet_n, therapist_weight_n; params: on-client share
DWELL = 8  # t_s, feet_x_m, feet_y_m, feet_n; params: min_force_n, spot_m
WINDOWED = (RISE, BAR_DROP)
DETAILED = (REGION_FORCE, BAR_DROP, HEAVIER_SHARE)  # rows whose detail a message names

_SLOTS = 4  # the most signals a row reads
_PARAMS = 2
_TABLE = len(REGIONS) + 1  # a region table: True at the rule's region codes, the last for -1


class Fused(NamedTuple):
    """One rule's measure as a row: code (SIGNAL, ...), the signals it reads (a signal the
    block lacks reads 0: only optional ones can be missing), its numbers, its region table
    (REGION_FORCE) and its look-back window in seconds (RISE, BAR_DROP)."""

    code: int
    signals: tuple[str, ...]
    params: tuple[float, ...] = ()
    table: np.ndarray | None = None
    window_s: float = 0.0


class FusedMeasures:
    """The measures of a set of rows, for any subset of them per block, state carried.

    The windows' length in samples (lag) is fixed from the stream's first sample interval, as
    a rig samples at a fixed rate; until then (a first block of one sample) that sample is
    held and starts every window once the lag is known.
    """

    def __init__(self, rows: Sequence[Fused]) -> None:
        self.rows = tuple(rows)
        self.names = tuple(dict.fromkeys(("t_s", *(s for r in rows for s in r.signals))))
        place = {name: i for i, name in enumerate(self.names)}
        k = len(rows)
        # per row: code, the matrix rows of its signals, its window's lag (0: unknown)
        self._spec = np.zeros((k, 2 + _SLOTS), dtype=np.int64)
        self._params = np.zeros((k, _PARAMS))
        self._tables = np.zeros((k, _TABLE), dtype=bool)
        for i, row in enumerate(rows):
            self._spec[i, 0] = row.code
            self._spec[i, 1 : 1 + len(row.signals)] = [place[s] for s in row.signals]
            self._params[i, : len(row.params)] = row.params
            if row.table is not None:
                self._tables[i] = row.table
        self._window_s = np.array([r.window_s if r.code in WINDOWED else 0.0 for r in rows])
        self.detailed = [r.code in DETAILED for r in rows]
        # Carried per row: two series of the window (RISE: t_s and feet_n; BAR_DROP: both
        # bars), or DWELL's last cell per grid (row 0) and when its stay began (row 1).
        self._ring = np.full((k, 2, 2), np.nan)
        self._ring[[i for i, r in enumerate(rows) if r.code == DWELL], 0, :] = -1.0
        self._first: tuple[np.ndarray, np.ndarray] | None = None  # held sample, its rows
        self._lagged = not self._window_s.any()  # every window's lag is known

    def matrix(self, signals: Mapping[str, Any], n: int) -> np.ndarray:
        """(len(names), n) float64: the block's signals in `names` order (absent ones 0)."""
        out = np.zeros((len(self.names), n))
        for i, name in enumerate(self.names):
            x = signals.get(name)
            if x is not None:
                out[i] = x
        return out

    def measure(
        self,
        mat: np.ndarray,
        which: np.ndarray,
        out: tuple[np.ndarray, np.ndarray, np.ndarray],
    ) -> None:
        """Into out = (value, applies, detail), each (k, n): per [row, place] of `which`, the
        row's measure at that place; mat: the block's matrix (`matrix`)."""
        if not self._lagged:
            self._warm_up(mat, which)
        _measure_rows(mat, which, self._spec, self._params, self._tables, self._ring, *out)

    def _warm_up(self, mat: np.ndarray, which: np.ndarray) -> None:
        """Fix the windows' lag once the stream's first interval is known, and start them with
        the sample held from a first block of one (which leaves them empty, lag 0, till then)."""
        t_s = mat[0]
        if self._first is None and t_s.shape[0] < 2:
            self._first = (mat[:, :1].copy(), which[:, 0].copy())
            return
        first_t_s = t_s[0] if self._first is None else float(self._first[0][0, 0])
        dt_s = (t_s[1] if self._first is None else t_s[0]) - first_t_s
        spans = np.round(self._window_s / dt_s) if dt_s > 0 else np.ones_like(self._window_s)
        lags = np.where(self._window_s > 0, np.maximum(1, spans), 0).astype(np.int64)
        ring = np.full((len(self.rows), 2, max(2, int(lags.max()))), np.nan)  # empty windows
        ring[:, :, :2] = self._ring  # dwell's cells
        if self._first is not None:  # RISE: t_s and feet_n; BAR_DROP: both bars
            held, rows = self._first
            for r in rows[lags[rows] > 0]:
                ring[r, :, lags[r] - 1] = held[self._spec[r, 1:3], 0]
            self._first = None
        self._spec[:, -1] = lags
        self._ring = ring
        self._lagged = True


def measurer_of(row: Fused) -> Any:
    """A one-rule measurer (signals -> (value, applies, detail or None)) over a row of its own:
    what a rule measured alone gets (the engine measures its rules together)."""
    rows = FusedMeasures([row])
    which = np.zeros((1, 2), dtype=np.int64)

    def measure(signals: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        n = np.shape(signals["t_s"])[0]
        out = (np.empty((1, n)), np.empty((1, n), dtype=bool), np.empty((1, n), dtype=np.int64))
        rows.measure(rows.matrix(signals, n), which, out)
        return out[0][0], out[1][0], out[2][0] if rows.detailed[0] else None

    return measure


@njit(cache=True, nogil=True, error_model="numpy")
def _measure_rows(
    mat: np.ndarray,
    which: np.ndarray,
    spec: np.ndarray,
    params: np.ndarray,
    tables: np.ndarray,
    ring: np.ndarray,
    value: np.ndarray,
    applies: np.ndarray,
    detail: np.ndarray,
) -> None:
    for w in range(which.shape[0]):
        r, p = which[w, 0], which[w, 1]
        code, lag = spec[r, 0], spec[r, 5]
        a, b, c, d = spec[r, 1], spec[r, 2], spec[r, 3], spec[r, 4]  # its signals' rows
        v, ok, det = value[p], applies[p], detail[p]
        ok[:] = True
        det[:] = -1
        if code == SIGNAL:
            v[:] = mat[a]
        elif code == CONSTANT:
            v[:] = params[r, 0]
        elif code == REGION_FORCE:
            loops.region_force(mat[a], mat[b], tables[r], params[r, 0], v)
            for j in range(v.shape[0]):
                det[j] = int(mat[b, j])
        elif code == RISE:
            loops.rise_carried(ring[r, 0, :lag], ring[r, 1, :lag], mat[a], mat[b], v)
        elif code == BAR_DROP:
            loops.bar_drop_carried(
                ring[r, :, :lag], mat[a], mat[b], params[r, 0], mat[c], mat[d], params[r, 1],
                v, ok, det,
            )  # fmt: skip
        elif code == SHARE_OF_WEIGHT:
            loops.share_of_weight(mat[a], mat[b], mat[c], params[r, 0], v, ok)
        elif code == HEAVIER_SHARE:
            loops.heavier_share(mat[a], mat[b], params[r, 0], v, ok, det)
        elif code == ON_CLIENT:
            v[:] = mat[a]
            loops.on_client(mat[b], mat[c], params[r, 0], ok)
        elif code == DWELL:
            loops.dwell_held_s(
                mat[a], mat[b], mat[c], mat[d], params[r, 0], params[r, 1],
                ring[r, 0, :2], ring[r, 1, :2], v,
            )  # fmt: skip


compile_now(
    [
        (
            _measure_rows,
            "f8[:, ::1], i8[:, ::1], i8[:, ::1], f8[:, ::1], b1[:, ::1], f8[:, :, ::1], "
            "f8[:, ::1], b1[:, ::1], i8[:, ::1]",
        )
    ],
    "the alarm rules' kernel",
)
