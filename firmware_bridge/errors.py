"""Exception hierarchy of the rig link; each also inherits the matching builtin."""

from __future__ import annotations


class LinkError(Exception):
    """Base of every error raised by firmware_bridge."""


class ProtocolError(LinkError, ValueError):
    """Bytes or a packet that do not follow PROTOCOL.md."""


class HelloError(ProtocolError):
    """A HELLO packet that is not a valid protocol-1 device description."""


class DeviceChangedError(LinkError, RuntimeError):
    """The device that came back after a reconnect is not the one we were talking to."""


class LinkTimeout(LinkError, TimeoutError):
    """The device did not answer or stream within the allowed time."""


class HelloTimeout(LinkTimeout):
    """No device said who it is in time; `heard` says why, in one word.

    `heard` is "cannot open" (the port never opened), "silence" (no byte came),
    "garbage" (bytes, but no valid packet), "no hello" (valid packets, but no HELLO)
    or "refused" (a device answered and was refused). The message says what was tried
    and what was heard, for a person.
    """

    def __init__(self, message: str, *, url: str, heard: str) -> None:
        super().__init__(message)
        self.url = url
        self.heard = heard
