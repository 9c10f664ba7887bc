"""The calibration page and its API: choose what to calibrate and the known weights, then
walk the steps of the procedure `ashisense calibrate` walks; the page polls the state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel, Field

from ashisense.live import LiveError
from calibration.errors import CalibrationError
from calibration.geometry import RigGeometry
from calibration.plan import PlanSettings
from dashboard.auth import require_control, require_login
from dashboard.calibration_run import CalibrationDesk
from dashboard.routes.controls import runtime_of
from dashboard.routes.pages import serve_page

router = APIRouter()
T = TypeVar("T")
DEFAULTS = PlanSettings()

Kg = Annotated[float, Field(gt=0, le=500)]


class StartBody(BaseModel):
    """What to calibrate and the weights the studio has (kg); None keeps the default."""

    what: Literal["both", "bars", "mat"] = "both"
    bar_stack_kg: list[Kg] | None = Field(default=None, min_length=1, max_length=10)
    bar_single_kg: Kg | None = None
    mat_stack_kg: list[Kg] | None = Field(default=None, min_length=1, max_length=10)
    mat_single_kg: Kg | None = None


class StepBody(BaseModel):
    """The step the page showed (its index), so a stale page cannot act on another one."""

    step: int | None = None


def _desk(request: Request) -> CalibrationDesk:
    return request.app.state.calibration


def _do(action: Callable[[], T]) -> T:
    """Run a calibration action; the operator's errors become 409 with their message."""
    try:
        return action()
    except (LiveError, CalibrationError, OSError) as err:
        raise HTTPException(status.HTTP_409_CONFLICT, str(err)) from err


def _state(request: Request) -> dict[str, Any]:
    """What the page shows: the rig, whether it records, the run (None before the first)."""
    state = request.app.state
    runtime = state.runtime
    hello = runtime.hello if runtime is not None else None
    run = _desk(request).run
    groups = []
    if runtime is not None:
        try:
            groups = [
                {"name": g.name, "kind": g.kind}
                for g in RigGeometry.from_rig(runtime.setup().rig).groups
            ]
        except CalibrationError:
            groups = []
    return {
        "live": runtime is not None,
        "device": None if hello is None else {"serial": hello.serial, "rate_hz": hello.rate_hz},
        "session_id": runtime.setup().session_id if runtime is not None else None,
        "groups": groups,
        "defaults": {
            "bar_stack_kg": list(DEFAULTS.bar_stack_kg),
            "bar_single_kg": DEFAULTS.bar_single_kg,
            "mat_stack_kg": list(DEFAULTS.mat_stack_kg),
            "mat_single_kg": DEFAULTS.mat_single_kg,
        },
        "run": run.snapshot() if run is not None else None,
    }


def _settings(body: StartBody, groups: list[str]) -> PlanSettings:
    wanted = [
        g
        for g in groups
        if body.what == "both" or (g.startswith("bar_") if body.what == "bars" else g == "mat")
    ]
    if not wanted:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"what: this rig has nothing to calibrate as {body.what!r} (its groups: {groups})",
        )
    return PlanSettings(
        bar_stack_kg=tuple(body.bar_stack_kg or DEFAULTS.bar_stack_kg),
        bar_single_kg=body.bar_single_kg or DEFAULTS.bar_single_kg,
        mat_stack_kg=tuple(body.mat_stack_kg or DEFAULTS.mat_stack_kg),
        mat_single_kg=body.mat_single_kg or DEFAULTS.mat_single_kg,
        groups=tuple(wanted),
    )


serve_page(router, "calibration")


@router.get("/api/calibration", dependencies=[Depends(require_login)])
def calibration_state(request: Request) -> dict[str, Any]:
    """The rig and the calibration run, polled by the page."""
    return _state(request)


@router.post("/api/calibration/start", dependencies=[Depends(require_control)])
def start(body: StartBody, request: Request) -> dict[str, Any]:
    """Begin a calibration (refused while a session records or another run captures)."""
    runtime = runtime_of(request)
    groups = [g["name"] for g in _state(request)["groups"]]
    settings = _settings(body, groups)
    folder = runtime.setup().rig.calibration_folder(
        request.app.state.settings.home / "calibrations"
    )
    _do(lambda: _desk(request).start(runtime, settings, folder))
    return _state(request)


@router.post("/api/calibration/begin", dependencies=[Depends(require_control)])
def begin(body: StepBody, request: Request) -> dict[str, Any]:
    """The current step's load is in place: capture it once it is at rest."""
    _do(lambda: _desk(request).current().begin(body.step))
    return _state(request)


@router.post("/api/calibration/skip", dependencies=[Depends(require_control)])
def skip(body: StepBody, request: Request) -> dict[str, Any]:
    """Leave the current load step out of the fit."""
    _do(lambda: _desk(request).current().skip(body.step))
    return _state(request)


@router.post("/api/calibration/abort", dependencies=[Depends(require_control)])
def abort(request: Request) -> dict[str, Any]:
    """Stop the calibration (or close a finished one); nothing more is saved."""
    _desk(request).close()
    return _state(request)


@router.post("/api/calibration/save", dependencies=[Depends(require_control)])
def save(request: Request) -> dict[str, Any]:
    """Write the calibration file into the rig's history folder."""
    saved = _do(lambda: _desk(request).current().save())
    return {**_state(request), "saved": saved}
