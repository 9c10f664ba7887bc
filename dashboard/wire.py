"""Live messages on the wire: a websocket frame is built once and its bytes are written as they
are to every viewer's socket, and each socket says when it cannot take more.

uvicorn's websocket protocol frames every message for every connection (and would compress it
for each one). `LiveWebSocketProtocol` is that protocol plus what the hub needs: it offers
itself to the app as the scope extension EXTENSION (a `ViewerSocket`), writes prebuilt frames
straight to the transport, and keeps the buffers between the server and a slow viewer small:
a kernel send buffer of SEND_BUFFER_BYTES (Linux doubles it) and a transport buffer that
counts as full above HIGH_WATER_BYTES, so a viewer that does not read is seen within a few
frames instead of after megabytes of old ones.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from typing import Any, cast

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

EXTENSION = "ashisense.viewer_socket"
SEND_BUFFER_BYTES = 16 * 1024
HIGH_WATER_BYTES = 32 * 1024
_TEXT_FIN = 0x81  # FIN + opcode 1 (text); a server's frames are never masked (RFC 6455 5.1)


def text_frame(text: str) -> bytes:
    """The websocket frame (server to client, unfragmented, uncompressed) of one text message."""
    payload = text.encode()
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", _TEXT_FIN, n)
    elif n < 1 << 16:
        head = struct.pack("!BBH", _TEXT_FIN, 126, n)
    else:
        head = struct.pack("!BBQ", _TEXT_FIN, 127, n)
    return head + payload


class LiveWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websocket protocol that the app may also hand prebuilt frames to.

    Messages the app sends the ASGI way (accept, close) go through uvicorn as usual; frames
    written with `write` are whole frames on the same event loop, so they never split another.
    """

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)
        cast(asyncio.WriteTransport, transport).set_write_buffer_limits(high=HIGH_WATER_BYTES)

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        if self.handshake_initiated and not self.close_sent:
            cast(dict[str, Any], self.scope["extensions"])[EXTENSION] = self

    # -- what the hub uses (ViewerSocket) ---------------------------------------------
    @property
    def is_open(self) -> bool:
        """Accepted and neither closing nor closed."""
        return (
            self.handshake_complete
            and not self.close_sent
            and not self.disconnected
            and not self.transport.is_closing()
        )

    @property
    def full(self) -> bool:
        """The transport holds more than HIGH_WATER_BYTES the peer has not taken."""
        return not self.writable.is_set()

    def write(self, frame: bytes) -> None:
        """Write one whole prebuilt frame."""
        self.transport.write(frame)

    def abort(self) -> None:
        """Drop the connection at once, unsent bytes included (a peer that does not read)."""
        self.transport.abort()
