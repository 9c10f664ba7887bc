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


class PortError(LinkError, OSError):
    """A serial port could not be opened or was lost."""
