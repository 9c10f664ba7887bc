"""LSL inlets for the tests: liblsl kept on this machine, streams resolved and drained.

Importing this module configures liblsl for the whole test process (it reads its
configuration once, at its first use, so import this before anything opens a stream):
resolution stays on this machine (multicast scope "machine", IPv4 only), whatever network
the machine has, and its info log is quiet. Tests of other checkouts running at the same time
see these streams too, so each test names its streams after its own random room and device.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pylsl

LSL_CONFIG = "[multicast]\nResolveScope = machine\n[ports]\nIPv6 = disable\n[log]\nlevel = -2\n"


def _configure() -> None:
    """Point liblsl at LSL_CONFIG (a file: LSLAPICFG works with every liblsl release)."""
    folder = Path(tempfile.gettempdir()) / f"ashisense-lsl-{os.getuid()}"
    folder.mkdir(exist_ok=True)
    path = folder / "lsl_api.cfg"
    if not path.exists() or path.read_text() != LSL_CONFIG:
        tmp = folder / f"lsl_api.cfg.{os.getpid()}"
        tmp.write_text(LSL_CONFIG)
        tmp.replace(path)
    os.environ["LSLAPICFG"] = str(path)


_configure()

#: Generous bounds that only catch hangs (a busy 2-core machine): never a figure.
RESOLVE_TIMEOUT_S = 30.0
PULL_TIMEOUT_S = 60.0


def unique_room() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def unique_serial() -> str:
    """A device serial (the streams' source_id) no other test run uses."""
    return f"TEST-{uuid.uuid4().hex[:12]}"


#: With this seed the simulated overload scenario raises feet_overload_lumbar at 6.5 s.
OVERLOAD_SEED = 12345
OVERLOAD_SECONDS = 10.0
NOTE = "client asks for less pressure"


def record_overload(path: Path) -> tuple[int, str]:
    """A 10 s overload session (80 Hz) with a note into `path`, from a device with a serial of
    its own (the streams' source_id: other test runs on this machine see these streams
    too); returns (session id, serial)."""
    from storekit import sim_session

    from ashisense.store import Annotation, Batch, open_store
    from firmware_bridge.protocol import Hello

    serial = unique_serial()
    with open_store(path) as store:
        sid = sim_session(store, OVERLOAD_SECONDS, scenario="overload", seed=OVERLOAD_SEED)
        info = store.session(sid)
        assert info.hello is not None
        store.write(sid, Batch(hello=Hello.from_dict({**info.hello, "serial": serial})))
        store.add_annotation(sid, Annotation(info.meta.started_s + 3.0, NOTE, "trainer"))
    return sid, serial


def open_inlet(stream_type: str, source_id: str, name: str) -> pylsl.StreamInlet:
    """The inlet of the one stream of this type, source_id and name, connected."""
    predicate = f"type='{stream_type}' and source_id='{source_id}' and name='{name}'"
    found = pylsl.resolve_bypred(predicate, 1, RESOLVE_TIMEOUT_S)
    assert len(found) == 1, f"LSL: expected one stream matching {predicate}, found {found}"
    inlet = pylsl.StreamInlet(found[0], max_buflen=360, recover=False)
    inlet.open_stream(RESOLVE_TIMEOUT_S)
    return inlet


def pull_samples(inlet: pylsl.StreamInlet, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Exactly n samples (values (n, channels) float32, timestamps (n,)); fails on a hang."""
    values: list[np.ndarray] = []
    stamps: list[float] = []
    deadline_s = time.monotonic() + PULL_TIMEOUT_S
    while len(stamps) < n and time.monotonic() < deadline_s:
        chunk, ts = inlet.pull_chunk(timeout=1.0, max_samples=n - len(stamps))
        if ts:
            values.append(np.asarray(chunk, dtype=np.float32))
            stamps += ts
    assert len(stamps) == n, f"LSL: expected {n} samples, got {len(stamps)}"
    return np.concatenate(values), np.asarray(stamps)


def pull_markers_until(
    inlet: pylsl.StreamInlet, event: str, action: str | None = None
) -> list[tuple[float, dict[str, Any]]]:
    """Markers (timestamp, parsed JSON) up to and including the first of this event (and
    action); fails on a hang."""
    got: list[tuple[float, dict[str, Any]]] = []
    deadline_s = time.monotonic() + PULL_TIMEOUT_S
    while time.monotonic() < deadline_s:
        sample, ts = inlet.pull_sample(timeout=1.0)
        if sample is None:
            continue
        body = json.loads(sample[0])
        got.append((ts, body))
        if body["event"] == event and (action is None or body.get("action") == action):
            return got
    raise AssertionError(f"LSL: no {event} {action or ''} marker; got {got}")
