"""The live websocket: each viewer gets its own mailbox from the hub and a sender task."""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from dashboard.auth import websocket_allowed
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


@router.websocket("/ws/live")
async def live_socket(ws: WebSocket) -> None:
    """Setup, status, alarms, grid and frames as JSON text messages (see dashboard.frames)."""
    if not await websocket_allowed(ws):
        return
    await ws.accept()
    hub: Hub = ws.app.state.hub
    box = hub.subscribe()
    stall_s = ws.app.state.settings.viewer_stall_s
    tasks = {
        asyncio.create_task(_send_loop(ws, box, stall_s)),
        asyncio.create_task(_receive_loop(ws)),
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
