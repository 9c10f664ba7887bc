"""The desk's pages: the rooms overview, a room's live view (the room's own live page, told
to watch that room through the desk), the review page and the login."""

from __future__ import annotations

import html
import re

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse

from dashboard.routes.pages import page_html, serve_page, shared_router

router = APIRouter()
router.include_router(shared_router)


@router.get("/", include_in_schema=False)
@router.get("/live", include_in_schema=False)  # where a login goes when not told otherwise
def index() -> RedirectResponse:
    return RedirectResponse("/desk")


serve_page(router, "desk")


@router.get("/rooms/{room_id}", include_in_schema=False)
def room_redirect(room_id: str) -> RedirectResponse:
    return RedirectResponse(f"/rooms/{room_id}/")


@router.get("/rooms/{room_id}/", include_in_schema=False)
def room_page(room_id: str, request: Request) -> HTMLResponse:
    """The live page, its socket this room's relay (rooms/<id>/ws), its controls hidden."""
    name = request.app.state.feed.room_name(room_id)
    if name is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no room {room_id!r} heard of")
    text = page_html("live")
    told = f' data-socket="ws" data-room="{html.escape(name, quote=True)}"'
    page, found = re.subn(r"<body\b", lambda m: m.group(0) + told, text, count=1)
    if not found:
        raise RuntimeError("live.html: expected a <body> tag to tell the room's socket")
    return HTMLResponse(page)
