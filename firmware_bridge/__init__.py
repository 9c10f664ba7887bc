"""The rig link: protocol v1 framing (pure), sample streams with exact gaps, and the serial link.

Typical use::

    from firmware_bridge import Link, Listener

    class Printer(Listener):
        def on_block(self, block):
            print(block.t_s[-1], block.counts[-1])

    with Link("/dev/ttyACM0", listeners=[Printer()]) as link:
        link.wait_for_hello()
"""

from firmware_bridge.blocks import DeviceEvent, Gap, GridBlock, SampleBlock
from firmware_bridge.decoder import FrameDecoder
from firmware_bridge.errors import (
    DeviceChangedError,
    HelloError,
    HelloTimeout,
    LinkError,
    LinkTimeout,
    ProtocolError,
)
from firmware_bridge.link import Link, LinkStats
from firmware_bridge.listener import Dispatcher, Listener
from firmware_bridge.protocol import Hello
from firmware_bridge.stream import SampleStream

__all__ = [
    "DeviceChangedError",
    "DeviceEvent",
    "Dispatcher",
    "FrameDecoder",
    "Gap",
    "GridBlock",
    "Hello",
    "HelloError",
    "HelloTimeout",
    "Link",
    "LinkError",
    "LinkStats",
    "LinkTimeout",
    "Listener",
    "ProtocolError",
    "SampleBlock",
    "SampleStream",
]
