"""A session uses the newest calibration of its device and knows when it no longer holds: an
old calibration is warned about and alarms, a zero that moved since calibration alarms, live
and again in a replay of the recorded session (the calibration file is kept with it)."""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from storekit import replayed_alarms

from ashisense.alarms.defaults import (
    CONTRAINDICATIONS_FILE,
    RULES_FILE,
    studio_contraindications,
    studio_rules,
)
from ashisense.profiles import load_client, load_therapist
from ashisense.rig import Rig, RigMismatchError, load_rig
from ashisense.session.recorder import Recorder
from ashisense.session.setup import SessionSetup
from ashisense.session.snapshot import rig_of, session_meta
from ashisense.sim.model import DEFAULT_GAIN_N_PER_COUNT, DEFAULT_OFFSET_COUNTS, RigSimulator
from ashisense.store import SQLiteStore
from ashisense.store.records import AlarmRecord
from calibration.files import CalibrationFile, ChannelCalibration, save_calibration
from firmware_bridge.blocks import SampleBlock
from firmware_bridge.listener import deliver
from firmware_bridge.protocol import Hello
from tests.simsessionkit import simulate_session

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SEED = 4
SERIAL = f"SIM-{SEED}"
SECONDS = 20.0
CALIBRATION_ROWS = ("calibration_stale", "zero_drift")


def file_rig(tmp_path: Path, calibration: str = "") -> Path:
    """The simulated rig with every channel calibrated from the history folder cal/."""
    text = (EXAMPLES / "sim_rig.toml").read_text()
    text = re.sub(r"offset_counts = \S+\ngain_n_per_count = \S+", 'calibration = "file"', text)
    path = tmp_path / "rig.toml"
    path.write_text(f'{text}\n[calibration]\npath = "cal"\n{calibration}')
    (tmp_path / "cal").mkdir(exist_ok=True)
    return path


def calibrate(tmp_path: Path, age_days: float, serial: str = SERIAL) -> None:
    """Add a calibration made age_days ago with the simulator's true constants."""
    made = datetime.now(UTC).replace(microsecond=0) - timedelta(days=age_days)
    cal = CalibrationFile(
        version=1,
        created_utc=made.isoformat().replace("+00:00", "Z"),
        device_serial=serial,
        channels={
            name: ChannelCalibration(float(offset), DEFAULT_GAIN_N_PER_COUNT[name])
            for name, offset in DEFAULT_OFFSET_COUNTS.items()
        },
        method="test",
        unloaded_zero_counts={k: float(v) for k, v in DEFAULT_OFFSET_COUNTS.items()},
    )
    save_calibration(cal, tmp_path / "cal")


@dataclass
class Session:
    rig: Rig
    t0_s: float
    live: list[AlarmRecord]
    replayed: list[AlarmRecord]

    def raised(self, rule_id: str) -> list[AlarmRecord]:
        return [a for a in self.live if a.rule_id == rule_id and a.transition == "raised"]


def record(tmp_path: Path, moved_n: dict[str, float] | None = None) -> Session:
    """SECONDS of the calm scenario (the therapist steps on after about 4 s) recorded with the
    studio defaults, the sensors' zeros moved by moved_n since calibration; then replayed."""
    rig_path = tmp_path / "rig.toml"
    rig = load_rig(rig_path)
    offsets = [
        DEFAULT_OFFSET_COUNTS[c] + (moved_n or {}).get(c, 0.0) / DEFAULT_GAIN_N_PER_COUNT[c]
        for c in rig.channels
    ]
    sim = RigSimulator("calm", 80.0, seed=SEED, offsets_counts=np.array(offsets))
    client = load_client(EXAMPLES / "profiles" / "client_example.toml")
    therapist = load_therapist(EXAMPLES / "profiles" / "therapist_example.toml")
    t0_s = time.time()
    meta = session_meta(
        rig,
        rig_path,
        started_s=t0_s,
        client=client,
        therapist=therapist,
        rules_path=RULES_FILE,
        contraindications_path=CONTRAINDICATIONS_FILE,
    )
    rules, contra = studio_rules(), studio_contraindications()
    with SQLiteStore(tmp_path / "s.sqlite") as store:
        recorder = Recorder(store, meta, SessionSetup(rig, client, therapist, rules, contra))
        with recorder:
            deliver(recorder, Hello.from_dict(sim.hello))
            for first in range(0, round(SECONDS * 80), 40):
                b = sim.next_block(40)
                seq = np.arange(first, first + len(b), dtype=np.int64)
                block = SampleBlock(t0_s + b.t_s, b.t_s, seq, b.counts, b.invalid, sim.channels)
                deliver(recorder, block)
        assert recorder.failure is None and recorder.analysis is not None
        info = store.session(recorder.writer.session_id)
        live = store.alarms(info.id)
        replayed = replayed_alarms(store, info)
    return Session(recorder.analysis.rig, t0_s, live, replayed)


def calibration_rows(alarms: list[AlarmRecord]) -> list[tuple[object, ...]]:
    return [
        (a.t_s, a.rule_id, a.transition, a.state, a.limit, a.message)
        for a in alarms
        if a.rule_id in CALIBRATION_ROWS
    ]


def test_a_zero_moved_beyond_the_rigs_limit_raises_the_zero_drift_alarm(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    file_rig(tmp_path)
    calibrate(tmp_path, age_days=10)
    with caplog.at_level(logging.WARNING, logger="calibration.drift"):
        s = record(tmp_path, moved_n={"bar_left_head": 30.0})
    (raised,) = s.raised("zero_drift")
    assert raised.value == pytest.approx(30.0, abs=1.0) and raised.limit == 20.0  # rig default
    assert "Zero drifted since calibration: 3" in raised.message
    # Judged on the first quiet 2 s window, alarmed after the rule's 10 s delay.
    assert 12.0 <= raised.t_s - s.t0_s < 14.0
    assert any("bar_left_head zero moved +30" in r.getMessage() for r in caplog.records)
    assert not s.raised("calibration_stale")
    assert calibration_rows(s.replayed) == calibration_rows(s.live)


def test_a_fresh_calibration_raises_neither_alarm_and_both_are_evaluated(tmp_path: Path) -> None:
    file_rig(tmp_path)
    calibrate(tmp_path, age_days=300)  # an older file in the history is not used
    calibrate(tmp_path, age_days=1)
    s = record(tmp_path)
    assert s.rig.calibration_age_days() == pytest.approx(1.0, abs=0.01)
    assert not s.rig.calibration_stale()
    assert calibration_rows(s.live) == []  # no alarm, and no "unavailable" row either


def test_an_old_calibration_is_warned_about_at_connect_and_raises_the_stale_alarm(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    file_rig(tmp_path, calibration="interval_days = 90\n")
    calibrate(tmp_path, age_days=120)
    with caplog.at_level(logging.WARNING, logger="ashisense.rig"):
        s = record(tmp_path)
    assert s.rig.calibration_stale()
    (warning,) = [r.getMessage() for r in caplog.records if r.name == "ashisense.rig"]
    assert "120 days old" in warning and "interval of 90 days" in warning
    (raised,) = s.raised("calibration_stale")
    assert raised.limit == 90.0 and raised.value == pytest.approx(120.0, abs=0.01)
    assert "120.0 days > limit 90.0 days" in raised.message
    assert not s.raised("zero_drift")
    assert calibration_rows(s.replayed) == calibration_rows(s.live)


def test_the_newest_calibration_made_for_another_device_is_an_error(tmp_path: Path) -> None:
    rig = load_rig(file_rig(tmp_path))
    calibrate(tmp_path, age_days=5)
    calibrate(tmp_path, age_days=1, serial="SIM-99")
    with pytest.raises(RigMismatchError, match="'SIM-99'"):
        rig.for_device(SERIAL, rig.channels)


def test_the_calibration_section_is_checked_with_the_rig_file(tmp_path: Path) -> None:
    file_rig(tmp_path, calibration="zero_drift_limit_n = -1\n")
    with pytest.raises(ValueError, match=r"calibration.zero_drift_limit_n must be > 0.0, got -1"):
        load_rig(tmp_path / "rig.toml")
    inline = load_rig(EXAMPLES / "sim_rig.toml")
    assert inline.calibration_interval_days == 180.0 and inline.zero_drift_limit_n == 20.0
    assert inline.calibration_age_days() is None and not inline.calibration_stale()


def test_a_session_recorded_before_calibration_files_were_kept_still_derives(
    tmp_path: Path,
) -> None:
    with SQLiteStore(tmp_path / "s.sqlite") as store:
        sid = simulate_session(store, 1.0, rig_path=EXAMPLES / "sim_rig.toml", seed=SEED)
        info = store.session(sid)
    flat = info.meta.calibration["channels"]  # the format before the "file" snapshot
    old = replace(info, meta=replace(info.meta, calibration=flat))
    assert rig_of(old).offsets_counts.tolist() == rig_of(info).offsets_counts.tolist()
    assert rig_of(old).calibration_file is None
