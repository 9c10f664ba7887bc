"""The base of every error ashisense raises, so a caller can catch them all in one clause.

Each error also inherits the matching builtin (ValueError, RuntimeError, LookupError, OSError),
so code that catches those keeps working.
"""

from __future__ import annotations


class AshisenseError(Exception):
    """Base of every exception defined in the ashisense package."""
