"""pyserial port for sim:// URLs: the simulated rig wherever a serial port is asked for.

`serial.serial_for_url("sim://stepping?seed=3&speed=fast")` gives a port that behaves
like a USB rig: HELLO at boot, SAMPLEs in real time (or as fast as read), commands
answered. A rig with unplug or stall faults keeps running while its port is closed,
so a reconnect finds the same device, as with real hardware.
"""

from __future__ import annotations

import threading
import time

from serial.serialutil import PortNotOpenError, SerialBase, SerialException

from ashisense.sim.device import SimConfig, SimDevice, SimUrlError

_DEVICES: dict[str, SimDevice] = {}
_DEVICES_LOCK = threading.Lock()


def device_for(url: str) -> SimDevice:
    """The running device behind a sim:// URL, booted on first use."""
    with _DEVICES_LOCK:
        dev = _DEVICES.get(url)
        if dev is None:
            dev = SimDevice(SimConfig.from_url(url))
            _DEVICES[url] = dev
        return dev


def forget(url: str) -> None:
    """Power the device off: the next open boots a new one."""
    with _DEVICES_LOCK:
        _DEVICES.pop(url, None)


class Serial(SerialBase):
    """A pyserial port onto a SimDevice."""

    is_open: bool  # set by SerialBase (pyserial ships no type hints)

    def __init__(self, *args: object, **kwargs: object) -> None:
        self._device: SimDevice | None = None
        self._buffer = bytearray()
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def open(self) -> None:
        if self.is_open:
            raise SerialException("Port is already open.")
        if self._port is None:
            raise SerialException("Port must be configured before it can be used.")
        try:
            device = device_for(str(self._port))
        except SimUrlError as err:
            raise SerialException(str(err)) from err
        if device.unplugged_now():
            raise SerialException(f"{self._port}: no such device (simulated unplug)")
        self._device = device
        self._buffer.clear()
        self.is_open = True

    def close(self) -> None:
        if self.is_open and self._device is not None:
            f = self._device.config.faults
            if not (f.unplug_every_s or f.stall_every_s):
                forget(str(self._port))
        self.is_open = False
        self._device = None
        super().close()

    def _reconfigure_port(self) -> None:
        """Baud rate and framing mean nothing to a simulated port."""

    def _pump(self) -> SimDevice:
        if not self.is_open or self._device is None:
            raise PortNotOpenError()
        dev = self._device
        if dev.unplugged_now():
            raise SerialException(f"{self._port}: device disconnected (simulated unplug)")
        self._buffer += dev.pump()
        return dev

    @property
    def in_waiting(self) -> int:
        self._pump()
        return len(self._buffer)

    def read(self, size: int = 1) -> bytes:
        deadline = None if self._timeout is None else time.monotonic() + self._timeout
        while True:
            dev = self._pump()
            if len(self._buffer) >= size or (self._buffer and deadline is not None):
                break
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                break
            wait = 1.0 / (dev.rate_hz * max(dev.config.speed, 1.0))
            if deadline is not None:
                wait = min(wait, deadline - now)
            time.sleep(max(wait, 0.0002))
        out = bytes(self._buffer[:size])
        del self._buffer[:size]
        return out

    def write(self, data: bytes) -> int:
        if not self.is_open or self._device is None:
            raise PortNotOpenError()
        self._device.write(bytes(data))
        return len(data)

    def reset_input_buffer(self) -> None:
        self._buffer.clear()

    def reset_output_buffer(self) -> None:
        """Commands are taken at once: nothing waits for output."""
