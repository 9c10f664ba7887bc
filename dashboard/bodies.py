"""What the API takes as a request body: standard JSON (no NaN, no Infinity, no number too
large for a float) of at most `max_bytes`, sent as application/json. Anything else is
answered before a route sees it, with a plain message: 413 too large, 415 not JSON, 422 not
standard JSON. Validation errors become plain sentences that never echo what was sent (a
password, say, or a NaN that JSON cannot even carry back)."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Where a validation error sits, which the message need not say ("password", not "body.password").
_LOCATION_KINDS = ("body", "path", "query", "header", "cookie")
MAX_ERRORS_SHOWN = 3


class BodyGuard:
    """ASGI middleware: read each HTTP request body (bounded), check it, hand it on."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send, 413, self._too_large())
            return
        body = await self._read(receive)
        if body is None:
            await self._refuse(scope, receive, send, 413, self._too_large())
            return
        problem = body_problem(body, headers.get("content-type"))
        if problem is not None:
            await self._refuse(scope, receive, send, *problem)
            return
        await self.app(scope, _replay(body, receive), send)

    def _too_large(self) -> str:
        return f"request body too large: at most {self.max_bytes} bytes"

    async def _read(self, receive: Receive) -> bytes | None:
        """The whole body, or None once it grows past max_bytes (the rest is not read)."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks)  # the client went away; the app sees an empty body
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, code: int, text: str) -> None:
        response = JSONResponse({"detail": text}, status_code=code)
        await response(scope, receive, send)


def body_problem(body: bytes, content_type: str | None) -> tuple[int, str] | None:
    """(status, message) when a request body is not one the API takes; None when it is."""
    if not body:
        return None
    if not _is_json_type(content_type):
        return 415, "expected a JSON body sent as Content-Type: application/json"
    try:
        json.loads(body, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        return 422, "the JSON body is nested too deeply"
    except ValueError as err:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        return 422, f"the body is not standard JSON: {err}"
    return None


def _is_json_type(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is too large for a number")
    return value


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive callable that gives the body once, then waits on the client as before."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def validation_text(errors: Sequence[Any]) -> str:
    """Plain sentences for pydantic/FastAPI validation errors, without the values sent."""
    parts = []
    for err in errors[:MAX_ERRORS_SHOWN]:
        loc = [str(x) for x in err.get("loc", ())]
        if loc and loc[0] in _LOCATION_KINDS:
            loc = loc[1:]
        parts.append(f"{'.'.join(loc) or 'body'}: {err.get('msg', 'not valid')}")
    if len(errors) > MAX_ERRORS_SHOWN:
        parts.append(f"and {len(errors) - MAX_ERRORS_SHOWN} more")
    return "; ".join(parts)


async def plain_validation_error(request: Request, exc: Exception) -> JSONResponse:
    """Exception handler: a 422 with validation_text, never the input echoed back."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    return JSONResponse({"detail": validation_text(errors) or "request not valid"}, 422)
