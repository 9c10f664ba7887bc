"""Serve a simulated rig on a real pseudo-terminal, so any serial program can open it.

The device writes its bytes to the pty master as time passes and reads command lines
from it. An optional symlink gives the pty a stable path (as udev's by-id links do for
USB rigs); an unplug closes the pty and, on return, opens a new one behind the link.
"""

from __future__ import annotations

import contextlib
import os
import select
import termios
import threading
import time
import tty
from pathlib import Path

from ashisense.sim.device import SimDevice

TICK_S = 0.002
# Output the host has not read yet is kept, as a USB host's buffers would hold it, up to this
# much (about 4 s of an 8-channel rig at 80 Hz); a host that stopped reading for longer loses
# it: the pty's own buffer is only a few kB, and a busy host's reader can be late by more.
MAX_UNSENT_BYTES = 16 * 1024


class PtyRig:
    """Runs `device` on a pty in a thread; `path` is what to open (the link if given)."""

    def __init__(self, device: SimDevice, link_path: str | Path | None = None) -> None:
        self.device = device
        self.link_path = Path(link_path) if link_path else None
        self._master = -1
        self._slave = -1
        self.slave_path = ""
        self._stop = threading.Event()
        self._plugged = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ashisense-sim-pty", daemon=True)
        self._open_pty()

    @property
    def path(self) -> str:
        return str(self.link_path) if self.link_path else self.slave_path

    def _open_pty(self) -> None:
        self._unsent = b""
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        attrs = termios.tcgetattr(self._slave)
        attrs[3] &= ~termios.ECHO
        termios.tcsetattr(self._slave, termios.TCSANOW, attrs)
        # a rig whose host is not reading drops its output rather than hanging
        os.set_blocking(self._master, False)
        self.slave_path = os.ttyname(self._slave)
        if self.link_path:
            tmp = self.link_path.with_name(self.link_path.name + ".new")
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            tmp.symlink_to(self.slave_path)
            tmp.replace(self.link_path)
        self._plugged.set()

    def _close_pty(self) -> None:
        self._plugged.clear()
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._master = self._slave = -1

    def start(self) -> PtyRig:
        self._thread.start()
        return self

    def unplug(self) -> None:
        """Pull the cable: the pty goes away; readers get an I/O error."""
        self._close_pty()

    def replug(self) -> None:
        """Plug back in: a new pty appears (behind the same link path, if any)."""
        self._open_pty()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5.0)
        self._close_pty()
        if self.link_path:
            with contextlib.suppress(FileNotFoundError):
                self.link_path.unlink()

    def __enter__(self) -> PtyRig:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self._plugged.wait(0.05):
                continue
            master = self._master
            if self.device.unplugged_now():
                self._close_pty()
                while self.device.unplugged_now():
                    if self._stop.wait(TICK_S):
                        return
                self._open_pty()
                continue
            try:
                ready, _, _ = select.select([master], [], [], TICK_S)
                if ready:
                    self.device.write(os.read(master, 4096))
                self._send(master, self._unsent + self.device.pump())
            except OSError:
                # closed under us by unplug() or stop(); wait for the next plug
                time.sleep(TICK_S)

    def _send(self, master: int, data: bytes) -> None:
        """Write what the pty takes; keep the rest for the next tick (dropped once over
        MAX_UNSENT_BYTES: the host stopped reading)."""
        view = memoryview(data)
        with contextlib.suppress(BlockingIOError):
            while view:
                view = view[os.write(master, view) :]
        self._unsent = bytes(view) if len(view) <= MAX_UNSENT_BYTES else b""
