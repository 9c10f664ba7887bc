"""Packets a simulated device made ahead of time, each handed out once the device clock
reaches the moment it is due: the model runs in blocks, the wire still carries every sample
as it is taken."""

from __future__ import annotations

import enum

import numpy as np


class Kind(enum.IntEnum):
    """What a packet is, in the order packets due at one moment go out."""

    EVENT = 0  # goes out whether or not the device streams
    SAMPLE = 1
    GRID = 2


class PacketSchedule:
    """Packets in the order they are due (device seconds); `take(now_s)` returns those due
    by then. Packets added later are due no earlier than those already held."""

    def __init__(self) -> None:
        self._due_s = np.empty(0)
        self._kinds: list[Kind] = []
        self._packets: list[bytes] = []

    def add(self, due_s: np.ndarray, kinds: list[Kind], packets: list[bytes]) -> None:
        """Hold packets due at due_s (any order: sorted by time, then kind, then as given)."""
        order = np.lexsort((np.arange(len(packets)), np.asarray(kinds, dtype=np.int64), due_s))
        self._due_s = np.concatenate([self._due_s, np.asarray(due_s)[order]])
        self._kinds += [kinds[i] for i in order.tolist()]
        self._packets += [packets[i] for i in order.tolist()]

    def take(self, now_s: float) -> tuple[list[Kind], list[bytes]]:
        """The packets due at or before now_s, in order, and what each is."""
        n = int(np.searchsorted(self._due_s, now_s, side="right"))
        if n == 0:
            return [], []
        kinds, packets = self._kinds[:n], self._packets[:n]
        self._due_s, self._kinds, self._packets = (
            self._due_s[n:],
            self._kinds[n:],
            self._packets[n:],
        )
        return kinds, packets
