"""Synthetic sample blocks and session metadata for the store, record and export tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ashisense.store import AlarmRecord, SessionInfo, SessionMeta, SessionStore
from firmware_bridge.blocks import SampleBlock
from firmware_bridge.protocol import Hello

CHANNELS = ("bar_left_head", "bar_left_foot", "mat_head_left", "mat_foot_right")


def hello(channels: tuple[str, ...] = CHANNELS, rate_hz: float = 1000.0) -> Hello:
    return Hello.from_dict(
        {
            "protocol": 1,
            "device": "test-rig",
            "serial": "T-1",
            "firmware": "0.0",
            "rate_hz": rate_hz,
            "channels": list(channels),
        }
    )


def blocks(
    n_blocks: int,
    block_len: int = 10,
    *,
    channels: tuple[str, ...] = CHANNELS,
    rate_hz: float = 1000.0,
    seq0: int = 0,
    t0_s: float = 1.7e9,
    seed: int = 0,
) -> list[SampleBlock]:
    """Consecutive blocks of noisy counts, with every 7th value of channel 0 marked invalid."""
    rng = np.random.default_rng(seed)
    n = n_blocks * block_len
    seq = np.arange(seq0, seq0 + n, dtype=np.int64)
    t_dev = seq / rate_hz
    t_s = t0_s + t_dev + rng.normal(0.0, 1e-6, n)
    counts = (rng.normal(0, 40, (n, len(channels))) + 8000 * np.arange(len(channels))).astype(
        np.int32
    )
    invalid = np.zeros((n, len(channels)), dtype=bool)
    invalid[::7, 0] = True
    return [
        SampleBlock(
            t_s=t_s[i : i + block_len],
            t_device_s=t_dev[i : i + block_len],
            seq=seq[i : i + block_len],
            counts=counts[i : i + block_len],
            invalid=invalid[i : i + block_len],
            channels=channels,
        )
        for i in range(0, n, block_len)
    ]


def meta(t_s: float = 1.7e9, **overrides: object) -> SessionMeta:
    fields: dict[str, object] = {
        "started_s": t_s,
        "rig_text": "[device]\nurl = 'sim://stepping'\n",
        "rig_path": "rig.toml",
        "calibration": {"bar_left_head": {"offset_counts": 8100, "gain_n_per_count": 0.00186}},
        "client": {"id": "client-1", "weight_kg": 70.0},
        "therapist": {"id": "ther-1", "weight_kg": 65.0},
        "rules_text": "[policy]\n",
        "contraindications_text": "# none\n",
        "label": "test",
    }
    fields.update(overrides)
    return SessionMeta(**fields)  # type: ignore[arg-type]


def assert_same_samples(got: list[SampleBlock], want: list[SampleBlock]) -> None:
    """The samples of `got` equal those of `want` exactly (times bit for bit), however blocked."""
    a, b = SampleBlock.concat(got), SampleBlock.concat(want)
    assert a.channels == b.channels
    for name in ("t_s", "t_device_s", "seq", "counts", "invalid"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def sim_session(
    store: SessionStore,
    seconds: float,
    *,
    rig: str = "sim_rig.toml",
    scenario: str = "stepping",
    seed: int = 1,
    therapist_kg: float = 65.0,
    chunk_s: float = 0.5,
) -> int:
    """`seconds` of the simulated rig at 80 Hz straight into `store`, with an example rig
    (`rig` in examples/), the example profiles and studio rules; returns the session id."""
    # Imported here: the simulator and pipeline are heavy, and the kill test's child process
    # imports this module only for the light helpers above.
    from tests.simsessionkit import simulate_session

    return simulate_session(
        store,
        seconds,
        rig_path=EXAMPLES / rig,
        client_path=EXAMPLES / "profiles" / "client_example.toml",
        therapist_path=EXAMPLES / "profiles" / "therapist_example.toml",
        rules_path=EXAMPLES / "rules" / "studio_default.toml",
        contraindications_path=EXAMPLES / "rules" / "contraindications.toml",
        scenario=scenario,
        seed=seed,
        therapist_kg=therapist_kg,
        chunk_s=chunk_s,
    )


def replayed_alarms(store: SessionStore, info: SessionInfo) -> list[AlarmRecord]:
    """The alarm log rows a replay of session `info` from its raw counts gives (its own rig,
    people and rules; stored chunks joined into 4096-sample blocks)."""
    # Imported here, as in sim_session: the pipeline is heavy.
    from ashisense.session.analysis import SessionAnalysis
    from ashisense.store.replay import session_items

    analysis = SessionAnalysis.for_session(info)
    replayed: list[AlarmRecord] = []
    for item in session_items(store, info.id, block_samples=4096):
        step = analysis.feed(item)
        if step is not None:
            replayed += [AlarmRecord.of(e) for e in step.alarms]
    return replayed
