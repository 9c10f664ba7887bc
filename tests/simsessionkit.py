"""A simulated session written straight into a store: no link, no threads, any length fast.

For tests and benchmarks: the simulated rig's counts go in as the recorder would
commit them (one batch per `chunk_s` of samples), with the same snapshots a live recording
keeps, so replay, export and the report treat it like any recorded session.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ashisense.profiles import load_client, load_therapist
from ashisense.rig import load_rig
from ashisense.session.snapshot import session_meta
from ashisense.sim.model import RigSimulator
from ashisense.store.base import SessionStore
from ashisense.store.records import Batch, SessionSummary
from firmware_bridge.blocks import GridBlock, SampleBlock
from firmware_bridge.protocol import Hello


def simulate_session(
    store: SessionStore,
    seconds: float,
    *,
    rig_path: str | Path,
    client_path: str | Path | None = None,
    therapist_path: str | Path | None = None,
    rules_path: str | Path | None = None,
    contraindications_path: str | Path | None = None,
    scenario: str = "stepping",
    seed: int = 0,
    rate_hz: float = 80.0,
    therapist_kg: float = 65.0,
    started_s: float = 1.7e9,
    chunk_s: float = 0.5,
) -> int:
    """Write `seconds` of the simulated rig as a finished session; returns its id.

    Host times are started_s + device time; a rig with a [grid] gets grid frames too. The
    summary has no peak feet force (no live pipeline ran); a replay or report derives it.
    """
    rig = load_rig(rig_path)
    client = load_client(client_path) if client_path else None
    therapist = load_therapist(therapist_path) if therapist_path else None
    sim = RigSimulator(
        scenario,
        rate_hz,
        seed=seed,
        therapist_kg=therapist_kg,
        channels=rig.channels,
        grid=rig.grid is not None,
    )
    meta = session_meta(
        rig,
        rig_path,
        started_s=started_s,
        client=client,
        therapist=therapist,
        rules_path=rules_path,
        contraindications_path=contraindications_path,
        label=f"simulated {scenario}, seed {seed}",
    )
    sid = store.create_session(meta)
    store.write(sid, Batch(hello=Hello.from_dict(sim.hello)))
    chunk = max(1, round(rate_hz * chunk_s))
    total = round(seconds * rate_hz)
    written = grid_seq = 0
    while written < total:
        b = sim.next_block(min(chunk, total - written))
        block = SampleBlock(
            t_s=started_s + b.t_s,
            t_device_s=b.t_s,
            seq=np.arange(written, written + len(b), dtype=np.int64),
            counts=b.counts,
            invalid=b.invalid,
            channels=sim.channels,
        )
        grids = []
        if b.grid is not None and b.grid_t_s is not None and len(b.grid_t_s):
            frames = np.arange(grid_seq, grid_seq + len(b.grid_t_s), dtype=np.int64)
            grids.append(GridBlock(started_s + b.grid_t_s, frames, b.grid))
            grid_seq += len(b.grid_t_s)
        store.write(sid, Batch(blocks=[block], grids=grids))
        written += len(block)
    summary = SessionSummary(duration_s=(written - 1) / rate_hz, samples=written)
    store.finish_session(sid, started_s + seconds, summary)
    return sid
