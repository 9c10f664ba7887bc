"""The three pages (live, review, login); their data comes from the API after login."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse

router = APIRouter()

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
PAGES = {"live": "live.html", "review": "review.html", "login": "login.html"}


@router.get("/", include_in_schema=False)
def index() -> RedirectResponse:
    return RedirectResponse("/live")


def _page(name: str) -> FileResponse:
    return FileResponse(STATIC_DIR / PAGES[name], media_type="text/html")


@router.get("/live", include_in_schema=False)
def live_page() -> FileResponse:
    return _page("live")


@router.get("/review", include_in_schema=False)
def review_page() -> FileResponse:
    return _page("review")


@router.get("/login", include_in_schema=False)
def login_page() -> FileResponse:
    return _page("login")
