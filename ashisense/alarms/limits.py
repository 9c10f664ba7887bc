"""Limits for one client: the studio's rules tightened, never loosened, by the client's profile.

Order: the studio rule set; limits that scale with the client's weight; the profile's own
limits (max_feet_n everywhere, limits_n per region); then each contraindication. A client's
region limit alarms like the studio's rule for that region (its priority, delays and
latching: the lumbar band's for the lumbar, the overload rule's where no region rule is),
unless the profile's limit_alarms says otherwise. A
contraindication is a body region (added to the no-go rule's regions), a condition named in
the studio's contraindication file (tightens the rules it lists), or "condition:region" (a
condition whose site, e.g. a recent surgery, becomes a forbidden region). Where several
conditions touch one limit, the tightest wins (they do not multiply).
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, ValidationError

from ashisense.alarms.errors import ClientLimitsError, RuleFileError
from ashisense.alarms.kinds import BindContext, RuleSpec
from ashisense.alarms.kinds.force import FeetForce, RegionForce
from ashisense.alarms.rules import RuleSet, explain
from ashisense.bodymap import REGION_TITLES, REGIONS
from calibration.units import STANDARD_GRAVITY_M_S2


class RuleAdjustment(BaseModel):
    """How a condition changes one rule: scale its limit, cap it, or forbid more regions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    limit_factor: PositiveFloat | None = None
    limit: float | None = None
    add_regions: tuple[str, ...] = ()


class Condition(BaseModel):
    """One contraindication: why (rationale, shown in docs and logs) and what it tightens.

    site_rule: with "name:region" in a profile, the region is added to this rule's regions.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    rationale: str = Field(min_length=1)
    site_rule: str | None = None
    rule: dict[str, RuleAdjustment] = Field(default_factory=dict)


class ContraindicationMap(BaseModel):
    """The studio's mapping from conditions to tighter limits.

    region_rule: the rule whose regions a region-named contraindication extends (no-go).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    region_rule: str = "no_go"
    condition: dict[str, Condition] = Field(default_factory=dict)
    source: str = "<contraindications>"


def parse_contraindications(text: str, source: str = "<contraindications>") -> ContraindicationMap:
    """Read a contraindication map from TOML text; raises RuleFileError naming the field."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise RuleFileError(f"{source}: expected TOML, found a syntax error: {err}") from err
    try:
        return ContraindicationMap.model_validate(doc | {"source": source})
    except ValidationError as err:
        raise RuleFileError(explain(err, ContraindicationMap, source)) from err


def load_contraindications(path: str | os.PathLike[str]) -> ContraindicationMap:
    """Read a contraindication file; raises RuleFileError or OSError."""
    return parse_contraindications(Path(path).read_text(encoding="utf-8"), source=str(path))


@dataclass(frozen=True)
class ClientLimits:
    """What the rules use from a client profile (a ClientProfile or a plain dict with its keys)."""

    weight_n: float = math.nan
    max_feet_n: float | None = None
    limits_n: Mapping[str, float] | None = None
    contraindications: tuple[str, ...] = ()
    limit_alarms: Mapping[str, Mapping[str, Any]] | None = None

    @classmethod
    def of(cls, client: Any) -> ClientLimits:
        """From a ClientProfile, a dict with the same keys, or None (no client: studio limits)."""
        if client is None:
            return cls()
        get = client.get if isinstance(client, Mapping) else lambda k: getattr(client, k, None)
        weight_kg = get("weight_kg")
        limits_n = dict(get("limits_n") or {})
        unknown = sorted(set(limits_n) - set(REGIONS))
        if unknown:
            raise ClientLimitsError(
                f"client limits_n: expected body regions ({', '.join(REGIONS)}), found {unknown}"
            )
        return cls(
            weight_n=float(weight_kg) * STANDARD_GRAVITY_M_S2 if weight_kg else math.nan,
            max_feet_n=get("max_feet_n"),
            limits_n=limits_n,
            contraindications=tuple(get("contraindications") or ()),
            limit_alarms={
                region: dict(a) if isinstance(a, Mapping) else a.model_dump()
                for region, a in (get("limit_alarms") or {}).items()
            },
        )


def _tighter(rule: RuleSpec, a: float, b: float) -> float:
    return min(a, b) if rule.direction == "above" else max(a, b)


class _Tightener:
    """Collects tightened limits and added regions per rule, with the reasons, then applies."""

    def __init__(self, rules: dict[str, RuleSpec], source: str) -> None:
        self.rules = rules
        self.source = source
        self.limit: dict[str, float] = {}
        self.regions: dict[str, list[str]] = {}
        self.notes: list[str] = []

    def rule(self, rule_id: str, why: str) -> RuleSpec:
        if rule_id not in self.rules:
            raise RuleFileError(
                f"{self.source}: {why}: rule '{rule_id}' is not in the rule set "
                f"(rules: {', '.join(self.rules)})"
            )
        return self.rules[rule_id]

    def cap(self, rule: RuleSpec, value: float, why: str, strict: bool = True) -> None:
        """Tighten rule's limit to value. Looser: an error in the studio's map (strict), a
        note for a client value (the studio's limit stands)."""
        base = rule.limit_value
        if _tighter(rule, base, value) != value and value != base:
            if not strict:
                self.notes.append(
                    f"{rule.id}: {why} {rule.fmt(value)} is looser than the studio's "
                    f"{rule.fmt(base)}: studio limit kept"
                )
                return
            raise RuleFileError(
                f"{self.source}: {why}: rule '{rule.id}': expected a limit tighter than "
                f"{rule.fmt(base)} ({rule.direction}), found {rule.fmt(value)}"
            )
        now = self.limit.get(rule.id, base)
        if _tighter(rule, now, value) != now:
            self.limit[rule.id] = value
            self.notes.append(f"{rule.id}: limit {rule.fmt(base)} -> {rule.fmt(value)} ({why})")

    def forbid(self, rule: RuleSpec, regions: tuple[str, ...], why: str) -> None:
        if not isinstance(rule, RegionForce):
            raise RuleFileError(
                f"{self.source}: {why}: rule '{rule.id}': expected a region_force rule to add "
                f"regions to, found kind '{rule.kind}'"
            )
        have = self.regions.setdefault(rule.id, list(rule.regions))
        new = [r for r in regions if r not in have]
        if new:
            have.extend(new)
            self.notes.append(f"{rule.id}: regions + {', '.join(new)} ({why})")

    def apply(self) -> dict[str, RuleSpec]:
        out = dict(self.rules)
        for rule_id, value in self.limit.items():
            out[rule_id] = out[rule_id].with_changes(**{out[rule_id].limit_field: value})
        for rule_id, regions in self.regions.items():
            out[rule_id] = out[rule_id].with_changes(regions=tuple(regions))
        return out


def studio_rule_for(region: str, overload: FeetForce, rules: Iterable[RuleSpec]) -> RuleSpec:
    """The studio's rule that governs the feet force in a region: the enabled region rule
    covering it with the lowest limit, else the overload rule (it holds everywhere)."""
    covering = [
        r for r in rules if isinstance(r, RegionForce) and r.enabled and region in r.regions
    ]
    return min(covering, key=lambda r: r.limit_n) if covering else overload


def _region_rules(
    overload: FeetForce, limits: ClientLimits, studio: Iterable[RuleSpec]
) -> tuple[list[RegionForce], list[str]]:
    """The client's per-region feet limits as rules, each alarming like the studio's rule for
    its region unless the profile's limit_alarms says otherwise; with a note for each."""
    studio = tuple(studio)
    derived, notes = [], []
    for region, limit_n in sorted((limits.limits_n or {}).items()):
        base = studio_rule_for(region, overload, studio)
        if limit_n >= base.limit_value:
            notes.append(
                f"{overload.id}_{region}: client limit {base.fmt(limit_n)} in {region} is not "
                f"below the studio's {base.fmt(base.limit_value)} ({base.id}): studio limit kept"
            )
            continue
        own = (limits.limit_alarms or {}).get(region, {})
        priority = own.get("priority") or base.priority
        rule = RegionForce(
            id=f"{overload.id}_{region}",
            kind="region_force",
            priority=priority,
            delay_s=base.delay_s if own.get("delay_s") is None else own["delay_s"],
            clear_delay_s=base.clear_delay_s,
            latching=base.latching if priority == base.priority else None,
            enabled=overload.enabled,
            label=f"Client's limit for the {REGION_TITLES[region]}",
            regions=(region,),
            limit_n=limit_n,
            hysteresis_n=getattr(base, "hysteresis_n", overload.hysteresis_n),
        )
        derived.append(rule)
        source = "the profile" if own else base.id
        notes.append(
            f"{rule.id}: client limit {rule.fmt(limit_n)} in {region}, {rule.priority} "
            f"priority, delay {rule.delay_s:g} s (as {source})"
        )
    return derived, notes


def tighten_for_client(
    rule_set: RuleSet, client: Any = None, contraindications: ContraindicationMap | None = None
) -> tuple[RuleSet, list[str]]:
    """The rule set this client gets, and one note per change (rule, before -> after, why).

    client: a ClientProfile, a dict with its keys (weight_kg, max_feet_n, limits_n,
    contraindications) or None. Raises ClientLimitsError for a contraindication neither a region
    nor a condition of the map, RuleFileError when the map names rules the set lacks.
    """
    limits = ClientLimits.of(client)
    ctx = BindContext(client_weight_n=limits.weight_n)
    rules = {r.id: r.for_client(ctx) for r in rule_set}
    source = contraindications.source if contraindications else rule_set.source
    t = _Tightener(rules, source)
    if math.isnan(limits.weight_n):
        t.notes += [
            f"{r.id}: no client weight, limit_client_weight_share not applied"
            for r in rule_set
            if getattr(r, "limit_client_weight_share", None) is not None
        ]
    feet_ids = [r.id for r in rules.values() if isinstance(r, FeetForce)]
    if limits.max_feet_n is not None:
        for rule_id in feet_ids:
            t.cap(rules[rule_id], float(limits.max_feet_n), "client max_feet_n", strict=False)
    for c in limits.contraindications:
        name, _, site = c.partition(":")
        if name in REGIONS and not site:
            region_rule = contraindications.region_rule if contraindications else "no_go"
            t.forbid(t.rule(region_rule, f"client region {name}"), (name,), f"client: {name}")
            continue
        if contraindications is None or name not in contraindications.condition:
            known = sorted(contraindications.condition) if contraindications else []
            raise ClientLimitsError(
                f"client contraindication {c!r}: expected a body region ({', '.join(REGIONS)}) "
                f"or a condition of the contraindication map ({', '.join(known) or 'none loaded'})"
            )
        cond = contraindications.condition[name]
        for rule_id, adj in cond.rule.items():
            rule = t.rule(rule_id, f"condition '{name}'")
            if adj.limit_factor is not None:
                t.cap(rule, adj.limit_factor * rule.limit_value, name)
            if adj.limit is not None:
                t.cap(rule, adj.limit, name)
            if adj.add_regions:
                t.forbid(rule, adj.add_regions, name)
        if site:
            if site not in REGIONS or cond.site_rule is None:
                raise ClientLimitsError(
                    f"client contraindication {c!r}: expected 'condition:region' with a region "
                    f"of {', '.join(REGIONS)} and a condition with a site_rule, found "
                    f"site {site!r} for condition '{name}' (site_rule: {cond.site_rule})"
                )
            t.forbid(t.rule(cond.site_rule, f"condition '{name}'"), (site,), f"{name} site")
    tightened = t.apply()
    derived: list[RegionForce] = []
    for rule_id in feet_ids:
        overload = tightened[rule_id]
        assert isinstance(overload, FeetForce)  # feet_ids holds feet_force rules only
        rules_for_client, notes = _region_rules(overload, limits, tightened.values())
        derived += rules_for_client
        t.notes += notes
    return rule_set.with_rules([*tightened.values(), *derived]), t.notes


def region_limits(rules: RuleSet) -> tuple[tuple[float | None, ...], float | None]:
    """The lowest feet-force limit per body region (index as REGIONS; None where no rule
    limits it) and the lowest anywhere, from the enabled rules."""
    anywhere = [r.limit_n for r in rules if isinstance(r, FeetForce) and r.enabled]
    overall = min(anywhere) if anywhere else None
    per_region: list[float | None] = []
    for name in REGIONS:
        found = [
            r.limit_n
            for r in rules
            if isinstance(r, RegionForce) and r.enabled and name in r.regions
        ]
        limits = found + ([overall] if overall is not None else [])
        per_region.append(min(limits) if limits else None)
    return tuple(per_region), overall
