"""`ashisense evaluate FILE [SESSION] --rules RULES.toml`: the alarms a recorded session would
have raised under another rule set (a trainer re-running an old session with other limits)."""

from __future__ import annotations

import argparse
import json
import math
from collections import Counter
from typing import TYPE_CHECKING, Any

from ashisense.commands import count_of, existing_file

if TYPE_CHECKING:
    from ashisense.alarms import AlarmEvent
    from ashisense.session.analysis import SessionAnalysis
    from ashisense.store import SessionInfo, SessionStore

BLOCK_SAMPLES = 8192  # big blocks: the pipeline and alarms give the same result however cut


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
    p.add_argument("file", help="session file or postgresql:// URL")
    p.add_argument("session", nargs="?", type=int, help="session id (default: the newest)")
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
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Imported here: the pipeline and alarms are heavy, and every command's module is
    # imported to build the CLI.
    from ashisense.alarms import load_contraindications, load_rule_set
    from ashisense.profiles import load_client
    from ashisense.session.analysis import SessionAnalysis
    from ashisense.store import open_store

    rules = load_rule_set(args.rules)
    with open_store(args.file, readonly=True) as store:
        info = store.session_or_latest(args.session)
        analysis = SessionAnalysis.for_session(
            info,
            rules=rules,
            client=load_client(args.client) if args.client else None,
            contraindications=(
                load_contraindications(args.contraindications) if args.contraindications else None
            ),
        )
        shown = _evaluate(args, store, info, analysis)
    assert analysis.engine is not None  # rules were given
    raised = Counter(
        (str(e.priority), e.rule_id) for e in analysis.engine.log if e.transition == "raised"
    )
    if args.json:
        print(
            json.dumps(
                {
                    "session": info.id,
                    "rules": str(args.rules),
                    "limits": analysis.engine.notes,
                    "alarms": [e.as_dict() for e in shown],
                    "raised": {f"{p}:{r}": n for (p, r), n in sorted(raised.items())},
                }
            )
        )
        return 0
    _print_summary(args, info.id, analysis.engine.notes, raised)
    return 0


def _evaluate(
    args: argparse.Namespace, store: SessionStore, info: SessionInfo, analysis: SessionAnalysis
) -> list[AlarmEvent]:
    """Feed the session through the analysis; the events to show (printed as they come
    unless --json)."""
    from tqdm import tqdm

    from ashisense.alarms import Transition
    from ashisense.store.replay import session_items

    shown: list[AlarmEvent] = []
    with tqdm(
        total=store.sample_count(info.id),
        unit="samples",
        unit_scale=True,
        desc="evaluate",
        disable=args.json,
    ) as bar:
        for item in session_items(store, info.id, block_samples=BLOCK_SAMPLES):
            step = analysis.feed(item)
            if step is None:
                continue
            bar.update(len(step.block))
            for ev in step.alarms:
                if args.all or ev.transition is Transition.RAISED:
                    shown.append(ev)
                    if not args.json:
                        tqdm.write(_line(ev, info.meta.started_s))
    return shown


def _print_summary(
    args: argparse.Namespace,
    session_id: int,
    notes: list[str],
    raised: Counter[tuple[str, str]],
) -> None:
    from ashisense.alarms import Priority

    for note in notes:
        print(f"limit: {note}")
    total = sum(raised.values())
    alarms = count_of(total, "alarm")
    print(f"session {session_id} under {args.rules}: {alarms} would have been raised")
    for (priority, rule_id), n in sorted(
        raised.items(), key=lambda kv: (Priority(kv[0][0]).rank, kv)
    ):
        print(f"  {priority:<6}  {rule_id:<20}  {n}")


def _line(ev: AlarmEvent, t0_s: float) -> str:
    at_s = ev.t_s - t0_s
    at = f"{at_s:9.2f} s" if math.isfinite(at_s) else "        ?"
    return f"{at}  {ev.priority:<6}  {ev.transition:<15}  {ev.rule_id:<20}  {ev.message}"
