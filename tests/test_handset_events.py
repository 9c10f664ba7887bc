"""firmware_bridge.events: handset EVENTs parse into typed presses; anything else is left alone,
and a handset event naming an unknown button is refused with a message that lists the valid ones.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware_bridge.blocks import DeviceEvent
from firmware_bridge.errors import ProtocolError
from firmware_bridge.events import (
    BUTTONS,
    ClientPress,
    HandsetEventError,
    HandsetStuck,
    parse_handset_event,
)

HANDSET_EVENTS = ("client", "handset_stuck", "handset_unstuck")
times_s = st.floats(0, 2e9, allow_nan=False)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=6,
)
extra_keys = st.dictionaries(
    st.text().filter(lambda k: k not in ("event", "button")), json_values, max_size=3
)


@given(st.sampled_from(BUTTONS), times_s, times_s, extra_keys)
def test_a_client_event_is_a_press_of_its_button(
    button: str, t_s: float, t_device_s: float, extra: dict
) -> None:
    event = DeviceEvent(t_s, t_device_s, {"event": "client", "button": button, **extra})
    assert parse_handset_event(event) == ClientPress(button, t_s, t_device_s)


@given(st.sampled_from(BUTTONS), st.sampled_from(["handset_stuck", "handset_unstuck"]), times_s)
def test_stuck_and_unstuck_events_say_which_button_and_which_way(
    button: str, name: str, t_s: float
) -> None:
    event = DeviceEvent(t_s, 12.5, {"event": name, "button": button})
    assert parse_handset_event(event) == HandsetStuck(button, name == "handset_stuck", t_s, 12.5)


@given(
    st.one_of(json_values, st.text()).filter(lambda v: str(v) not in HANDSET_EVENTS),
    st.dictionaries(st.text(), json_values, max_size=3),
)
def test_any_other_event_is_not_the_handsets(name: object, payload: dict) -> None:
    payload = {**payload, "event": name}
    assert parse_handset_event(DeviceEvent(1.0, 2.0, payload)) is None
    assert parse_handset_event(DeviceEvent(1.0, 2.0, {})) is None


@given(
    st.sampled_from(HANDSET_EVENTS),
    st.one_of(json_values.filter(lambda v: v not in BUTTONS), st.just("STOP")),
)
def test_a_handset_event_with_an_unknown_button_is_refused(name: str, button: object) -> None:
    event = DeviceEvent(1.0, 3.25, {"event": name, "button": button})
    with pytest.raises(HandsetEventError) as caught:
        parse_handset_event(event)
    message = str(caught.value)
    assert "lighter, deeper, stop, ok" in message and repr(button) in message
    assert name in message and "3.250000 s" in message
    assert isinstance(caught.value, ProtocolError) and isinstance(caught.value, ValueError)


@pytest.mark.parametrize("name", HANDSET_EVENTS)
def test_a_handset_event_without_a_button_is_refused(name: str) -> None:
    with pytest.raises(HandsetEventError, match="'button' must be one of"):
        parse_handset_event(DeviceEvent(1.0, 2.0, {"event": name}))
