"""`record --lsl` and the live runtime behind `serve --lsl` open the LSL streams: a real pylsl
inlet receives their samples, and the session's start, notes and stop as markers."""

from __future__ import annotations

import random
import threading
from pathlib import Path

import dashkit
import lslkit  # configures liblsl for this process (before any stream opens)
import numpy as np

from ashisense.live import LiveRuntime
from ashisense.lsl import LslOutlets, force_stream_name, marker_stream_name
from ashisense.rig import load_rig
from ashisense.sim.ptyserver import PtyRig
from ashisense_cli import main

SIM_RIG = dashkit.RIG_FILE
N_SAMPLES = 40  # half a second at 80 Hz


def _events(got: list[tuple[float, dict[str, object]]]) -> list[tuple[object, ...]]:
    return [(b["event"], b.get("action"), b.get("label") or b.get("text")) for _, b in got]


def test_record_with_lsl_streams_its_samples_and_session_markers(tmp_path: Path) -> None:
    seed = random.randrange(10**6, 10**7)  # the device serial SIM-<seed>: this run's streams
    room = lslkit.unique_room()
    argv = ["record", "--rig", str(SIM_RIG), "--device", f"sim://calm?seed={seed}",
            "--seconds", "4", "--out", str(tmp_path / "s.sqlite"), "--label", "lab run",
            "--lsl", "--lsl-room", room]  # fmt: skip
    codes: list[int] = []
    recording = threading.Thread(target=lambda: codes.append(main(argv)), name="test-record")
    recording.start()
    try:
        serial = f"SIM-{seed}"
        force = lslkit.open_inlet("Force", serial, force_stream_name(room))
        markers = lslkit.open_inlet("Markers", serial, marker_stream_name(room))
        values, stamps = lslkit.pull_samples(force, N_SAMPLES)
        started = lslkit.pull_markers_until(markers, "session", "start")
        stopped = lslkit.pull_markers_until(markers, "session", "stop")
    finally:
        recording.join(60)
    assert codes == [0]
    assert _events(started)[-1] == ("session", "start", "lab run")
    assert _events(stopped)[-1] == ("session", "stop", "lab run")
    assert values.shape == (N_SAMPLES, len(load_rig(SIM_RIG).channels) + 10)
    assert np.all(np.diff(stamps) > 0)


def test_the_live_runtime_streams_to_lsl_and_marks_sessions_and_notes(tmp_path: Path) -> None:
    room = lslkit.unique_room()
    lsl = LslOutlets(room, load_rig(SIM_RIG))
    scripted = dashkit.ScriptedRig()
    with PtyRig(scripted) as pty:  # type: ignore[arg-type]
        config = dashkit.live_config(tmp_path, pty.path, consumers=(lsl,))
        with LiveRuntime(config) as runtime:
            runtime.link.wait_for_hello(30)
            force = lslkit.open_inlet("Force", "SCRIPT-1", force_stream_name(room))
            markers = lslkit.open_inlet("Markers", "SCRIPT-1", marker_stream_name(room))
            assert lsl.wait_for_consumers(lslkit.RESOLVE_TIMEOUT_S)
            values, stamps = lslkit.pull_samples(force, N_SAMPLES)
            sid = runtime.start_session(label="morning")
            runtime.annotate("client asks for less pressure", "therapist")
            assert runtime.stop_session() == sid
            got = lslkit.pull_markers_until(markers, "session", "stop")
        assert not lsl.has_consumers()  # the runtime stopped: the streams ended with it
    events = [e for e in _events(got) if e[0] in ("session", "note")]
    assert events == [
        ("session", "start", "morning"),
        ("note", None, "client asks for less pressure"),
        ("session", "stop", "morning"),
    ]
    sessions = [b["session"] for _, b in got if b["event"] == "session"]
    assert sessions == [sid, sid]
    assert values.shape[0] == N_SAMPLES and np.all(np.diff(stamps) > 0)
