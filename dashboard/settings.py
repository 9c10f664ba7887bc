"""Dashboard settings: read at the edge (CLI, environment) and handed to create_app."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ashisense.live import LiveConfig
    from ashisense.studio import RoomConfig

LOOPBACK_HOSTS = ("127.0.0.1", "localhost")


@dataclass(frozen=True)
class DashboardSettings:
    """Everything the app needs; nothing is read from the environment behind its back.

    home: the studio folder (studio.json with the hashed password and units; exports/ for
    downloads). store_path: the SQLite session store. live: the rig to run live (None serves
    recorded sessions only). host/port: where uvicorn binds (127.0.0.1 unless told otherwise).
    allowed_hosts: Host header names accepted besides the loopback names and the bind address
    (the check guards against DNS rebinding). allowed_origins: extra
    websocket/control origins besides the page's own. login_ttl_s: how long a login lasts.
    viewer_stall_s: a viewer that stays behind this long (its socket or its page takes none of
    what waits for it; dashboard.hub) is cut; its page reconnects.
    login_attempts_per_min: wrong passwords allowed per client address and minute.
    trusted_proxies: addresses of a reverse proxy in front of the dashboard whose
    X-Forwarded-For/-Proto headers are believed (`--behind-proxy`); empty: those headers are
    ignored, so nobody can pose as another address to dodge the login limit.
    max_body_bytes: largest request body accepted (the API takes small JSON documents).
    """

    home: Path
    store_path: Path
    live: LiveConfig | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    allowed_hosts: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = ()
    login_ttl_s: float = 12 * 3600.0
    viewer_stall_s: float = 5.0
    login_attempts_per_min: int = 10
    trusted_proxies: tuple[str, ...] = ()
    max_body_bytes: int = 64 * 1024
    room: RoomConfig | None = None
    store_url: str | None = None

    @property
    def store(self) -> str | Path:
        """Where the review reads sessions: store_url when set, else the session file."""
        return self.store_url or self.store_path

    @property
    def studio_file(self) -> Path:
        return self.home / "studio.json"

    @property
    def exports_dir(self) -> Path:
        return self.home / "exports"

    def host_names(self) -> tuple[str, ...]:
        """Host header names the server answers to ("*": any, when bound to every address
        and no names were given)."""
        everywhere = self.host in ("0.0.0.0", "::", "")
        if everywhere and not self.allowed_hosts:
            return ("*",)
        own = () if everywhere or _is_loopback(self.host) else (self.host,)
        return tuple(dict.fromkeys((*own, *LOOPBACK_HOSTS, *self.allowed_hosts)))


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
