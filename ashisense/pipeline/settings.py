"""Tunable thresholds of the pipeline, with defaults for HX711-class rigs (all in SI units)."""

from __future__ import annotations

from dataclasses import dataclass

from ashisense.errors import AshisenseError


class SettingsError(AshisenseError, ValueError):
    """Pipeline settings that cannot work together."""


@dataclass(frozen=True)
class PipelineSettings:
    """Thresholds and time constants; every force in N, time in s, length in m.

    Display: display_cutoff_hz (Butterworth, display_order) for feet_display_n.
    Feet: below feet_min_n the feet position, region and mat-based flags are undefined.
    position_sigma_m: flag CLIENT_MOVING when the client's own CoP wander (breathing,
    client_cop_wander_m) times F_c / F_feet exceeds it. bar_min_n: below it a bar's hand
    position and the left share are undefined.
    window_s: the stability window of the client baseline, the therapist-weight estimate and
    the client-motion watch.
    Client moved (full rigs): over windows where both hands stay put (sd under
    move_hands_sd_m) and the bar force holds (drift under move_bar_frac x W_t), the feet
    position should too; once it has moved from where that stretch began by more than
    move_min_m + move_wander_k x client_cop_wander_m x F_c / F_feet, the client moved, and
    positions stay flagged CLIENT_MOVING until the baseline is refreshed with nobody on;
    beyond move_suspect_frac of that limit the samples themselves are flagged.
    Client baseline: a window with the mat above client_min_n, every bar
    below bars_unloaded_n, F_mat sd and half-to-half drift under baseline_sd_frac x F_mat +
    baseline_sd_n and the CoP sd under baseline_cop_sd_m. client_weight_tol: with a client
    profile, F_mat must lie within this fraction of the client's weight. Later qualifying
    windows within baseline_refresh_n of F_c refresh the baseline (the client moved alone); the
    baseline is the mean of a stretch's window means over its last baseline_span_s (one
    breath: the client's breathing averages out); windows left incomplete by an invalid
    sample, at most window_s of them in a row, neither end a stretch nor count in it.
    Bar zero tracking: every bar channel within zero_band_n of zero and its sd under
    zero_sd_n for zero_window_s moves that channel's zero, at most zero_limit_n in total.
    Therapist weight: a window with the support sd under still_sd_n gives an estimate.
    support_tol: |low-passed support / W_t - 1| above it for support_hold_s in a row flags
    SUPPORT_MISMATCH (a heel strike or a step swings it for a fraction of a second).
    moving_tol: |F_bar + F_feet - W_t| / W_t above it (full rigs), or |F_bar - its low-pass|
    / W_t (bars-only), flags MOVING.
    grid_hold_s: a grid contact area is used for pressure this long after its frame.
    Mat zero (full rigs): in still windows with the whole therapist on, a balance residual
    F_mat + F_bar - F_c - W_t under mat_zero_tol x W_t is the mat's drift since the
    baseline (in steps of mat_zero_step_n); a zero not confirmed for mat_zero_max_age_s
    flags MAT_ZERO_OLD.
    Client shift (full rigs with both hands, clientshift.py): the gap between the mat's feet
    position and the hands, low-passed at shift_cutoff_hz, against its feet-force-weighted
    mean over shift_window_s (at least shift_min_ref_s) ending shift_delay_s before, times
    F_feet / F_c: beyond shift_client_m the client slid (CLIENT_SHIFT). Only where the feet
    carry more than shift_min_feet_n and both hands are more than shift_mount_margin_m inside
    the mounts. shift_settle_s after the detection, the client moment is re-estimated over
    shift_fit_s.
    Holds (full rigs with both hands, hold.py): where both hands' sd over hold_detect_s is
    under move_hands_sd_m, the feet's x is their moment over their force, each summed over the
    hold up to hold_span_s back (one breath: the client's breathing averages out).
    """

    display_cutoff_hz: float = 4.0
    display_order: int = 2
    feet_min_n: float = 20.0
    position_sigma_m: float = 0.02
    client_cop_wander_m: float = 0.002
    move_hands_sd_m: float = 0.0015
    move_bar_frac: float = 0.02
    move_min_m: float = 0.005
    move_wander_k: float = 2.5
    move_suspect_frac: float = 0.6
    bar_min_n: float = 5.0
    window_s: float = 1.0
    client_min_n: float = 200.0
    bars_unloaded_n: float = 10.0
    baseline_sd_frac: float = 0.002
    baseline_sd_n: float = 1.0
    baseline_cop_sd_m: float = 0.003
    client_weight_tol: float = 0.15
    baseline_refresh_n: float = 6.0
    baseline_span_s: float = 4.0
    zero_band_n: float = 3.0
    zero_sd_n: float = 0.5
    zero_window_s: float = 2.0
    zero_limit_n: float = 20.0
    still_sd_n: float = 3.0
    support_tol: float = 0.07
    support_hold_s: float = 0.25
    moving_tol: float = 0.02
    grid_hold_s: float = 0.5
    mat_zero_tol: float = 0.015
    mat_zero_step_n: float = 0.5
    mat_zero_max_age_s: float = 600.0
    shift_cutoff_hz: float = 1.0
    shift_window_s: float = 4.0
    shift_fit_s: float = 4.0
    shift_min_ref_s: float = 0.5
    shift_delay_s: float = 1.5
    shift_client_m: float = 0.015
    shift_min_feet_n: float = 100.0
    shift_mount_margin_m: float = 0.08
    shift_settle_s: float = 0.6
    hold_span_s: float = 4.0
    hold_detect_s: float = 0.25

    def __post_init__(self) -> None:
        # The client-shift re-estimate reads its fit window from the sums the watch keeps
        # (shift_window_s + shift_delay_s back): a longer fit would read before them.
        if self.shift_fit_s > self.shift_window_s + self.shift_delay_s:
            raise SettingsError(
                f"PipelineSettings: shift_fit_s must be at most shift_window_s + shift_delay_s "
                f"= {self.shift_window_s + self.shift_delay_s:g} s, got {self.shift_fit_s:g} s"
            )
