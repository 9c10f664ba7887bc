"""Client baseline (F_c, CoP_c): the mat with only the client on it, still for a whole window."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from ashisense.errors import AshisenseError
from ashisense.pipeline import kernels
from ashisense.pipeline.rolling import TrailingSums, WindowStats, samples_in
from ashisense.pipeline.settings import PipelineSettings

log = logging.getLogger(__name__)


class BaselineRefused(AshisenseError, RuntimeError):
    """A baseline was asked for while the mat is settling, loaded by others, or empty."""


class BaselineStateError(AshisenseError, ValueError):
    """A baseline state to restore that is not one (a field missing or of the wrong type, a
    newer version, another rig's bars)."""


@dataclass(frozen=True)
class ClientBaseline:
    """The client alone on the mat: force_n, moments about the table origin (N m), when."""

    force_n: float
    moment_x_nm: float  # sum f_i x_i, so CoP_x = moment_x_nm / force_n
    moment_y_nm: float
    t_s: float

    @property
    def cop_x_m(self) -> float:
        return self.moment_x_nm / self.force_n

    @property
    def cop_y_m(self) -> float:
        return self.moment_y_nm / self.force_n


How = Literal["automatic", "on request"]
StateKind = Literal["start", "automatic", "on request", "reset", "refreshed", "zeroed", "shifted"]


class StoredClientBaseline(BaseModel):
    """A ClientBaseline as stored: F_c (N), its moments (N m) and CoP (m), when and how taken."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    force_n: float
    moment_x_nm: float
    moment_y_nm: float
    cop_x_m: float
    cop_y_m: float
    t_s: float
    how: How

    @classmethod
    def of(cls, b: ClientBaseline, how: How) -> StoredClientBaseline:
        return cls(**vars(b), cop_x_m=b.cop_x_m, cop_y_m=b.cop_y_m, how=how)

    def baseline(self) -> ClientBaseline:
        return ClientBaseline(self.force_n, self.moment_x_nm, self.moment_y_nm, self.t_s)


class BaselineState(BaseModel):
    """What a pipeline has learnt that the raw counts after a moment cannot tell again: the
    client baseline, the bar zero corrections (N, by channel), the estimated therapist weight
    (N; None when not estimated) and whether the client was seen to move since the baseline.

    kind: why it was reported: "start" (a snapshot, Pipeline.baseline_state), or a change:
    "automatic" (a client's first baseline, from a stable window), "on request", "reset"
    (dropped: a new client), "refreshed" (the client baseline at the end of a refresh while
    nobody was on), "zeroed" (the bar zeros the tracking moved, once the bars are loaded
    again), "shifted" (the client moment re-estimated after the client slid under the
    therapist, clientshift.py). t_s: the state holds from the first sample after this host
    time (None: from the first sample). mat_zero_drift_n, mat_zero_t_s: the mat's zero drift
    tracked since the client baseline (N) and when it was last confirmed (host time; None:
    never); like the weight estimate they follow from the counts, so only a "start" state
    carries them over.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    version: Literal[1] = 1
    kind: StateKind
    t_s: float | None
    client: StoredClientBaseline | None
    bar_zero_n: dict[str, float]
    therapist_weight_est_n: float | None
    client_moved: bool
    mat_zero_drift_n: float = 0.0
    mat_zero_t_s: float | None = None

    def then(self, change: BaselineState) -> BaselineState:
        """This state after a change: a "start" state replaces it whole, "zeroed" the bar
        zeros, the others the client baseline (the weight estimate and the client-moved flag
        follow from the counts, as they did live)."""
        if change.kind == "start":
            return change
        if change.kind == "zeroed":
            return self.model_copy(update={"bar_zero_n": change.bar_zero_n})
        return self.model_copy(update={"client": change.client})

    @classmethod
    def parse(cls, obj: Mapping[str, Any], where: str) -> BaselineState:
        """Validate a stored state; BaselineStateError names the field, what was expected
        and what was found."""
        try:
            return cls.model_validate(obj)
        except ValidationError as err:
            e = err.errors()[0]
            field = ".".join(str(p) for p in e["loc"]) or "state"
            raise BaselineStateError(
                f"{where}: baseline state field {field!r}: {e['msg']}, got {e.get('input')!r}"
            ) from err


# Columns of the pipeline's shared stability window (core.py fills it; the baseline, the
# client-motion watch and the therapist-weight estimate read it).
WINDOW = ("mat_n", "moment_x", "moment_y", "bars_loaded", "hand_l", "hand_r", "bar_n", "total")
MAT, MOMENT_X, MOMENT_Y, BARS_LOADED, HAND_L, HAND_R, BAR_N, TOTAL = range(len(WINDOW))


class BaselineDetector:
    """Judges, sample by sample, whether the client lies still with nobody else on.

    assess() takes the statistics of the WINDOW columns (rows); it reads [mat_n, moment_x_nm,
    moment_y_nm, bars_loaded] and bar_n's completeness (bars_loaded: 1 where the bars carry
    bars_unloaded_n or more, else 0, also where bar_n is NaN; 0 on mat-only rigs).
    """

    def __init__(self, settings: PipelineSettings, client_weight_n: float | None) -> None:
        self.s = settings
        self.client_weight_n = client_weight_n
        s = settings
        self._limits = np.array(  # (kernels.baseline_checks)
            [
                s.client_min_n,
                s.baseline_sd_frac,
                s.baseline_sd_n,
                s.baseline_cop_sd_m,
                math.nan if client_weight_n is None else client_weight_n,
                s.client_weight_tol,
            ]
        )
        self._why: tuple[str, ...] = (
            "waiting for a full window of valid samples",
            f"no client on the mat (below {s.client_min_n:g} N)",
            f"the bars carry {s.bars_unloaded_n:g} N or more",
            "settling: the mat force still varies",
            "settling: the mat force still drifts",
            "settling: the client is moving",
        )
        if client_weight_n is not None:
            w, tol_w = client_weight_n, s.client_weight_tol
            self._why += (f"the mat force is not the client's weight {w:.0f} N +-{tol_w:.0%}",)
        self.reset()

    def reset(self) -> None:
        """Forget the last verdict (after a gap)."""
        self.current: ClientBaseline | None = None
        self._failed: np.ndarray | None = None  # the checks of the last block that failed

    @property
    def reason(self) -> str:
        """Why the window ending at the last sample does not qualify ("" if it does); put
        into words only when asked, not on every block."""
        if self.current is not None:
            return ""
        if self._failed is None:
            return self._why[0]
        last = self._failed[:, -1]
        return next(why for c, why in zip(last, self._why, strict=False) if not c)

    def assess(self, t_s: np.ndarray, st: WindowStats) -> tuple[np.ndarray, np.ndarray]:
        """Per sample: does the window ending there qualify (n,), and the means (3, n).

        Also keeps `current` (the window ending at the block's last sample, if it qualifies)
        and `reason` (why that window does not qualify, "" if it does).
        """
        checks, ok = kernels.baseline_checks(st.mean, st.sd, st.drift, st.complete, self._limits)
        means = st.mean[:3]
        if len(t_s):
            if ok[-1]:
                force_n, moment_x_nm, moment_y_nm = means[:, -1].tolist()
                self.current = ClientBaseline(force_n, moment_x_nm, moment_y_nm, float(t_s[-1]))
                return ok, means
            self._failed = checks
            self.current = None
        return ok, means


class BaselineTracker:
    """Holds the client baseline: the first qualifying window sets it; later qualifying
    windows whose force matches it (nobody on, the client only settled) refresh it, averaged
    over each such stretch, so the baseline follows a client who moved while alone.
    """

    def __init__(
        self, settings: PipelineSettings, client_weight_n: float | None, rate_hz: float
    ) -> None:
        self.detector = BaselineDetector(settings, client_weight_n)
        self.refresh_n = settings.baseline_refresh_n
        self.baseline: ClientBaseline | None = None
        self.how: How = "automatic"  # how the baseline was taken (a refresh keeps it)
        self._base_of: ClientBaseline | None = None  # the baseline that _base holds
        self._base = np.full((3, 1), np.nan)
        # The window means of the current stretch of qualifying windows (the last breath),
        # and how many qualified (a fourth row).
        self._means = TrailingSums(4, samples_in(settings.baseline_span_s, rate_hz))
        # An invalid sample leaves the windows holding it incomplete (one window's length of
        # them): the stretch runs on over them without them, as long as no more than that.
        self._max_gap = samples_in(settings.window_s, rate_hz)
        # The stretch ending at the last sample (qualifying windows and bridged ones), and
        # the bridged windows in a row ending there.
        self._carried = np.zeros(2, dtype=np.int64)
        self._logged: ClientBaseline | None = None

    def reset(self) -> None:
        """Drop the baseline; the next qualifying window sets a new one, whatever its force."""
        self.baseline = None
        self._carried[:] = 0

    def restart(self) -> None:
        """Samples were lost: restart the windows (the baseline stays)."""
        self.detector.reset()
        self._carried[:] = 0

    @property
    def settled(self) -> bool:
        """No stretch of qualifying windows is running: the baseline holds still."""
        return bool(self._carried[0] == 0)

    def restore(self, baseline: ClientBaseline, how: How, *, restart: bool = True) -> None:
        """Hold this baseline (another pipeline's, restored); restart: a new stretch of
        qualifying windows refreshes it (else a running one goes on)."""
        self.baseline, self.how = baseline, how
        if restart:
            self._carried[:] = 0

    def take_now(self, source: str) -> ClientBaseline:
        """Take the last window as the baseline; raises BaselineRefused saying why not."""
        current = self.detector.current
        if current is None:
            raise BaselineRefused(f"{source}: baseline refused: {self.detector.reason}")
        self.restore(current, "on request")
        self._log(current, "on request")
        return current

    def push(self, t_s: np.ndarray, st: WindowStats) -> tuple[np.ndarray, np.ndarray]:
        """The baseline rows [F_c, M_x, M_y] in force at each sample, NaN before the first:
        (3, n), or (3, 1) when it holds for the whole block; and (n,) True where a qualifying
        window set or refreshed it. st: as for assess()."""
        n = len(t_s)
        ok, means = self.detector.assess(t_s, st)
        b = self.baseline
        if self._base_of is not b:  # the baseline as a (3, 1) column, made once per baseline
            self._base_of = b
            self._base = np.array(
                [[b.force_n], [b.moment_x_nm], [b.moment_y_nm]] if b else [[np.nan]] * 3
            )
        base = self._base
        if np.count_nonzero(ok):
            ref = b.force_n if b is not None else means[0, np.argmax(ok)]
            ok &= np.abs(means[0] - ref) <= self.refresh_n
        # Mean of the window means over each stretch of qualifying samples, at most one
        # breath back (the client's breathing averages out over a whole one); windows left
        # incomplete by an invalid sample neither end the stretch nor count in it.
        run = kernels.bridged_runs(ok, st.complete, self._carried, self._max_gap)
        if not np.count_nonzero(ok):
            if np.count_nonzero(run):  # a stretch bridged on: its samples keep their place
                self._means.push(np.zeros((4, n)), np.minimum(run, self._means.span))
            return base, ok
        count = np.minimum(run, self._means.span)
        sums = self._means.push(np.vstack((np.where(ok, means, 0.0), ok)), count)
        mean = sums[:3] / np.maximum(sums[3], 1.0)
        idx = np.arange(n)
        held = np.where(ok, idx, -1)
        np.maximum.accumulate(held, out=held)
        # (C order: a fancy index on the columns lays them out by column; the kernels
        # downstream are compiled for contiguous rows)
        out = np.ascontiguousarray(np.where(held >= 0, mean[:, np.maximum(held, 0)], base))
        first = self.baseline is None
        if first:
            self.how = "automatic"
        force_n, moment_x_nm, moment_y_nm = out[:, -1].tolist()
        self.baseline = ClientBaseline(force_n, moment_x_nm, moment_y_nm, float(t_s[held[-1]]))
        self._log(self.baseline, "automatic" if first else "refreshed while nobody is on")
        return out, ok

    def _log(self, b: ClientBaseline, why: str) -> None:
        """Log a new baseline, and a refresh only when the client's CoP moved 5 mm or more."""
        old = self._logged
        if (
            old is None
            or why == "on request"
            or np.hypot(b.cop_x_m - old.cop_x_m, b.cop_y_m - old.cop_y_m) >= 0.005
        ):
            log.info(
                "client baseline (%s): %.1f N at CoP (%.3f, %.3f) m",
                why,
                b.force_n,
                b.cop_x_m,
                b.cop_y_m,
            )
            self._logged = b
