"""While nobody watches (no viewer, consumer or tap), the live runtime reads the rig less
often: the same samples in bigger blocks; as soon as someone watches, every read again."""

from __future__ import annotations

import contextlib
import math
import queue
from collections.abc import Iterator
from pathlib import Path

import dashkit
import pytest

from ashisense import live
from ashisense.live import UNWATCHED_READ_EVERY_S, Display, LiveRuntime, LiveStatus
from ashisense.session.analysis import Step
from ashisense.session.runner import SessionListener
from ashisense.sim.ptyserver import PtyRig
from ashisense.store import open_store
from firmware_bridge.blocks import SampleBlock
from firmware_bridge.link import host_clock


class Watchable(Display):
    """A display someone may or may not be looking at; says when each status went out."""

    def __init__(self) -> None:
        self.seen = False
        self.statuses: queue.Queue[LiveStatus] = queue.Queue()

    @property
    def watched(self) -> bool:
        return self.seen

    def status(self, status: LiveStatus) -> None:
        self.statuses.put(status)


def next_status(display: Watchable) -> LiveStatus:
    """The ticker's next status (the read spacing was set just before it)."""
    while not display.statuses.empty():
        display.statuses.get_nowait()
    return display.statuses.get(timeout=10)


@contextlib.contextmanager
def unwatched_runtime(tmp_path: Path) -> Iterator[tuple[LiveRuntime, Watchable]]:
    """A live runtime on a scripted rig behind a pty, its display not looked at (yet)."""
    display = Watchable()
    with (
        PtyRig(dashkit.ScriptedRig()) as pty,  # type: ignore[arg-type]
        LiveRuntime(dashkit.live_config(tmp_path, pty.path), display) as runtime,
    ):
        yield runtime, display


def wait_spaced(runtime: LiveRuntime, display: Watchable) -> None:
    """Two ticks: the reads are spaced (a minute, as the tests set) and samples came since."""
    next_status(display)
    next_status(display)
    assert runtime.link.read_every_s == 60.0


def test_reads_are_spaced_only_while_nobody_watches(tmp_path: Path) -> None:
    blocks: queue.Queue[SampleBlock] = queue.Queue()
    with unwatched_runtime(tmp_path) as (runtime, display):
        next_status(display)
        assert not runtime.watched
        assert runtime.link.read_every_s == UNWATCHED_READ_EVERY_S
        display.seen = True
        next_status(display)
        assert runtime.watched and runtime.link.read_every_s == 0.0
        display.seen = False
        next_status(display)
        assert runtime.link.read_every_s == UNWATCHED_READ_EVERY_S
        runtime.add_block_tap(blocks.put)  # a tap takes samples as they come
        next_status(display)
        assert runtime.watched and runtime.link.read_every_s == 0.0
        runtime.remove_block_tap(blocks.put)
        next_status(display)
        assert runtime.link.read_every_s == UNWATCHED_READ_EVERY_S


class NewestSample(SessionListener):
    """The host time of the newest sample the analysis has taken."""

    def __init__(self) -> None:
        self.t_s = -math.inf

    def on_step(self, step: Step) -> None:
        self.t_s = float(step.block.t_s[-1])


def test_a_page_press_while_nobody_watches_takes_the_newest_sample(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live, "UNWATCHED_READ_EVERY_S", 60.0)  # no read for a minute unless asked
    newest = NewestSample()
    with unwatched_runtime(tmp_path) as (runtime, display):
        runtime.runner.add_listener(newest)
        wait_spaced(runtime, display)
        press = runtime.client_press("stop")
        # the moment is a sample that came just before the press (80 Hz: every 12.5 ms),
        # not the one of the last spaced read; a sample's host time comes from the device
        # clock's map, which may place it up to a sample period after the host's now
        assert press.t_s - 0.1 < newest.t_s <= press.t_s + 0.0125


def test_a_session_stopped_while_nobody_watches_has_its_samples_up_to_the_stop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live, "UNWATCHED_READ_EVERY_S", 60.0)  # no read for a minute unless asked
    with unwatched_runtime(tmp_path) as (runtime, display):
        sid = runtime.start_session()
        wait_spaced(runtime, display)
        stopped_s = host_clock()
        assert runtime.stop_session() == sid
    with open_store(tmp_path / "sessions.sqlite", readonly=True) as store:
        last_s = max(float(b.t_s[-1]) for b in store.blocks(sid))
    assert stopped_s - 0.1 < last_s  # 80 Hz: a sample every 12.5 ms, up to the stop
