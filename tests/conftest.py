"""Shared fixtures: a leak check for threads, a real pseudo-terminal, a listener that collects,
throwaway Mosquitto brokers and PostgreSQL clusters, a headless Chromium."""

from __future__ import annotations

import contextlib
import os
import queue
import threading
import time
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, TypeVar

import dashkit
import pytest
from hypothesis import settings
from infrakit import MosquittoBroker, PostgresCluster, ThrowawayServer, studio_accounts

import ashisense  # noqa: F401  (registers the sim:// URL scheme with pyserial)
from firmware_bridge.blocks import DeviceEvent, Gap, GridBlock, SampleBlock
from firmware_bridge.listener import Listener
from firmware_bridge.protocol import Hello

if TYPE_CHECKING:
    from playwright.sync_api import Browser

Server = TypeVar("Server", bound=ThrowawayServer)

# Property tests assert behaviour, never speed: no per-example deadline (a busy machine would
# turn hypothesis' 200 ms default into a flaky failure).
settings.register_profile("ashisense", deadline=None)
settings.load_profile("ashisense")


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    """Fail a test that leaves a thread of ours running (a link, server or writer not stopped)."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 5.0
    while True:
        leaked = [
            t
            for t in threading.enumerate()
            if t not in before and t.is_alive() and t.name.startswith("ashisense")
        ]
        if not leaked or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert not leaked, f"test left threads running: {[t.name for t in leaked]}"


class Collector(Listener):
    """Keeps everything a link delivers and lets a test wait for it without sleeping."""

    def __init__(self) -> None:
        self.items: queue.Queue[object] = queue.Queue()
        self.blocks: list[SampleBlock] = []
        self.gaps: list[Gap] = []
        self.hellos: list[Hello] = []
        self.events: list[DeviceEvent] = []
        self.grids: list[GridBlock] = []
        self.errors: list[BaseException] = []
        self.stopped = threading.Event()

    def on_hello(self, hello: Hello) -> None:
        self.hellos.append(hello)
        self.items.put(hello)

    def on_block(self, block: SampleBlock) -> None:
        self.blocks.append(block)
        self.items.put(block)

    def on_gap(self, gap: Gap) -> None:
        self.gaps.append(gap)
        self.items.put(gap)

    def on_event(self, event: DeviceEvent) -> None:
        self.events.append(event)
        self.items.put(event)

    def on_grid(self, grid: GridBlock) -> None:
        self.grids.append(grid)
        self.items.put(grid)

    def on_error(self, exc: BaseException) -> None:
        self.errors.append(exc)
        self.items.put(exc)

    def stop(self) -> None:
        self.stopped.set()

    @property
    def n_samples(self) -> int:
        return sum(len(b) for b in self.blocks)

    def wait_for(self, predicate: object, timeout_s: float = 10.0) -> None:
        """Wait until predicate() is true, woken by each delivered item."""
        deadline = time.monotonic() + timeout_s
        while not predicate():  # type: ignore[operator]
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out after {timeout_s} s waiting for {predicate}")
            with contextlib.suppress(queue.Empty):
                self.items.get(timeout=min(left, 0.1))


@pytest.fixture
def collector() -> Collector:
    return Collector()


@pytest.fixture
def pty_pair() -> Iterator[tuple[int, str]]:
    """A real pseudo-terminal: (master fd, slave path); the slave is what a serial program opens."""
    import tty

    master, slave = os.openpty()
    tty.setraw(slave)
    path = os.ttyname(slave)
    # our slave fd stays open: with no slave open at all, the master reads EIO (a hang-up)
    yield master, path
    for fd in (master, slave):
        with contextlib.suppress(OSError):
            os.close(fd)


#: The studio and rooms the shared broker has logins for (a desk, and one login per room).
STUDIO = "studio"
ROOMS = ("room-1", "room-2", "room-3")


@contextlib.contextmanager
def _started(server: Server) -> Iterator[Server]:
    """A test server started, and closed (stopped, its folder removed) afterwards."""
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """One PostgreSQL cluster for the whole run; tests get a database each (pg_url)."""
    with _started(PostgresCluster()) as cluster:
        yield cluster


@pytest.fixture
def pg_url(postgres_cluster: PostgresCluster) -> str:
    """postgresql://... of a new empty database in the shared cluster (started again if a
    test left it stopped)."""
    postgres_cluster.start()
    return postgres_cluster.create_database(f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def own_postgres() -> Iterator[PostgresCluster]:
    """A started PostgreSQL cluster for one test alone, which it may stop and start."""
    with _started(PostgresCluster()) as cluster:
        yield cluster


def _broker() -> MosquittoBroker:
    return MosquittoBroker(studio_accounts(STUDIO, ROOMS))


@pytest.fixture(scope="session")
def mqtt_broker() -> Iterator[MosquittoBroker]:
    """One Mosquitto broker for the whole run, with logins "desk" and one per room of ROOMS."""
    with _started(_broker()) as broker:
        yield broker


@pytest.fixture
def own_mosquitto() -> Iterator[MosquittoBroker]:
    """A started broker for one test alone (logins as mqtt_broker), which it may stop and start."""
    with _started(_broker()) as broker:
        yield broker


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium for one test module; each test opens contexts of its own in it
    (dashkit.watched_page). Per module, not per run: Playwright's sync API keeps an event
    loop running in this thread while it lives, which asyncio.run() elsewhere cannot share."""
    with dashkit.chromium() as b:
        yield b
