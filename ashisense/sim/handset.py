"""The simulated client's handset: a client with known comfort levels per body region presses
"lighter", "deeper" or "stop" at the moments a real one would.

The client feels the true feet force where the feet are (the simulator's ground truth, the
region from the simulated body). Past their comfort level in that region they press
"lighter" a reaction time later, and again every `repeat_s` while it lasts; far past it
(`stop_share` of the level) they press "stop". Held well below it (`deeper_share`) for
`deeper_after_s` they ask for "deeper". Regions without a level never draw a press. Seeded:
the same seed gives the same presses. Pure: truth blocks in, (device time, button) out.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ashisense.bodymap import REGION_CODE, REGIONS, BodyMap
from ashisense.errors import AshisenseError
from ashisense.sim.model import CLIENT_HEAD_X_M, CLIENT_STATURE_M, SimTruth
from calibration.units import STANDARD_GRAVITY_M_S2

#: The default simulated client's comfort levels (kgf): firm on the back and glutes, light
#: over the kidneys and on the calves (`sim://calm?handset=1`).
DEFAULT_COMFORT_KGF: dict[str, float] = {
    "upper_back": 32.0,
    "lumbar": 25.0,
    "pelvis": 34.0,
    "thigh": 29.0,
    "calf": 26.0,
}
#: Below this feet force the therapist is not working on the client: no "deeper" then (N).
WORKING_N = 5.0 * STANDARD_GRAVITY_M_S2


class HandsetSpecError(AshisenseError, ValueError):
    """A handset spec of a sim:// URL that cannot be understood."""


@dataclass(frozen=True)
class SimClient:
    """A client's comfort: comfort_n per region name (N), and how they use the handset.

    reaction_s: the range of times from feeling it to pressing. repeat_s: how often they ask
    again while it lasts. stop_share: past this share of the level, "stop". deeper_share,
    deeper_after_s: held below this share of the level for this long, "deeper".
    """

    comfort_n: Mapping[str, float]
    reaction_s: tuple[float, float] = (0.25, 0.6)
    repeat_s: float = 6.0
    stop_share: float = 1.5
    deeper_share: float = 0.65
    deeper_after_s: float = 6.0

    def __post_init__(self) -> None:
        unknown = set(self.comfort_n) - set(REGIONS)
        if unknown:
            raise HandsetSpecError(
                f"comfort levels: expected body regions ({', '.join(REGIONS)}), "
                f"found {sorted(unknown)}"
            )

    @classmethod
    def from_spec(cls, spec: str) -> SimClient:
        """From a sim:// URL's handset value: "1" (the default client) or comfort levels in
        kgf, "upper_back:30,lumbar:20"."""
        if spec in ("1", "true", "yes"):
            levels = DEFAULT_COMFORT_KGF
        else:
            try:
                pairs = (item.split(":") for item in spec.split(",") if item)
                levels = {name.strip(): float(kgf) for name, kgf in pairs}
            except ValueError as err:
                raise HandsetSpecError(
                    f"handset={spec!r}: expected 1 or region:kgf pairs such as "
                    f"'upper_back:30,lumbar:20' ({err})"
                ) from None
        return cls({r: kgf * STANDARD_GRAVITY_M_S2 for r, kgf in levels.items()})

    def levels(self) -> np.ndarray:
        """The comfort level per region code (index as REGIONS, then one for "unknown"): N,
        NaN where the client has none."""
        table = np.full(len(REGIONS) + 1, np.nan)
        for region, level_n in self.comfort_n.items():
            table[REGION_CODE[region]] = level_n
        return table


@dataclass
class _Episode:
    """One condition (too much, far too much, too little) as the client lives it: since when,
    when they next press (NaN: not due)."""

    button: str
    since_s: float = math.nan
    next_press_s: float = math.nan


@dataclass
class SimHandset:
    """The presses of `client` over the simulated session, block by block (state carried)."""

    client: SimClient
    seed: int = 0
    body: BodyMap = field(default_factory=lambda: BodyMap(CLIENT_STATURE_M, CLIENT_HEAD_X_M))

    def __post_init__(self) -> None:
        self._rng = np.random.default_rng(self.seed + 104_729)
        self._levels = self.client.levels()
        self._episodes = [_Episode("lighter"), _Episode("stop"), _Episode("deeper")]

    def presses(self, truth: SimTruth) -> list[tuple[float, str]]:
        """The presses within this block: (device time, button), in time order."""
        if not len(truth):
            return []
        level = self._levels[self.body.classify(truth.feet_x_m, truth.feet_y_m)]
        feet = truth.feet_n
        with np.errstate(invalid="ignore"):
            conditions = (
                feet > level,
                feet > self.client.stop_share * level,
                (feet < self.client.deeper_share * level) & (feet > WORKING_N),
            )
        out: list[tuple[float, str]] = []
        for episode, cond in zip(self._episodes, conditions, strict=True):
            out += self._follow(episode, truth.t_s, cond)
        return sorted(out)

    def _follow(self, ep: _Episode, t_s: np.ndarray, cond: np.ndarray) -> list[tuple[float, str]]:
        """The presses of one condition: its runs found vectorized, presses per run."""
        edges = np.flatnonzero(np.diff(np.concatenate([[not math.isnan(ep.since_s)], cond])))
        bounds = np.concatenate([[0], edges, [cond.shape[0]]])
        out = []
        for a, b in itertools.pairwise(bounds.tolist()):
            if a == b:
                continue
            if not cond[a]:
                ep.since_s = ep.next_press_s = math.nan
                continue
            if math.isnan(ep.since_s):
                ep.since_s = float(t_s[a])
                wait_s = self.client.deeper_after_s if ep.button == "deeper" else 0.0
                ep.next_press_s = ep.since_s + wait_s + self._rng.uniform(*self.client.reaction_s)
            end_s = float(t_s[b - 1])
            while ep.next_press_s <= end_s:
                out.append((ep.next_press_s, ep.button))
                ep.next_press_s += self.client.repeat_s * (2 if ep.button == "deeper" else 1)
        return out
