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
    from types import FrameType

    import uvicorn
    from fastapi import FastAPI


def default_home(environ: dict[str, str] | None = None) -> Path:
    """The studio folder: $ASHISENSE_HOME, else ~/.ashisense."""
    env = os.environ if environ is None else environ
    return Path(env.get("ASHISENSE_HOME") or Path.home() / ".ashisense")


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
    messages (the page sends only acknowledgements), no Server header. Websockets run on
    dashboard.wire's protocol (one frame's bytes written to every viewer, small buffers) and
    uncompressed: compressing each message for each viewer would cost a room computer more
    than the bytes saved on a local network."""
    import uvicorn

    from dashboard.wire import LiveWebSocketProtocol

    proxies = list(settings.trusted_proxies)
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or None,
        ws=LiveWebSocketProtocol,
        ws_max_size=settings.max_body_bytes,
        ws_per_message_deflate=False,
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
        stop_signal = 0  # the signal that stopped it (0: none)

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started:
                announce(settings, token, page)

        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            self.stop_signal = self.stop_signal or sig
            super().handle_exit(sig, frame)

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
    # 128 + the signal, as a shell reports it (130 for Ctrl-C), whether or not uvicorn's
    # raising the signal again outlives asyncio's own handler (it does not when the
    # cancelled main task finishes quietly: a clean stop by Ctrl-C then looked like exit 0).
    return 128 + server.stop_signal if server.stop_signal else 0
