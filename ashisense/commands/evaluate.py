"""`ashisense evaluate FILE [SESSION] --rules RULES.toml`: the alarms a recorded session would
have raised under another rule set (a trainer re-running an old session with other limits)."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from ashisense.commands import (
    add_session_arguments,
    add_unit_option,
    alarm_line,
    count_of,
    existing_file,
)

if TYPE_CHECKING:
    from ashisense.alarms import AlarmEngine, AlarmEvent
    from ashisense.session.evaluate import Evaluation


def register(sub: Any) -> None:
    p = sub.add_parser(
        "evaluate",
        help="the alarms a recorded session would have raised under a rule set",
        description=(
            "Derive SESSION (default: the newest) of FILE again from its raw counts and "
            "evaluate RULES.toml on it: print every alarm it would have raised, with time, "
            "priority, measured value and limit, then a count per rule. The session's own "
            "client profile and contraindication map apply unless others are given."
        ),
    )
    add_session_arguments(p, newest_by_default=True)
    p.add_argument(
        "--rules", required=True, type=existing_file, help="alarm rule set (.toml) to evaluate"
    )
    p.add_argument(
        "--client",
        type=existing_file,
        help="another client profile (.toml or .json): other limits",
    )
    p.add_argument(
        "--contraindications", type=existing_file, help="another contraindication map (.toml)"
    )
    p.add_argument(
        "--all", action="store_true", help="print every transition, not only raised alarms"
    )
    p.add_argument("--json", action="store_true", help="print one JSON object instead")
    add_unit_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Imported here: the pipeline and alarms are heavy, and every command's module is
    # imported to build the CLI.
    from tqdm import tqdm

    from ashisense.alarms import load_contraindications, load_rule_set
    from ashisense.profiles import load_client
    from ashisense.session.evaluate import evaluate_session
    from ashisense.store import open_store

    rules = load_rule_set(args.rules)
    with open_store(args.file, readonly=True) as store:
        info = store.session_or_latest(args.session)
        with tqdm(
            total=store.sample_count(info.id),
            unit="samples",
            unit_scale=True,
            desc="evaluate",
            disable=args.json,
        ) as bar:
            result = evaluate_session(
                store,
                info.id,
                rules,
                client=load_client(args.client) if args.client else None,
                contraindications=(
                    load_contraindications(args.contraindications)
                    if args.contraindications
                    else None
                ),
                on_samples=bar.update,
            )
    shown = _shown(args, result.events)
    if args.json:
        print(
            json.dumps(
                {
                    "session": info.id,
                    "rules": str(args.rules),
                    "limits": result.notes,
                    "alarms": [e.as_dict() for e in shown],
                    "raised": {f"{p}:{r}": n for (p, r), n in sorted(result.raised.items())},
                }
            )
        )
        return 0
    for ev in shown:
        transition = f"{ev.transition!s:<15}  "
        print(alarm_line(ev, result.engine, args.unit, info.meta.started_s, transition))
    _print_summary(args, result)
    return 0


def _shown(args: argparse.Namespace, events: list[AlarmEvent]) -> list[AlarmEvent]:
    """The transitions to show: every one with --all, else the raised alarms."""
    from ashisense.alarms import Transition

    return [ev for ev in events if args.all or ev.transition is Transition.RAISED]


def _print_summary(args: argparse.Namespace, result: Evaluation) -> None:
    from ashisense.alarms import Priority

    for note in result.notes:
        print(f"limit: {note}")
    total = sum(result.raised.values())
    alarms = count_of(total, "alarm")
    print(f"session {result.info.id} under {args.rules}: {alarms} would have been raised")
    engine: AlarmEngine = result.engine
    for (priority, rule_id), n in sorted(
        result.raised.items(), key=lambda kv: (Priority(kv[0][0]).rank, kv)
    ):
        rule = engine.rule(rule_id)
        print(f"  {priority:<6}  {n:>4}  {rule.title() if rule else rule_id}")
