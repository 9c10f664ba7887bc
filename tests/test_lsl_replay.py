"""A recorded session played into LSL reaches a real pylsl inlet whole: every sample (equal to
the export within float32), its device-clock spacing, the stream description, and the
markers (session start and stop, a note, the overload alarm), in process and by the CLI."""

from __future__ import annotations

import threading
from pathlib import Path

import lslkit  # first: configures liblsl for this process
import numpy as np
import pyarrow.parquet as pq
import pylsl
import pytest

from ashisense.lsl import ESTIMATE_FIELDS, force_stream_name, marker_stream_name
from ashisense.lsl.replay import SessionPlayer
from ashisense.session.analysis import SessionAnalysis, Step
from ashisense.session.export import export_session
from ashisense.store import SessionInfo, SessionStore, open_store
from ashisense.store.replay import session_items
from ashisense_cli import main


@pytest.fixture
def recorded(tmp_path: Path) -> tuple[Path, int, str]:
    """The overload session; (file, session id, device serial)."""
    path = tmp_path / "sessions.db"
    sid, serial = lslkit.record_overload(path)
    return path, sid, serial


def _inlets(serial: str, room: str) -> tuple[pylsl.StreamInlet, pylsl.StreamInlet]:
    return (
        lslkit.open_inlet("Force", serial, force_stream_name(room)),
        lslkit.open_inlet("Markers", serial, marker_stream_name(room)),
    )


def _expected(store: SessionStore, info: SessionInfo) -> list[Step]:
    analysis = SessionAnalysis.for_session(info)
    steps = [analysis.feed(item) for item in session_items(store, info.id, block_samples=100)]
    return [s for s in steps if s is not None]


def _check_samples(
    values: np.ndarray, stamps: np.ndarray, steps: list[Step], export_path: Path
) -> None:
    """Channels equal the replay's forces, estimates the export's, both within float32;
    timestamps increase with the device clock's spacing (within 1 ms)."""
    blocks = [s.block for s in steps]
    forces = np.concatenate([s.estimate.force_n for s in steps])
    n_channels = forces.shape[1]
    np.testing.assert_array_equal(values[:, :n_channels], forces.astype(np.float32))
    table = pq.read_table(export_path)
    assert table.num_rows == len(values)
    for k, name in enumerate(ESTIMATE_FIELDS):
        want = table.column(name).to_numpy(zero_copy_only=False).astype(np.float64)
        np.testing.assert_allclose(
            values[:, n_channels + k], want, rtol=2**-23, atol=1e-9, err_msg=name
        )
    device_s = np.concatenate([b.t_device_s for b in blocks])
    assert np.all(np.diff(stamps) > 0)
    np.testing.assert_allclose(np.diff(stamps), np.diff(device_s), atol=1e-3)


def _check_markers(markers: list[tuple[float, dict]], info: SessionInfo, steps: list[Step]) -> None:
    """Start first, stop last, the note and every alarm transition between (the overload
    raised among them), in JSON."""
    bodies = [body for _, body in markers]
    alarms = [(b["rule"], b["transition"], b["t_s"]) for b in bodies if b["event"] == "alarm"]
    assert alarms == [(e.rule_id, str(e.transition), e.t_s) for s in steps for e in s.alarms]
    assert bodies[0] == {
        "event": "session",
        "t_s": info.meta.started_s,
        "action": "start",
        "session": info.id,
        "label": info.meta.label,
    }
    assert bodies[-1]["event"] == "session" and bodies[-1]["action"] == "stop"
    notes = [b for b in bodies if b["event"] == "note"]
    assert [(n["text"], n["author"]) for n in notes] == [(lslkit.NOTE, "trainer")]
    raised = [b for b in bodies if b["event"] == "alarm" and b["transition"] == "raised"]
    assert [b["rule"] for b in raised] == ["feet_overload_lumbar"]
    # the client's lumbar limit takes the studio lumbar rule's priority (docs/alarms.md)
    assert raised[0]["priority"] == "medium" and raised[0]["state"] == "active"
    assert raised[0]["value"] > raised[0]["limit"] > 0


def _check_description(info: pylsl.StreamInfo, channels: tuple[str, ...], serial: str) -> None:
    labels = [*channels, *ESTIMATE_FIELDS]
    assert info.channel_count() == len(labels)
    assert info.nominal_srate() == 80.0
    assert info.channel_format() == pylsl.cf_float32
    assert info.get_channel_labels() == labels
    units = info.get_channel_units()
    assert units is not None
    assert units[: len(channels)] == ["newtons"] * len(channels)
    assert units[labels.index("feet_x_m")] == "meters"
    acquisition = info.desc().child("acquisition")
    assert acquisition.child_value("manufacturer") == "AshiSense"
    assert acquisition.child_value("serial_number") == serial
    table = info.desc().child("setup").child("table")
    assert float(table.child_value("length_m")) == 1.90


def test_replayed_session_reaches_an_inlet_whole(recorded: tuple[Path, int, str]) -> None:
    path, sid, serial = recorded
    room = lslkit.unique_room()
    with open_store(path, readonly=True) as store:
        info = store.session(sid)
        steps = _expected(store, info)
        export_session(store, sid, path.with_suffix(".parquet"), "parquet")
        analysis = SessionAnalysis.for_session(info)
        player = SessionPlayer(store, info, analysis.rig, room)
        force, markers = _inlets(serial, room)
        assert player.outlets.wait_for_consumers(lslkit.RESOLVE_TIMEOUT_S)
        for item in session_items(store, sid, block_samples=100):
            player.feed(item, analysis.feed(item))
        player.finish()
        n = sum(len(s.block) for s in steps)
        values, stamps = lslkit.pull_samples(force, n)
        got_markers = lslkit.pull_markers_until(markers, "session", "stop")
        description = force.info(lslkit.RESOLVE_TIMEOUT_S)
        force.close_stream()
        markers.close_stream()
        player.close(linger_s=0.0)
    _check_samples(values, stamps, steps, path.with_suffix(".parquet"))
    _check_markers(got_markers, info, steps)
    _check_description(description, info.channels, serial)


def test_replay_command_plays_into_lsl(recorded: tuple[Path, int, str]) -> None:
    path, sid, serial = recorded
    room = lslkit.unique_room()
    argv = [
        "replay", str(path), str(sid), "--fast", "--lsl", "--lsl-room", room,
        "--lsl-wait", str(lslkit.PULL_TIMEOUT_S),
    ]  # fmt: skip
    codes: list[int] = []
    command = threading.Thread(target=lambda: codes.append(main(argv)), name="test-replay-lsl")
    command.start()
    try:
        force, markers = _inlets(serial, room)
        values, stamps = lslkit.pull_samples(force, round(lslkit.OVERLOAD_SECONDS * 80))
        got_markers = lslkit.pull_markers_until(markers, "session", "stop")
        force.close_stream()
        markers.close_stream()
    finally:
        command.join(lslkit.PULL_TIMEOUT_S * 2)
    assert codes == [0]
    with open_store(path, readonly=True) as store:
        info = store.session(sid)
        steps = _expected(store, info)
        export_session(store, sid, path.with_suffix(".parquet"), "parquet")
    _check_samples(values, stamps, steps, path.with_suffix(".parquet"))
    _check_markers(got_markers, info, steps)
