"""How the database backends (SQLite, PostgreSQL) lay out a session in rows: the session
columns, a chunk's values, JSON as text; and reading them back into records."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ashisense.store.codec import pack, unpack
from ashisense.store.records import (
    AlarmRecord,
    BaselineRecord,
    PressRecord,
    SessionInfo,
    SessionMeta,
    SessionSummary,
    count_raised,
)
from firmware_bridge.blocks import GridBlock, SampleBlock

SESSION_COLUMNS = (
    "id, started_s, stopped_s, label, rig_path, rig_text, calibration_json, client_json, "
    "therapist_json, rules_text, contraindications_text, hello_json, channels_json, summary_json"
)

#: The session columns known when it starts, in meta_values' order.
META_COLUMNS = (
    "started_s, label, rig_path, rig_text, calibration_json, client_json, therapist_json, "
    "rules_text, contraindications_text"
)

#: The columns of a stored chunk that chunk_block decodes, in its order.
CHUNK_COLUMNS = "n, t_s, t_device_s, seq, counts, invalid"

#: The columns of stored grid frames that grid_block decodes, in its order.
GRID_COLUMNS = "n, n_rows, n_cols, t_s, seq, frame_values"

#: The columns of a stored press, in PressRecord's field order.
PRESS_COLUMNS = "t_s, button, source, feet_n, region, pressure_kpa, pressure_basis, feet_after_n"

#: What summary_from_rows asks, with `?` for the session id.
SUMMARY_QUERIES = (
    "SELECT COALESCE(SUM(n), 0), MIN(t0_s), MAX(t1_s) FROM chunks WHERE session_id = ?",
    "SELECT COALESCE(SUM(lost), 0) FROM gaps WHERE session_id = ? AND lost > 0",
    "SELECT COALESCE(SUM(dropped_samples), 0) FROM faults WHERE session_id = ?",
)


def to_json(obj: Any) -> str:
    """Compact JSON text of stored records (NaN and infinities kept, as Python writes them)."""
    return json.dumps(obj, separators=(",", ":"), allow_nan=True)


def meta_values(meta: SessionMeta) -> tuple[Any, ...]:
    """The values of a session's META_COLUMNS."""
    return (
        meta.started_s,
        meta.label,
        meta.rig_path,
        meta.rig_text,
        to_json(meta.calibration),
        to_json(meta.client),
        to_json(meta.therapist),
        meta.rules_text,
        meta.contraindications_text,
    )


def chunk_values(c: SampleBlock) -> tuple[Any, ...]:
    """(t0_s, t1_s, n, and the five codec.pack blobs) of a stored chunk."""
    return (
        float(c.t_s[0]),
        float(c.t_s[-1]),
        len(c),
        pack(c.t_s),
        pack(c.t_device_s),
        pack(c.seq),
        pack(c.counts),
        pack(c.invalid),
    )


def press_values(p: PressRecord) -> tuple[Any, ...]:
    """A press as the values of its PRESS_COLUMNS."""
    return (
        p.t_s, p.button, p.source, p.feet_n, p.region, p.pressure_kpa, p.pressure_basis,
        p.feet_after_n,
    )  # fmt: skip


def press_record(row: tuple[Any, ...]) -> PressRecord:
    """A stored press (its PRESS_COLUMNS); a database's NULL for NaN becomes NaN again."""
    t_s, button, source, feet, region, pressure, basis, after = row
    return PressRecord(
        t_s,
        button,
        source,
        nan_if_null(feet),
        region,
        nan_if_null(pressure),
        basis,
        nan_if_null(after),
    )


def nan_if_null(value: float | None) -> float:
    """A stored float: a database's NULL (SQLite stores NaN so) back as NaN."""
    return math.nan if value is None else float(value)


def chunk_block(row: tuple[Any, ...], channels: tuple[str, ...]) -> SampleBlock:
    """The samples of a stored chunk (its CHUNK_COLUMNS) as a block."""
    n, t_s, t_dev, seq, counts, invalid = row
    c = len(channels)
    return SampleBlock(
        t_s=unpack(t_s, np.float64, (n,)),
        t_device_s=unpack(t_dev, np.float64, (n,)),
        seq=unpack(seq, np.int64, (n,)),
        counts=unpack(counts, np.int32, (n, c)),
        invalid=unpack(invalid, np.bool_, (n, c)),
        channels=channels,
    )


def grid_block(row: tuple[Any, ...]) -> GridBlock:
    """The frames of a stored grid row (its GRID_COLUMNS) as a block."""
    n, n_rows, n_cols, t_s, seq, values = row
    return GridBlock(
        t_s=unpack(t_s, np.float64, (n,)),
        seq=unpack(seq, np.int64, (n,)),
        values=unpack(values, np.uint16, (n, n_rows, n_cols)),
    )


def summary_from_rows(
    one: Callable[[str], tuple[Any, ...]], alarms: list[AlarmRecord]
) -> SessionSummary:
    """What can be said of a session that never wrote a summary (killed before its first):
    one(query) answers each of SUMMARY_QUERIES for the session; alarms: its alarm log."""
    chunks, lost, dropped = (one(q) for q in SUMMARY_QUERIES)
    n, t0, t1 = chunks
    return SessionSummary(
        duration_s=0.0 if t0 is None else t1 - t0,
        samples=int(n),
        lost_samples=int(lost[0]),
        dropped_samples=int(dropped[0]),
        alarm_count=count_raised(alarms),
    )


def session_info(
    row: tuple[Any, ...],
    uuid: str,
    summary_of: Callable[[int], SessionSummary],
    baselines: list[BaselineRecord],
) -> SessionInfo:
    """A session from its SESSION_COLUMNS; summary_of(id) when it never wrote a summary."""
    (sid, started, stopped, label, rig_path, rig_text, cal, client, therapist, rules,
     contra, hello, channels, summary) = row  # fmt: skip
    meta = SessionMeta(
        started_s=started,
        rig_text=rig_text,
        rig_path=rig_path,
        calibration=json.loads(cal),
        client=json.loads(client),
        therapist=json.loads(therapist),
        rules_text=rules,
        contraindications_text=contra,
        label=label,
    )
    return SessionInfo(
        id=sid,
        meta=meta,
        stopped_s=stopped,
        hello=None if hello is None else json.loads(hello),
        channels=() if channels is None else tuple(json.loads(channels)),
        summary=(
            SessionSummary.from_dict(json.loads(summary))
            if summary is not None
            else summary_of(sid)
        ),
        baselines=tuple(baselines),
        uuid=uuid,
    )
