"""The dashboard's HTML pages, and the routes of three of them (live; review and login,
which the studio's desk serves too: `shared_router`).

Every page shares one head (here); static/NAME.html holds the page's body, PAGES its title
and the stylesheets and module scripts it loads beyond app.css. A line `<!--#part NAME -->`
in a body stands for static/parts/NAME.html: a panel's markup that several pages show alike
(the scripts in views.js fill it by its class names).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse

router = APIRouter()
#: The pages a room and the desk both serve.
shared_router = APIRouter()

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


@dataclass(frozen=True)
class Page:
    """A page's title ("AshiSense · title"), stylesheets and scripts (names in static/css,
    static/js); zoom False: no pinch zoom (the client's buttons, pressed in a hurry)."""

    title: str
    css: tuple[str, ...] = ()
    js: tuple[str, ...] = ()
    zoom: bool = True


#: Page name -> its head; its body is static/NAME.html.
PAGES: dict[str, Page] = {
    "live": Page("live", css=("client",), js=("live",)),
    "review": Page("review", css=("review", "client"), js=("review", "presses")),
    "login": Page("log in", js=("login",)),
    "calibration": Page("calibrate", js=("calibration",)),
    "client": Page("client", css=("client",), js=("client",), zoom=False),
    "clients": Page("clients", css=("client",), js=("comfort",)),
    "desk": Page("studio desk", js=("desk",)),
}

_HEAD = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1{no_zoom}">
<title>AshiSense · {title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/css/app.css">
{links}</head>
"""
_PART = re.compile(r"^ *<!--#part (\w+) -->\n", re.MULTILINE)


def page_html(name: str) -> str:
    """The whole page NAME: the shared head with the page's own, then its body file."""
    page = PAGES[name]
    links = [f'<link rel="stylesheet" href="/static/css/{css}.css">\n' for css in page.css]
    links += [f'<script type="module" src="/static/js/{js}.js"></script>\n' for js in page.js]
    head = _HEAD.format(
        no_zoom="" if page.zoom else ", user-scalable=no", title=page.title, links="".join(links)
    )
    body = _PART.sub(_part, (STATIC_DIR / f"{name}.html").read_text(encoding="utf-8"))
    return f"{head}{body}</html>\n"


def _part(match: re.Match[str]) -> str:
    """The markup of the part a `<!--#part NAME -->` line names."""
    return (STATIC_DIR / "parts" / f"{match[1]}.html").read_text(encoding="utf-8")


def page_response(name: str) -> HTMLResponse:
    """The page NAME as a response."""
    return HTMLResponse(page_html(name))


def serve_page(router: APIRouter, name: str) -> None:
    """Serve the page NAME at GET /NAME on ROUTER."""

    def page() -> HTMLResponse:
        return page_response(name)

    router.add_api_route(
        f"/{name}", page, methods=["GET"], name=f"{name}_page", include_in_schema=False
    )


@router.get("/", include_in_schema=False)
def index() -> RedirectResponse:
    return RedirectResponse("/live")


serve_page(router, "live")
serve_page(shared_router, "review")
serve_page(shared_router, "login")
router.include_router(shared_router)
