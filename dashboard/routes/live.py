"""The live websocket: each viewer gets its own mailbox from the hub and a sender task."""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from dashboard.auth import LOGIN_GONE, Logins, websocket_login
from dashboard.hub import Hub, Mailbox

router = APIRouter()


async def _send_loop(ws: WebSocket, box: Mailbox, stall_s: float) -> None:
    """Send what the mailbox holds; give up on a viewer that takes nothing for stall_s
    (it is disconnected and may reconnect)."""
    while True:
        text = await box.get()
        try:
            await asyncio.wait_for(ws.send_text(text), stall_s)
        except TimeoutError:
            return


async def _receive_loop(ws: WebSocket) -> None:
    """Read (and ignore) what the viewer sends, until it goes away."""
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            msg = await ws.receive()
            if msg["type"] == "websocket.disconnect":
                return


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
    for as long as the login lasts: then the socket is closed with LOGIN_GONE."""
    await serve_hub(ws, ws.app.state.hub)


async def serve_hub(ws: WebSocket, hub: Hub) -> None:
    """Send a viewer what `hub` publishes, through its own mailbox, for as long as its login
    lasts (checked at the handshake as for every socket of ours)."""
    token = await websocket_login(ws)
    if token is None:
        return
    await ws.accept()
    box = hub.subscribe()
    stall_s = ws.app.state.settings.viewer_stall_s
    login = asyncio.create_task(_login_ends(ws.app.state.logins, token))
    tasks = {
        asyncio.create_task(_send_loop(ws, box, stall_s)),
        asyncio.create_task(_receive_loop(ws)),
        login,
    }
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        hub.unsubscribe(box)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
    if login.done() and not login.cancelled():  # closed only once the sender stopped
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await ws.close(code=LOGIN_GONE, reason="logged out")
