"""Controls of the live rig: sessions, baseline, alarms, notes, studio settings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel, Field

from ashisense.alarms import AlarmPolicyError, UnknownRuleError
from ashisense.live import LiveError, LiveRuntime
from ashisense.profiles import UnknownProfileError
from dashboard.auth import require_control, require_login
from dashboard.studio import StudioFileError

router = APIRouter(prefix="/api")
T = TypeVar("T")

# Operator errors and the HTTP status each becomes (the message goes to the page as is).
ERRORS: tuple[tuple[type[Exception], int], ...] = (
    (UnknownProfileError, status.HTTP_404_NOT_FOUND),
    (UnknownRuleError, status.HTTP_404_NOT_FOUND),
    (AlarmPolicyError, status.HTTP_422_UNPROCESSABLE_CONTENT),
    (StudioFileError, status.HTTP_422_UNPROCESSABLE_CONTENT),
    (LiveError, status.HTTP_409_CONFLICT),
)


def runtime_of(request: Request) -> LiveRuntime:
    runtime = getattr(request.app.state, "runtime", None)
    if runtime is None:
        raise HTTPException(status.HTTP_409_CONFLICT, "no rig is running: review only")
    return runtime


def operator_action(action: Callable[[], T]) -> T:
    """Run an operator action; its errors become HTTP errors with the message."""
    try:
        return action()
    except tuple(e for e, _ in ERRORS) as err:
        code = next(c for e, c in ERRORS if isinstance(err, e))
        raise HTTPException(code, str(err)) from err


class StartBody(BaseModel):
    client_id: str | None = None
    therapist_id: str | None = None
    label: str = Field(default="", max_length=200)
    # per region, the limits the therapist accepted from the client's comfort map (N)
    comfort_limits_n: dict[str, float] = Field(default_factory=dict)


class AlarmBody(BaseModel):
    rule_id: str | None = None
    seconds: float | None = Field(default=None, gt=0)


class NoteBody(BaseModel):
    text: str = Field(min_length=1, max_length=2000)


class SettingsBody(BaseModel):
    units: str


@router.get("/profiles", dependencies=[Depends(require_login)])
def profiles(request: Request) -> dict[str, Any]:
    """The studio's clients and therapists, and who is on the rig now."""
    runtime = runtime_of(request)
    p = runtime.config.profiles
    setup = runtime.setup()
    return {
        "clients": [
            {"id": c.id, "weight_kg": c.weight_kg, "height_m": c.height_m}
            for c in p.clients.values()
        ],
        "therapists": [{"id": t.id, "weight_kg": t.weight_kg} for t in p.therapists.values()],
        "client_id": setup.client.id if setup.client else None,
        "therapist_id": setup.therapist.id if setup.therapist else None,
        "session_id": setup.session_id,
    }


@router.post("/session/start", dependencies=[Depends(require_control)])
def start_session(body: StartBody, request: Request) -> dict[str, Any]:
    runtime = runtime_of(request)
    sid = operator_action(
        lambda: runtime.start_session(
            body.client_id, body.therapist_id, body.label, body.comfort_limits_n
        )
    )
    return {"ok": True, "session_id": sid}


@router.post("/session/stop", dependencies=[Depends(require_control)])
def stop_session(request: Request) -> dict[str, Any]:
    """Stop recording; the session's display series for review are derived meanwhile."""
    sid = runtime_of(request).stop_session()
    if sid is not None:
        request.app.state.review.jobs.prepare(sid)
    return {"ok": True, "session_id": sid}


@router.post("/baseline", dependencies=[Depends(require_control)])
def baseline(request: Request) -> dict[str, Any]:
    runtime = runtime_of(request)
    return {"ok": True, "message": operator_action(runtime.take_baseline)}


@router.post("/alarms/ack", dependencies=[Depends(require_control)])
def acknowledge(body: AlarmBody, request: Request) -> dict[str, Any]:
    runtime = runtime_of(request)
    return {"ok": True, "changed": operator_action(lambda: runtime.acknowledge(body.rule_id))}


@router.post("/alarms/pause", dependencies=[Depends(require_control)])
def pause(body: AlarmBody, request: Request) -> dict[str, Any]:
    runtime = runtime_of(request)
    changed = operator_action(lambda: runtime.pause_audio(body.seconds, body.rule_id))
    return {"ok": True, "changed": changed}


@router.post("/notes", dependencies=[Depends(require_control)])
def note(body: NoteBody, request: Request) -> dict[str, Any]:
    runtime = runtime_of(request)
    return {"ok": True, "t_s": operator_action(lambda: runtime.annotate(body.text, "dashboard"))}


@router.post("/device/accept", dependencies=[Depends(require_control)])
def accept_device(request: Request) -> dict[str, Any]:
    """Take the device the link refused as another than the rig's (a person checked it)."""
    runtime = runtime_of(request)
    return {"ok": True, "message": operator_action(runtime.accept_device)}


@router.put("/settings", dependencies=[Depends(require_control)])
def settings(body: SettingsBody, request: Request) -> dict[str, Any]:
    """Studio settings (units: kg or lb); every viewer gets the new setup."""
    state = request.app.state
    operator_action(lambda: state.studio.set_units(body.units))
    state.display.republish_setup()
    return {"ok": True, "units": state.studio.units}
