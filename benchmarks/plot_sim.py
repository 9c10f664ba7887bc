"""Figure of the simulated rig's scenarios for docs/simulator.md.

Run: python3 benchmarks/plot_sim.py [out.png] (default docs/img/simulator_scenarios.png).
One panel per scenario: true feet force, bar force and their sum against the therapist's
weight, with the scenario's event phase shaded; last panel: one pressure-grid frame.
"""

from __future__ import annotations

import sys
from pathlib import Path

import benchkit
import matplotlib.pyplot as plt

# `python3 benchmarks/plot_sim.py` from a clone: import the package from the checkout.
from ashisense.sim import SCENARIOS, RigSimulator
from ashisense.sim.model import TABLE_LENGTH_M, TABLE_WIDTH_M
from calibration.units import STANDARD_GRAVITY_M_S2

RATE_HZ = 200.0
SHOWN = ("stepping", "overload", "grip_loss", "impact", "offrig", "no_go")


def main(out: Path) -> None:
    plt.switch_backend("Agg")
    fig, axes = plt.subplots(len(SHOWN) + 1, 1, figsize=(10, 2.2 * (len(SHOWN) + 1)))
    for ax, name in zip(axes, SHOWN, strict=False):
        sim = RigSimulator(name, rate_hz=RATE_HZ, seed=1, therapist_kg=65)
        tr = sim.next_block(int(RATE_HZ * 90)).truth
        t = tr.t_s
        bars = (tr.bar_left_n + tr.bar_right_n) / STANDARD_GRAVITY_M_S2
        feet = tr.feet_n / STANDARD_GRAVITY_M_S2
        ax.plot(t, feet, lw=0.8, label="feet (kgf)")
        ax.plot(t, bars, lw=0.8, label="bars (kgf)")
        ax.plot(t, feet + bars, lw=0.6, color="k", label="bars + feet")
        ax.axhline(65, color="grey", ls=":", lw=0.8)
        ax.fill_between(
            t, 0, 80, where=tr.in_phase(SCENARIOS[name].event_phase), color="red", alpha=0.15, lw=0
        )
        ax.set_ylim(0, 80)
        ax.set_xlim(0, 90)
        ax.set_ylabel("kgf")
        ax.set_title(
            f"{name}: shaded = phase '{SCENARIOS[name].event_phase}'", fontsize=9, loc="left"
        )
    axes[0].legend(loc="upper right", fontsize=7, ncol=3)
    axes[-2].set_xlabel("device time (s)")
    sim = RigSimulator("calm", rate_hz=80.0, seed=1, grid=True)
    block = sim.next_block(80 * 20)
    frame = block.grid[-1].T  # columns across the table, rows along it
    ax = axes[-1]
    ax.imshow(
        frame,
        origin="lower",
        aspect="auto",
        extent=(0, TABLE_LENGTH_M, -TABLE_WIDTH_M / 2, TABLE_WIDTH_M / 2),
    )
    ax.set_title(
        "grid frame (calm, t = 20 s): PoPu prone imprint + two feet; head at x = 0",
        fontsize=9,
        loc="left",
    )
    ax.set_xlabel("x along the table (m)")
    ax.set_ylabel("y (m)")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=80)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else benchkit.ROOT / "docs" / "img" / "simulator_scenarios.png"
    )
