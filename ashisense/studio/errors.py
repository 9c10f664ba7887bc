"""Errors of the studio link; each also inherits the matching builtin."""

from __future__ import annotations

from ashisense.errors import AshisenseError


class StudioError(AshisenseError):
    """Base of every error raised by ashisense.studio."""


class StudioUrlError(StudioError, ValueError):
    """A --studio URL or a room name that cannot be used (scheme, host, characters)."""
