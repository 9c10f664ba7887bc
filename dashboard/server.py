"""Running the dashboard under uvicorn from the command line (`ashisense demo` / `serve`)."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from dashboard.settings import DashboardSettings
from dashboard.studio import StudioFile

if TYPE_CHECKING:
    import uvicorn
    from fastapi import FastAPI

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"


def default_home(environ: dict[str, str] | None = None) -> Path:
    """The studio folder: $ASHISENSE_HOME, else ~/.ashisense."""
    env = os.environ if environ is None else environ
    return Path(env.get("ASHISENSE_HOME") or Path.home() / ".ashisense")


def example(relative: str) -> Path:
    """A file of the repository's examples/ folder; FileNotFoundError naming it if absent."""
    path = EXAMPLES_DIR / relative
    if not path.exists():
        raise FileNotFoundError(
            f"expected the example file {path} (run from a clone of the repository, or give "
            "the file explicitly)"
        )
    return path


def login_secret(settings: DashboardSettings, reset: bool = False) -> str | None:
    """Make sure a login secret exists; a new one is returned (to show once: only its hash
    is kept), None when the studio already has one."""
    studio = StudioFile(settings.studio_file)
    if reset:
        token = StudioFile.new_token()
        studio.set_secret(token)
        return token
    return studio.ensure_secret()


def announce(settings: DashboardSettings, token: str | None, page: str = "/live") -> None:
    """Print where the dashboard is (once it listens) and a new password if there is one."""
    print(f"AshiSense dashboard: http://{settings.host}:{settings.port}{page}", flush=True)
    if token is not None:
        print(
            f"login password: {token}\n"
            f"  (shown once; only its hash is kept in {settings.studio_file}; "
            "--reset-password makes a new one)",
            flush=True,
        )
    else:
        print(f"log in with the studio password (set in {settings.studio_file})", flush=True)


def uvicorn_config(app: FastAPI, settings: DashboardSettings) -> uvicorn.Config:
    """How uvicorn runs the dashboard: forwarded headers believed only from the proxies
    settings name (uvicorn would otherwise trust any from 127.0.0.1), small websocket
    messages (the page sends none), no Server header."""
    import uvicorn

    proxies = list(settings.trusted_proxies)
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or None,
        ws_max_size=settings.max_body_bytes,
        server_header=False,
    )


def serve(
    settings: DashboardSettings,
    reset_password: bool = False,
    make_app: Callable[[], FastAPI] | None = None,
    page: str = "/live",
) -> int:
    """Serve until Ctrl-C; the URL of `page` (and a first-run password) is printed once it
    listens. make_app: the app to serve (default: the room's dashboard for settings)."""
    import uvicorn

    from dashboard.app import create_app

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started:
                announce(settings, token, page)

    settings.home.mkdir(parents=True, exist_ok=True)
    token = login_secret(settings, reset_password)
    app = make_app() if make_app is not None else create_app(settings)
    server = Server(uvicorn_config(app, settings))
    server.run()
    if not server.started:
        print(f"could not serve on {settings.host}:{settings.port}", file=sys.stderr)
        if token is not None:  # set already: do not lose it
            print(f"login password (set, shown once): {token}", file=sys.stderr)
        return 2
    return 0
