"""A recorded session evaluated again under another rule set, client profile or
contraindication map: the alarms it would have raised (`ashisense evaluate`, and the review
page's re-analysis)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from ashisense.alarms import AlarmEngine, AlarmEvent, ContraindicationMap, RuleSet, Transition
from ashisense.profiles import ClientProfile
from ashisense.session.analysis import SessionAnalysis
from ashisense.store.base import SessionStore
from ashisense.store.records import SessionInfo
from ashisense.store.replay import session_items

#: Big blocks: the pipeline and alarms give the same result however the stream is cut.
BLOCK_SAMPLES = 8192


@dataclass(frozen=True)
class Evaluation:
    """What evaluating a session gave: every alarm transition in time order, the limits the
    rules took from the profile and contraindications (notes), the raised alarms counted per
    (priority, rule id), and the engine that ran (its rules word the alarms)."""

    info: SessionInfo
    events: list[AlarmEvent]
    notes: list[str]
    raised: Counter[tuple[str, str]]
    engine: AlarmEngine

    @property
    def raised_events(self) -> list[AlarmEvent]:
        return [e for e in self.events if e.transition is Transition.RAISED]


def evaluate_session(
    store: SessionStore,
    session_id: int | None,
    rules: RuleSet,
    *,
    client: ClientProfile | None = None,
    contraindications: ContraindicationMap | None = None,
    on_samples: Callable[[int], None] | None = None,
    on_events: Callable[[list[AlarmEvent]], None] | None = None,
) -> Evaluation:
    """Derive the session (None: the newest) again from its raw counts and run `rules` on it;
    the session's own client profile and contraindication map unless others are given.
    on_samples(n): progress; on_events(events): each block's transitions as they come."""
    info = store.session_or_latest(session_id)
    analysis = SessionAnalysis.for_session(
        info, rules=rules, client=client, contraindications=contraindications
    )
    assert analysis.engine is not None  # rules were given
    events: list[AlarmEvent] = []
    for item in session_items(store, info.id, block_samples=BLOCK_SAMPLES):
        step = analysis.feed(item)
        if step is None:
            continue
        events += step.alarms
        if on_events is not None and step.alarms:
            on_events(step.alarms)
        if on_samples is not None:
            on_samples(len(step.block))
    raised = Counter(
        (str(e.priority), e.rule_id) for e in analysis.engine.log if e.transition == "raised"
    )
    return Evaluation(info, events, list(analysis.engine.notes), raised, analysis.engine)
