"""The handset firmware's C (hardware/firmware/handset) debounces as handset.h promises, and its
EVENT client frames reach the host as DeviceEvents that parse into ClientPress.

The C runs on the host in the harness (tests/firmwarekit.py): one `k raw_down` line per tick.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from firmwarekit import ask, build_harness, c_bytes, run_vectors
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_bridge.blocks import DeviceEvent
from firmware_bridge.decoder import FrameDecoder
from firmware_bridge.events import BUTTONS, ClientPress, parse_handset_event
from firmware_bridge.stream import SampleStream

LIGHTER, DEEPER, STOP, OK = (1 << i for i in range(4))
DEBOUNCE = 5
STUCK = 100
# the firmware's own settings (rig_config.h): 2 ms ticks, 20 ms debounce, stuck after 10 s
RIG_DEBOUNCE, RIG_STUCK = 10, 5000

Event = tuple[int, str, int]  # (tick, "pressed" | "stuck" | "unstuck", button index)


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The compiled C harness (built once per module)."""
    return build_harness(tmp_path_factory.mktemp("c_handset"))


def run(
    harness: Path, raws: list[int], n: int = 4, debounce: int = DEBOUNCE, stuck: int = STUCK
) -> list[Event]:
    """Feed the C debouncer one raw_down mask per tick; the events it gives, in order."""
    answers = ask(harness, [f"K {n} {debounce} {stuck}"] + [f"k {raw}" for raw in raws])
    assert answers[0] == "ok"
    events = []
    for tick, answer in enumerate(answers[1:]):
        masks = map(int, answer.split())
        for kind, mask in zip(("pressed", "stuck", "unstuck"), masks, strict=True):
            events += [(tick, kind, i) for i in range(n) if mask >> i & 1]
    return events


def presses(events: list[Event]) -> list[Event]:
    return [e for e in events if e[1] == "pressed"]


RELEASED = [0] * 10  # a handset at power-up: every button is taken as down until seen up


def test_bouncing_press_and_release_give_exactly_one_press(harness: Path) -> None:
    bounce = [LIGHTER, 0, LIGHTER, LIGHTER, 0, LIGHTER, 0, 0, LIGHTER, 0]  # runs < DEBOUNCE
    raws = RELEASED + bounce + [LIGHTER] * 30 + bounce + [0] * 30
    steady_from = len(RELEASED) + len(bounce)
    assert run(harness, raws) == [(steady_from + DEBOUNCE - 1, "pressed", 0)]


def test_a_held_button_is_one_press_without_repeats(harness: Path) -> None:
    raws = RELEASED + [DEEPER] * (RIG_STUCK - 1) + [0] * 20
    events = run(harness, raws, debounce=RIG_DEBOUNCE, stuck=RIG_STUCK)
    assert events == [(len(RELEASED) + RIG_DEBOUNCE - 1, "pressed", 1)]


def test_a_glitch_while_held_does_not_repeat_the_press(harness: Path) -> None:
    raws = RELEASED + [STOP] * 20 + [0] * (DEBOUNCE - 1) + [STOP] * 20 + [0] * 20
    assert presses(run(harness, raws)) == [(len(RELEASED) + DEBOUNCE - 1, "pressed", 2)]


def test_two_buttons_are_debounced_independently(harness: Path) -> None:
    t0 = len(RELEASED)
    raws = (
        RELEASED
        + [LIGHTER] * 3
        + [LIGHTER | OK, LIGHTER] * 3  # OK bounces while LIGHTER is held
        + [LIGHTER | OK] * 20  # OK steady from t0 + 9
        + [OK] * 20  # LIGHTER released: no event
        + [0] * 20
        + [DEEPER | STOP] * 20  # both at once: one mask with two bits
        + [0] * 20
    )
    both_at = t0 + 9 + 40 + 20 + DEBOUNCE - 1
    assert run(harness, raws) == [
        (t0 + DEBOUNCE - 1, "pressed", 0),
        (t0 + 9 + DEBOUNCE - 1, "pressed", 3),
        (both_at, "pressed", 1),
        (both_at, "pressed", 2),
    ]


def test_a_stuck_button_is_reported_once_and_the_others_keep_working(harness: Path) -> None:
    t0 = len(RELEASED)
    pressed_at = t0 + DEBOUNCE - 1
    raws = (
        RELEASED
        + [STOP] * (STUCK + 50)
        + [STOP | LIGHTER] * 10  # the client can still ask for lighter
        + [STOP] * 200
        + [0] * 10  # released: the button works again
        + [STOP] * 10
    )
    released_from = t0 + STUCK + 50 + 10 + 200
    assert run(harness, raws) == [
        (pressed_at, "pressed", 2),
        (pressed_at + STUCK - 1, "stuck", 2),
        (t0 + STUCK + 50 + DEBOUNCE - 1, "pressed", 0),
        (released_from + DEBOUNCE - 1, "unstuck", 2),
        (released_from + 10 + DEBOUNCE - 1, "pressed", 2),
    ]


def test_a_button_down_at_power_up_is_no_press_and_is_reported_stuck(harness: Path) -> None:
    """A shorted cable or a client already holding a button: never a press by itself."""
    raws = [OK] * (STUCK + 20) + [0] * 10 + [OK] * 10
    assert run(harness, raws) == [
        (STUCK - 1, "stuck", 3),
        (STUCK + 20 + DEBOUNCE - 1, "unstuck", 3),
        (STUCK + 30 + DEBOUNCE - 1, "pressed", 3),
    ]


def test_a_rig_without_a_handset_gives_no_event(harness: Path) -> None:
    assert run(harness, [0] * 3000, debounce=RIG_DEBOUNCE, stuck=RIG_STUCK) == []


def bounces(max_run: int) -> st.SearchStrategy[list[int]]:
    """Contact bounce of button 0: alternating readings, every run shorter than max_run."""
    return st.lists(st.integers(1, max_run - 1), max_size=8).map(
        lambda runs: [v for k, r in enumerate(runs) for v in [k % 2 ^ 1] * r]
    )


press_cycles = st.integers(2, 8).flatmap(
    lambda debounce: st.tuples(
        st.just(debounce),
        st.lists(
            st.tuples(bounces(debounce), st.integers(debounce, 60), bounces(debounce)),
            min_size=1,
            max_size=6,
        ),
    )
)


@settings(max_examples=40, deadline=None)
@given(press_cycles)
def test_any_bounce_shorter_than_the_debounce_gives_one_press_per_press(
    harness: Path, case: tuple[int, list[tuple[list[int], int, list[int]]]]
) -> None:
    debounce, cycles = case
    raws = [0] * debounce
    for press_bounce, hold, release_bounce in cycles:
        # a bounce ends on its last reading; the steady level follows
        raws += press_bounce + [1] * hold + release_bounce + [0] * debounce
    events = run(harness, raws, n=1, debounce=debounce, stuck=0)
    assert [kind for _, kind, _ in events] == ["pressed"] * len(cycles)


def expected_events(bits: list[int], debounce: int, stuck: int) -> list[Event]:
    """handset.h's promise for one button (index 0), from the runs of its raw readings.

    A run of readings that differs from the current level changes it at its debounce-th
    reading; up to down is a press. A level down for `stuck` ticks (counting the tick it
    was accepted, or the first tick after power-up, when the level is down) is stuck, and
    its release is unstuck.
    """
    events: list[Event] = []
    level, since, is_stuck = 1, 0, False
    start = 0
    changes = []
    for value, run_ in itertools.groupby(bits):
        length = len(list(run_))
        if value != level and length >= debounce:
            changes.append((start + debounce - 1, value))
            level = value
        start += length
    level = 1
    for at, value in [*changes, (len(bits), None)]:
        if level and stuck and since + stuck - 1 < at:
            events.append((since + stuck - 1, "stuck", 0))
            is_stuck = True
        if value is None:
            break
        if value:
            events.append((at, "pressed", 0))
        elif is_stuck:
            events.append((at, "unstuck", 0))
        level, since, is_stuck = value, at, False
    return events


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 6),
    st.integers(0, 40),
    st.lists(
        st.tuples(st.integers(0, 1), st.one_of(st.integers(1, 7), st.integers(8, 60))),
        max_size=30,
    ),
)
def test_any_reading_sequence_gives_the_events_handset_h_promises(
    harness: Path, debounce: int, stuck: int, segments: list[tuple[int, int]]
) -> None:
    bits = [value for value, length in segments for _ in range(length)]
    assert run(harness, bits, n=1, debounce=debounce, stuck=stuck) == expected_events(
        bits, debounce, stuck
    )


def test_presses_from_the_firmware_code_reach_the_host_as_client_presses(
    harness: Path,
) -> None:
    """HELLO, 80 Hz SAMPLEs and EVENT client frames as the sketch sends them, in odd chunks."""
    press_at_us = {(i + 1) * 101_000: i for i in range(len(BUTTONS))}
    requests = [f"S {n} {n * 12_500} 0 " + " ".join(["5"] * 8) for n in range(50)]
    requests += [f"B {t_us} {i}" for t_us, i in press_at_us.items()]
    frames = [c_bytes(a) for a in ask(harness, requests)]
    samples, events = frames[:50], frames[50:]
    # each press goes out just before the next sample, as the sketch's loop() queues it
    order = sorted(
        [(n * 12_500, f) for n, f in enumerate(samples)]
        + [(t_us + 1, f) for t_us, f in zip(press_at_us, events, strict=True)]
    )
    hello = c_bytes(run_vectors(harness)["hello_rp2040"])
    wire = b"".join([hello] + [f for _, f in order])
    decoder, stream = FrameDecoder(), SampleStream()
    items = [
        item
        for k in range(0, len(wire), 7)
        for item in stream.push(decoder.feed(wire[k : k + 7]), host_rx_s=1.7e9 + k * 1e-5)
    ]
    assert decoder.counters.bad_packets == 0, decoder.counters.as_dict()
    got = [item for item in items if isinstance(item, DeviceEvent)]
    assert [e.payload for e in got] == [{"event": "client", "button": b} for b in BUTTONS]
    assert [round(e.t_device_s * 1e6) for e in got] == list(press_at_us)
    parsed = [parse_handset_event(e) for e in got]
    assert all(isinstance(p, ClientPress) for p in parsed)
    assert [p.button for p in parsed if p is not None] == list(BUTTONS)
