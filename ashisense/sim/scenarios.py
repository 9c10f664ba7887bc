"""Scenario scripts of the simulated rig: what the therapist and the client do, over time.

A scenario is an endless session script. Cycle after cycle (each a seeded variation of one
short session: client alone, therapist climbs on, works, climbs off), it lays down
segments; each segment moves a few static quantities smoothly to new values and may add a
dynamic (m·a) term. `Timeline` evaluates them at any device times, vectorised; the model
(ashisense.sim.model) turns them into forces. Scripts speak the body's language, not the
rig's: positions along the body are fractions of stature from the top of the head, loads
are shares of the therapist's weight or kgf, so they do not depend on the rig geometry.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ashisense.errors import AshisenseError
from ashisense.sim.effects import (
    CLIENT_SHIFT_M,
    CLIENT_SHIFT_S,
    FRAME_RAMP_S,
    FRAME_S,
    FRAME_SHARE,
    Effects,
)
from ashisense.sim.sensors import FAULT_DEAD, FAULT_NONE, FAULT_SATURATE

PHASES: tuple[str, ...] = (
    "off",
    "climbing",
    "still",
    "walking",
    "stepping",
    "shifting",
    "overload",
    "no_go",
    "grip_loss",
    "unsupported",
    "impact",
    "offrig",
    "client_moving",
    "fault",
    "client_shift",
    "foot_on_frame",
)
PHASE_CODE: dict[str, int] = {name: i for i, name in enumerate(PHASES)}

# Static quantities a segment moves, in this column order of ScriptSample.state.
STATE_FIELDS: tuple[str, ...] = (
    "feet_share",  # share of the therapist's weight W on the feet (on the client)
    "off_share",  # share of W on something off the rig (floor, stool); 1 when off
    "balance_left",  # left bar's share of the bar force
    "feet_u",  # feet centroid along the body, fraction of stature from the top of the head
    "feet_y_m",  # feet centroid across the body, m from the client's midline (+ = right)
    "hand_left_dx_m",  # left hand along its bar, m from the feet (+ = toward the foot end)
    "hand_right_dx_m",
    "client_dx_m",  # client's centre of pressure moved from its resting place, m
    "client_dy_m",
)
_F = {name: i for i, name in enumerate(STATE_FIELDS)}

# Where the feet work, as fractions of stature from the vertex (Drillis & Contini landmarks:
# shoulder 0.182, iliac crest 0.42, trochanter 0.47, knee joint 0.715, ankle 0.961).
SPOTS_U: dict[str, float] = {
    "upper_back": 0.24,
    "mid_back": 0.29,
    "lower_back": 0.37,
    "glutes": 0.50,
    "thighs": 0.60,
    "calves": 0.83,
}
# Never stepped on: the neck (chin 0.13 to shoulder 0.182) and the back of the knee (±0.03).
NO_GO_U: dict[str, tuple[float, float]] = {"neck": (0.13, 0.182), "back_of_knee": (0.685, 0.745)}
# The client's limit the "overload" scenario exceeds; calm scripts stay below it.
CLIENT_LIMIT_KGF = 50.0
NORMAL_FEET_MAX_KGF = 38.0
# Spots a careful therapist works with light pressure (over the kidneys, on the calves): the
# most the feet put there, kgf; walks that cross them glide lightly. Used by the "demo"
# scenario; the others keep the full range everywhere (the accuracy and alarm figures).
LIGHT_SPOTS_KGF: dict[str, float] = {"lower_back": 16.0, "calves": 20.0}
LIGHT_SPOT_HALF_WIDTH_U = 0.04
# The hands on the overhead bars stay roughly above the body: each hand keeps a habitual
# offset from the feet for a whole session (drawn per session within HAND_HABIT_M) and
# re-grips within ±HAND_WANDER_M of it at each walk.
HAND_HABIT_M = (-0.10, 0.05)
HAND_WANDER_M = 0.01
_HAND_DRAW_M = (-0.2, 0.1)  # the uniform draw both map from (kept: the scripts' other draws stay)


@dataclass(frozen=True)
class ScriptSample:
    """The script evaluated at n device times.

    phase: (n,) int8 index into PHASES. state: (n, len(STATE_FIELDS)) static quantities.
    dyn_feet_kgf, dyn_client_kgf: (n,) m·a terms on the feet and the client (kgf).
    sway_y_m: (n,) side-to-side shift of the feet centroid as weight moves foot to foot.
    fault_kind: (n,) int8 FAULT_* code; fault_slot: (n,) int64 picks the faulty channel.
    step_phase: (n,) steps taken since the walk began (NaN: not walking); step_rate_hz: (n,)
    the walk's cadence; seg_start_s: (n,) start of the segment (seeds per-step sizes).
    """

    phase: np.ndarray
    state: np.ndarray
    dyn_feet_kgf: np.ndarray
    dyn_client_kgf: np.ndarray
    sway_y_m: np.ndarray
    fault_kind: np.ndarray
    fault_slot: np.ndarray
    step_phase: np.ndarray
    step_rate_hz: np.ndarray
    seg_start_s: np.ndarray

    def field(self, name: str) -> np.ndarray:
        """One column of `state` by its STATE_FIELDS name."""
        return self.state[:, _F[name]]


class Script:
    """Builds one session cycle as segments; helpers keep loads and positions plausible."""

    def __init__(
        self, rng: np.random.Generator, therapist_kg: float, effects: Effects | None = None
    ) -> None:
        self.rng = rng
        self.effects = effects or Effects()
        self.kg = therapist_kg
        self.state = np.zeros(len(STATE_FIELDS))
        self.state[_F["off_share"]] = 1.0
        self.state[_F["balance_left"]] = 0.5
        self.state[_F["feet_u"]] = SPOTS_U["upper_back"]
        self.rows: list[tuple] = []
        self.light_spots: dict[str, float] = {}  # spot name -> most kgf there (see demo)
        self.hand_habit_m = (0.0, 0.0)  # left, right hand offset from the feet this session
        hi = min(0.58 * therapist_kg, NORMAL_FEET_MAX_KGF)
        self.feet_range_kgf = (min(0.30 * therapist_kg, 0.8 * hi), hi)

    # -- primitives ---------------------------------------------------------------------
    def u(self, lo: float, hi: float) -> float:
        return float(self.rng.uniform(lo, hi))

    def count(self, lo: int, hi: int) -> int:
        """An integer in [lo, hi], inclusive."""
        return int(self.rng.integers(lo, hi + 1))

    def share(self, kgf: float) -> float:
        """Share of the therapist's weight that makes `kgf` (at most 0.97)."""
        return float(np.clip(kgf / self.kg, 0.0, 0.97))

    @property
    def feet_kgf(self) -> float:
        return float(self.state[_F["feet_share"]] * self.kg)

    def segment(
        self,
        phase: str,
        duration_s: float,
        ramp_s: float | None = None,
        *,
        dyn_feet_kgf: float = 0.0,
        dyn_client_kgf: float = 0.0,
        dyn_s: float = 0.0,
        dyn_cycles: float = 1.0,
        sway_m: float = 0.0,
        sway_cycles: int = 0,
        fault: tuple[int, int, float, float] = (FAULT_NONE, 0, 0.0, 0.0),
        **targets: float,
    ) -> None:
        """Move the named static quantities to `targets` over ramp_s (default: the whole
        segment, smoothly); the m·a terms are `dyn_*_kgf`·sin(2π·dyn_cycles·τ/dyn_s), τ < dyn_s.
        """
        end = self.state.copy()
        for name, value in targets.items():
            end[_F[name]] = value
        ramp = duration_s if ramp_s is None else ramp_s
        self.rows.append(
            (
                PHASE_CODE[phase],
                duration_s,
                self.state.copy(),
                end,
                ramp,
                dyn_feet_kgf,
                dyn_client_kgf,
                dyn_s,
                dyn_cycles,
                sway_m,
                sway_cycles,
                *fault,
            )
        )
        self.state = end

    def place(self, **values: float) -> None:
        """Set quantities at once; only while nobody is on the rig (no force shows a jump)."""
        for name, value in values.items():
            self.state[_F[name]] = value

    # -- moves --------------------------------------------------------------------------
    def pick_spot(self) -> float:
        """A working spot along the body other than the current one."""
        here = self.state[_F["feet_u"]]
        spots = [u for u in SPOTS_U.values() if abs(u - here) > 0.02]
        return float(self.rng.choice(spots)) + self.u(-0.015, 0.015)

    def side_y(self) -> float:
        """Feet centroid across the body: mostly one side of the spine, sometimes astride it."""
        if self.rng.random() < 0.25:
            return self.u(-0.02, 0.02)
        return float(self.rng.choice([-1.0, 1.0])) * self.u(0.04, 0.10)

    def range_at(self, *u: float) -> tuple[float, float]:
        """Normal feet load (kgf) over the body span from min(u) to max(u): the light cap of
        any light spot it touches, else the therapist's usual range."""
        lo, hi = self.feet_range_kgf
        a, b = min(u) - LIGHT_SPOT_HALF_WIDTH_U, max(u) + LIGHT_SPOT_HALF_WIDTH_U
        caps = [cap for name, cap in self.light_spots.items() if a <= SPOTS_U[name] <= b]
        if not caps:
            return lo, hi
        cap = min(caps)
        return min(lo, 0.6 * cap), cap

    def normal_feet_kgf(self) -> float:
        return self.u(*self.range_at(float(self.state[_F["feet_u"]])))

    def hand_draw(self) -> float:
        """A uniform draw in [-1, 1] for a hand's offset."""
        lo, hi = _HAND_DRAW_M
        return (self.u(lo, hi) - lo) / (hi - lo) * 2.0 - 1.0

    def regrip(self) -> tuple[float, float]:
        """The left and right hands' offsets from the feet after a walk: each within
        HAND_WANDER_M of its habit."""
        left, right = self.hand_habit_m
        return left + HAND_WANDER_M * self.hand_draw(), right + HAND_WANDER_M * self.hand_draw()

    def begin(self, client_shift: bool = False) -> None:
        """Client alone for a few seconds (baseline), then the therapist climbs on and takes
        the bars with this session's habitual hand offsets."""
        self.off(self.u(4.0, 6.0))
        if client_shift:
            self.client_move(while_off=True)
            self.off(self.u(1.5, 3.0))
        feet_u, feet_y, balance = self.pick_spot(), self.side_y(), self.u(0.4, 0.6)
        lo, hi = HAND_HABIT_M
        habit = [lo + (hi - lo) * (self.hand_draw() + 1.0) / 2.0 for _ in range(2)]
        self.hand_habit_m = (habit[0], habit[1])
        self.place(
            feet_u=feet_u,
            feet_y_m=feet_y,
            balance_left=balance,
            hand_left_dx_m=habit[0],
            hand_right_dx_m=habit[1],
        )
        self.segment("climbing", self.u(0.6, 0.9), off_share=0.25)
        self.segment(
            "climbing",
            self.u(1.0, 2.0),
            feet_share=self.share(self.normal_feet_kgf()),
            off_share=0.0,
        )

    def end(self) -> None:
        """Climb off, then the client alone; the client returns to rest so cycles chain."""
        self.segment("climbing", self.u(1.0, 1.6), feet_share=0.0, off_share=0.25)
        self.segment("climbing", self.u(0.5, 0.8), off_share=1.0)
        self.off(self.u(3.0, 5.0))
        if self.state[_F["client_dx_m"]] != 0 or self.state[_F["client_dy_m"]] != 0:
            self.segment(
                "client_moving",
                self.u(0.8, 1.5),
                client_dx_m=0.0,
                client_dy_m=0.0,
                dyn_client_kgf=self.u(1.0, 3.0),
                dyn_s=0.8,
                dyn_cycles=1.0,
            )
            self.off(self.u(1.0, 2.0))

    def off(self, duration_s: float) -> None:
        self.segment("off", duration_s, feet_share=0.0, off_share=1.0)

    def still(self, duration_s: float) -> None:
        self.segment("still", duration_s)

    def walk_to(self, to_u: float, speed_per_s: float | None = None) -> None:
        """Walk the feet along the back, weight rolling foot to foot; the back of the knee
        is crossed with one quick stride, never walked over."""
        here = float(self.state[_F["feet_u"]])
        lo, hi = NO_GO_U["back_of_knee"]
        if min(here, to_u) < lo and max(here, to_u) > hi:
            near, far = (lo - 0.02, hi + 0.02) if to_u > here else (hi + 0.02, lo - 0.02)
            self.walk_to(near, speed_per_s)
            self.stride(far)
            here = far
        speed = speed_per_s if speed_per_s is not None else self.u(0.05, 0.10)
        duration = max(1.0, abs(to_u - here) / speed)
        steps = max(1, round(duration * self.u(0.7, 1.1)))
        lo, hi = self.range_at(here, to_u)
        here_share = float(self.state[_F["feet_share"]])
        feet_share = self.share(self.u(lo, hi)) if self.feet_kgf > hi else here_share
        feet_y = self.side_y()
        hand_left, hand_right = self.regrip()
        self.segment(
            "walking",
            duration,
            feet_share=feet_share,
            feet_u=to_u,
            feet_y_m=feet_y,
            hand_left_dx_m=hand_left,
            hand_right_dx_m=hand_right,
            dyn_feet_kgf=self.u(1.0, 2.5),
            dyn_s=duration,
            dyn_cycles=float(steps),
            sway_m=self.u(0.015, 0.025),
            sway_cycles=steps,
        )

    def stride(self, to_u: float) -> None:
        """One quick stride over a region the feet must not rest on."""
        ramp = self.u(0.15, 0.2)
        self.segment(
            "stepping",
            2 * ramp + 0.1,
            ramp,
            feet_u=to_u,
            dyn_feet_kgf=-self.u(2.0, 4.0),
            dyn_s=2 * ramp,
        )

    def shift(self, phase: str = "shifting", feet_kgf: float | None = None) -> None:
        """Move weight slowly between bars and feet, and between the bars."""
        kgf = self.normal_feet_kgf() if feet_kgf is None else feet_kgf
        self.segment(
            phase, self.u(1.5, 3.0), feet_share=self.share(kgf), balance_left=self.u(0.35, 0.65)
        )

    def step(self, phase: str = "stepping", ramp_s: float | None = None) -> None:
        """A step: tens of kgf move onto or off the feet within 100-200 ms, with the m·a
        dip and overshoot of the body's centre of mass being caught."""
        lo, hi = self.range_at(float(self.state[_F["feet_u"]]))
        now = self.feet_kgf
        size = self.u(10.0, 18.0)
        if now - 10.0 < lo:
            up = True
        elif now + 10.0 > hi:
            up = False
        else:
            up = bool(self.rng.random() < 0.5)
        target = float(np.clip(now + size if up else now - size, lo, hi))
        ramp = self.u(0.1, 0.2) if ramp_s is None else ramp_s
        y = float(np.clip(self.state[_F["feet_y_m"]] + self.u(-0.05, 0.05), -0.12, 0.12))
        self.segment(
            phase,
            2 * ramp + self.u(0.05, 0.15),
            ramp,
            feet_share=self.share(target),
            feet_y_m=y,
            dyn_feet_kgf=-self.u(0.25, 0.4) * (target - now),
            dyn_s=2 * ramp,
        )

    def client_move(self, while_off: bool = False) -> None:
        """The client shifts an arm (or, alone on the table, settles the whole body)."""
        reach = 0.04 if while_off else 0.02
        dx = float(np.clip(self.state[_F["client_dx_m"]] + self.u(-reach, reach), -0.06, 0.06))
        dy = float(np.clip(self.state[_F["client_dy_m"]] + self.u(-reach, reach), -0.04, 0.04))
        duration = self.u(0.6, 1.5)
        self.segment(
            "client_moving",
            duration,
            client_dx_m=dx,
            client_dy_m=dy,
            dyn_client_kgf=self.u(1.0, 4.0) * float(self.rng.choice([-1.0, 1.0])),
            dyn_s=duration,
            dyn_cycles=1.0,
        )

    def walk_shifting_client(self) -> None:
        """Walk to a new spot while the client slides CLIENT_SHIFT_M toward the foot end over
        CLIENT_SHIFT_S (phase "client_shift": the slide itself)."""
        to_u = self.pick_spot()
        here = float(self.state[_F["feet_u"]])
        speed = self.u(0.05, 0.10)
        mid_u = here + np.sign(to_u - here) * min(abs(to_u - here), speed * CLIENT_SHIFT_S)
        steps = max(1, round(CLIENT_SHIFT_S * self.u(0.7, 1.1)))
        self.segment(
            "client_shift",
            CLIENT_SHIFT_S,
            feet_u=mid_u,
            client_dx_m=float(self.state[_F["client_dx_m"]]) + CLIENT_SHIFT_M,
            dyn_feet_kgf=self.u(1.0, 2.5),
            dyn_s=CLIENT_SHIFT_S,
            dyn_cycles=float(steps),
            sway_m=self.u(0.015, 0.025),
            sway_cycles=steps,
        )
        if abs(to_u - mid_u) > 0.01:
            self.walk_to(to_u, speed)

    def foot_on_frame(self) -> None:
        """A foot slips partly onto the table frame: FRAME_SHARE of the feet load leaves the
        mat within FRAME_RAMP_S and stays off for FRAME_S (phase "foot_on_frame")."""
        feet = float(self.state[_F["feet_share"]])
        off = float(self.state[_F["off_share"]])
        self.segment(
            "foot_on_frame",
            FRAME_S,
            FRAME_RAMP_S,
            feet_share=feet * (1 - FRAME_SHARE),
            off_share=off + feet * FRAME_SHARE,
        )
        self.segment("shifting", 0.5, 0.3, feet_share=feet, off_share=off)

    # -- dangerous events ---------------------------------------------------------------
    def overload(self) -> None:
        """Press well past the client's limit, hold, release."""
        self.segment("overload", self.u(1.0, 2.0), feet_share=self.share(self.u(53.0, 62.0)))
        self.segment("overload", self.u(1.5, 3.0))
        self.shift()

    def no_go(self) -> None:
        """Walk to the neck or the back of the knee and stand there, then walk away."""
        zone = str(self.rng.choice(sorted(NO_GO_U)))
        lo, hi = NO_GO_U[zone]
        beside = SPOTS_U["upper_back"] if zone == "neck" else SPOTS_U["thighs"]
        self.walk_to(beside)
        self.segment(
            "no_go",
            self.u(0.6, 1.2),
            feet_u=(lo + hi) / 2 + self.u(-0.01, 0.01),
            feet_y_m=self.u(-0.03, 0.03),
        )
        self.segment("no_go", self.u(1.0, 2.5))
        self.walk_to(beside)

    def grip_loss(self) -> None:
        """One hand slips: the bars lose most of their load within ~100 ms, the feet
        catch it with an overshoot; the therapist regrips a second later."""
        ramp = self.u(0.08, 0.12)
        feet = self.state[_F["feet_share"]]
        lost = (1.0 - feet) * self.u(0.6, 0.9)
        self.segment(
            "grip_loss",
            2 * ramp + self.u(0.4, 0.8),
            ramp,
            feet_share=feet + lost,
            balance_left=float(self.rng.choice([0.05, 0.95])),
            dyn_feet_kgf=-self.u(0.3, 0.5) * lost * self.kg,
            dyn_s=2 * ramp,
        )
        self.segment("shifting", self.u(0.8, 1.5), feet_share=feet, balance_left=0.5)

    def unsupported(self) -> None:
        """Let go of the bars almost entirely while standing on the client."""
        self.segment("unsupported", self.u(0.8, 1.5), feet_share=1.0 - self.u(0.0, 0.04))
        self.segment("unsupported", self.u(2.0, 5.0))
        self.shift()

    def impact(self) -> None:
        """Lighten, then drop onto the client: 20-30 kgf within 25-45 ms."""
        lo, _ = self.feet_range_kgf
        self.shift(feet_kgf=lo)
        ramp = self.u(0.025, 0.045)
        drop = self.u(20.0, 30.0)
        self.segment(
            "impact",
            2 * ramp + self.u(0.2, 0.4),
            ramp,
            feet_share=self.share(lo + drop),
            dyn_feet_kgf=-self.u(0.5, 0.8) * drop,
            dyn_s=2 * ramp,
        )
        self.shift()

    def offrig(self) -> None:
        """Put one foot on a stool: F_bar + F_feet falls well below W."""
        bars = 1.0 - self.state[_F["feet_share"]] - self.state[_F["off_share"]]
        off = self.u(0.3, 0.5)
        y_before = float(self.state[_F["feet_y_m"]])
        self.segment(
            "offrig",
            self.u(0.8, 1.5),
            off_share=off,
            feet_share=max(0.08, 1.0 - bars - off),
            feet_y_m=float(self.rng.choice([-1.0, 1.0])) * self.u(0.06, 0.10),
        )
        self.segment("offrig", self.u(3.0, 6.0))
        self.segment(
            "shifting",
            self.u(1.0, 2.0),
            off_share=0.0,
            feet_share=self.share(self.normal_feet_kgf()),
            feet_y_m=y_before,
        )

    def fault(self) -> None:
        """Stand still while a channel saturates in a burst or goes dead for a few seconds."""
        slot = int(self.rng.integers(0, 2**20))
        if self.rng.random() < 0.5:
            t0 = self.u(0.2, 0.5)
            self.segment(
                "fault", self.u(1.0, 2.0), fault=(FAULT_SATURATE, slot, t0, t0 + self.u(0.05, 0.3))
            )
        else:
            duration = self.u(3.0, 6.0)
            self.segment("fault", duration, fault=(FAULT_DEAD, slot, 0.5, duration - 0.5))


def _work(
    s: Script,
    event: Callable[[], None] | None = None,
    events: tuple[int, int] = (1, 2),
    moves: tuple[int, int] = (4, 6),
    steps: tuple[int, int] = (0, 0),
) -> None:
    """The body of a session: walk to spots, stand, shift, step; `event` at random moves."""
    n = s.count(*moves)
    at = (
        set(s.rng.choice(n, size=min(n, s.count(*events)), replace=False).tolist())
        if event
        else set()
    )
    shift_at = s.count(0, n - 1) if s.effects.client_shift else -1
    frame_at = s.count(0, n - 1) if s.effects.foot_on_frame else -1
    for i in range(n):
        if i == shift_at:
            s.walk_shifting_client()
        else:
            s.walk_to(s.pick_spot())
        s.still(s.u(2.0, 5.0))
        if i == frame_at:
            s.foot_on_frame()
            s.still(s.u(1.0, 2.0))
        for _ in range(s.count(*steps)):
            s.step()
            s.still(s.u(0.6, 1.5))
        if s.rng.random() < 0.5:
            s.shift()
            s.still(s.u(1.0, 3.0))
        if i in at and event is not None:
            event()
            s.still(s.u(1.0, 2.0))


def calm(s: Script) -> None:
    """Slow, gentle session: long still phases, gentle walks between upper back, lower back,
    glutes, thighs and calves, slow weight shifts; 20-38 kgf on the feet, never past the
    client's limit. Sometimes the client settles (arm shift) before the therapist climbs on."""
    s.begin(client_shift=s.rng.random() < 0.5)
    _work(s, moves=(4, 6))
    s.end()


def stepping(s: Script) -> None:
    """Frequent steps: 10-18 kgf moves onto or off the feet within 100-200 ms, with the m·a
    dip and overshoot (F_bar + F_feet != W for a few hundred ms); stays under the limit."""
    s.begin()
    _work(s, moves=(5, 7), steps=(2, 4))
    s.end()


def overload(s: Script) -> None:
    """Calm work with one or two presses to 53-62 kgf (past a typical client limit of
    50 kgf), held 1.5-3 s, labelled "overload" from the start of the press to its release."""
    s.begin()
    _work(s, s.overload)
    s.end()


def demo(s: Script) -> None:
    """The dashboard demo: a stepping session (frequent 10-18 kgf steps) with a press past
    the client's limit now and then (one in about every other session cycle); the lower back
    and calves are worked lightly, as a careful therapist does."""
    s.light_spots = LIGHT_SPOTS_KGF
    s.begin()
    _work(s, s.overload, events=(0, 1), moves=(5, 7), steps=(1, 3))
    s.end()


def no_go(s: Script) -> None:
    """Calm work with one or two visits to a no-go zone: the neck or the back of the knee,
    stood on for 1-2.5 s; labelled "no_go" while moving in and standing there."""
    s.begin()
    _work(s, s.no_go)
    s.end()


def grip_loss(s: Script) -> None:
    """Calm work where one hand slips once or twice: the bars lose 60-90 % of their load
    within 80-120 ms and the feet catch it with an overshoot; regrip about a second later."""
    s.begin()
    _work(s, s.grip_loss)
    s.end()


def unsupported(s: Script) -> None:
    """Calm work with one or two spells of 2-5 s where the bars carry under 4 % of the
    therapist's weight while the feet are on the client (the whole weight goes in)."""
    s.begin()
    _work(s, s.unsupported)
    s.end()


def impact(s: Script) -> None:
    """Calm work with two or three drops: the therapist lightens, then lands 20-30 kgf on
    the client within 25-45 ms (rise rates of several kN/s) with a large overshoot."""
    s.begin()
    _work(s, s.impact, events=(2, 3))
    s.end()


def offrig(s: Script) -> None:
    """Calm work with one or two spells of 4-7 s with a foot on a stool: 30-50 % of the
    therapist's weight off the rig, so F_bar + F_feet is well below W."""
    s.begin()
    _work(s, s.offrig)
    s.end()


def client_moving(s: Script) -> None:
    """The client settles before the therapist climbs on (CoP moves up to 4 cm) and shifts
    an arm two to four times during the work (up to 2 cm each, 1-4 kgf of m·a): the mat's
    centre of pressure and force change with nobody stepping."""
    s.begin(client_shift=True)
    _work(s, s.client_move, events=(2, 4))
    s.end()


def faults(s: Script) -> None:
    """Stepping work with sensor faults, each in a "fault" phase with the therapist still:
    a channel saturates at the 24-bit rail for 50-300 ms, or reads dead (-1) for 2-5 s;
    both flagged invalid. (Byte-level faults belong to the device layer.)"""
    s.begin()
    _work(s, s.fault, events=(3, 4), steps=(1, 2))
    s.end()


@dataclass(frozen=True)
class Scenario:
    """A named endless session script. `session` builds one cycle; `event_phase` is the
    phase the scenario exists to produce (tests check it appears)."""

    name: str
    event_phase: str
    session: Callable[[Script], None]

    @property
    def doc(self) -> str:
        """What the scenario does (its session's docstring)."""
        return " ".join((self.session.__doc__ or "").split())


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("calm", "still", calm),
        Scenario("stepping", "stepping", stepping),
        Scenario("overload", "overload", overload),
        Scenario("no_go", "no_go", no_go),
        Scenario("demo", "overload", demo),
        Scenario("grip_loss", "grip_loss", grip_loss),
        Scenario("unsupported", "unsupported", unsupported),
        Scenario("impact", "impact", impact),
        Scenario("offrig", "offrig", offrig),
        Scenario("client_moving", "client_moving", client_moving),
        Scenario("faults", "fault", faults),
    )
}


class UnknownScenarioError(AshisenseError, ValueError):
    """A scenario name that is not in SCENARIOS."""


def get_scenario(name: str) -> Scenario:
    """The scenario called `name`; raises UnknownScenarioError listing the valid names."""
    try:
        return SCENARIOS[name]
    except KeyError:
        raise UnknownScenarioError(
            f"unknown scenario {name!r}; valid: {', '.join(SCENARIOS)}"
        ) from None


_ROW_FIELDS = (
    "phase",
    "duration_s",
    "s0",
    "s1",
    "ramp_s",
    "dyn_feet_kgf",
    "dyn_client_kgf",
    "dyn_s",
    "dyn_cycles",
    "sway_m",
    "sway_cycles",
    "fault_kind",
    "fault_slot",
    "fault_t0",
    "fault_t1",
)


class Timeline:
    """The endless segment sequence of one scenario, generated a cycle at a time as time
    advances. Cycle k is built from its own generator (seed, scenario, k), so the result
    depends only on the times asked for, never on how they were chunked."""

    def __init__(
        self,
        scenario: Scenario,
        seed: int,
        therapist_kg: float,
        effects: Effects | None = None,
    ) -> None:
        self.scenario = scenario
        self._effects = effects or Effects()
        self._seed = seed
        self._key = zlib.crc32(scenario.name.encode())
        self._kg = therapist_kg
        self._cycle = 0
        self._end_s = 0.0
        self._seg: dict[str, np.ndarray] = {}

    def cycle_rows(self, cycle: int) -> list[tuple]:
        """The segments of one cycle, as built by the scenario's script."""
        rng = np.random.default_rng([self._seed, self._key, cycle])
        script = Script(rng, self._kg, self._effects)
        self.scenario.session(script)
        return script.rows

    def _extend(self, until_s: float, keep_from_s: float) -> None:
        parts = [self._seg] if self._seg else []
        while self._end_s <= until_s:
            cols = {
                k: np.array(v)
                for k, v in zip(
                    _ROW_FIELDS, zip(*self.cycle_rows(self._cycle), strict=True), strict=True
                )
            }
            cols["start_s"] = self._end_s + np.concatenate(
                [[0.0], np.cumsum(cols["duration_s"][:-1])]
            )
            self._end_s = float(cols["start_s"][-1] + cols["duration_s"][-1])
            self._cycle += 1
            parts.append(cols)
        merged = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        keep = merged["start_s"] + merged["duration_s"] > keep_from_s
        keep[-1] = True
        self._seg = {k: v[keep] for k, v in merged.items()}

    def evaluate(self, t_s: np.ndarray) -> ScriptSample:
        """The script at device times t_s (s). Time only moves on: segments that ended before
        the earliest time of a call that generated new cycles are forgotten."""
        t_s = np.asarray(t_s, dtype=np.float64)
        if not t_s.size:
            return _empty_sample()
        if t_s.max() >= self._end_s:
            self._extend(float(t_s.max()), float(t_s.min()))
        seg = self._seg
        i = np.searchsorted(seg["start_s"], t_s, side="right") - 1
        if i.min() < 0:
            raise ValueError(f"Timeline: time {t_s.min()} s is earlier than the kept history")
        tau = t_s - seg["start_s"][i]
        ramp = seg["ramp_s"][i]
        x = np.clip(np.divide(tau, ramp, out=np.ones_like(tau), where=ramp > 0), 0.0, 1.0)
        w = x * x * x * (x * (6.0 * x - 15.0) + 10.0)  # smootherstep: C2 at both ends
        s0 = seg["s0"][i]
        state = s0 + (seg["s1"][i] - s0) * w[:, None]
        dyn_s = seg["dyn_s"][i]
        active = tau < dyn_s
        wave = np.where(
            active,
            np.sin(
                2
                * np.pi
                * seg["dyn_cycles"][i]
                * np.divide(tau, dyn_s, out=np.zeros_like(tau), where=active)
            ),
            0.0,
        )
        sway = seg["sway_m"][i] * np.sin(np.pi * seg["sway_cycles"][i] * tau / seg["duration_s"][i])
        faulty = (tau >= seg["fault_t0"][i]) & (tau < seg["fault_t1"][i])
        cycles, duration = seg["sway_cycles"][i], seg["duration_s"][i]
        walking = cycles > 0
        return ScriptSample(
            phase=seg["phase"][i].astype(np.int8),
            state=state,
            dyn_feet_kgf=seg["dyn_feet_kgf"][i] * wave,
            dyn_client_kgf=seg["dyn_client_kgf"][i] * wave,
            sway_y_m=sway,
            fault_kind=np.where(faulty, seg["fault_kind"][i], FAULT_NONE).astype(np.int8),
            fault_slot=seg["fault_slot"][i].astype(np.int64),
            step_phase=np.where(walking, cycles * tau / duration, np.nan),
            step_rate_hz=cycles / duration,
            seg_start_s=seg["start_s"][i],
        )


def _empty_sample() -> ScriptSample:
    z = np.zeros(0)
    return ScriptSample(
        phase=z.astype(np.int8),
        state=np.zeros((0, len(STATE_FIELDS))),
        dyn_feet_kgf=z,
        dyn_client_kgf=z,
        sway_y_m=z,
        fault_kind=z.astype(np.int8),
        fault_slot=z.astype(np.int64),
        step_phase=z,
        step_rate_hz=z,
        seg_start_s=z,
    )
