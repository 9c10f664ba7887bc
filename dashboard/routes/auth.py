"""Log in with the studio password (or first-run token), log out, ask who we are."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from pydantic import BaseModel, Field

from dashboard.auth import COOKIE, origin_allowed, require_same_origin, token_of

router = APIRouter(prefix="/api")


class LoginBody(BaseModel):
    password: str = Field(min_length=1, max_length=256)
    #: Who logs in (optional): the author of the notes they write.
    name: str = Field(default="", max_length=60)


@router.post("/login")
def login(body: LoginBody, request: Request, response: Response) -> dict[str, Any]:
    """Check the password; set the login cookie and return the token (for API clients)."""
    state = request.app.state
    if "origin" in request.headers and not origin_allowed(request, state.settings.allowed_origins):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "login from another origin refused")
    who = request.client.host if request.client else "?"
    mark = state.limiter.admit(who)
    if mark is None:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, "too many wrong passwords; wait")
    if not state.studio.check(body.password):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong password")
    state.limiter.forgive(who, mark)
    token = state.logins.create(body.name.strip())
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(state.settings.login_ttl_s),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return {"ok": True, "token": token}


@router.post("/logout", dependencies=[Depends(require_same_origin)])
def logout(request: Request, response: Response) -> dict[str, Any]:
    """End this login (its live sockets close) and drop the cookie."""
    request.app.state.logins.revoke(token_of(request))
    response.delete_cookie(
        COOKIE, path="/", httponly=True, samesite="strict", secure=request.url.scheme == "https"
    )
    return {"ok": True}


@router.get("/me")
def me(request: Request) -> dict[str, Any]:
    """Whether this browser is logged in, the studio's units, and whether a rig runs live."""
    state = request.app.state
    token = token_of(request)
    logged_in = state.logins.valid(token)
    return {
        "logged_in": logged_in,
        "name": state.logins.name(token) if logged_in else "",
        "units": state.studio.units,
        "live": getattr(state, "runtime", None) is not None,
    }
