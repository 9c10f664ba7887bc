"""Alarm burden: what a therapist is shown, on labelled simulated sessions (sim counts ->
pipeline -> alarms, 80 Hz, as fast as the machine runs them).

Run: python3 benchmarks/bench_alarm_burden.py [--hours 10] [--minutes 20] [--seed 0]

The client has region limits of their own (upper back 450 N, lumbar 250 N, thigh 400 N), so
one overload trips several rules. A simulated therapist acknowledges every alarm once its
condition is over (latched alarms would otherwise stay shown for the rest of the session).

1. Normal work (calm and stepping, --hours each, no injected hazard): HIGH banners per hour
   (goal 0), and the rows the rules raised beside them.
2. Injected hazards (overload, no-go region, grip loss, unsupported, impact; --minutes each):
   distinct banners of the injected hazard per alarmed event (goal 1.0: one hazard, one
   alarm), beside the rules of that hazard raised per event (what a display showing one
   banner per rule showed), and the other hazards the event set off: separate alarms by
   design (a grip loss that drops the therapist's weight onto the client is also an
   overload; docs/alarms.md, "One hazard, one alarm").
Prints each goal with PASS or FAIL; exits 1 on any FAIL. Needs nothing outside the repository.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

import benchkit

from ashisense.alarms import AlarmEngine, Priority, Transition, load_rule_set
from ashisense.alarms.hazards import Banner, banners
from tests.alarmsimkit import (
    CLIENT_KG,
    DANGEROUS,
    THERAPIST_KG,
    LabelledRun,
    episodes,
    run_labelled,
)
from tests.simfeedkit import sim_profiles

RULES = load_rule_set(benchkit.STUDIO_RULES)
RIG = benchkit.SIM_RIG
CLIENT = sim_profiles(CLIENT_KG, THERAPIST_KG)[0].model_copy(
    update={"limits_n": {"upper_back": 450.0, "lumbar": 250.0, "thigh": 400.0}}
)
BLOCK = 400  # samples per block: the operator looks every 5 s
WINDOW_S = 1.0  # banners belong to an event from 1 s before it to 1 s after its end + delay


def acknowledge_when_over(engine: AlarmEngine, t_s: float) -> None:
    """The therapist acknowledges an alarm once its condition is over."""
    for hazard in engine.hazards():
        if hazard.latched:
            engine.acknowledge(t_s, hazard.lead.rule_id)


def run(scenario: str, seconds: float, seed: int) -> tuple[LabelledRun, list[Banner], float]:
    t0 = time.perf_counter()
    labelled = run_labelled(
        scenario,
        seconds,
        RULES,
        RIG,
        seed=seed,
        block=BLOCK,
        client=CLIENT,
        operator=acknowledge_when_over,
    )
    return labelled, banners(labelled.live), time.perf_counter() - t0


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def normal(hours: float, seed: int) -> bool:
    print(f"1. Normal work, no injected hazard ({hours:g} simulated hours each)")
    ok = True
    for scenario in ("calm", "stepping"):
        labelled, shown, wall_s = run(scenario, hours * 3600, seed)
        high = [b for b in shown if b.priority is Priority.HIGH]
        rows = [e for e in labelled.raised() if e.priority is Priority.HIGH]
        others = len(shown) - len(high)
        ok &= not high
        print(
            f"   {scenario:<9} HIGH banners {len(high) / hours:6.2f} /h (goal 0) "
            f"{verdict(not high)}; HIGH rows raised {len(rows) / hours:.2f} /h; "
            f"other banners {others / hours:.1f} /h   ({hours * 3600 / wall_s:.0f}x real time)"
        )
    return ok


def injected(minutes: float, seed: int) -> bool:
    print(f"\n2. Injected hazards ({minutes:g} simulated minutes each)")
    print(
        f"   {'event':<12} {'events':>6} {'alarmed':>8} {'banners/event':>14} "
        f"{'rules/event':>12}   other hazards it set off (separate alarms), per event"
    )
    per_event: list[int] = []
    for phase, rule_id in DANGEROUS.items():
        labelled, shown, _ = run(phase, minutes * 60, seed)
        rule = RULES.get(rule_id)
        own = rule.hazard_key()
        raised = [e for e in labelled.live if e.transition is Transition.RAISED]
        spans = list(episodes(labelled.t_s, labelled.phase, phase))
        counts, rule_counts, others = [], [], Counter[str]()
        for start_s, end_s in spans:
            lo, hi = start_s - WINDOW_S, end_s + rule.delay_s + WINDOW_S
            during = [b for b in shown if lo <= b.start_s <= hi]
            n = sum(b.hazard == own for b in during)
            if n:
                counts.append(n)
                rule_counts.append(
                    len({e.rule_id for e in raised if e.hazard == own and lo <= e.t_s <= hi})
                )
                others.update(b.hazard for b in during if b.hazard != own)
        per_event += counts
        mean = sum(counts) / len(counts) if counts else float("nan")
        rules_mean = sum(rule_counts) / len(rule_counts) if rule_counts else float("nan")
        other = ", ".join(f"{k} {v / max(len(counts), 1):.2f}" for k, v in sorted(others.items()))
        print(
            f"   {phase:<12} {len(spans):>6} {len(counts):>8} {mean:>14.2f} {rules_mean:>12.2f}"
            f"   {other or '-'}"
        )
    overall = sum(per_event) / len(per_event) if per_event else float("nan")
    ok = overall == 1.0
    print(
        f"   all events: {overall:.2f} distinct banners per hazard event (goal 1.0) {verdict(ok)}"
    )
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hours", type=float, default=10.0, help="simulated hours of normal work")
    ap.add_argument("--minutes", type=float, default=20.0, help="simulated minutes per hazard")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    ok = normal(args.hours, args.seed)
    ok &= injected(args.minutes, args.seed)
    print(f"\nalarm burden: {verdict(ok)}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
