"""The hub: publishing from any thread never waits; every viewer gets the same bytes, written
while its socket takes them; a viewer that cannot take more gets the newest message of each
kind when it can (its loss bounded to the frames it could not take); a page that acknowledges
frames is sent only a few ahead of what it has handled; a viewer that stays behind is cut."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any

from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from dashboard.hub import ACK_WINDOW_FRAMES, Hub, Message, Viewer
from dashboard.wire import text_frame


class FakeSocket:
    """A viewer's socket: records what is written; `full` says it takes nothing more."""

    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.full = False
        self.is_open = True

    def write(self, frame: bytes) -> None:
        assert not self.full and self.is_open, "written to a socket that cannot take it"
        self.written.append(frame)

    def texts(self) -> list[str]:
        return [decode(f) for f in self.written]


def decode(frame: bytes) -> str:
    """The text of one websocket frame, parsed the way a client does (websockets)."""
    reader = StreamReader()
    reader.feed_data(frame)
    reader.feed_eof()
    parser = Frame.parse(reader.read_exact, mask=False)
    try:
        next(parser)
    except StopIteration as done:
        parsed: Frame = done.value
    assert parsed.opcode is Opcode.TEXT and parsed.fin
    return bytes(parsed.data).decode()


def run(go: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    return asyncio.run(go())


async def settle() -> None:
    """Let the loop run what publish handed over (call_soon_threadsafe)."""
    for _ in range(3):
        await asyncio.sleep(0)


def test_text_frames_of_any_length_read_back_as_the_same_text() -> None:
    for n in (0, 1, 125, 126, 65_535, 65_536, 200_000):
        text = "é" * (n // 2) + "x" * (n % 2)
        assert decode(text_frame(text)) == text


def test_every_viewer_gets_the_same_bytes_at_once_and_in_order() -> None:
    async def go() -> tuple[list[FakeSocket], int]:
        hub = Hub(asyncio.get_running_loop())
        sockets = [FakeSocket() for _ in range(3)]
        viewers = [hub.subscribe(s) for s in sockets]
        for i in range(5):
            hub.publish("frame", f'{{"seq":{i}}}', i)
        hub.publish("status", '{"s":1}')
        await settle()
        return sockets, sum(v.pending for v in viewers)

    sockets, pending = run(go)
    assert pending == 0
    assert sockets[0].texts() == [*(f'{{"seq":{i}}}' for i in range(5)), '{"s":1}']
    for other in sockets[1:]:  # not equal copies: the very same bytes, built once
        assert all(a is b for a, b in zip(sockets[0].written, other.written, strict=True))


def test_a_full_socket_gets_the_newest_of_each_kind_when_it_drains_and_loses_only_frames() -> None:
    async def go() -> tuple[FakeSocket, Viewer, list[str]]:
        hub = Hub(asyncio.get_running_loop())
        sock = FakeSocket()
        viewer = hub.subscribe(sock)
        sock.full = True
        for i in range(50):
            hub.publish("frame", f"f{i}", i)
        for kind in ("press", "status", "alarms", "setup"):  # press: a kind the hub does not name
            hub.publish(kind, f"{kind}1")
            hub.publish(kind, f"{kind}2")
        await settle()
        before = list(sock.written)
        sock.full = False
        pump = asyncio.create_task(viewer.pump(cut_s=60.0))
        viewer.offer(Message.of("grid", "g1"))  # wakes the pump
        await settle()
        pump.cancel()
        return sock, viewer, [decode(f) for f in before]

    sock, viewer, before = run(go)
    assert before == []
    assert sock.texts() == ["setup2", "alarms2", "status2", "g1", "press2", "f49"]
    assert viewer.dropped == 49  # the frames it could not take, and nothing else


def test_a_page_that_acknowledges_gets_frames_only_a_window_ahead_of_what_it_handled() -> None:
    async def go() -> tuple[int, int, int]:
        hub = Hub(asyncio.get_running_loop())
        sock = FakeSocket()
        viewer = hub.subscribe(sock)
        hub.publish("frame", "f0", 0)
        await settle()
        viewer.ack(0)  # from now on this viewer is paced by its acknowledgements
        for i in range(1, 100):
            hub.publish("frame", f"f{i}", i)
        await settle()
        sent_unacked = len(sock.written) - 1
        pump = asyncio.create_task(viewer.pump(cut_s=60.0))
        viewer.ack(ACK_WINDOW_FRAMES)  # handled all it was sent: the newest goes out
        await settle()
        pump.cancel()
        return sent_unacked, len(sock.written), viewer.dropped

    sent_unacked, sent, dropped = run(go)
    assert sent_unacked == ACK_WINDOW_FRAMES
    assert sent == 1 + ACK_WINDOW_FRAMES + 1
    assert dropped == 99 - ACK_WINDOW_FRAMES - 1


def test_a_viewer_that_stays_behind_is_cut_and_slow_ones_that_keep_taking_are_not() -> None:
    async def go() -> list[bool]:
        hub = Hub(asyncio.get_running_loop())
        stuck, fine, slow = FakeSocket(), FakeSocket(), FakeSocket()
        viewers = [hub.subscribe(s) for s in (stuck, fine, slow)]
        stuck.full = True
        pumps = [asyncio.create_task(v.pump(cut_s=0.5)) for v in viewers]
        viewers[2].ack(-1)  # a slow page: it handles what it got 4 times a second
        for i in range(100):
            hub.publish("frame", f"f{i}", i)
            await asyncio.sleep(0.01)  # frames keep coming at 100 Hz
            if i % 25 == 24:  # more than a window (16 frames) later
                viewers[2].ack(int(decode(slow.written[-1])[1:]))
        done = [p.done() for p in pumps]
        for p in pumps:
            p.cancel()
        return done

    assert run(go) == [True, False, False]  # only the one that took nothing was cut


def test_a_page_that_stops_acknowledging_is_cut_though_other_messages_still_reach_it() -> None:
    async def go() -> tuple[bool, int]:
        hub = Hub(asyncio.get_running_loop())
        sock = FakeSocket()
        viewer = hub.subscribe(sock)
        viewer.ack(-1)  # it acknowledged once, then never again
        pump = asyncio.create_task(viewer.pump(cut_s=0.3))
        for i in range(100):
            hub.publish("frame", f"f{i}", i)
            hub.publish("status", f"s{i}")  # these still go out: they are not paced
            await asyncio.sleep(0.01)
            if pump.done():
                break
        cut = pump.done()
        pump.cancel()
        return cut, viewer.frames_sent

    cut, frames_sent = run(go)
    assert cut and 0 < frames_sent <= ACK_WINDOW_FRAMES


def test_publish_from_a_thread_returns_at_once_while_a_viewer_never_reads() -> None:
    async def go() -> tuple[list[str], Viewer, int]:
        hub = Hub(asyncio.get_running_loop())
        stalled_sock, reader = FakeSocket(), FakeSocket()
        stalled_sock.full = True
        stalled = hub.subscribe(stalled_sock)
        hub.subscribe(reader)
        done = asyncio.Event()
        loop = asyncio.get_running_loop()

        def acquisition() -> None:
            for i in range(2000):
                hub.publish("frame", str(i), i)
            loop.call_soon_threadsafe(done.set)  # after every frame handed over

        thread = threading.Thread(target=acquisition)
        thread.start()
        await asyncio.wait_for(done.wait(), 10)  # catches a hang only
        thread.join()
        return reader.texts(), stalled, stalled.pending

    got, stalled, pending = run(go)
    assert got == [str(i) for i in range(2000)]  # the reading viewer got every frame, in order
    assert pending == 1 and stalled.dropped == 1999  # the stalled one holds only the newest


def test_a_new_viewer_gets_the_current_setup_alarms_and_status_but_no_old_frames() -> None:
    async def go() -> list[str]:
        hub = Hub(asyncio.get_running_loop())
        for kind, text in [("setup", "u"), ("frame", "f"), ("status", "s"), ("alarms", "a")]:
            hub.publish(kind, text)
        await settle()
        sock = FakeSocket()
        hub.subscribe(sock)
        return sock.texts()

    assert run(go) == ["u", "a", "s"]


def test_publish_after_close_is_dropped_quietly() -> None:
    async def go() -> list[bytes]:
        hub = Hub(asyncio.get_running_loop())
        sock = FakeSocket()
        hub.subscribe(sock)
        hub.close()
        hub.publish("frame", "late", 1)
        await settle()
        return sock.written

    assert run(go) == []
