"""Logins: random tokens held in memory after the studio secret was checked; origin checks.

A login sets an HttpOnly, SameSite=Strict cookie (browsers) and also returns the token for
API clients (`Authorization: Bearer <token>`). Controls refuse requests whose Origin is not
the page's own, so another site open in the same browser cannot drive them.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from urllib.parse import urlsplit

from fastapi import HTTPException, Request, WebSocket, status
from starlette.requests import HTTPConnection

COOKIE = "ashisense_login"


class Logins:
    """Live login tokens with their expiry (monotonic seconds)."""

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._tokens: dict[str, float] = {}
        self._lock = threading.Lock()

    def create(self) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            now = time.monotonic()
            self._tokens = {t: exp for t, exp in self._tokens.items() if exp > now}
            self._tokens[token] = now + self.ttl_s
        return token

    def valid(self, token: str | None) -> bool:
        if not token:
            return False
        with self._lock:
            expiry = self._tokens.get(token)
        return expiry is not None and expiry > time.monotonic()

    def revoke(self, token: str | None) -> None:
        with self._lock:
            self._tokens.pop(token or "", None)


class LoginLimiter:
    """At most `per_minute` wrong passwords per client address in any 60 s."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, who: str, now: float) -> deque[float]:
        marks = self._failures.setdefault(who, deque())
        while marks and marks[0] < now - 60.0:
            marks.popleft()
        return marks

    def blocked(self, who: str) -> bool:
        with self._lock:
            return len(self._recent(who, time.monotonic())) >= self.per_minute

    def failed(self, who: str) -> None:
        with self._lock:
            now = time.monotonic()
            self._recent(who, now).append(now)


def token_of(conn: HTTPConnection) -> str | None:
    """The login token a request or websocket carries (cookie, else Bearer header)."""
    header = conn.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return conn.cookies.get(COOKIE)


def origin_allowed(conn: HTTPConnection, extra: tuple[str, ...]) -> bool:
    """True when the Origin header names this server (as the browser reached it) or an
    allowed extra origin. The Host header itself is checked by TrustedHostMiddleware."""
    origin = conn.headers.get("origin")
    if origin is None:
        return False
    if origin in extra:
        return True
    parts = urlsplit(origin)
    scheme = "https" if conn.url.scheme in ("https", "wss") else "http"
    return parts.scheme == scheme and parts.netloc == conn.headers.get("host", "")


def require_login(request: Request) -> str:
    """Dependency: the caller's login token; 401 without a valid one."""
    token = token_of(request)
    if not request.app.state.logins.valid(token):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "login required")
    return token or ""


def require_control(request: Request) -> str:
    """Dependency for state-changing requests: a login and, from browsers, our own Origin."""
    token = require_login(request)
    # Browsers send Origin on every POST; an API client without one holds a Bearer token.
    has_origin = "origin" in request.headers
    if has_origin and not origin_allowed(request, request.app.state.settings.allowed_origins):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "request from another origin refused")
    return token


async def websocket_allowed(ws: WebSocket) -> bool:
    """Check a websocket handshake: our own Origin and a valid login; close with 403 otherwise."""
    state = ws.app.state
    if not origin_allowed(ws, state.settings.allowed_origins):
        await ws.close(code=4403, reason="origin not allowed")
        return False
    if not state.logins.valid(token_of(ws)):
        await ws.close(code=4401, reason="login required")
        return False
    return True
