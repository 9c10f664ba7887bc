"""Logins: random tokens held in memory after the studio secret was checked; origin checks.

A login sets an HttpOnly, SameSite=Strict cookie (browsers) and also returns the token for
API clients (`Authorization: Bearer <token>`). Requests that change something (controls,
logout) carry the page's own Origin, or a Bearer token no other page can send on its own, so
another site open in the same browser (even one on another port of this host) cannot drive
them. A live socket lasts as long as its login: logout or expiry closes it with LOGIN_GONE.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from urllib.parse import urlsplit

from fastapi import HTTPException, Request, WebSocket, status
from starlette.requests import HTTPConnection

COOKIE = "ashisense_login"
# Websocket close codes the page understands: the login is gone (go to the login page), and
# the page's origin is not ours.
LOGIN_GONE = 4401
ORIGIN_REFUSED = 4403


class Logins:
    """Live login tokens with their expiry (monotonic seconds) and the name the person gave
    (the author of their notes), and who to tell when one is revoked (the live sockets
    opened with it)."""

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._tokens: dict[str, float] = {}
        self._names: dict[str, str] = {}
        self._watchers: dict[str, set[Callable[[], None]]] = {}
        self._lock = threading.Lock()

    def create(self, name: str = "") -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            now = time.monotonic()
            self._tokens = {t: exp for t, exp in self._tokens.items() if exp > now}
            self._names = {t: n for t, n in self._names.items() if t in self._tokens}
            self._tokens[token] = now + self.ttl_s
            self._names[token] = name
        return token

    def name(self, token: str | None) -> str:
        """The name given at this login ("" when none was given or the login is gone)."""
        with self._lock:
            return self._names.get(token or "", "")

    def valid(self, token: str | None) -> bool:
        if not token:
            return False
        with self._lock:
            expiry = self._tokens.get(token)
        return expiry is not None and expiry > time.monotonic()

    def seconds_left(self, token: str) -> float:
        """How long this login still lasts (0 when it is gone)."""
        with self._lock:
            expiry = self._tokens.get(token)
        return 0.0 if expiry is None else max(0.0, expiry - time.monotonic())

    def watch(self, token: str, on_revoked: Callable[[], None]) -> Callable[[], None]:
        """Call on_revoked (once, in the revoking thread) when this login is revoked; returns
        the function that stops watching."""
        with self._lock:
            self._watchers.setdefault(token, set()).add(on_revoked)

        def unwatch() -> None:
            with self._lock:
                watchers = self._watchers.get(token, set())
                watchers.discard(on_revoked)
                if not watchers:
                    self._watchers.pop(token, None)

        return unwatch

    def revoke(self, token: str | None) -> None:
        with self._lock:
            self._tokens.pop(token or "", None)
            self._names.pop(token or "", None)
            watchers = self._watchers.pop(token or "", set())
        for on_revoked in watchers:
            on_revoked()


class LoginLimiter:
    """At most `per_minute` wrong passwords per client address in any 60 s.

    An attempt counts from the moment it is admitted, before its password is checked, so
    guesses sent all at once count as well as guesses sent one after another; a right
    password takes its attempt back.
    """

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._attempts: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def admit(self, who: str) -> float | None:
        """Count an attempt from `who`; its mark (for forgive), or None when it must wait."""
        with self._lock:
            now = time.monotonic()
            # addresses with no attempt in the last minute are forgotten: bounded memory
            self._attempts = {w: m for w, m in self._attempts.items() if m and m[-1] >= now - 60}
            marks = self._attempts.setdefault(who, deque())
            while marks and marks[0] < now - 60.0:
                marks.popleft()
            if len(marks) >= self.per_minute:
                return None
            marks.append(now)
            return now

    def forgive(self, who: str, mark: float) -> None:
        """The attempt marked `mark` had the right password: it does not count."""
        with self._lock, contextlib.suppress(ValueError):
            self._attempts.get(who, deque()).remove(mark)


def bearer_of(conn: HTTPConnection) -> str | None:
    """The token of an `Authorization: Bearer` header (API clients), if any."""
    header = conn.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def token_of(conn: HTTPConnection) -> str | None:
    """The login token a request or websocket carries (Bearer header, else cookie)."""
    return bearer_of(conn) or conn.cookies.get(COOKIE)


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


def require_same_origin(request: Request) -> None:
    """Dependency for state-changing requests: our own Origin, or none from an API client
    with a Bearer token. A cookie alone proves nothing: the browser adds it to requests that
    other pages of the same site start; browsers send Origin with every such request."""
    if "origin" not in request.headers:
        if bearer_of(request) is None:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "request without an Origin refused")
        return
    if not origin_allowed(request, request.app.state.settings.allowed_origins):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "request from another origin refused")


def require_control(request: Request) -> str:
    """Dependency for controls: a login, from our own origin (see require_same_origin)."""
    token = require_login(request)
    require_same_origin(request)
    return token


async def websocket_login(ws: WebSocket) -> str | None:
    """Check a websocket handshake; the login token when it may go on. Another origin is
    refused at the handshake (HTTP 403); a missing or ended login is accepted and closed
    with LOGIN_GONE, which a browser's page can see (a refused handshake it cannot)."""
    state = ws.app.state
    if not origin_allowed(ws, state.settings.allowed_origins):
        await ws.close(code=ORIGIN_REFUSED, reason="origin not allowed")
        return None
    token = token_of(ws)
    if token is None or not state.logins.valid(token):
        await ws.accept()
        await ws.close(code=LOGIN_GONE, reason="login required")
        return None
    return token
