"""Rule sets: the studio's rules and alarm policy, read from TOML and validated on load.

A rule file has an optional [policy] table and one [[rule]] table per rule; each rule's keys
are its kind's fields (see ashisense.alarms.kinds, docs/alarms.md). Any error names the file,
the rule, the field, what was expected and what was found.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, PositiveFloat, ValidationError

from ashisense.alarms.errors import RuleFileError
from ashisense.alarms.events import Priority
from ashisense.alarms.kinds import RuleSpec, kind_class


class AlarmPolicy(BaseModel):
    """What the studio decides for all its therapists.

    latching: priorities whose alarms stay on after the condition ends, until acknowledged.
    alarm_off_allowed: priorities that may be switched off (always shown while off).
    audio_pause_max_s: the longest audio pause an operator may ask for.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    latching: tuple[Priority, ...] = (Priority.HIGH,)
    alarm_off_allowed: tuple[Priority, ...] = (Priority.MEDIUM, Priority.LOW)
    audio_pause_max_s: PositiveFloat = 120.0


def explain(err: ValidationError, model: type[BaseModel], where: str) -> str:
    """One line per problem: where, field, what was expected, what was found."""
    parts = []
    for e in err.errors():
        name = ".".join(str(p) for p in e["loc"]) or "(table)"
        if e["type"] == "missing":
            expected, found = "a value (the field is required)", "nothing"
        elif e["type"] == "extra_forbidden":
            valid = ", ".join(sorted(model.model_fields))
            expected, found = f"one of the known fields ({valid})", "an unknown field"
        else:
            ctx = e.get("ctx") or {}
            text = str(ctx["error"]) if "error" in ctx else e["msg"]
            expected = text.removeprefix("Input should be ").removeprefix("Value error, ")
            found = repr(e.get("input"))
        parts.append(f"{where}: field '{name}': expected {expected}, found {found}")
    return "; ".join(parts)


def parse_rule(doc: Any, source: str, index: int) -> RuleSpec:
    """Validate one [[rule]] table; raises RuleFileError or UnknownRuleKindError."""
    if not isinstance(doc, dict):
        raise RuleFileError(f"{source}: rule #{index + 1}: expected a table, found {doc!r}")
    where = f"{source}: rule '{doc.get('id', f'#{index + 1}')}'"
    if "kind" not in doc:
        raise RuleFileError(f"{where}: field 'kind': expected a rule kind, found nothing")
    cls = kind_class(str(doc["kind"]), where)
    try:
        return cls.model_validate(doc)
    except ValidationError as err:
        raise RuleFileError(explain(err, cls, where)) from err


@dataclass(frozen=True)
class RuleSet:
    """Rules and the policy they run under. source: where they came from (for messages)."""

    rules: tuple[RuleSpec, ...]
    policy: AlarmPolicy = field(default_factory=AlarmPolicy)
    source: str = "<rules>"

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise RuleFileError(
                    f"{self.source}: rule '{rule.id}': field 'id': expected a unique id, "
                    "found it twice"
                )
            seen.add(rule.id)

    def __iter__(self) -> Iterator[RuleSpec]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.rules)

    def get(self, rule_id: str) -> RuleSpec:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(f"{self.source}: no rule '{rule_id}'; rules: {', '.join(self.ids())}")

    def latches(self, rule: RuleSpec) -> bool:
        """Whether this rule's alarm latches: its own setting, else the policy's."""
        return rule.latching if rule.latching is not None else rule.priority in self.policy.latching

    def with_rules(self, rules: Iterable[RuleSpec]) -> RuleSet:
        """The same policy and source with other rules."""
        return RuleSet(tuple(rules), self.policy, self.source)


def parse_rule_set(text: str, source: str = "<rules>") -> RuleSet:
    """Read a rule set from TOML text; `source` names it in error messages."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise RuleFileError(f"{source}: expected TOML, found a syntax error: {err}") from err
    unknown = set(doc) - {"policy", "rule"}
    if unknown:
        raise RuleFileError(
            f"{source}: expected only [policy] and [[rule]] tables, found {sorted(unknown)}"
        )
    try:
        policy = AlarmPolicy.model_validate(doc.get("policy", {}))
    except ValidationError as err:
        raise RuleFileError(explain(err, AlarmPolicy, f"{source}: [policy]")) from err
    rules = doc.get("rule", [])
    if not isinstance(rules, list) or not rules:
        raise RuleFileError(f"{source}: expected at least one [[rule]] table, found none")
    return RuleSet(
        tuple(parse_rule(r, source, i) for i, r in enumerate(rules)), policy, source=source
    )


def load_rule_set(path: str | os.PathLike[str]) -> RuleSet:
    """Read a rule file; raises RuleFileError (bad content) or OSError (cannot read)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise RuleFileError(f"{path}: expected UTF-8 text, found {err}") from err
    return parse_rule_set(text, source=str(path))
