"""The studio's broker URL (`mqtt://user:pass@host:1883/studio`) and room names as topic parts.

The password never leaves this module in text: `StudioUrl.redacted()` is what messages show.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

from ashisense.studio.errors import StudioUrlError

#: URL scheme -> (TLS, default port).
SCHEMES = {"mqtt": (False, 1883), "mqtts": (True, 8883)}
#: The studio's name when the URL has no path.
DEFAULT_STUDIO = "studio"
_TOPIC_UNSAFE = re.compile(r"[/+#\x00-\x1f]")


def topic_part(name: str, what: str) -> str:
    """A room or studio name as one topic level: lower case, blanks as '-'; StudioUrlError
    for characters MQTT gives a meaning ('/', '+', '#') or an empty name."""
    part = re.sub(r"\s+", "-", name.strip()).lower()
    if not part or _TOPIC_UNSAFE.search(part):
        raise StudioUrlError(
            f"{what}: expected a name without '/', '+', '#' or control characters, got {name!r}"
        )
    return part


@dataclass(frozen=True)
class StudioUrl:
    """Where the studio's broker is and who we log in as. studio: the studio's topic part
    (the URL's path, else DEFAULT_STUDIO)."""

    host: str
    port: int
    tls: bool
    studio: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: str | None = None

    @classmethod
    def parse(cls, url: str) -> StudioUrl:
        """Read `mqtt[s]://[user[:password]@]host[:port][/studio][?ca=FILE]`; StudioUrlError
        if wrong. ca: the CA certificates to check the broker's against (mqtts://; default:
        the system's)."""
        parts = urlsplit(url)
        if parts.scheme not in SCHEMES:
            raise StudioUrlError(
                f"--studio: expected an mqtt:// or mqtts:// URL, got scheme {parts.scheme!r}"
            )
        try:
            port = parts.port
        except ValueError as err:
            raise StudioUrlError(f"--studio: the port is not a number 0-65535 ({err})") from err
        if not parts.hostname:
            raise StudioUrlError("--studio: expected a host name in the URL, found none")
        tls, default_port = SCHEMES[parts.scheme]
        path = unquote(parts.path.strip("/"))
        studio = topic_part(path, "--studio path (the studio's name)") if path else DEFAULT_STUDIO
        return cls(
            host=parts.hostname,
            port=port or default_port,
            tls=tls,
            studio=studio,
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
            ca_file=parse_qs(parts.query).get("ca", [None])[-1],
        )

    def redacted(self) -> str:
        """The URL without its password, for messages and logs."""
        scheme = "mqtts" if self.tls else "mqtt"
        login = f"{self.user}@" if self.user else ""
        return f"{scheme}://{login}{self.host}:{self.port}/{self.studio}"

    def __str__(self) -> str:
        return self.redacted()
