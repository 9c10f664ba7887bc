"""Recorded sessions: the list, the review series, trainers' notes, exports, reports and
downloads (which never reach outside the exports folder)."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from ashisense.store import (
    Annotation,
    AnnotationNotFoundError,
    SessionNotFoundError,
    SessionStore,
    StoreError,
    open_store,
)
from dashboard.auth import require_control, require_login, token_of
from dashboard.review import Review
from dashboard.review_choices import Choices, review_choices

router = APIRouter()


EXPORT_FORMATS = {"csv": "csv", "parquet": "parquet"}


class ExportBody(BaseModel):
    format: str = "csv"


class ReportBody(BaseModel):
    compare: int | None = None


class TrainerNote(BaseModel):
    t_s: float
    t_end_s: float | None = None
    text: str = Field(min_length=1, max_length=2000)


class EvaluateBody(BaseModel):
    rules: str | None = Field(default=None, max_length=200)
    client: str | None = Field(default=None, max_length=200)


def _review(request: Request) -> Review:
    review: Review = request.app.state.review
    return review


def author_of(request: Request) -> str:
    """Who writes a note: the name given at login, else "trainer"."""
    return request.app.state.logins.name(token_of(request)) or "trainer"


@contextlib.contextmanager
def _found() -> Iterator[None]:
    """404 for an unknown session or note; 422 for a session that cannot be derived."""
    try:
        yield
    except (SessionNotFoundError, AnnotationNotFoundError) as err:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(err)) from err
    except (StoreError, ValueError) as err:  # unreadable snapshot: say what
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(err)) from err


@router.get("/api/sessions", dependencies=[Depends(require_login)])
def list_sessions(request: Request) -> list[dict[str, Any]]:
    """Every recorded session, newest first."""
    return _review(request).sessions()


@router.get("/api/sessions/{session_id}/review", dependencies=[Depends(require_login)])
def open_session(session_id: int, request: Request) -> dict[str, Any]:
    """The session's overview, logs and figures; while its display series are first
    derived, how far that got (poll again)."""
    with _found():
        return _review(request).open(session_id, request.app.state.studio.units, author_of(request))


@router.get("/api/sessions/{session_id}/window", dependencies=[Depends(require_login)])
def session_window(
    session_id: int, key: str, t0_s: float, t1_s: float, request: Request
) -> dict[str, Any]:
    """Full-rate samples between two times (409 when the series were derived again: reopen)."""
    with _found():
        got = _review(request).window(session_id, key, t0_s, t1_s)
    if got is None:
        raise HTTPException(status.HTTP_409_CONFLICT, "the session was derived again: reopen it")
    return got


@router.get("/api/sessions/{a}/compare/{b}", dependencies=[Depends(require_login)])
def compare(a: int, b: int, request: Request) -> dict[str, Any]:
    """The table of differences of session b against session a (derived first if need be)."""
    with _found():
        rows = _review(request).compare(a, b)
    return {"state": "deriving"} if rows is None else {"state": "ready", "rows": rows}


@router.post("/api/sessions/{session_id}/notes", dependencies=[Depends(require_control)])
def add_note(session_id: int, body: TrainerNote, request: Request) -> dict[str, Any]:
    """A trainer's note at a time of a recorded session, or over a time range."""
    note = Annotation(body.t_s, body.text, author_of(request), _end(body))
    with _found(), open_store(_review(request).store_target) as store:
        note_id = store.add_annotation(session_id, note)
    return {"ok": True, "id": note_id}


def _end(body: TrainerNote) -> float | None:
    if body.t_end_s is not None and body.t_end_s < body.t_s:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "t_end_s: before t_s")
    return body.t_end_s


def _own_note(store: SessionStore, session_id: int, note_id: int, author: str) -> Annotation:
    """The note, if this author wrote it (403 otherwise, 404 if there is none)."""
    note = next((n for n in store.annotations(session_id) if n.id == note_id), None)
    if note is None:
        raise AnnotationNotFoundError(f"session {session_id} has no note {note_id}")
    if note.author != author:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"a note by {note.author}: not yours")
    return note


@router.put("/api/sessions/{session_id}/notes/{note_id}", dependencies=[Depends(require_control)])
def edit_note(session_id: int, note_id: int, body: TrainerNote, request: Request) -> dict[str, Any]:
    """Change one's own note: its time, range and text."""
    author = author_of(request)
    with _found(), open_store(_review(request).store_target) as store:
        _own_note(store, session_id, note_id, author)
        store.update_annotation(
            session_id, Annotation(body.t_s, body.text, author, _end(body), note_id)
        )
    return {"ok": True}


@router.delete(
    "/api/sessions/{session_id}/notes/{note_id}", dependencies=[Depends(require_control)]
)
def delete_note(session_id: int, note_id: int, request: Request) -> dict[str, Any]:
    """Remove one's own note."""
    with _found(), open_store(_review(request).store_target) as store:
        _own_note(store, session_id, note_id, author_of(request))
        store.delete_annotation(session_id, note_id)
    return {"ok": True}


@router.get("/api/review/choices", dependencies=[Depends(require_login)])
def choices(request: Request) -> dict[str, Any]:
    """Rule sets and client profiles a session can be evaluated again with."""
    with _found():
        found = _choices(request)
    return {"rules": sorted(found.rules), "clients": sorted(found.clients)}


@router.post("/api/sessions/{session_id}/evaluate", dependencies=[Depends(require_control)])
def evaluate(session_id: int, body: EvaluateBody, request: Request) -> dict[str, Any]:
    """The alarms the session would have raised with other rules or another client profile."""
    with _found():
        found = _choices(request)
    if body.rules is not None and body.rules not in found.rules:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no rule set called {body.rules!r}")
    if body.client is not None and body.client not in found.clients:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no client profile {body.client!r}")
    with _found():
        return _review(request).evaluate(
            session_id,
            found.rules[body.rules] if body.rules else None,
            found.clients[body.client] if body.client else None,
            request.app.state.studio.units,
        )


def _choices(request: Request) -> Choices:
    settings = request.app.state.settings
    return review_choices(settings.home, settings.live)


def _produce(request: Request, name: str, write: Callable[[Path], None]) -> dict[str, Any]:
    """Write a download into the exports folder (atomically) and return its URL."""
    folder: Path = request.app.state.settings.exports_dir
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with _atomic_download(folder, name) as tmp:
            write(tmp)
    except SessionNotFoundError as err:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(err)) from err
    except (StoreError, ValueError) as err:  # nothing to export, unreadable snapshot
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(err)) from err
    return {"ok": True, "url": f"/downloads/{name}"}


@contextlib.contextmanager
def _atomic_download(folder: Path, name: str) -> Iterator[Path]:
    """A temporary path in the exports folder that becomes `name` only if the block succeeds
    and wrote it, so a viewer never downloads half a file."""
    tmp = folder / f".{name}.{uuid.uuid4().hex}.part"
    try:
        yield tmp
        if tmp.exists():
            os.replace(tmp, folder / name)
    finally:
        tmp.unlink(missing_ok=True)


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
    target = _review(request).store_target
    name = f"session-{session_id}.{ext}"
    presses: dict[str, Any] = {}

    def write(path: Path) -> None:
        with open_store(target, readonly=True) as store:
            export_session(store, session_id, path, body.format)
            presses.update(_export_presses(request, store, session_id, name, body.format))

    return _produce(request, name, write) | presses


def _export_presses(
    request: Request, store: SessionStore, session_id: int, samples_name: str, fmt: str
) -> dict[str, Any]:
    """The client's presses beside the samples' download, as the command line writes them:
    `{"presses_url": ...}`, or nothing when the client pressed no button."""
    from ashisense.session.export import export_presses, presses_path

    name = presses_path(samples_name).name
    with _atomic_download(request.app.state.settings.exports_dir, name) as tmp:
        rows = export_presses(store, session_id, tmp, fmt)
    return {"presses_url": f"/downloads/{name}"} if rows else {}


@router.post("/api/sessions/{session_id}/report", dependencies=[Depends(require_control)])
def report(session_id: int, body: ReportBody, request: Request) -> dict[str, Any]:
    """The trainer's HTML report (optionally beside another session of the same store)."""
    from ashisense.report import make_report

    target = _review(request).store_target
    ids = [session_id] + ([body.compare] if body.compare is not None else [])

    def write(path: Path) -> None:
        with open_store(target, readonly=True) as store:
            page = make_report([(store, i) for i in ids], source=str(store), progress=False)
        path.write_text(page, encoding="utf-8")

    suffix = f"-vs-{body.compare}" if body.compare is not None else ""
    return _produce(request, f"report-{session_id}{suffix}.html", write)


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
