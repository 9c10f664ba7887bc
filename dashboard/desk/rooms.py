"""The desk's data: the overview of every room (also pushed over /ws/desk four times a
second), a room's recent events, a room's live view relayed from the broker."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, WebSocket, status

from dashboard.auth import require_login
from dashboard.routes.live import serve_hub

router = APIRouter()

#: Close code of a room socket for a room the desk never heard of.
UNKNOWN_ROOM = 4404


@router.get("/api/rooms", dependencies=[Depends(require_login)])
def rooms(request: Request) -> dict[str, Any]:
    """The broker link and one row per room (state, people, force, alarms, links)."""
    return dict(request.app.state.feed.overview())


@router.get("/api/rooms/{room_id}/events", dependencies=[Depends(require_login)])
def room_events(room_id: str, request: Request) -> list[dict[str, Any]]:
    """The room's alarm transitions, notes and loss reports the desk took, oldest first."""
    found = request.app.state.feed.room_events(room_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no room {room_id!r} heard of")
    return list(found)


@router.websocket("/ws/desk")
async def desk_socket(ws: WebSocket) -> None:
    """The overview ("rooms" messages), for as long as the login lasts."""
    await serve_hub(ws, ws.app.state.overview)


@router.websocket("/rooms/{room_id}/ws")
async def room_socket(ws: WebSocket, room_id: str) -> None:
    """One room's live-page messages as the room sends them, through the broker."""
    if ws.app.state.feed.room_name(room_id) is None:
        await ws.close(code=UNKNOWN_ROOM, reason="no such room")
        return
    await serve_hub(ws, ws.app.state.relays.hub(room_id))
