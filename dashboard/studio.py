"""The studio file: the login secret (stored hashed, scrypt with salt) and display units.

The secret is a password the studio chooses, or a token generated on first run and shown
once. Only its scrypt hash is kept; the file is written atomically with owner-only access.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
from pathlib import Path
from typing import Any, Literal

Units = Literal["kg", "lb", "N"]
UNITS: tuple[str, ...] = ("kg", "lb", "N")  # as ashisense.alarms.DISPLAY_UNITS
# scrypt cost: 16 MiB and ~50 ms per check; slows guessing, fine for a login.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD_CHARS = 8


class StudioFileError(ValueError):
    """The studio file cannot be read, or a setting has a wrong value."""


def hash_secret(secret: str, salt: bytes | None = None) -> dict[str, Any]:
    """The stored form of a secret: scrypt parameters, salt and hash (hex)."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(
        secret.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    return {
        "algo": "scrypt",
        "n": SCRYPT_N,
        "r": SCRYPT_R,
        "p": SCRYPT_P,
        "salt": salt.hex(),
        "hash": digest.hex(),
    }


def verify_secret(secret: str, stored: dict[str, Any]) -> bool:
    """True when `secret` matches the stored hash (constant-time comparison)."""
    try:
        digest = hashlib.scrypt(
            secret.encode("utf-8"),
            salt=bytes.fromhex(stored["salt"]),
            n=int(stored["n"]),
            r=int(stored["r"]),
            p=int(stored["p"]),
            dklen=32,
        )
        return hmac.compare_digest(digest.hex(), str(stored["hash"]))
    except (KeyError, ValueError, TypeError):
        return False


class StudioFile:
    """Read and update `studio.json`; safe to use from several threads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._doc = self._read()

    def _read(self) -> dict[str, Any]:
        if not self.path.exists():
            return {}
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise StudioFileError(f"{self.path}: expected a JSON object, found {err}") from err
        if not isinstance(doc, dict):
            raise StudioFileError(
                f"{self.path}: expected a JSON object, found {type(doc).__name__}"
            )
        return doc

    def _write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(self._doc, f, indent=2)
        os.replace(tmp, self.path)

    @property
    def has_secret(self) -> bool:
        with self._lock:
            return isinstance(self._doc.get("secret"), dict)

    def set_secret(self, secret: str) -> None:
        """Store a new login secret (hashed); at least MIN_PASSWORD_CHARS characters."""
        if len(secret) < MIN_PASSWORD_CHARS:
            raise StudioFileError(
                f"password: expected at least {MIN_PASSWORD_CHARS} characters, got {len(secret)}"
            )
        stored = hash_secret(secret)
        with self._lock:
            self._doc["secret"] = stored
            self._write()

    def ensure_secret(self) -> str | None:
        """On first run, make a random token the login secret and return it (shown once);
        None when a secret is already set."""
        if self.has_secret:
            return None
        token = self.new_token()
        self.set_secret(token)
        return token

    @staticmethod
    def new_token() -> str:
        """A random login token (16 URL-safe characters, 96 bits)."""
        return secrets.token_urlsafe(12)

    def check(self, secret: str) -> bool:
        with self._lock:
            stored = self._doc.get("secret")
        return isinstance(stored, dict) and verify_secret(secret, stored)

    @property
    def units(self) -> Units:
        with self._lock:
            value = self._doc.get("units", "kg")
        return value if value in UNITS else "kg"  # type: ignore[return-value]

    def set_units(self, units: str) -> None:
        if units not in UNITS:
            raise StudioFileError(f"units: expected one of {', '.join(UNITS)}, got {units!r}")
        with self._lock:
            self._doc["units"] = units
            self._write()
