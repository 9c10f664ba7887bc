"""The client's voice in the dashboard: the client page (large buttons for a phone or tablet
within the client's reach, for rigs without a handset), each client's comfort map, and the
limits proposed from it at the start of a session."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel

from ashisense.client.comfort import client_comfort
from ashisense.profiles import ClientProfile, UnknownProfileError, profile_from_dict
from ashisense.store import StoreError, StoreOpenError, open_store
from dashboard.auth import require_control, require_login
from dashboard.frames import body_view, press_message
from dashboard.routes.controls import operator_action, runtime_of
from dashboard.routes.pages import serve_page

router = APIRouter()


class PressBody(BaseModel):
    button: str


# The client's buttons, for a phone or tablet within their reach.
serve_page(router, "client")
# Each client's comfort map on their body outline.
serve_page(router, "clients")


@router.post("/api/client/press", dependencies=[Depends(require_control)])
def press(body: PressBody, request: Request) -> dict[str, Any]:
    """The client pressed a button of the client page: as a handset press ("stop" alarms)."""
    runtime = runtime_of(request)
    record = operator_action(lambda: runtime.client_press(body.button))
    return {"ok": True, "press": press_message(record)}


@router.get("/api/clients", dependencies=[Depends(require_login)])
def clients(request: Request) -> dict[str, Any]:
    """The studio's clients (profiles, and those of recorded sessions), and who is on the rig."""
    runtime = getattr(request.app.state, "runtime", None)
    ids = list(runtime.config.profiles.clients) if runtime is not None else []
    for info in _sessions(request):
        cid = info.meta.client.get("id")
        if cid and cid not in ids:
            ids.append(cid)
    on_rig = runtime.setup().client if runtime is not None else None
    return {"clients": ids, "client_id": on_rig.id if on_rig else None}


@router.get("/api/clients/{client_id}/comfort", dependencies=[Depends(require_login)])
def comfort(client_id: str, request: Request) -> dict[str, Any]:
    """A client's comfort map per region (forces in N) with the sessions it rests on, and
    their body outline (from their profile, else their newest session's)."""
    profile = _profile(request, client_id)
    try:
        with open_store(request.app.state.settings.store_path, readonly=True) as store:
            data = client_comfort(store, client_id).as_dict()
    except StoreOpenError:  # nothing recorded yet
        data = {"client_id": client_id, "sessions": 0, "session_ids": [], "regions": []}
    return data | {"body": body_view(profile), "units": request.app.state.studio.units}


@router.get("/api/comfort/proposals", dependencies=[Depends(require_login)])
def proposals(request: Request, client_id: str | None = None) -> dict[str, Any]:
    """Per-region limits proposed for a session from the client's comfort map (never above
    the studio's or the client's contraindication limits): the therapist accepts, edits or
    ignores each when starting the session."""
    runtime = runtime_of(request)
    found = operator_action(lambda: runtime.comfort_proposals(client_id))
    client = operator_action(lambda: runtime.comfort(client_id))
    return {
        "client_id": client.client_id,
        "sessions": client.sessions,
        "proposals": [p.as_dict() for p in found],
    }


def _sessions(request: Request) -> list[Any]:
    try:
        with open_store(request.app.state.settings.store_path, readonly=True) as store:
            return store.sessions()
    except StoreError:
        return []


def _profile(request: Request, client_id: str) -> ClientProfile | None:
    """The client's profile: the studio's (live), else their newest session's snapshot."""
    runtime = getattr(request.app.state, "runtime", None)
    if runtime is not None:
        try:
            return runtime.config.profiles.client(client_id)
        except UnknownProfileError:
            pass
    snapshots = [i.meta.client for i in _sessions(request) if i.meta.client.get("id") == client_id]
    if not snapshots:
        if runtime is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no client {client_id!r}")
        return None
    return profile_from_dict(snapshots[-1], ClientProfile, f"client {client_id}")
