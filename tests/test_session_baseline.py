"""A session keeps the pipeline's baseline state: one started with the therapist already on the
client replays the live feet force from its first sample; baselines taken during the session
are re-applied at their moments; sessions without stored states replay as before."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ashisense.alarms import load_rule_set
from ashisense.pipeline.types import EstimateBlock
from ashisense.rig import Rig, load_rig
from ashisense.session.analysis import SessionAnalysis, Step
from ashisense.session.recorder import Recorder
from ashisense.session.setup import SessionSetup
from ashisense.session.snapshot import session_meta
from ashisense.sim.model import RigSimulator
from ashisense.store import SessionWriter, SQLiteStore
from ashisense.store.blocks import slice_block
from ashisense.store.replay import session_items
from firmware_bridge.blocks import SampleBlock
from firmware_bridge.listener import deliver
from firmware_bridge.protocol import Hello
from tests.pipelinekit import CLIENT, RATE_HZ, THERAPIST, W_N, block, scene
from tests.simfeedkit import sim_profiles

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
RIG_FILE = EXAMPLES / "sim_rig.toml"
T0_S = 1.7e9
LINK_BLOCK = 8  # samples per block as the link delivers them at 80 Hz


@dataclass(frozen=True)
class Stream:
    """A simulated rig's stream in link-sized blocks, and which block the session starts at."""

    hello: Hello
    blocks: list[SampleBlock]
    start: int


@pytest.fixture(scope="module")
def rig() -> Rig:
    return load_rig(RIG_FILE)


@pytest.fixture(scope="module")
def mid_treatment(rig: Rig) -> Stream:
    """25 s of the simulated stepping session; the recording starts once the therapist has
    been on the client for a while (the client baseline was taken seconds before)."""
    sim = RigSimulator("stepping", RATE_HZ, seed=1, channels=rig.channels)
    blocks, start, seq = [], None, 0
    while seq < 25 * RATE_HZ:
        b = sim.next_block(LINK_BLOCK)
        seqs = np.arange(seq, seq + len(b.t_s), dtype=np.int64)
        blocks.append(SampleBlock(T0_S + b.t_s, b.t_s, seqs, b.counts, b.invalid, rig.channels))
        seq += len(b.t_s)
        if start is None and b.truth.t_s[0] > 8.0 and b.truth.feet_n.min() > 100.0:
            start = len(blocks) - 1
    assert start is not None, "the simulated therapist never stood on the client"
    return Stream(Hello.from_dict(sim.hello), blocks, start)


def record(
    store: SQLiteStore,
    live: SessionAnalysis,
    blocks: Iterable[SampleBlock],
    hello: Hello | None = None,
    *,
    keep_baselines: bool = True,
    take_baseline_at: float | None = None,
) -> tuple[int, EstimateBlock]:
    """Record blocks as the live runtime does (the writer first, then the analysis); returns
    the session id and the live estimates. keep_baselines=False: as before states were kept."""
    meta = session_meta(live.rig, RIG_FILE, started_s=T0_S, client=live.client,
                        therapist=live.therapist)  # fmt: skip
    estimates = []
    with SessionWriter(store, meta) as writer:
        if hello is not None:
            writer.on_hello(hello)
        if keep_baselines:
            writer.add_baselines([live.pipeline.baseline_state()])
        for b in blocks:
            writer.on_block(b)
            step = live.feed(b)
            assert step is not None
            estimates.append(step.estimate)
            if keep_baselines:
                writer.add_baselines(step.baselines)
            if take_baseline_at is not None and b.t_s[-1] >= take_baseline_at:
                live.pipeline.take_baseline()  # the operator, between two blocks
                take_baseline_at = None
    return writer.session_id, EstimateBlock.concat(estimates)


def record_to_file(
    folder: Path, live: SessionAnalysis, blocks: Iterable[SampleBlock], *args: Any, **options: Any
) -> tuple[Path, int, EstimateBlock]:
    """record() (with its other arguments) into a new store file in `folder`: the file, the
    session id and the live estimates."""
    path = folder / "s.sqlite"
    with SQLiteStore(path) as store:
        sid, want = record(store, live, blocks, *args, **options)
    return path, sid, want


def replayed(analysis: SessionAnalysis, items: Iterable[object]) -> EstimateBlock:
    steps = [analysis.feed(item) for item in items]  # type: ignore[arg-type]
    return EstimateBlock.concat([s.estimate for s in steps if isinstance(s, Step)])


def replay(store: SQLiteStore, sid: int, **options: object) -> EstimateBlock:
    """Replay a stored session as `ashisense replay --fast` does."""
    analysis = SessionAnalysis.for_session(store.session(sid), alarms=False, **options)  # type: ignore[arg-type]
    return replayed(analysis, session_items(store, sid, block_samples=4096))


@pytest.fixture(scope="module")
def recorded_mid(
    tmp_path_factory: pytest.TempPathFactory, rig: Rig, mid_treatment: Stream
) -> tuple[Path, int, EstimateBlock]:
    """The mid-treatment session recorded live: (store file, session id, live estimates)."""
    client, therapist = sim_profiles()
    live = SessionAnalysis(SessionSetup(rig, client, therapist), rate_hz=RATE_HZ)
    for b in mid_treatment.blocks[: mid_treatment.start]:
        live.feed(b)
    assert live.pipeline.state.baseline_ready
    during = mid_treatment.blocks[mid_treatment.start :]
    return record_to_file(tmp_path_factory.mktemp("mid"), live, during, mid_treatment.hello)


def test_a_session_started_mid_treatment_replays_the_live_feet_force_from_its_first_sample(
    recorded_mid: tuple[Path, int, EstimateBlock],
) -> None:
    path, sid, want = recorded_mid
    with SQLiteStore(path, readonly=True) as store:
        got = replay(store, sid)
        start = store.session(sid).baselines[0]
    assert start.kind == "start" and start.t_s < want.t_s[0]
    assert start.state["client"]["how"] == "automatic"
    assert start.state["client"]["t_s"] < T0_S + 8.0  # taken while the client was alone
    assert np.isfinite(want.feet_n[0]) and want.feet_n[0] > 100.0
    np.testing.assert_allclose(got.feet_n, want.feet_n, rtol=0, atol=0.01)
    np.testing.assert_allclose(got.feet_x_m, want.feet_x_m, rtol=0, atol=1e-4)


def test_a_session_without_stored_baselines_replays_as_before(
    tmp_path: Path, rig: Rig, mid_treatment: Stream
) -> None:
    client, therapist = sim_profiles()
    live = SessionAnalysis(SessionSetup(rig, client, therapist), rate_hz=RATE_HZ)
    for b in mid_treatment.blocks[: mid_treatment.start]:
        live.feed(b)
    session = mid_treatment.blocks[mid_treatment.start :]
    with SQLiteStore(tmp_path / "s.sqlite") as store:
        sid, _ = record(store, live, session, mid_treatment.hello, keep_baselines=False)
        assert store.session(sid).baselines == ()
        got = replay(store, sid)
    fresh = SessionAnalysis(SessionSetup(rig, client, therapist), rate_hz=RATE_HZ)
    want = fresh.feed(SampleBlock.concat(session))
    assert want is not None
    np.testing.assert_array_equal(got.feet_n, want.estimate.feet_n)
    assert np.isnan(got.feet_n[: int(5 * RATE_HZ)]).all()  # no client-only stretch to start


def phases() -> tuple[np.ndarray, int, float]:
    """Forces of a scripted treatment (sim rig, noisy), the sample the session starts at, and
    when the operator takes a baseline: the client lies down and the recording starts before
    a baseline exists; alone 2.5 s; the therapist on; off, a blanket on the client (40 N, a
    step the automatic refresh does not follow) while the unloaded bars drift 1.5 N a cell;
    a baseline on request; the therapist on again."""
    r = load_rig(RIG_FILE)
    bars = dict(bar_left_n=(W_N - 200) / 2, bar_right_n=(W_N - 200) / 2)
    parts = [
        scene(r, 200),
        scene(r, 240, feet_n=200.0, **bars),
        scene(r, 320, client_n=CLIENT.weight_n + 40.0, client_xy=(0.83, 0.02)),
        scene(r, 240, client_n=CLIENT.weight_n + 40.0, client_xy=(0.83, 0.02), feet_n=200.0,
              **bars),
    ]  # fmt: skip
    forces = np.concatenate(parts)
    forces[440:760, r.index("bar")] += 1.5
    forces[760:, r.index("bar")] += 1.5
    forces += np.random.default_rng(5).normal(0.0, 0.3, forces.shape)
    return forces, 40, 700 / RATE_HZ


@pytest.fixture(scope="module")
def scripted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, EstimateBlock]:
    """The scripted treatment recorded live: (store file, session id, live estimates)."""
    r = load_rig(RIG_FILE)
    forces, start, take_at = phases()
    blocks = [block(r, forces[i : i + LINK_BLOCK], i) for i in range(0, len(forces), LINK_BLOCK)]
    live = SessionAnalysis(SessionSetup(r, CLIENT, THERAPIST), rate_hz=RATE_HZ)
    for b in blocks[: start // LINK_BLOCK]:
        live.feed(b)
    during = blocks[start // LINK_BLOCK :]
    return record_to_file(
        tmp_path_factory.mktemp("scripted"), live, during, take_baseline_at=take_at
    )


def test_baselines_taken_during_the_session_are_re_applied_at_their_moments(
    scripted: tuple[Path, int, EstimateBlock],
) -> None:
    path, sid, want = scripted
    with SQLiteStore(path, readonly=True) as store:
        info = store.session(sid)
        got = replay(store, sid)
        items = list(session_items(store, sid, block_samples=4096))
    kinds = [b.kind for b in info.baselines]
    assert kinds[:2] == ["start", "automatic"] and "on request" in kinds
    assert info.baselines[0].state["client"] is None  # the recording began before any
    on_request = next(b for b in info.baselines if b.kind == "on request")
    assert on_request.t_s == pytest.approx(703 / RATE_HZ)  # after the block the take followed
    ready = ~np.isnan(want.feet_n)
    np.testing.assert_array_equal(~np.isnan(got.feet_n), ready)  # ready from the same sample
    t = want.t_s
    alone = (t < 200 / RATE_HZ) & ready  # the live refresh ran on a longer window meanwhile
    np.testing.assert_allclose(got.feet_n[alone], want.feet_n[alone], rtol=0, atol=0.2)
    after = t >= 200 / RATE_HZ  # each refresh was recorded as it settled: the same from here
    np.testing.assert_allclose(got.feet_n[after], want.feet_n[after], rtol=0, atol=0.01)

    start_only = SessionAnalysis(
        SessionSetup(load_rig(RIG_FILE), CLIENT, THERAPIST),
        rate_hz=RATE_HZ,
        baselines=info.baselines[:1],
    )
    without = replayed(start_only, items)
    late = t >= 760 / RATE_HZ  # the baseline on request is what tells the blanket's 40 N
    assert np.nanmin(np.abs(without.feet_n[late] - want.feet_n[late])) > 30


@settings(max_examples=10, deadline=None)
@given(cuts=st.lists(st.integers(1, 300), min_size=1, max_size=12))
def test_a_replay_does_not_depend_on_how_its_stream_is_cut(
    scripted: tuple[Path, int, EstimateBlock], cuts: list[int]
) -> None:
    path, sid, _ = scripted
    with SQLiteStore(path, readonly=True) as store:
        info = store.session(sid)
        whole = SampleBlock.concat(list(store.blocks(sid)))
    one_pass = replayed(SessionAnalysis.for_session(info, alarms=False), [whole])
    pieces, at = [], 0
    for n in cuts * (len(whole) // sum(cuts) + 1):
        if at >= len(whole):
            break
        pieces.append(slice_block(whole, at, min(at + n, len(whole))))
        at += n
    cut = replayed(SessionAnalysis.for_session(info, alarms=False), pieces)
    np.testing.assert_allclose(cut.feet_n, one_pass.feet_n, rtol=0, atol=1e-9)


def test_an_old_file_without_baseline_states_opens_read_only_and_replays(
    tmp_path: Path, rig: Rig, mid_treatment: Stream
) -> None:
    path = tmp_path / "old.sqlite"
    client, therapist = sim_profiles()
    session = mid_treatment.blocks[mid_treatment.start :]
    with SQLiteStore(path) as store:
        live = SessionAnalysis(SessionSetup(rig, client, therapist), rate_hz=RATE_HZ)
        sid, _ = record(store, live, session, mid_treatment.hello, keep_baselines=False)
    with sqlite3.connect(path) as conn:  # as written before the states were kept
        conn.execute("DROP TABLE baselines")
    with SQLiteStore(path, readonly=True) as store:
        assert store.baselines(sid) == [] and store.sessions()[0].baselines == ()
        got = replay(store, sid)
    assert len(got) == sum(len(b) for b in session)


def test_another_calibration_leaves_the_stored_baselines_out_and_says_so(
    tmp_path: Path, recorded_mid: tuple[Path, int, EstimateBlock], caplog: pytest.LogCaptureFixture
) -> None:
    path, sid, want = recorded_mid
    text = RIG_FILE.read_text(encoding="utf-8")
    same, other = tmp_path / "same.toml", tmp_path / "other.toml"
    same.write_text(text, encoding="utf-8")
    other.write_text(text.replace("gain_n_per_count = 0.00186", "gain_n_per_count = 0.00190"))
    with SQLiteStore(path, readonly=True) as store:
        with_same = replay(store, sid, rig_path=same)
        with caplog.at_level(logging.WARNING, logger="ashisense.session.analysis"):
            with_other = replay(store, sid, rig_path=other)
    np.testing.assert_allclose(with_same.feet_n, want.feet_n, rtol=0, atol=0.01)
    assert "detected again from the counts" in caplog.text
    assert np.isnan(with_other.feet_n[0])  # as for a session recorded before states were kept


def test_a_headless_recording_keeps_its_start_state_and_each_baseline(
    tmp_path: Path, rig: Rig, mid_treatment: Stream
) -> None:
    client, therapist = sim_profiles()
    rules_path = EXAMPLES / "rules" / "studio_default.toml"
    meta = session_meta(rig, RIG_FILE, started_s=T0_S, client=client, therapist=therapist,
                        rules_path=rules_path)  # fmt: skip
    steps: list[Step] = []
    with SQLiteStore(tmp_path / "s.sqlite") as store:
        recorder = Recorder(
            store,
            meta,
            SessionSetup(rig, client, therapist, load_rule_set(rules_path)),
            on_step=steps.append,
        )
        with recorder:
            for item in [mid_treatment.hello, *mid_treatment.blocks]:
                deliver(recorder, item)  # as the link's dispatcher does
        sid = recorder.writer.session_id
        info = store.session(sid)
        analysis = SessionAnalysis.for_session(info)
        replayed_steps = [analysis.feed(item) for item in session_items(store, sid, 4096)]
        live_log = store.alarms(sid)
    kinds = [b.kind for b in info.baselines]
    assert kinds[:2] == ["start", "automatic"]
    assert info.baselines[0].t_s == -np.inf and info.baselines[0].state["client"] is None
    got = EstimateBlock.concat([s.estimate for s in replayed_steps if isinstance(s, Step)])
    want = EstimateBlock.concat([s.estimate for s in steps])
    np.testing.assert_allclose(got.feet_n, want.feet_n, rtol=0, atol=0.01)
    kept = ("raised", "condition_ended")  # (a replay does not record: no recorder alarms)
    alarms = [e for s in replayed_steps if isinstance(s, Step) for e in s.alarms]
    replayed_log = [(a.t_s, a.rule_id, str(a.transition)) for a in alarms if a.transition in kept]
    assert replayed_log, "the simulated session should raise alarms"
    assert replayed_log == [
        (a.t_s, a.rule_id, a.transition) for a in live_log if a.transition in kept
    ]
