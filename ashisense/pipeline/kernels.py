"""Compiled per-block kernels of the pipeline's streaming state (numba, cached on disk).

A live block is tens of samples, so a chain of numpy calls costs far more in call overhead
than in arithmetic; these kernels do each job in one call. Each does the same floating-point
operations in the same order as the numpy it replaced (no fastmath), so the estimates are
unchanged, and any cut of the stream still gives the same answer. Only the pipeline's stage
modules import this one: numba loads with the pipeline, not with the command line.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ashisense.bodymap import REGION_CODE
from ashisense.compiled import compile_now

SPINE_CODE = REGION_CODE["spine"]  # (a compile-time constant of place())

# The client-shift watch's samples under one client baseline: the feet force, the mat's
# moment Σf·x, the baseline's F_c and M_cx ((m,) or (1,) each), the hands' mean x and where
# the hands cannot follow the body.
Stretch = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
# filters.StreamingLowPass.state: sos, zi, the steady state for input 1, last, started.
LowPassState = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
# The client-shift watch's carried state: last [q, F_feet], counts [run, since a detection],
# the pending shift's reference gap, the running sums and the gap's low-pass.
ShiftState = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, LowPassState]


@njit(cache=True)
def runs(cond: np.ndarray, carried: int) -> np.ndarray:
    """(n,) int64: how many samples in a row cond (n,) bool has held, ending at each
    (carried: the run that ended the last block)."""
    out = np.empty(cond.shape[0], dtype=np.int64)
    r = carried
    for i in range(cond.shape[0]):
        r = r + 1 if cond[i] else 0
        out[i] = r
    return out


@njit(cache=True)
def bridged_runs(
    ok: np.ndarray, complete: np.ndarray, carried: np.ndarray, max_gap: int
) -> np.ndarray:
    """(n,) int64: the stretch of qualifying windows running at each sample, bridging up to
    max_gap windows in a row that are only incomplete (an invalid sample in them: complete
    (k, n), the WINDOW rows baseline_checks reads) once the stretch has begun; ok (n,): the
    window qualifies. carried (2,): the run and the bridged windows in a row before the
    block, carried on in place."""
    out = np.empty(ok.shape[0], dtype=np.int64)
    r, g = carried[0], carried[1]
    for i in range(ok.shape[0]):
        gap = not (complete[0, i] and complete[1, i] and complete[2, i] and complete[6, i])
        if ok[i]:
            r, g = r + 1, 0
        elif gap and r > 0 and g < max_gap:
            r, g = r + 1, g + 1
        else:
            r, g = 0, 0
        out[i] = r
    carried[0], carried[1] = r, g
    return out


@njit(cache=True)
def baseline_checks(
    mean: np.ndarray,
    sd: np.ndarray,
    drift: np.ndarray,
    complete: np.ndarray,
    limits: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Each check of the client baseline's windows (baseline.BaselineDetector, in the order
    of its reasons) (k, n) and whether all hold (n,). mean, sd, drift, complete: the
    WINDOW statistics; limits (6,): client_min_n, baseline_sd_frac, baseline_sd_n,
    baseline_cop_sd_m, the client's weight (NaN: none, no seventh check), client_weight_tol."""
    min_n, sd_frac, sd_n, cop_sd_m, weight_n, tol_w = limits
    n = mean.shape[1]
    k = 6 if math.isnan(weight_n) else 7
    checks = np.empty((k, n), dtype=np.bool_)
    ok = np.empty(n, dtype=np.bool_)
    for i in range(n):
        mat = mean[0, i]  # (rows 0-3, 6: WINDOW's MAT, MOMENT_X, MOMENT_Y, BARS_LOADED, BAR_N)
        tol = sd_frac * abs(mat) + sd_n
        checks[0, i] = complete[0, i] and complete[1, i] and complete[2, i] and complete[6, i]
        checks[1, i] = mat > min_n
        checks[2, i] = mean[3, i] == 0
        checks[3, i] = sd[0, i] <= tol
        checks[4, i] = abs(drift[0, i]) <= tol
        # CoP sd = hypot / mat under the limit (mat > client_min_n > 0 where it matters)
        checks[5, i] = np.hypot(sd[1, i], sd[2, i]) <= cop_sd_m * mat
        if k == 7:
            checks[6, i] = abs(mat - weight_n) <= tol_w * weight_n
        ok[i] = checks[:, i].all()
    return checks, ok


@njit(cache=True)
def first_refs(x: np.ndarray, ref: np.ndarray, has_ref: np.ndarray) -> bool:
    """Take each column's first valid value of x (k, n) as its reference where it has none
    yet (ref (k, 1), has_ref (k,), in place); returns whether every column has one."""
    k, n = x.shape
    every = True
    for j in range(k):
        if not has_ref[j]:
            for i in range(n):
                if not math.isnan(x[j, i]):
                    ref[j, 0] = x[j, i]
                    has_ref[j] = True
                    break
        every = every and has_ref[j]
    return every


@njit(cache=True)
def _window_sums(tail: np.ndarray, x: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """(3k, w + n): the carried cumulative sums of [z, z^2, invalid] rebased to their first
    column, then summed on over x (k, n) with z = x - ref (0 where x is NaN)."""
    k, n = x.shape
    w = tail.shape[1]
    full = np.empty((3 * k, w + n))
    for r in range(3 * k):
        base = tail[r, 0]
        for c in range(w):
            full[r, c] = tail[r, c] - base
    for j in range(k):
        s, s2, nb = full[j, w - 1], full[k + j, w - 1], full[2 * k + j, w - 1]
        for i in range(n):
            v = x[j, i]
            if math.isnan(v):
                z = 0.0
                nb = nb + 1.0
            else:
                z = v - ref[j, 0]
            s = s + z
            s2 = s2 + z * z
            full[j, w + i] = s
            full[k + j, w + i] = s2
            full[2 * k + j, w + i] = nb
    return full


@njit(cache=True)
def rolling_push(
    tail: np.ndarray, ref: np.ndarray, x: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Window statistics of a (k, n) block x (rolling.Rolling.push): complete, mean, sd,
    drift (k, n) each; tail: the carried sums (3k, w), carried on in place (no new array
    for Python to box), ref (k, 1) each column's offset."""
    k, n = x.shape
    w = tail.shape[1]
    full = _window_sums(tail, x, ref)
    complete = np.empty((k, n), dtype=np.bool_)
    mean = np.empty((k, n))
    sd = np.empty((k, n))
    drift = np.empty((k, n))
    h = w // 2
    for j in range(k):
        for i in range(n):
            m = (full[j, w + i] - full[j, i]) / w
            var = (full[k + j, w + i] - full[k + j, i]) / w - m * m
            if var < 0.0:
                var = 0.0
            complete[j, i] = full[2 * k + j, w + i] - full[2 * k + j, i] == 0
            mean[j, i] = m + ref[j, 0]
            sd[j, i] = math.sqrt(var)
            if w % 2:  # halves of h and h + 1 samples
                mid = full[j, h + i]
                drift[j, i] = (full[j, w + i] - mid) / (w - h) - (mid - full[j, i]) / h
            else:
                late = full[j, w + i] - full[j, h + i]
                drift[j, i] = (late - (full[j, h + i] - full[j, i])) / h
    tail[:, :] = full[:, n:]
    return complete, mean, sd, drift


@njit(cache=True)
def cumulate(cum: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Running sums carried over a block: (k, h + n), the carried sums cum (k, h) then those
    summed on over x (k, n) (a NaN counting as 0), and the new carried sums (k, h), rebased
    to their first column so that they stay small."""
    k, n = x.shape
    h = cum.shape[1]
    full = np.empty((k, h + n))
    for j in range(k):
        for c in range(h):
            full[j, c] = cum[j, c]
        s = 0.0
        carried = cum[j, h - 1]
        for i in range(n):
            v = x[j, i]
            s = s + (0.0 if math.isnan(v) else v)
            full[j, h + i] = s + carried
    new = np.empty((k, h))
    for j in range(k):
        base = full[j, n]
        for c in range(h):
            new[j, c] = full[j, n + c] - base
    return full, new


@njit(cache=True)
def trailing_sums(cum: np.ndarray, x: np.ndarray, length: np.ndarray) -> np.ndarray:
    """(k, n) sums of x (k, n) over the `length` (n,) samples ending at each (at most h, a
    NaN counting as 0); cum: the carried sums (k, h), carried on in place."""
    k, n = x.shape
    h = cum.shape[1]
    full, new = cumulate(cum, x)
    out = np.empty((k, n))
    for j in range(k):
        for i in range(n):
            out[j, i] = full[j, h + i] - full[j, h + i - min(length[i], h)]
    cum[:, :] = new
    return out


@njit(cache=True)
def hold_lengths(
    complete: np.ndarray,
    sd: np.ndarray,
    hands_sd_m: float,
    usable: np.ndarray,
    moment: np.ndarray,
    feet: np.ndarray,
    carried_run: int,
    carried_usable: int,
    lead: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    """The holds of a block (hold.HoldAverage): still (n,), the samples each hold averages
    (n,), [moment, feet] (2, n) with 0 where either is NaN, and the runs of still and usable
    samples that end it. complete, sd: the hands' window (2, n); moment, feet: (n,) each;
    carried_*: those runs before the block."""
    n = usable.shape[0]
    still = np.empty(n, dtype=np.bool_)
    length = np.empty(n, dtype=np.int64)
    mf = np.empty((2, n))
    run, ok_run = carried_run, carried_usable
    for i in range(n):
        s = complete[0, i] and complete[1, i] and max(sd[0, i], sd[1, i]) < hands_sd_m
        s = s and usable[i]
        still[i] = s
        run = run + 1 if s else 0
        ok_run = ok_run + 1 if usable[i] else 0
        length[i] = min(run + lead, ok_run)
        m, f = moment[i], feet[i]
        if math.isnan(m) or math.isnan(f):
            m, f = 0.0, 0.0
        mf[0, i], mf[1, i] = m, f
    return still, length, mf, run, ok_run


@njit(cache=True)
def zero_correct(bar_n: np.ndarray, correction: np.ndarray, band_n: float) -> bool:
    """Add each channel's zero correction (B,) to bar_n (B, n) in place (zero.py); returns
    whether some channel reads band_n or more (NaN: none) at every sample."""
    b, n = bar_n.shape
    loaded = True
    for i in range(n):
        most = np.nan
        for r in range(b):
            bar_n[r, i] += correction[r]
            a = abs(bar_n[r, i])
            if not math.isnan(a) and (math.isnan(most) or a > most):  # (np.fmax)
                most = a
        loaded = loaded and most >= band_n
    return loaded


@njit(cache=True)
def zero_window(
    bar_n: np.ndarray,
    start: int,
    tail: np.ndarray,
    ref: np.ndarray,
    has_ref: np.ndarray,
    limits: np.ndarray,
    mean_n: np.ndarray,
) -> int:
    """Push bar_n[:, start:] (B, n) into the bar zero's window (Rolling.state, carried in
    place); returns the first sample (from start) whose window is complete, within band_n
    of zero and under sd_n on every channel (-1: none), its means into mean_n (B,).
    limits (2,): band_n, sd_n."""
    x = bar_n[:, start:]
    first_refs(x, ref, has_ref)
    complete, mean, sd, _ = rolling_push(tail, ref, x)
    for i in range(x.shape[1]):
        ok = True
        for r in range(x.shape[0]):
            ok = ok and complete[r, i] and abs(mean[r, i]) < limits[0] and sd[r, i] < limits[1]
        if ok:
            mean_n[:] = mean[:, i]
            return i
    return -1


@njit(cache=True)
def held_x(
    moment: np.ndarray,
    denom: np.ndarray,
    anchor: np.ndarray,
    rebased: np.ndarray,
    hand_l: np.ndarray,
    hand_r: np.ndarray,
    tail: np.ndarray,
    ref: np.ndarray,
    has_ref: np.ndarray,
    cum: np.ndarray,
    carried: np.ndarray,
    hands_sd_m: float,
    lead: int,
) -> np.ndarray:
    """The feet's x (n,) on a rig that averages holds (mat.MatStage._feet_x, hold.py) in one
    call: moment / denom, in holds their sums over the hold, where a shift is pending the
    anchor. moment: Σf·x - M_cx (n,); denom: the feet force, NaN near zero (n,); anchor,
    rebased: (n,) or (0,) for none; tail, ref, has_ref: the hands' Rolling.state, cum the
    hold's TrailingSums.sums and carried its [still, usable] runs, all carried on in place."""
    n = moment.shape[0]
    usable = np.empty(n, dtype=np.bool_)
    hands = np.empty((2, n))
    for i in range(n):
        u = math.isfinite(denom[i])
        if anchor.shape[0]:
            u = u and math.isnan(anchor[i])
        if rebased.shape[0]:
            u = u and not rebased[i]  # the client moment changed there: a new hold begins
        usable[i] = u
        hands[0, i], hands[1, i] = hand_l[i], hand_r[i]
    first_refs(hands, ref, has_ref)
    complete, _, sd, _ = rolling_push(tail, ref, hands)
    feet = np.where(usable, denom, 0.0)
    still, length, mf, carried[0], carried[1] = hold_lengths(
        complete, sd, hands_sd_m, usable, moment, feet, carried[0], carried[1], lead
    )
    sums = trailing_sums(cum, mf, length)
    x_m = np.empty(n)
    for i in range(n):
        x = moment[i] / denom[i]
        if still[i] and sums[1, i] > 0:
            held = sums[0, i] / sums[1, i]
            x = x if math.isnan(held) else held
        if anchor.shape[0] and math.isfinite(anchor[i]) and math.isfinite(denom[i]):
            x = anchor[i]
        x_m[i] = x
    return x_m


@njit(cache=True)
def mat_zero(
    mean: np.ndarray,
    sd: np.ndarray,
    complete: np.ndarray,
    client: np.ndarray,
    refreshed: np.ndarray,
    t_s: np.ndarray,
    limits: np.ndarray,
    drift_n: float,
    confirmed_t_s: float,
    old: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, float, float]:
    """The mat's drift (n,), the baseline rows [F_c, M_x, M_y] with it added where the
    cells' centroid puts it (3, n), and the drift and confirmation time at the end
    (matzero.py); sets old (n,): the zero in force there not confirmed for max_age_s.
    mean, sd: the window's (WINDOW rows); complete: its TOTAL row; client: (3, n) or
    (3, 1); limits (9,): weight_n, still_sd_n, bar_min_n, feet_min_n, mat_zero_tol,
    mat_zero_step_n, the centroid's x and y, max_age_s; drift_n, confirmed_t_s: those
    before the block."""
    weight_n, still_sd_n, bar_min_n, feet_min_n, tol, step = limits[:6]
    n = t_s.shape[0]
    drift = np.empty(n)
    moved = np.empty((3, n))
    one = client.shape[1] == 1
    for i in range(n):
        c = client[0, 0 if one else i]
        residual = mean[7, i] - weight_n - c  # (7, 6, 0: WINDOW's TOTAL, BAR_N, MAT)
        ok = complete[i] and sd[7, i] < still_sd_n and mean[6, i] > bar_min_n
        ok = ok and mean[0, i] - c > feet_min_n and abs(residual) < tol * weight_n
        if refreshed[i]:
            drift_n, confirmed_t_s = 0.0, t_s[i]
        elif ok:  # in steps: a window's noise does not move the zero (and a replay from a
            # stored state reads what the live pipeline read)
            drift_n, confirmed_t_s = np.rint(residual / step) * step, t_s[i]
        drift[i] = drift_n
        old[i] = t_s[i] - confirmed_t_s > limits[8]
        moved[0, i] = c + drift_n
        moved[1, i] = client[1, 0 if one else i] + drift_n * limits[6]
        moved[2, i] = client[2, 0 if one else i] + drift_n * limits[7]
    return drift, moved, drift_n, confirmed_t_s


@njit(cache=True)
def motion_static(
    mean: np.ndarray,
    sd: np.ndarray,
    drift: np.ndarray,
    complete: np.ndarray,
    client: np.ndarray,
    scale_n: float,
    limits: np.ndarray,
    rebased: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Where the client-motion watch may look (motion.py): static (n,) and the feet force
    (n,). mean, sd, drift: the window's (WINDOW rows); complete: its rows up to BAR_N;
    client: the baseline rows (3, n) or (3, 1); scale_n: W_t (NaN: the window's support);
    limits (3,): feet_min_n, move_hands_sd_m, move_bar_frac; rebased: (n,) or (0,)."""
    feet_min_n, hands_sd_m, bar_frac = limits
    n = mean.shape[1]
    one = client.shape[1] == 1
    static = np.empty(n, dtype=np.bool_)
    feet_n = np.empty(n)
    for i in range(n):
        f = mean[0, i] - client[0, 0 if one else i]
        scale = scale_n if math.isfinite(scale_n) else mean[6, i] + f  # (6: BAR_N)
        s = True
        for r in range(complete.shape[0]):
            s = s and complete[r, i]
        s = s and f > feet_min_n and max(sd[4, i], sd[5, i]) < hands_sd_m  # (HAND_L, HAND_R)
        s = s and abs(drift[6, i]) < bar_frac * scale
        if rebased.shape[0]:
            s = s and not rebased[i]
        static[i], feet_n[i] = s, f
    return static, feet_n


@njit(cache=True)
def motion_moved(
    xy: np.ndarray, static: np.ndarray, was_static: bool, limit: np.ndarray, suspect: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How far the feet moved from where each static stretch began (motion.py): seen (n,)
    beyond `limit`, drifting (n,) beyond suspect x limit, and the anchor (2,) at the end
    (NaN: not static there). xy: (2, n + 1), column 0 the carried anchor."""
    n = static.shape[0]
    seen = np.empty(n, dtype=np.bool_)
    drifting = np.empty(n, dtype=np.bool_)
    start = -1
    was = was_static
    for i in range(n):
        if not (static[i] and was):
            start = i
        was = static[i]
        moved = np.hypot(xy[0, i + 1] - xy[0, start + 1], xy[1, i + 1] - xy[1, start + 1])
        seen[i] = static[i] and moved > limit[i]
        drifting[i] = static[i] and moved > suspect * limit[i]
    anchor = np.full(2, np.nan)
    if n and static[n - 1]:
        anchor[0], anchor[1] = xy[0, start + 1], xy[1, start + 1]
    return seen, drifting, anchor


@njit(cache=True)
def motion_flags(
    mean: np.ndarray,
    sd: np.ndarray,
    drift: np.ndarray,
    complete: np.ndarray,
    client: np.ndarray,
    scale_n: float,
    limits: np.ndarray,
    rebased: np.ndarray,
    refreshed: np.ndarray,
    anchor: np.ndarray,
    was_static: bool,
    flagged: bool,
) -> tuple[np.ndarray, bool, bool]:
    """motion.ClientMotionDetector.push in one call: (n,) where positions are suspect,
    whether the last sample was static and whether the flag is raised at the end. Arguments
    as motion_static's (limits (6,): its three, move_min_m, move_wander_k x
    client_cop_wander_m, move_suspect_frac); refreshed (n,); anchor (2,) where the last
    static stretch began (NaN: none), carried in place; was_static, flagged: those before."""
    static, feet_n = motion_static(mean, sd, drift, complete, client, scale_n, limits[:3], rebased)
    n = static.shape[0]
    flag = np.empty(n, dtype=np.bool_)
    if not static.any():  # nothing to watch (nobody on, or moving)
        anchor[:] = np.nan
        fresh = np.argmax(refreshed) if refreshed.any() else n
        flag[:] = flagged and fresh == n  # raised until the first refresh
        flag[:fresh] = flagged
        return flag, False, flagged and fresh == n
    # Positions and limits where static (NaN elsewhere: never read there); column 0 of
    # `xy` is the anchor carried from the last block.
    one = client.shape[1] == 1
    xy = np.empty((2, n + 1))
    xy[:, 0] = anchor
    limit = np.empty(n)
    for i in range(n):
        d = feet_n[i] if static[i] else np.nan
        c = 0 if one else i
        xy[0, i + 1] = (mean[1, i] - client[1, c]) / d  # (1, 2: MOMENT_X, MOMENT_Y)
        xy[1, i + 1] = (mean[2, i] - client[2, c]) / d
        limit[i] = limits[3] + limits[4] * client[0, c] / d
    seen, drifting, anchor[:] = motion_moved(xy, static, was_static, limit, limits[5])
    # The flag rises at a detection and falls where the baseline is refreshed.
    last_seen, last_fresh = -1, -1
    for i in range(n):
        if seen[i]:
            last_seen = i
        if refreshed[i]:
            last_fresh = i
        flag[i] = last_seen > last_fresh if last_seen >= 0 or last_fresh >= 0 else flagged
    return flag | drifting, static[n - 1], flag[n - 1]


@njit(cache=True)
def sos_cascade(sos: np.ndarray, zi: np.ndarray, x: np.ndarray) -> np.ndarray:
    """(n, k) x through second-order sections sos (s, 6) column by column, in the
    transposed direct form of scipy's lfilter (the same operations in the same order); the
    state zi (s, 2, k) is carried in place."""
    n, k = x.shape
    y = x.copy()
    for s in range(sos.shape[0]):
        b0, b1, b2, a1, a2 = sos[s, 0], sos[s, 1], sos[s, 2], sos[s, 4], sos[s, 5]
        for j in range(k):
            z0, z1 = zi[s, 0, j], zi[s, 1, j]
            for i in range(n):
                xv = y[i, j]
                yv = z0 + b0 * xv
                z0 = z1 + xv * b1 - yv * a1
                z1 = xv * b2 - yv * a2
                y[i, j] = yv
            zi[s, 0, j], zi[s, 1, j] = z0, z1
    return y


@njit(cache=True)
def low_pass(
    x: np.ndarray,
    sos: np.ndarray,
    zi: np.ndarray,
    zi_unit: np.ndarray,
    last: np.ndarray,
    started: np.ndarray,
) -> np.ndarray:
    """filters.StreamingLowPass on (n, k) x: a NaN holds the column's last valid value
    (last (k,)) through the filter and is NaN in the output; a column not yet started
    (started (k,)) starts at steady state (zi_unit (s, 2) times its first valid value), the
    samples before that value reading it (0 while it has none). zi (s, 2, k), last and
    started are carried in place."""
    n, k = x.shape
    filled = np.empty((n, k))
    for j in range(k):
        hold = last[j]
        first = -1
        for i in range(n):
            v = x[i, j]
            if not math.isnan(v):
                hold = v
                if first < 0:
                    first = i
            filled[i, j] = hold
        last[j] = hold
        if not started[j]:  # (then hold was NaN until the first valid value)
            start = filled[first, j] if first >= 0 else 0.0
            filled[: first if first >= 0 else n, j] = start
            if first >= 0:
                zi[:, :, j] = zi_unit * start
                started[j] = True
    y = sos_cascade(sos, zi, filled)
    for i in range(n):
        for j in range(k):
            if math.isnan(x[i, j]):
                y[i, j] = np.nan
    return y


@njit(cache=True)
def shift_inputs(
    mat_n: np.ndarray,
    f_c: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    left_n: np.ndarray,
    right_n: np.ndarray,
    lo: float,
    hi: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """The client-shift watch's inputs (clientshift.py): the feet force mat_n - F_c (n,),
    the hands' mean x (n,), where the hands cannot follow the body (n,): beyond a mount
    limit, or a bar let go (NaN hand x on a valid bar), and the most feet force (-inf: none
    valid). left, right: the hands' x, left_n, right_n: the bar forces (n,) each; f_c (n,)
    or (1,); lo, hi: the hands' limits along the bars."""
    n = mat_n.shape[0]
    one = f_c.shape[0] == 1
    feet_n = np.empty(n)
    mean_x = np.empty(n)
    off = np.empty(n, dtype=np.bool_)
    most = -np.inf
    for i in range(n):
        f = mat_n[i] - (f_c[0] if one else f_c[i])
        feet_n[i] = f
        if f > most:
            most = f
        a, b = left[i], right[i]
        least = b if math.isnan(a) else (a if math.isnan(b) else min(a, b))
        most_x = b if math.isnan(a) else (a if math.isnan(b) else max(a, b))
        o = least < lo or most_x > hi
        o = o or (math.isnan(a) and not math.isnan(left_n[i]))
        off[i] = o or (math.isnan(b) and not math.isnan(right_n[i]))
        mean_x[i] = 0.5 * (a + b)
    return feet_n, mean_x, off, most


@njit(cache=True)
def shift_series(
    feet_n: np.ndarray,
    moment_x: np.ndarray,
    f_c: np.ndarray,
    m_cx: np.ndarray,
    hands: np.ndarray,
    off: np.ndarray,
    last: np.ndarray,
    min_feet_n: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """[q, F_feet] (2, m) of a stretch (Stretch's fields): q = F_feet·g, the feet's
    moment about the hands, 0 where not defined; where they are defined (m,); the gap g
    (m, 1), NaN where not defined. An invalid sample holds the last valid values (last (2,),
    carried in place)."""
    m = feet_n.shape[0]
    one_f, one_m = f_c.shape[0] == 1, m_cx.shape[0] == 1
    check = not (one_f and one_m and math.isfinite(f_c[0] + m_cx[0]))
    qf = np.empty((2, m))
    defined = np.empty(m, dtype=np.bool_)
    gap = np.empty((m, 1))
    hq, hf = last[0], last[1]
    for i in range(m):
        fc, mc = f_c[0 if one_f else i], m_cx[0 if one_m else i]
        q = (moment_x[i] - mc) - feet_n[i] * hands[i]
        if not math.isnan(q):
            hq, hf = q, feet_n[i]
        d = hf > min_feet_n and math.isfinite(hq) and not off[i]
        if check:
            d = d and math.isfinite(fc) and math.isfinite(mc)  # no baseline: nothing to hold
        defined[i] = d
        qf[0, i], qf[1, i] = (hq, hf) if d else (0.0, 0.0)
        gap[i, 0] = hq / hf if d else np.nan
    last[0], last[1] = hq, hf
    return qf, defined, gap


@njit(cache=True)
def shift_seen(
    cum: np.ndarray,
    run: np.ndarray,
    gap: np.ndarray,
    ff: np.ndarray,
    f_c: np.ndarray,
    defined: np.ndarray,
    spans: np.ndarray,
    shift_client_m: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Where a stretch shows a client slide (clientshift.py) (m,), and the reference gap
    (m,): Σq / ΣF_feet over the defined samples of the window ending `delay` samples before.
    cum: the running sums (2, h + m), column h + i holding those up to sample i; run: the
    runs of defined samples (m,); gap: the low-passed gap, ff: F_feet (m,) each; f_c: (m,)
    or (1,); spans (3,): delay, window and least reference, in samples."""
    delay, win, min_ref = spans
    m = run.shape[0]
    hi = cum.shape[1] - m - delay
    seen = np.empty(m, dtype=np.bool_)
    ref = np.empty(m)
    one = f_c.shape[0] == 1
    for i in range(m):
        ref_len = min(max(run[i] - delay, 0), win)
        lo = hi + i - ref_len
        r = (cum[0, hi + i] - cum[0, lo]) / max(cum[1, hi + i] - cum[1, lo], 1e-9)
        slide = (gap[i] - r) * ff[i] / f_c[0 if one else i]
        seen[i] = defined[i] and ref_len >= min_ref and abs(slide) > shift_client_m
        ref[i] = r
    return seen, ref


@njit(cache=True)
def shift_carry(
    stretch: Stretch,
    last: np.ndarray,
    counts: np.ndarray,
    cum: np.ndarray,
    lp: LowPassState,
    min_feet_n: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Carry the client-shift watch's state over a stretch (clientshift.py): [q, F_feet]
    (2, m) (0 where not defined), where they are defined (m,), the low-passed gap (m,), the
    runs of defined samples (m,) and the running sums (2, h + m), column h + i holding the
    sums up to sample i. stretch: Stretch's fields; last (2,), counts[0] (the
    run), cum (2, h) and the gap's low-pass lp (StreamingLowPass.state) carried in place."""
    feet_n, moment_x, f_c, m_cx, hands, off = stretch
    qf, defined, gap = shift_series(feet_n, moment_x, f_c, m_cx, hands, off, last, min_feet_n)
    gap = low_pass(gap, *lp)[:, 0]
    run = runs(defined, counts[0])
    counts[0] = run[-1]
    full, new = cumulate(cum, qf)
    cum[:, :] = new
    return qf, defined, gap, run, full


@njit(cache=True)
def shift_scan(
    stretch: Stretch,
    state: ShiftState,
    limits: np.ndarray,
    spans: np.ndarray,
) -> tuple[np.ndarray, bool, int, float]:
    """The watch over a stretch with one baseline (Stretch's fields): the flags
    from the first detection (or one pending) on (m,), whether there are any, the first
    re-estimate's index (-1: none) and moment change. state: shift_watch's, carried in place
    (reset by the caller if an event ends the stretch early). limits (2,): shift_min_feet_n,
    shift_client_m; spans (5,): delay, window, least reference, settle, fit, in samples."""
    last, counts, ref, cum, lp = state
    f_c = stretch[2]
    qf, defined, gap, run, full = shift_carry(stretch, last, counts, cum, lp, limits[0])
    seen, gap_ref = shift_seen(full, run, gap, qf[1], f_c, defined, spans[:3], limits[1])
    m = seen.shape[0]
    since = counts[1]
    flag = np.zeros(m, dtype=np.bool_)
    if since < 0:
        first = np.argmax(seen)
        if not seen[first]:
            return flag, False, -1, 0.0
        ref[0] = gap_ref[first]
        since = -first  # negative before the detection
    settle, fit = spans[3], spans[4]
    for i in range(m):
        flag[i] = since + i >= 0
        if since + i >= settle + fit - 1 and run[i] >= fit:
            c = full[:, full.shape[1] - m - fit :]  # the sums from `fit` samples before
            mean_q = (c[0, i + fit] - c[0, i]) / fit
            mean_f = (c[1, i + fit] - c[1, i]) / fit
            return flag, True, i, mean_q - ref[0] * mean_f
    counts[1] = since + m
    return flag, True, -1, 0.0


@njit(cache=True)
def shift_reset(
    state: ShiftState,
) -> None:
    """The watch forgets its past (ClientShiftWatch.reset), in place."""
    last, counts, ref, cum, lp = state
    last[:] = np.nan
    counts[0], counts[1] = 0, -1
    ref[0] = np.nan
    cum[:, :] = 0.0
    lp[1][:] = 0.0  # the gap's low-pass restarts at steady state on its next value
    lp[3][:] = np.nan
    lp[4][:] = False


@njit(cache=True)
def _stretch_of(
    block: Stretch,
    lo: int,
    hi: int,
    delta_mx_nm: float,
) -> Stretch:
    """The samples lo:hi of a block's stretch fields, the client moment re-estimated by
    delta_mx_nm (a (1,) baseline holds for the whole block)."""
    feet_n, moment_x, f_c, m_cx, hands, off = block
    f = f_c if f_c.shape[0] == 1 else f_c[lo:hi]
    m = (m_cx if m_cx.shape[0] == 1 else m_cx[lo:hi]) + delta_mx_nm
    return feet_n[lo:hi], moment_x[lo:hi], f, m, hands[lo:hi], off[lo:hi]


@njit(cache=True)
def shift_walk(
    block: Stretch,
    start: int,
    stop: int,
    state: ShiftState,
    limits: np.ndarray,
    spans: np.ndarray,
    out: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    total: float,
) -> tuple[float, int]:
    """The samples start:stop (one client baseline) event by event, into out (flag,
    rebased, anchor, delta): the re-estimated moment at the end and the last re-estimate's
    index (-1: none)."""
    flag, rebased, anchor, delta = out
    hands, ref = block[4], state[2]
    event = -1
    while start < stop:
        at, flagged, k, d_m = shift_scan(
            _stretch_of(block, start, stop, total), state, limits, spans
        )
        if flagged:
            for i in range(stop - start):
                flag[start + i] = at[i]
                anchor[start + i] = hands[start + i] + ref[0] if at[i] else np.nan
        if k < 0:
            delta[start:stop] = total
            return total, event
        delta[start : start + k + 1] = total
        total += d_m
        rebased[start + k] = True
        event = start + k
        shift_reset(state)
        start += k + 1
    return total, event


@njit(cache=True)
def _shift_idle(
    block: Stretch,
    refreshed: np.ndarray,
    state: ShiftState,
    min_feet_n: float,
) -> None:
    """Nobody on the feet and no shift pending: no flag, no re-estimate; only the samples
    after the block's last new baseline (refreshed (n,)) leave state behind (carried, not
    scanned)."""
    n = refreshed.shape[0]
    fresh = np.flatnonzero(refreshed)
    start = fresh[-1] + 1 if fresh.shape[0] else 0
    if start:
        shift_reset(state)
    if start < n:
        last, counts, _, cum, lp = state
        shift_carry(_stretch_of(block, start, n, 0.0), last, counts, cum, lp, min_feet_n)


@njit(cache=True)
def shift_watch(
    mat_n: np.ndarray,
    moment_x: np.ndarray,
    f_c: np.ndarray,
    m_cx: np.ndarray,
    left_x_m: np.ndarray,
    right_x_m: np.ndarray,
    left_n: np.ndarray,
    right_n: np.ndarray,
    refreshed: np.ndarray,
    last: np.ndarray,
    counts: np.ndarray,
    ref: np.ndarray,
    cum: np.ndarray,
    lp_sos: np.ndarray,
    lp_zi: np.ndarray,
    lp_unit: np.ndarray,
    lp_last: np.ndarray,
    lp_started: np.ndarray,
    limits: np.ndarray,
    spans: np.ndarray,
    hand_lo: float,
    hand_hi: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool, np.ndarray, int, float]:
    """ClientShiftWatch.push in one call: flag, rebased, anchor (NaN: no shift pending), any
    anchor set, delta, the last re-estimate's index (-1: none), the moment re-estimated by
    the end. left_x_m, right_x_m, left_n, right_n: the hands' x and bar forces (n,) each;
    refreshed (n,): a new baseline there (the watch starts afresh after it). State: last
    (2,), counts (2,), ref (1,), cum (2, h), the gap's low-pass, carried in place; limits,
    spans: as shift_scan's; hand_lo, hand_hi: the hands' limits along the bars."""
    n = mat_n.shape[0]
    state = (last, counts, ref, cum, (lp_sos, lp_zi, lp_unit, lp_last, lp_started))
    feet_n, hands, off, most = shift_inputs(
        mat_n, f_c, left_x_m, right_x_m, left_n, right_n, hand_lo, hand_hi
    )
    block = (feet_n, moment_x, f_c, m_cx, hands, off)
    flag, rebased = np.zeros(n, dtype=np.bool_), np.zeros(n, dtype=np.bool_)
    anchor, delta = np.full(n, np.nan), np.zeros(n)
    out = (flag, rebased, anchor, delta)
    if counts[1] < 0 and not most > limits[0]:
        _shift_idle(block, refreshed, state, limits[0])
        return flag, rebased, anchor, False, delta, -1, 0.0
    total, event, start = 0.0, -1, 0
    while start < n:
        if refreshed[start]:
            start += 1
            continue
        stop = start
        while stop < n and not refreshed[stop]:
            stop += 1
        if start:  # new baselines before it: the watch starts afresh after them
            shift_reset(state)
            total, event = 0.0, -1
        total, at = shift_walk(block, start, stop, state, limits, spans, out, total)
        event = at if at >= 0 else event
        start = stop
    if n and refreshed[n - 1]:
        shift_reset(state)
        total, event = 0.0, -1
    return flag, rebased, anchor, bool(flag.any()), delta, event, total


@njit(cache=True)
def reason_codes(flags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n,) uint16 Uncertain bits of each sample from the flag matrix (k, n) bool, row i
    for bit 2**i, and (n,) whether any is set."""
    k, n = flags.shape
    codes = np.zeros(n, dtype=np.uint16)
    for r in range(k):
        bit = np.uint16(1 << r)
        for i in range(n):
            if flags[r, i]:
                codes[i] |= bit
    return codes, codes != 0


@njit(cache=True)
def mat_window(
    force_n: np.ndarray,
    rows: np.ndarray,
    xy_m: np.ndarray,
    bar_n: np.ndarray,
    hand_l: np.ndarray,
    hand_r: np.ndarray,
    feet_min_n: float,
    unloaded_n: float,
    tail: np.ndarray,
    ref: np.ndarray,
    has_ref: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The mat of a (C, n) force block (mat.py): its total (n,), Σf·x and Σf·y (2, n) over
    the cells (rows (k,) of force_n at xy_m (k, 2), summed in row order), its centre of
    pressure (2, n) (NaN at feet_min_n or less) and the statistics of the stability window
    (rolling_push's) once the block's columns (len(WINDOW), n) are pushed into it. bar_n,
    hand_l, hand_r (n,) each; unloaded_n: bars_unloaded_n; tail, ref, has_ref: the window's
    Rolling.state, carried on in place."""
    n = force_n.shape[1]
    mat_n = np.zeros(n)
    moments = np.zeros((2, n))
    for r in range(rows.shape[0]):
        x, y = xy_m[r, 0], xy_m[r, 1]
        for i in range(n):
            f = force_n[rows[r], i]
            mat_n[i] += f
            moments[0, i] += x * f
            moments[1, i] += y * f
    cop = np.empty((2, n))
    cols = np.empty((8, n))
    for i in range(n):
        m = mat_n[i]
        loaded = m if abs(m) > feet_min_n else np.nan
        cop[0, i], cop[1, i] = moments[0, i] / loaded, moments[1, i] / loaded
        b = bar_n[i]
        cols[0, i], cols[1, i], cols[2, i] = m, moments[0, i], moments[1, i]
        cols[3, i] = 1.0 if abs(b) >= unloaded_n else 0.0  # NaN bars: not loaded
        cols[4, i], cols[5, i], cols[6, i], cols[7, i] = hand_l[i], hand_r[i], b, b + m
    first_refs(cols, ref, has_ref)
    complete, mean, sd, drift = rolling_push(tail, ref, cols)
    return mat_n, moments, cop, complete, mean, sd, drift


@njit(cache=True)
def feet_on_mat(
    mat_n: np.ndarray,
    client_n: np.ndarray,
    suspect: np.ndarray,
    no_baseline: np.ndarray,
    near_zero: np.ndarray,
    moving: np.ndarray,
    limits: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The feet force on the mat mat_n - F_c (n,) and it where above feet_min_n else NaN
    (n,) (mat.py); sets the NO_BASELINE, FEET_NEAR_ZERO and CLIENT_MOVING flag rows (n,)
    each: moving where the feet are defined and the client's own wander moves their position
    beyond position_sigma_m or suspect (n,) (the client-motion watch; (0,): none) holds.
    client_n: (n,) or (1,); limits (3,): feet_min_n, client_cop_wander_m, position_sigma_m."""
    feet_min_n, wander_m, sigma_m = limits
    n = mat_n.shape[0]
    one = client_n.shape[0] == 1
    feet = np.empty(n)
    denom = np.empty(n)
    for i in range(n):
        c = client_n[0] if one else client_n[i]
        f = mat_n[i] - c
        d = f if f > feet_min_n else np.nan
        feet[i], denom[i] = f, d
        no_baseline[i] = math.isnan(c)
        near_zero[i] = f <= feet_min_n
        m = wander_m * c / d > sigma_m or (suspect.shape[0] > 0 and suspect[i])
        moving[i] = m and d == d  # (defined: not NaN)
    return feet, denom


@njit(cache=True)
def support_off(
    support_lp_n: np.ndarray,
    ratio: np.ndarray,
    weight_n: float,
    tols: np.ndarray,
    hold: int,
    run: np.ndarray,
    mismatch: np.ndarray,
    moving: np.ndarray,
) -> None:
    """Where the support is off the therapist's weight (fusion.py), with the therapist on
    the rig (low-passed ratio above 0.2): sets mismatch (n,) where the low-passed ratio has
    been beyond support_tol for `hold` samples in a row (run (1,): the run before, carried
    in place) and moving (n,) where the ratio itself is beyond moving_tol (tols (2,))."""
    r = run[0]
    for i in range(ratio.shape[0]):
        ratio_lp = support_lp_n[i] / weight_n
        on = ratio_lp > 0.2
        r = r + 1 if abs(ratio_lp - 1) > tols[0] and on else 0
        mismatch[i] = r >= hold
        moving[i] = abs(ratio[i] - 1) > tols[1] and on
    run[0] = r


@njit(cache=True)
def fuse_full(
    feet_mat_n: np.ndarray,
    client_n: np.ndarray,
    bar_n: np.ndarray,
    weight_n: float,
    bars_unloaded_n: float,
    lp_sos: np.ndarray,
    lp_zi: np.ndarray,
    lp_unit: np.ndarray,
    lp_last: np.ndarray,
    lp_started: np.ndarray,
    tols: np.ndarray,
    hold: int,
    run: np.ndarray,
    mismatch: np.ndarray,
    moving: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """FusionStage on a full rig (fusion.py): feet, feet_bar, feet_display, support and
    support_ratio (n,) each. The feet force is the mat's; an invalid mat sample takes the
    bars' W_t - F_bar only where that is physics: a client baseline known (client_n (n,) or
    (1,)) and the bars held (bar_n > bars_unloaded_n); nobody on, it stays NaN (missing).
    feet, support and bar_n are low-passed for display (the low-pass's state, run: carried
    in place); with W_t known, sets mismatch and moving (support_off)."""
    n = feet_mat_n.shape[0]
    one = client_n.shape[0] == 1
    feet_bar = np.empty(n)
    rows = np.empty((n, 3))  # feet, support, bar_n: the display low-pass's columns
    for i in range(n):
        feet_bar[i] = weight_n - bar_n[i]
        f = feet_mat_n[i]
        known = not math.isnan(client_n[0 if one else i])
        if math.isnan(f) and known and bar_n[i] > bars_unloaded_n:
            f = feet_bar[i]
        rows[i, 0], rows[i, 1], rows[i, 2] = f, bar_n[i] + f, bar_n[i]
    lp = low_pass(rows, lp_sos, lp_zi, lp_unit, lp_last, lp_started)
    feet, support = rows[:, 0].copy(), rows[:, 1].copy()
    ratio = support / weight_n
    if math.isfinite(weight_n):
        support_off(lp[:, 1], ratio, weight_n, tols, hold, run, mismatch, moving)
    return feet, feet_bar, lp[:, 0].copy(), support, ratio


@njit(cache=True)
def counts_to_forces(
    counts: np.ndarray,
    invalid: np.ndarray,
    columns: np.ndarray,
    offsets: np.ndarray,
    gains: np.ndarray,
    lo: int,
    hi: int,
    bad_row: np.ndarray,
    railed_row: np.ndarray,
) -> np.ndarray:
    """(C, n) forces (counts - offset) * gain of a block's (n, C') counts, taking column
    columns[c] for rig channel c, NaN where invalid or at a rail (forces.py); sets the
    INVALID_INPUT and SATURATED flag rows (n,) each (bad_row, railed_row). offsets, gains:
    (C,) each; lo, hi: the converter's rails."""
    n = counts.shape[0]
    c_n = columns.shape[0]
    force_n = np.empty((c_n, n))
    for c in range(c_n):
        src, off, gain = columns[c], offsets[c], gains[c]
        for i in range(n):
            v = counts[i, src]
            railed = v <= lo or v >= hi
            if railed or invalid[i, src]:
                force_n[c, i] = np.nan
                bad_row[i] = True
                railed_row[i] = railed_row[i] or railed
            else:
                force_n[c, i] = (v - off) * gain
    return force_n


@njit(cache=True)
def _row_sum(force_n: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The rows of force_n (C, n) summed in order (NaN: no rows)."""
    n = force_n.shape[1]
    out = np.full(n, np.nan)
    if rows.shape[0]:
        out[:] = force_n[rows[0]]
        for r in rows[1:]:
            for i in range(n):
                out[i] = out[i] + force_n[r, i]
    return out


@njit(cache=True)
def bar_forces(
    force_n: np.ndarray,
    bar: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    mounts: np.ndarray,
    mounts_x_m: np.ndarray,
    min_n: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The bars of a (C, n) force block (bars.py): left, right and total tension (n,) each,
    where the left and right hands act (2, n) (the lever rule between a bar's mounts; NaN
    without both mounts or at min_n or less) and the left share (n,). bar, left, right: the
    channels of each (a side without any: NaN); mounts (2, 2): the head and foot channel
    of the left and right bar (-1: none); mounts_x_m (2,): the head and foot mount x."""
    heads, feet = mounts[:, 0], mounts[:, 1]
    head_x, foot_x = mounts_x_m[0], mounts_x_m[1]
    n = force_n.shape[1]
    left_n, right_n = _row_sum(force_n, left), _row_sum(force_n, right)
    total_n = _row_sum(force_n, bar)
    hands = np.full((2, n), np.nan)
    for k in range(2):
        if heads[k] >= 0 and feet[k] >= 0:
            for i in range(n):
                f_head, f_foot = force_n[heads[k], i], force_n[feet[k], i]
                tot = f_head + f_foot
                den = tot if tot > min_n else np.nan
                hands[k, i] = (f_head * head_x + f_foot * foot_x) / den
    share = np.empty(n)
    for i in range(n):
        share[i] = left_n[i] / (total_n[i] if total_n[i] > min_n else np.nan)
    return left_n, right_n, total_n, hands, share


@njit(cache=True)
def place(
    x_m: np.ndarray,
    y_m: np.ndarray,
    feet_n: np.ndarray,
    area_m2: float,
    along: np.ndarray,
    edges: np.ndarray,
    by_edge: np.ndarray,
    spine: np.ndarray,
    no_go_table: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """placement.PlacementStage in one pass: region codes (int8, -1 where x or y is NaN), the
    no-go mask and the pressure (kPa) of feet_n over area_m2 (NaN: no area) of (n,) feet
    positions; along, edges, by_edge, spine, no_go_table: BodyMap.region_tables() (the same
    operations as BodyMap.classify, so the same codes)."""
    n = x_m.shape[0]
    region = np.empty(n, dtype=np.int8)
    no_go = np.empty(n, dtype=np.bool_)
    pressure_kpa = np.empty(n)
    m = edges.shape[0]
    for i in range(n):
        x, y = x_m[i], y_m[i]
        if math.isnan(x) or math.isnan(y):
            code = np.int8(-1)
        else:
            u = along[0] * (x - along[1]) / along[2]
            k = 0
            while k < m and edges[k] <= u:  # np.searchsorted(edges, u, side="right")
                k += 1
            code = by_edge[k]
            if u >= spine[0] and u < spine[1] and abs(y - spine[2]) < spine[3]:
                code = np.int8(SPINE_CODE)
        region[i] = code
        no_go[i] = no_go_table[code]
        f = feet_n[i]
        if f <= 0.0:  # np.maximum(f, 0.0): NaN stays NaN, -0.0 gives +0.0
            f = 0.0
        pressure_kpa[i] = f / area_m2 / 1000.0
    return region, no_go, pressure_kpa


# The argument types the stages pass (numba type strings: f8 float64, i8 int64, i4 int32, b1
# bool), compiled or loaded from the disk cache when this module is imported: numba's first
# call costs ~1 s, which a live stream's first block must not wait for. A call with other
# types still compiles when it first comes. A kernel another one calls comes first: numba
# caches it for its own types only when it is compiled on its own before its caller. Kernels
# only other kernels call are compiled into their callers (and cached with them): not listed.
_SIGNATURES: dict[str, list[str]] = {
    "bar_forces": [
        "f8[:, ::1], i8[::1], i8[::1], i8[::1], i8[:, ::1], f8[::1], f8",
    ],
    "counts_to_forces": [
        "i4[:, ::1], b1[:, ::1], i8[::1], f8[::1], f8[::1], i8, i8, b1[::1], b1[::1]",
        "i4[::1, :], b1[::1, :], i8[::1], f8[::1], f8[::1], i8, i8, b1[::1], b1[::1]",
        # (rows of a longer recording's columns: the simulator's, bench_pipeline's)
        "i4[:, :], b1[:, ::1], i8[::1], f8[::1], f8[::1], i8, i8, b1[::1], b1[::1]",
    ],
    "feet_on_mat": [
        "f8[::1], f8[::1], b1[::1], b1[::1], b1[::1], b1[::1], f8[::1]",
        "f8[::1], f8[:], b1[::1], b1[::1], b1[::1], b1[::1], f8[::1]",
    ],
    "first_refs": [
        "f8[:, ::1], f8[:, ::1], b1[::1]",
        "f8[:, :], f8[:, ::1], b1[::1]",
    ],
    "low_pass": [
        "f8[:, ::1], f8[:, ::1], f8[:, :, ::1], f8[:, ::1], f8[::1], b1[::1]",
        "f8[::1, :], f8[:, ::1], f8[:, :, ::1], f8[:, ::1], f8[::1], b1[::1]",
    ],
    "mat_zero": [
        "f8[:, ::1], f8[:, ::1], b1[::1], f8[:, ::1], b1[::1], f8[::1], f8[::1], f8, f8, b1[::1]",
        "f8[:, ::1], f8[:, ::1], b1[::1], f8[::1, :], b1[::1], f8[::1], f8[::1], f8, f8, b1[::1]",
    ],
    "place": [
        "f8[::1], f8[::1], f8[::1], f8, f8[::1], f8[::1], i1[::1], f8[::1], b1[::1]",
    ],
    "reason_codes": [
        "b1[:, ::1]",
    ],
    "rolling_push": [
        "f8[:, ::1], f8[:, ::1], f8[:, ::1]",
        "f8[:, ::1], f8[:, ::1], f8[:, :]",
    ],
    "bridged_runs": [
        "b1[::1], b1[:, ::1], i8[::1], i8",
    ],
    "fuse_full": [
        (
            "f8[::1], f8[::1], f8[::1], f8, f8, f8[:, ::1], f8[:, :, ::1], f8[:, ::1], f8[::1], "
            "b1[::1], f8[::1], i8, i8[::1], b1[::1], b1[::1]"
        ),
    ],
    "trailing_sums": [
        "f8[:, ::1], f8[:, ::1], i8[::1]",
    ],
    # (after the kernels it calls)
    "held_x": [
        (
            "f8[::1], f8[::1], f8[::1], b1[::1], f8[::1], f8[::1], f8[:, ::1], f8[:, ::1], "
            "b1[::1], f8[:, ::1], i8[::1], f8, i8"
        ),
    ],
    "shift_watch": [
        (
            "f8[::1], f8[::1], f8[::1], f8[::1], f8[::1], f8[::1], f8[::1], f8[::1], b1[::1], "
            "f8[::1], i8[::1], f8[::1], f8[:, ::1], f8[:, ::1], f8[:, :, ::1], f8[:, ::1], "
            "f8[::1], b1[::1], f8[::1], i8[::1], f8, f8"
        ),
    ],
    "zero_correct": [
        "f8[:, ::1], f8[::1], f8",
    ],
    "zero_window": [
        "f8[:, ::1], i8, f8[:, ::1], f8[:, ::1], b1[::1], f8[::1], f8[::1]",
    ],
    "motion_flags": [
        (
            "f8[:, ::1], f8[:, ::1], f8[:, ::1], b1[:, ::1], f8[:, ::1], f8, f8[::1], "
            "b1[::1], b1[::1], f8[::1], b1, b1"
        ),
        (
            "f8[:, ::1], f8[:, ::1], f8[:, ::1], b1[:, ::1], f8[::1, :], f8, f8[::1], "
            "b1[::1], b1[::1], f8[::1], b1, b1"
        ),
    ],
    "baseline_checks": [
        "f8[:, ::1], f8[:, ::1], f8[:, ::1], b1[:, ::1], f8[::1]",
    ],
    "mat_window": [
        (
            "f8[:, ::1], i8[::1], f8[:, ::1], f8[::1], f8[::1], f8[::1], f8, f8, f8[:, ::1], "
            "f8[:, ::1], b1[::1]"
        ),
    ],
}


compile_now(
    ((globals()[name], args) for name, signatures in _SIGNATURES.items() for args in signatures),
    "the pipeline's numeric kernels",
)
