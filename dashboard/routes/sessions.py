"""Recorded sessions: the list, the review series, trainers' notes, exports, reports and
downloads (which never reach outside the exports folder)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from ashisense.store import Annotation, SessionNotFoundError, StoreError, open_store
from dashboard.auth import require_control, require_login

router = APIRouter()


EXPORT_FORMATS = {"csv": "csv", "parquet": "parquet"}


class ExportBody(BaseModel):
    format: str = "csv"


class ReportBody(BaseModel):
    compare: int | None = None


class TrainerNote(BaseModel):
    t_s: float
    text: str = Field(min_length=1, max_length=2000)


@router.get("/api/sessions", dependencies=[Depends(require_login)])
def list_sessions(request: Request) -> list[dict[str, Any]]:
    """Every recorded session, newest first."""
    return request.app.state.series.sessions()


@router.get("/api/sessions/{session_id}/series", dependencies=[Depends(require_login)])
def series(session_id: int, request: Request) -> dict[str, Any]:
    """A session derived again from its raw counts, thinned for playback, with its logs."""
    state = request.app.state
    try:
        return state.series.get(session_id, state.studio.units)
    except SessionNotFoundError as err:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(err)) from err
    except (StoreError, ValueError) as err:  # unreadable snapshot: say what
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(err)) from err


@router.post("/api/sessions/{session_id}/notes", dependencies=[Depends(require_control)])
def add_note(session_id: int, body: TrainerNote, request: Request) -> dict[str, Any]:
    """A trainer's note pinned to a time of a recorded session."""
    try:
        with open_store(request.app.state.settings.store) as store:
            store.add_annotation(session_id, Annotation(body.t_s, body.text, "review"))
    except SessionNotFoundError as err:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(err)) from err
    return {"ok": True}


def _produce(request: Request, name: str, write: Callable[[Path], None]) -> dict[str, Any]:
    """Write a download into the exports folder (atomically) and return its URL."""
    folder: Path = request.app.state.settings.exports_dir
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{name}.{uuid.uuid4().hex}.part"
    try:
        write(tmp)
        os.replace(tmp, folder / name)
    except SessionNotFoundError as err:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(err)) from err
    except (StoreError, ValueError) as err:  # nothing to export, unreadable snapshot
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(err)) from err
    finally:
        tmp.unlink(missing_ok=True)
    return {"ok": True, "url": f"/downloads/{name}"}


@router.post("/api/sessions/{session_id}/export", dependencies=[Depends(require_control)])
def export(session_id: int, body: ExportBody, request: Request) -> dict[str, Any]:
    """One row per sample (derived again from the raw counts) as CSV or Parquet."""
    from ashisense.session.export import export_session

    ext = EXPORT_FORMATS.get(body.format)
    if ext is None:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"format: expected one of {', '.join(EXPORT_FORMATS)}, got {body.format!r}",
        )
    store_path = request.app.state.settings.store

    def write(path: Path) -> None:
        with open_store(store_path, readonly=True) as store:
            export_session(store, session_id, path, body.format)

    return _produce(request, f"session-{session_id}.{ext}", write)


@router.post("/api/sessions/{session_id}/report", dependencies=[Depends(require_control)])
def report(session_id: int, body: ReportBody, request: Request) -> dict[str, Any]:
    """The trainer's HTML report (optionally beside another session of the same store)."""
    from ashisense.report import make_report

    store_path = request.app.state.settings.store
    ids = [session_id] + ([body.compare] if body.compare is not None else [])

    def write(path: Path) -> None:
        with open_store(store_path, readonly=True) as store:
            sessions = [(store, i) for i in ids]
            page = make_report(sessions, source=_source(store_path), progress=False)
        path.write_text(page, encoding="utf-8")

    suffix = f"-vs-{body.compare}" if body.compare is not None else ""
    return _produce(request, f"report-{session_id}{suffix}.html", write)


def _source(store: str | Path) -> str:
    """How a report names where its sessions come from: the file's name, or the database."""
    return store.name if isinstance(store, Path) else str(store).split("@")[-1]


def safe_path(folder: Path, name: str) -> Path:
    """`folder/name` if it is a file inside `folder` (after resolving links); 404 otherwise."""
    base = folder.resolve()
    target = (base / name).resolve()
    if not target.is_relative_to(base) or not target.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no download called {name!r}")
    return target


@router.get("/downloads/{name:path}", dependencies=[Depends(require_login)])
def download(name: str, request: Request) -> FileResponse:
    """A file made by export or report; nothing outside the exports folder is served."""
    path = safe_path(request.app.state.settings.exports_dir, name)
    return FileResponse(path, filename=path.name)
