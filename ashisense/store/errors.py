"""Errors of the session store; each also inherits the matching builtin."""

from __future__ import annotations

from ashisense.errors import AshisenseError


class StoreError(AshisenseError):
    """Base of every error raised by ashisense.store."""


class StoreOpenError(StoreError, OSError):
    """A recording file could not be opened (missing, read-only location, not a recording)."""


class StoreWriteError(StoreError, OSError):
    """A write to the recording failed (I/O error, locked database)."""


class StoreFullError(StoreWriteError):
    """The disk, or the recording's size quota, is full."""


class StoreUnavailableError(StoreError, ConnectionError):
    """The database server cannot be reached, or the connection broke (the next call
    connects again)."""


class SessionNotFoundError(StoreError, LookupError, ValueError):
    """No session with that id in this recording (a lookup, and a wrong value a person gave)."""


class SessionDataError(StoreError, ValueError):
    """Data that does not fit the session (channels changed, malformed record)."""


class AnnotationNotFoundError(StoreError, LookupError):
    """No note with that id in that session (deleted meanwhile, or another session's)."""
