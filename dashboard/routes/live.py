"""The live websocket: each viewer is a Viewer of the hub, written to directly by it, with a
task that sends what waited for it, one that takes its acknowledgements, and its login."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from dashboard.auth import LOGIN_GONE, Logins, websocket_login
from dashboard.hub import Hub, Viewer
from dashboard.wire import EXTENSION, LiveWebSocketProtocol

log = logging.getLogger(__name__)
router = APIRouter()
#: Close code for a viewer cut because it stayed behind (its page reconnects).
VIEWER_BEHIND = 4408


async def _receive_loop(ws: WebSocket, viewer: Viewer) -> None:
    """Take the viewer's acknowledgements (`{"type": "ack", "seq": N}`) until it goes away;
    anything else it sends is ignored."""
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            msg = await ws.receive()
            if msg["type"] == "websocket.disconnect":
                return
            seq = _acked_seq(msg.get("text"))
            if seq is not None:
                viewer.ack(seq)


def _acked_seq(text: str | None) -> int | None:
    if not text or len(text) > 100:
        return None
    try:
        msg = json.loads(text)
    except ValueError:
        return None
    seq = msg.get("seq") if isinstance(msg, dict) and msg.get("type") == "ack" else None
    return seq if isinstance(seq, int) else None


async def _login_ends(logins: Logins, token: str) -> None:
    """Return when this login is revoked (logout) or expires."""
    loop = asyncio.get_running_loop()
    ended = asyncio.Event()

    def revoked() -> None:  # called in the thread that revoked the login
        with contextlib.suppress(RuntimeError):  # the loop closed: the server is stopping
            loop.call_soon_threadsafe(ended.set)

    unwatch = logins.watch(token, revoked)
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ended.wait(), logins.seconds_left(token))
    finally:
        unwatch()


@router.websocket("/ws/live")
async def live_socket(ws: WebSocket) -> None:
    """Setup, status, alarms, grid and frames as JSON text messages (see dashboard.frames),
    for as long as the login lasts: then the socket is closed with LOGIN_GONE. A viewer that
    stays behind for the settings' viewer_stall_s is cut with VIEWER_BEHIND."""
    await serve_hub(ws, ws.app.state.hub)


async def serve_hub(ws: WebSocket, hub: Hub) -> None:
    """Make the socket a viewer of `hub` for as long as its login lasts (checked at the
    handshake as for every socket of ours): the live page's, or a room's seen from the desk."""
    token = await websocket_login(ws)
    if token is None:
        return
    socket: LiveWebSocketProtocol | None = ws.scope.get("extensions", {}).get(EXTENSION)
    if socket is None:
        log.error("%s needs uvicorn run with dashboard.server.uvicorn_config", ws.url.path)
        await ws.close(code=1011, reason="server misconfigured")
        return
    await ws.accept()
    viewer = hub.subscribe(socket)
    pump = asyncio.create_task(viewer.pump(ws.app.state.settings.viewer_stall_s))
    login = asyncio.create_task(_login_ends(ws.app.state.logins, token))
    tasks = {pump, asyncio.create_task(_receive_loop(ws, viewer)), login}
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        hub.unsubscribe(viewer)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
    if not socket.is_open:
        return
    if login.done() and not login.cancelled():
        await _close(ws, socket, LOGIN_GONE, "logged out")
    elif pump.done() and not pump.cancelled():
        await _close(ws, socket, VIEWER_BEHIND, "too far behind")


async def _close(ws: WebSocket, socket: LiveWebSocketProtocol, code: int, reason: str) -> None:
    """Close with `code`; a socket that takes nothing more is dropped instead (a close frame
    would wait behind the bytes it never reads)."""
    if socket.full:
        socket.abort()
        return
    with contextlib.suppress(RuntimeError, WebSocketDisconnect):
        await ws.close(code=code, reason=reason)
