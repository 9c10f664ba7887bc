"""The client's presses for the review page: one session's (marks on its timeline), and the
moments across sessions a client asked for a button (a trainer's filter: "lighter")."""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status

from ashisense.bodymap import REGION_TITLES
from ashisense.client.comfort import presses_of
from ashisense.store import PressRecord, SessionNotFoundError, StoreOpenError, open_store
from dashboard.auth import require_login
from dashboard.frames import num
from firmware_bridge.events import BUTTONS

router = APIRouter(prefix="/api")


def press_row(p: PressRecord, session_id: int | None = None) -> dict[str, Any]:
    """A stored press as JSON (forces in N; the page converts to the studio's unit)."""
    return {
        "session_id": session_id,
        "t_s": num(p.t_s, 3),
        "button": p.button,
        "source": p.source,
        "feet_n": num(p.feet_n, 1),
        "region": p.region or None,
        "region_text": REGION_TITLES.get(p.region, ""),
        "pressure_kpa": num(p.pressure_kpa, 1),
        "pressure_basis": p.pressure_basis,
        "feet_after_n": num(p.feet_after_n, 1),
        "change_n": num(p.feet_after_n - p.feet_n, 1)
        if not math.isnan(p.feet_after_n - p.feet_n)
        else None,
    }


@router.get("/sessions/{session_id}/presses", dependencies=[Depends(require_login)])
def session_presses(session_id: int, request: Request) -> dict[str, Any]:
    """The client's presses of one session, in time order."""
    try:
        with open_store(request.app.state.settings.store_path, readonly=True) as store:
            rows = store.presses(session_id)
    except (SessionNotFoundError, StoreOpenError) as err:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(err)) from err
    return {"session_id": session_id, "presses": [press_row(p, session_id) for p in rows]}


@router.get("/presses", dependencies=[Depends(require_login)])
def presses(
    request: Request,
    button: list[str] = Query(default=[]),  # noqa: B008 (FastAPI's way to take a list)
    client_id: str | None = None,
) -> dict[str, Any]:
    """Presses across sessions, newest session first: only these buttons (all when none
    named) and this client's sessions (all when none named)."""
    unknown = [b for b in button if b not in BUTTONS]
    if unknown:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"button: expected {', '.join(BUTTONS)}, got {', '.join(map(repr, unknown))}",
        )
    try:
        with open_store(request.app.state.settings.store_path, readonly=True) as store:
            found = presses_of(store, button, client_id)
            clients = {i.id: i.meta.client.get("id") for i in store.sessions()}
    except StoreOpenError:
        found, clients = [], {}
    rows = [press_row(p, sid) | {"client_id": clients.get(sid)} for sid, p in reversed(found)]
    return {"buttons": button, "client_id": client_id, "presses": rows}
