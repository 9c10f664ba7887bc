"""Pressure-grid analysis: added-pressure map over a baseline, peak, contact area, foot blobs.

Vectorized over the frames of a block: corrupt frames are rejected, saturated taxels counted,
and contacts labelled in one scipy.ndimage.label call with no connection between frames.
"""

from __future__ import annotations

import logging

import numpy as np
from scipy import ndimage

from ashisense.pipeline.types import MAX_BLOBS, GridEstimate
from ashisense.rig import Grid, RigMismatchError
from firmware_bridge.blocks import GridBlock

log = logging.getLogger(__name__)

GARBAGE_MEDIAN_FRAC = 0.25  # loaded taxels of a real map sit far below full scale
JUMP_FACTOR = 5.0  # a frame total this many times the recent accepted total is not a body
LOADED_FRAC = 0.05  # a client covers at least this fraction of the sheet
STABLE_FRAC = 0.05  # frame-to-frame total change allowed for a baseline
# 8-connected within a frame, never across frames.
_STRUCTURE = np.zeros((3, 3, 3), dtype=bool)
_STRUCTURE[1] = True


class GridAnalyzer:
    """Turns GridBlocks into GridEstimates, carrying the baseline and the reference total.

    auto_baseline: take the baseline on the first two consecutive accepted frames that are
    loaded (the client on) and stable; otherwise only on request (request_baseline()).
    """

    def __init__(self, grid: Grid, auto_baseline: bool = True) -> None:
        self.g = grid
        self.auto_baseline = auto_baseline
        self.baseline: np.ndarray | None = None
        self._want_baseline = False
        self._ref_total = np.nan
        self._prev_total = np.nan
        self._tracked_t_s = np.nan
        self._taxel_m2 = grid.pitch_x_m * grid.pitch_y_m
        self._sat = grid.saturation if grid.saturation is not None else grid.full_scale
        self._scale = grid.kpa_per_count if grid.kpa_per_count is not None else 1.0

    @property
    def baseline_ready(self) -> bool:
        return self.baseline is not None

    def request_baseline(self) -> None:
        """Use the next accepted frame as the baseline (the client alone on the sheet)."""
        self._want_baseline = True

    def _accept(self, v: np.ndarray) -> np.ndarray:
        """(n,) True for frames that can be a real pressure map."""
        n = v.shape[0]
        flat = v.reshape(n, -1)
        total = flat.sum(axis=1, dtype=np.float64)
        over = (flat > self.g.full_scale).any(axis=1)
        nonzero = (flat > 0).sum(axis=1)
        high = (flat > GARBAGE_MEDIAN_FRAC * self.g.full_scale).sum(axis=1)
        garbage = high > nonzero / 2  # the median loaded taxel is near full scale
        jump = total > JUMP_FACTOR * self._ref_total  # False while there is no reference
        ok = ~(over | garbage | jump)
        if (~ok).any():
            log.warning(
                "grid: rejected %d of %d frames (values over full scale %d: %d, garbage: %d, "
                "total jumped: %d)",
                int((~ok).sum()),
                n,
                self.g.full_scale,
                int(over.sum()),
                int(garbage.sum()),
                int(jump.sum()),
            )
        loaded = (flat > self.g.threshold).mean(axis=1) >= LOADED_FRAC
        good = ok & loaded
        if good.any():
            self._ref_total = float(total[good][-1])
        return ok

    def _update_baseline(self, v: np.ndarray, ok: np.ndarray) -> int:
        """Take a baseline from this block if one is wanted; returns its frame index or -1."""
        flat = v.reshape(v.shape[0], -1)
        total = flat.sum(axis=1, dtype=np.float64)
        taken = -1
        if self._want_baseline or (self.auto_baseline and self.baseline is None):
            loaded = (flat > self.g.threshold).mean(axis=1) >= LOADED_FRAC
            prev = self._prev_total
            for i in np.flatnonzero(ok):  # frames are the unit here, and stop at the first
                stable = abs(total[i] - prev) <= STABLE_FRAC * total[i]
                prev = total[i]
                if self._want_baseline or (loaded[i] and stable):
                    self.baseline = v[i].astype(np.float32)
                    self._tracked_t_s = np.nan
                    self._want_baseline = False
                    taken = int(i)
                    log.debug("grid baseline taken (frame total %.0f)", total[i])
                    break
        if ok.any():
            self._prev_total = float(total[ok][-1])
        return taken

    def process(self, grid: GridBlock) -> GridEstimate:
        """Analyse the frames of one block."""
        g = self.g
        v = grid.values
        n = v.shape[0]
        if v.shape[1:] != (g.rows, g.cols):
            raise RigMismatchError(
                f"grid: expected {g.rows} x {g.cols} frames (rig file), got {v.shape[1:]}"
            )
        ok = self._accept(v)
        old = self.baseline
        taken = self._update_baseline(v, ok)
        base = np.empty((n, g.rows, g.cols), dtype=np.float32)
        base[:] = np.nan if old is None else old
        if taken >= 0:
            base[taken:] = self.baseline
        usable = ok & ~np.isnan(base[:, 0, 0])
        added = v.astype(np.float32) - base
        added[~usable] = np.nan
        contact = added > (g.threshold + g.creep_frac * base)  # NaN compares False
        saturated = (v >= self._sat).reshape(n, -1).sum(axis=1).astype(np.int32)
        peak, area, load, blobs = self._measure(added, contact, usable)
        self._track(v, grid.t_s, contact, usable)
        for arr in (peak, area, load):
            arr[~usable] = np.nan
        kpa = g.kpa_per_count is not None
        return GridEstimate(
            t_s=grid.t_s,
            valid=ok,
            added=added * np.float32(self._scale),
            unit="kPa" if kpa else "raw",
            peak=peak * self._scale,
            area_m2=area,
            load=load * self._scale,
            saturated=saturated,
            n_blobs=blobs["n"],
            blob_load=blobs["load"] * self._scale,
            blob_force_n=blobs["load"] * (self._scale * 1000.0 if kpa else np.nan),
            blob_area_m2=blobs["area"],
            blob_x_m=blobs["x"],
            blob_y_m=blobs["y"],
            baseline_ready=self.baseline is not None,
        )

    def _track(
        self, v: np.ndarray, t_s: np.ndarray, contact: np.ndarray, usable: np.ndarray
    ) -> None:
        """Let taxels out of contact follow the sheet's creep (time constant baseline_tau_s)."""
        if self.baseline is None or not usable.any():
            return
        free = ~contact & usable[:, None, None]
        count = free.sum(axis=0)
        mean = np.where(free, v, 0).sum(axis=0, dtype=np.float64) / np.maximum(count, 1)
        t_last = float(t_s[usable][-1])
        dt = t_last - self._tracked_t_s if np.isfinite(self._tracked_t_s) else 0.0
        alpha = -np.expm1(-max(dt, 0.0) / self.g.baseline_tau_s)
        self.baseline += np.where(count > 0, alpha * (mean - self.baseline), 0.0).astype(np.float32)
        self._tracked_t_s = t_last

    def _measure(
        self, added: np.ndarray, contact: np.ndarray, usable: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """Peak, area, load per frame and the largest MAX_BLOBS contacts of each frame."""
        g = self.g
        n = added.shape[0]
        labels, count = ndimage.label(contact, structure=_STRUCTURE)
        # Only the taxels in contact (few of a frame) are summed: the same sums, in the same
        # order, as over every taxel with zeros elsewhere.
        at = np.flatnonzero(labels)
        flat_l = labels.ravel()[at]
        w = added.ravel()[at].astype(np.float64)
        taxels = np.bincount(flat_l, minlength=count + 1)[1:]
        loads = np.bincount(flat_l, weights=w, minlength=count + 1)[1:]
        frame_i, rest = np.divmod(at, g.rows * g.cols)
        row_i, col_i = np.divmod(rest, g.cols)
        frame_of = np.bincount(flat_l, weights=frame_i.astype(np.float64), minlength=count + 1)[1:]
        row_sum = np.bincount(flat_l, weights=w * row_i, minlength=count + 1)[1:]
        col_sum = np.bincount(flat_l, weights=w * col_i, minlength=count + 1)[1:]
        big = taxels >= g.min_blob_taxels
        in_big = np.r_[False, big][flat_l]  # taxels of the contacts that count
        peak = np.zeros(n)
        np.maximum.at(peak, frame_i[in_big], w[in_big])
        frame_of = np.rint(frame_of[big] / taxels[big]).astype(np.intp)
        taxels, loads, row_sum, col_sum = taxels[big], loads[big], row_sum[big], col_sum[big]
        area = np.bincount(frame_of, weights=taxels, minlength=n) * self._taxel_m2
        load = np.bincount(frame_of, weights=loads, minlength=n) * self._taxel_m2
        order = np.lexsort((-loads, frame_of))
        f_sorted = frame_of[order]
        first = np.searchsorted(f_sorted, f_sorted)
        rank = np.arange(order.size) - first
        keep = rank < MAX_BLOBS
        sel, fr, rk = order[keep], f_sorted[keep], rank[keep]
        blobs = {k: np.full((n, MAX_BLOBS), np.nan) for k in ("load", "area", "x", "y")}
        blobs["load"][fr, rk] = loads[sel] * self._taxel_m2
        blobs["area"][fr, rk] = taxels[sel] * self._taxel_m2
        blobs["x"][fr, rk] = g.origin_x_m + row_sum[sel] / loads[sel] * g.pitch_x_m
        blobs["y"][fr, rk] = g.origin_y_m + col_sum[sel] / loads[sel] * g.pitch_y_m
        blobs["n"] = np.minimum(np.bincount(frame_of, minlength=n), MAX_BLOBS).astype(np.int16)
        blobs["n"][~usable] = 0
        return peak, area, load, blobs
