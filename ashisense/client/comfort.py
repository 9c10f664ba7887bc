"""Each client's comfort per body region, learned from their presses across sessions.

A "lighter" (or "stop") press at feet force F in a region says F is too much there; a
"deeper" press at F says F is too little. A press comes a reaction time after the force
passed the client's level, so single presses overshoot it by whatever the force did
meanwhile; the lower envelope of the "too much" forces (their COMFORT_QUANTILE quantile,
which a lone stray press does not drag down) is where the client starts to ask: their
comfort limit there. The comfortable range runs from the highest "too little" force up to
that limit. Every figure says how many presses and sessions it rests on.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ashisense.bodymap import REGIONS
from ashisense.store.base import SessionStore
from ashisense.store.records import PressRecord

#: Quantile of the "too much" forces taken as the comfort limit (the lower envelope).
COMFORT_QUANTILE = 0.05
#: Buttons that say the force was too much, and too little.
TOO_MUCH = ("lighter", "stop")
TOO_LITTLE = ("deeper",)


@dataclass(frozen=True)
class RegionComfort:
    """A client's comfort in one body region.

    too_much_n: feet forces (N) at their "lighter" and "stop" presses there; too_little_n:
    at their "deeper" presses. sessions: how many sessions had a press there.
    """

    region: str
    too_much_n: tuple[float, ...]
    too_little_n: tuple[float, ...]
    sessions: int

    @property
    def limit_n(self) -> float:
        """Where the client starts to ask for lighter (N); NaN without such a press."""
        if not self.too_much_n:
            return math.nan
        return float(np.quantile(self.too_much_n, COMFORT_QUANTILE))

    @property
    def floor_n(self) -> float:
        """The most force at which the client still asked for deeper (N); NaN without."""
        return max(self.too_little_n) if self.too_little_n else math.nan

    @property
    def presses(self) -> int:
        return len(self.too_much_n) + len(self.too_little_n)

    def as_dict(self) -> dict[str, object]:
        """Plain JSON-able values (None for unknown numbers)."""
        return {
            "region": self.region,
            "limit_n": _json(self.limit_n),
            "floor_n": _json(self.floor_n),
            "too_much_n": list(self.too_much_n),
            "too_little_n": list(self.too_little_n),
            "presses": self.presses,
            "sessions": self.sessions,
        }


@dataclass(frozen=True)
class ComfortMap:
    """One client's comfort per region (body order), and the sessions it rests on."""

    client_id: str
    session_ids: tuple[int, ...]
    regions: tuple[RegionComfort, ...]

    @property
    def sessions(self) -> int:
        return len(self.session_ids)

    def region(self, name: str) -> RegionComfort | None:
        return next((r for r in self.regions if r.region == name), None)

    def as_dict(self) -> dict[str, object]:
        return {
            "client_id": self.client_id,
            "sessions": self.sessions,
            "session_ids": list(self.session_ids),
            "regions": [r.as_dict() for r in self.regions],
        }


def comfort_map(client_id: str, presses: Mapping[int, Sequence[PressRecord]]) -> ComfortMap:
    """The comfort map of a client from their presses per session id (any source); presses
    with no known force or region say nothing about comfort and are left out."""
    by_region: dict[str, tuple[list[float], list[float], set[int]]] = {}
    with_presses: set[int] = set()
    for sid, records in presses.items():
        for p in records:
            if not p.region or math.isnan(p.feet_n):
                continue
            if p.button not in TOO_MUCH and p.button not in TOO_LITTLE:
                continue
            much, little, sessions = by_region.setdefault(p.region, ([], [], set()))
            (much if p.button in TOO_MUCH else little).append(p.feet_n)
            sessions.add(sid)
            with_presses.add(sid)
    regions = tuple(
        RegionComfort(name, tuple(much), tuple(little), len(sessions))
        for name in REGIONS
        if name in by_region
        for much, little, sessions in [by_region[name]]
    )
    return ComfortMap(client_id, tuple(sorted(with_presses)), regions)


def client_sessions(store: SessionStore, client_id: str) -> list[int]:
    """Ids of the sessions recorded with this client on the table, oldest first."""
    return [i.id for i in store.sessions() if i.meta.client.get("id") == client_id]


def client_comfort(store: SessionStore, client_id: str) -> ComfortMap:
    """The comfort map of a client from every session of theirs in `store`."""
    return comfort_map(
        client_id, {sid: store.presses(sid) for sid in client_sessions(store, client_id)}
    )


def presses_of(
    store: SessionStore, buttons: Iterable[str] = (), client_id: str | None = None
) -> list[tuple[int, PressRecord]]:
    """Every press (session id, press) of the store, in session then time order: only these
    buttons (all when empty) and this client's sessions (all when None). For trainers:
    "the moments the client asked for lighter"."""
    wanted = set(buttons)
    infos = store.sessions()
    return [
        (info.id, p)
        for info in infos
        if client_id is None or info.meta.client.get("id") == client_id
        for p in store.presses(info.id)
        if not wanted or p.button in wanted
    ]


def _json(x: float) -> float | None:
    return None if math.isnan(x) else round(x, 1)
