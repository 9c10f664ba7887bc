"""The hub: publishing from any thread never waits, each viewer's mailbox is bounded and the
newest message wins, and a viewer that does not read does not hold up the others."""

from __future__ import annotations

import asyncio
import threading
import time

from dashboard.hub import Hub, Mailbox
from dashboard.routes.live import _send_loop


def test_mailbox_keeps_the_newest_frames_and_counts_what_it_dropped() -> None:
    async def go() -> tuple[list[str], int]:
        box = Mailbox(maxlen=3)
        for i in range(10):
            box.put("frame", f"f{i}")
        return [await box.get() for _ in range(3)], box.dropped

    got, dropped = asyncio.run(go())
    assert got == ["f7", "f8", "f9"]
    assert dropped == 7


def test_mailbox_keeps_one_message_per_other_kind_and_sends_it_before_frames() -> None:
    async def go() -> list[str]:
        box = Mailbox(maxlen=4)
        box.put("frame", "f1")
        box.put("status", "s1")
        box.put("status", "s2")
        box.put("alarms", "a1")
        box.put("setup", "u1")
        return [await box.get() for _ in range(4)]

    assert asyncio.run(go()) == ["u1", "a1", "s2", "f1"]


def test_publish_from_a_thread_returns_at_once_while_a_viewer_never_reads() -> None:
    async def go() -> tuple[float, int, list[str], int]:
        hub = Hub(asyncio.get_running_loop(), mailbox_len=4)
        stalled = hub.subscribe()  # never read
        reader = hub.subscribe()
        got: list[str] = []

        async def read() -> None:
            while not got or got[-1] != "1999":
                got.append(await reader.get())

        task = asyncio.create_task(read())
        longest = 0.0

        def acquisition() -> None:
            nonlocal longest
            for i in range(2000):
                t0 = time.perf_counter()
                hub.publish("frame", str(i))
                longest = max(longest, time.perf_counter() - t0)

        thread = threading.Thread(target=acquisition)
        thread.start()
        await asyncio.wait_for(task, 10)
        thread.join()
        return longest, stalled.pending, got, stalled.dropped

    longest_s, stalled_pending, got, stalled_dropped = asyncio.run(go())
    assert longest_s < 5.0  # only catches a hang: publish hands over, never waits for a viewer
    assert stalled_pending == 4 and stalled_dropped == 1996
    # the reading viewer keeps up: it gets the newest, in order (bursts may thin it out)
    numbers = [int(x) for x in got]
    assert numbers == sorted(numbers) and numbers[-1] == 1999


def test_a_new_viewer_gets_the_current_setup_status_and_alarms_but_no_old_frames() -> None:
    async def go() -> list[str]:
        hub = Hub(asyncio.get_running_loop())
        for kind, text in [("setup", "u"), ("frame", "f"), ("status", "s"), ("alarms", "a")]:
            hub.publish(kind, text)
        await asyncio.sleep(0)  # let the loop run the handed-over fan-out
        box = hub.subscribe()
        return [await box.get() for _ in range(box.pending)]

    assert asyncio.run(go()) == ["u", "a", "s"]


def test_publish_after_close_is_dropped_quietly() -> None:
    async def go() -> int:
        hub = Hub(asyncio.get_running_loop())
        box = hub.subscribe()
        hub.close()
        hub.publish("frame", "late")
        await asyncio.sleep(0)
        return box.pending

    assert asyncio.run(go()) == 0


class _StuckSocket:
    """A websocket whose peer stopped reading: a send never completes."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send_text(self, text: str) -> None:
        self.sent.append(text)
        await asyncio.Event().wait()


def test_the_sender_gives_up_on_a_viewer_that_takes_nothing_for_the_stall_time() -> None:
    async def go() -> tuple[float, list[str], int]:
        hub = Hub(asyncio.get_running_loop())
        box = hub.subscribe()
        sock = _StuckSocket()
        hub.publish("frame", "f1")
        t0 = time.perf_counter()
        sender = asyncio.create_task(_send_loop(sock, box, 0.2))  # type: ignore[arg-type]
        for i in range(2, 50):
            hub.publish("frame", f"f{i}")
            await asyncio.sleep(0.005)  # frames keep coming while the send is stuck
        await asyncio.wait_for(sender, 2)
        return time.perf_counter() - t0, sock.sent, box.pending

    took_s, sent, pending = asyncio.run(go())
    assert took_s >= 0.2  # it gave the viewer the stall time, then returned (endpoint closes it)
    assert sent == ["f1"] and pending <= 4  # one send in flight, the mailbox stayed bounded
