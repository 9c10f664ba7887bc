"""Limits proposed from a client's comfort map, and the accepted ones as session rules.

At the start of a session the dashboard proposes, per region with a comfort limit, that
limit, never above the lowest limit the studio's rules already set there for this client
(their profile and contraindications applied: `tighten_for_client`). The therapist accepts,
edits or ignores each; what is accepted becomes `region_force` rules appended to the
session's rules snapshot (so a replay and `ashisense evaluate` use them too) and runs in the
session's alarm engine. A value above the cap is refused, never stored.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ashisense.alarms import ContraindicationMap, RuleSet, region_limits, tighten_for_client
from ashisense.bodymap import REGION_CODE, REGION_TITLES
from ashisense.client.comfort import ComfortMap
from ashisense.errors import AshisenseError

#: How an accepted comfort limit alarms: like the studio's lumbar band (a sustained load past
#: what the client asked for, not a safety limit of its own).
COMFORT_PRIORITY = "medium"
COMFORT_DELAY_S = 1.0
COMFORT_HYSTERESIS_N = 20.0
RULE_PREFIX = "comfort_"


class ComfortLimitError(AshisenseError, ValueError):
    """An accepted comfort limit that is not a region, not positive, or above the cap."""


@dataclass(frozen=True)
class LimitProposal:
    """A proposed limit for one region.

    comfort_n: from the comfort map (N). cap_n: the lowest limit the studio's rules set
    there for this client (N; None: no rule limits it). proposed_n: the lower of both.
    presses, sessions: what the comfort figure rests on.
    """

    region: str
    comfort_n: float
    cap_n: float | None
    presses: int
    sessions: int

    @property
    def proposed_n(self) -> float:
        return self.comfort_n if self.cap_n is None else min(self.comfort_n, self.cap_n)

    @property
    def capped(self) -> bool:
        """The studio's (or a contraindication's) limit is already at or below the comfort."""
        return self.cap_n is not None and self.cap_n <= self.comfort_n

    def as_dict(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "title": REGION_TITLES[self.region],
            "comfort_n": round(self.comfort_n, 1),
            "cap_n": None if self.cap_n is None else round(self.cap_n, 1),
            "proposed_n": round(self.proposed_n, 1),
            "capped": self.capped,
            "presses": self.presses,
            "sessions": self.sessions,
        }


def region_caps(
    rules: RuleSet, client: Any = None, contraindications: ContraindicationMap | None = None
) -> dict[str, float | None]:
    """The lowest feet-force limit per region the rules set for this client (None: none)."""
    tightened, _notes = tighten_for_client(rules, client, contraindications)
    per_region, _overall = region_limits(tightened)
    return {region: per_region[code] for region, code in REGION_CODE.items()}


def propose_limits(
    comfort: ComfortMap,
    rules: RuleSet,
    client: Any = None,
    contraindications: ContraindicationMap | None = None,
) -> list[LimitProposal]:
    """One proposal per region where the comfort map has a limit, in body order."""
    caps = region_caps(rules, client, contraindications)
    return [
        LimitProposal(r.region, r.limit_n, caps[r.region], r.presses, r.sessions)
        for r in comfort.regions
        if not math.isnan(r.limit_n)
    ]


def check_accepted(
    accepted: Mapping[str, float], caps: Mapping[str, float | None]
) -> dict[str, float]:
    """The accepted limits checked: known regions, > 0, never above the cap; those at the cap
    are left out (the studio's limit already holds). Raises ComfortLimitError saying which."""
    out = {}
    for region, limit_n in accepted.items():
        if region not in caps:
            raise ComfortLimitError(f"comfort limit for {region!r}: not a body region")
        cap = caps[region]
        if not limit_n > 0:
            raise ComfortLimitError(f"comfort limit for the {REGION_TITLES[region]}: must be > 0 N")
        if cap is not None and limit_n > cap:
            raise ComfortLimitError(
                f"comfort limit for the {REGION_TITLES[region]}: {limit_n:.0f} N is above the "
                f"studio's limit there for this client ({cap:.0f} N); a comfort limit can only "
                "be lower"
            )
        if cap is None or limit_n < cap:
            out[region] = float(limit_n)
    return out


def comfort_rules_text(accepted: Mapping[str, float], client_id: str = "") -> str:
    """The accepted limits as [[rule]] tables of a rule file (region_force, one per region)."""
    who = f" of client {client_id}" if client_id else ""
    parts = [f"\n# Comfort limits{who} accepted at the start of this session (docs/client.md)\n"]
    for region, limit_n in sorted(accepted.items()):
        title = json.dumps(f"Client's comfort limit for the {REGION_TITLES[region]}")
        parts.append(
            "[[rule]]\n"
            f'id = "{RULE_PREFIX}{region}"\n'
            'kind = "region_force"\n'
            f'priority = "{COMFORT_PRIORITY}"\n'
            f"label = {title}\n"
            f'regions = ["{region}"]\n'
            f"limit_n = {limit_n:.1f}\n"
            f"hysteresis_n = {COMFORT_HYSTERESIS_N:g}\n"
            f"delay_s = {COMFORT_DELAY_S:g}\n"
            f"clear_delay_s = {COMFORT_DELAY_S:g}\n"
        )
    return "\n".join(parts)


def accepted_limits(rules: RuleSet) -> dict[str, float]:
    """The comfort limits a session's rules hold (as comfort_rules_text wrote them)."""
    return {
        r.id.removeprefix(RULE_PREFIX): r.limit_value
        for r in rules
        if r.id.startswith(RULE_PREFIX) and r.kind == "region_force"
    }
