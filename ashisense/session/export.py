"""Export a session, one row per sample, to open formats (CSV, Parquet) with pyarrow.

The estimates are derived again from the raw counts through the same pipeline as live
(SessionAnalysis); the file is written block by block, so an hour at 1 kHz needs no more
memory than a minute. Unknown values (NaN) are empty cells / nulls, never 0. The `note`
column holds the session's notes ("author: text", several joined by " | "): a note at a
moment on the first sample at or after it, a note over a range on every sample in it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from ashisense.bodymap import REGIONS
from ashisense.errors import AshisenseError
from ashisense.pipeline.types import Uncertain
from ashisense.session.analysis import SessionAnalysis, Step
from ashisense.store.base import SessionStore
from ashisense.store.records import Annotation
from ashisense.store.replay import session_items

#: Estimate columns, in order (EstimateBlock field names: units in the names).
ESTIMATE_COLUMNS: tuple[str, ...] = (
    "bar_n",
    "mat_n",
    "feet_n",
    "feet_x_m",
    "feet_y_m",
    "region",
    "pressure_kpa",
    "pressure_basis",
    "bar_left_n",
    "bar_right_n",
    "bar_left_share",
    "hand_left_x_m",
    "hand_right_x_m",
    "cop_x_m",
    "cop_y_m",
    "feet_mat_n",
    "feet_bar_n",
    "support_ratio",
    "no_go",
    "client_shift_observable",
)
#: One bool column per reason an estimate is uncertain (Uncertain bit names, lower case), so
#: that a step (flag_moving) reads apart from a foot off the mat (flag_support_mismatch) or a
#: client shift (flag_client_shift).
FLAG_COLUMNS: dict[str, Uncertain] = {f"flag_{f.name.lower()}": f for f in Uncertain if f.name}
#: Samples per block fed through the pipeline while exporting (fewer, bigger steps).
EXPORT_BLOCK_SAMPLES = 8192
_REGION_NAMES = np.array(REGIONS, dtype=object)


class ExportError(AshisenseError, ValueError):
    """An export that cannot be made as asked (unknown format)."""


class _Sink(Protocol):
    def write(self, table: pa.Table) -> None: ...
    def close(self) -> None: ...


def _csv(path: Path, schema: pa.Schema) -> _Sink:
    return pa_csv.CSVWriter(path, schema)


def _parquet(path: Path, schema: pa.Schema) -> _Sink:
    return pq.ParquetWriter(path, schema, compression="zstd")


#: Format name -> writer factory; the name is also the file suffix.
FORMATS: dict[str, Callable[[Path, pa.Schema], _Sink]] = {"csv": _csv, "parquet": _parquet}


def _floats(values: np.ndarray) -> pa.Array:
    """float64 with NaN as null (an empty cell in a spreadsheet)."""
    return pa.array(np.asarray(values, dtype=np.float64), from_pandas=True)


def step_table(step: Step, started_s: float, raw: bool) -> pa.Table:
    """One row per sample of a Step: times, estimates, and with `raw` the counts per channel."""
    est, block = step.estimate, step.block
    n = len(block)
    columns: dict[str, pa.Array] = {
        "t_s": pa.array(block.t_s),
        "elapsed_s": pa.array(block.t_s - started_s),
    }
    for name in ESTIMATE_COLUMNS:
        if name == "region":  # a name, null where the position is unknown (code -1)
            code = est.region.astype(np.intp)
            names = _REGION_NAMES[np.maximum(code, 0)]
            columns[name] = pa.array(names, type=pa.string(), mask=code < 0)
        elif name == "pressure_basis":
            columns[name] = pa.array([est.pressure_basis] * n, type=pa.string())
        elif name == "no_go":
            columns[name] = pa.array(np.asarray(est.no_go, dtype=bool))
        elif name == "client_shift_observable":  # whether flag_client_shift can ever be set
            columns[name] = pa.array([est.client_shift_observable] * n, type=pa.bool_())
        else:
            columns[name] = _floats(getattr(est, name))
    for name, bit in FLAG_COLUMNS.items():
        columns[name] = pa.array((est.uncertain_reason & int(bit)) != 0)
    if raw:
        columns["seq"] = pa.array(block.seq)
        columns["t_device_s"] = pa.array(block.t_device_s)
        for i, name in enumerate(block.channels):
            columns[f"counts_{name}"] = pa.array(block.counts[:, i])
        for i, name in enumerate(block.channels):
            columns[f"invalid_{name}"] = pa.array(block.invalid[:, i])
    return pa.table(columns)


def note_column(t_s: np.ndarray, notes: Sequence[Annotation], after_s: float) -> pa.Array:
    """The notes on each of these samples (see the module's doc); after_s: the time of the
    sample before them (a note at a moment between two blocks goes on the later one)."""
    texts: list[list[str]] = [[] for _ in range(len(t_s))]
    for note in notes:
        line = f"{note.author or 'note'}: {note.text}"
        if note.t_end_s is not None:
            picked = np.flatnonzero((t_s >= note.t_s) & (t_s <= note.t_end_s))
        else:
            i = int(np.searchsorted(t_s, note.t_s, side="left"))
            first = i < len(t_s) and (i > 0 or after_s < note.t_s)
            picked = np.array([i] if first else [], dtype=np.intp)
        for k in picked.tolist():
            texts[k].append(line)
    return pa.array([" | ".join(t) if t else None for t in texts], type=pa.string())


class SessionExport:
    """Write one session's samples to `path` in `fmt` ("csv" or "parquet"), step by step,
    with the session's notes in the `note` column.

    The file is complete once closed (use it with contextlib.closing). Raises ExportError for an
    unknown format.
    """

    def __init__(
        self,
        path: str | Path,
        fmt: str,
        started_s: float,
        raw: bool = False,
        notes: Sequence[Annotation] = (),
    ) -> None:
        if fmt not in FORMATS:
            raise ExportError(f"export format must be one of {sorted(FORMATS)}, got {fmt!r}")
        self.path, self.fmt, self.raw = Path(path), fmt, raw
        self._started_s = started_s
        self._notes = notes
        self._last_t_s = -np.inf
        self._sink: _Sink | None = None
        self.rows = 0

    def write(self, step: Step) -> None:
        table = step_table(step, self._started_s, self.raw)
        t_s = step.block.t_s
        table = table.append_column("note", note_column(t_s, self._notes, self._last_t_s))
        if len(t_s):
            self._last_t_s = float(t_s[-1])
        if self._sink is None:
            self._sink = FORMATS[self.fmt](self.path, table.schema)
        self._sink.write(table)
        self.rows += table.num_rows

    def close(self) -> None:
        """Finish the file: it is complete once closed."""
        if self._sink is not None:
            self._sink.close()


def export_session(
    store: SessionStore,
    session_id: int,
    path: str | Path,
    fmt: str,
    *,
    raw: bool = False,
    rig_path: str | Path | None = None,
    on_samples: Callable[[int], None] | None = None,
) -> int:
    """Derive a session again and write it to `path`; returns the number of rows.

    rig_path: derive with another rig file (a new calibration). on_samples(n): progress.
    """
    info = store.session(session_id)
    if store.sample_count(session_id) == 0:
        raise ExportError(f"{store}: session {session_id} holds no samples: nothing to export")
    analysis = SessionAnalysis.for_session(info, rig_path=rig_path)
    notes = store.annotations(session_id)
    with contextlib.closing(SessionExport(path, fmt, info.meta.started_s, raw, notes)) as out:
        for item in session_items(store, session_id, block_samples=EXPORT_BLOCK_SAMPLES):
            step = analysis.feed(item)
            if step is not None:
                out.write(step)
                if on_samples is not None:
                    on_samples(len(step.block))
    return out.rows


#: Columns of the presses export (PressRecord's fields, units in the names) after the times.
PRESS_EXPORT_COLUMNS: tuple[str, ...] = (
    "button", "source", "feet_n", "region", "pressure_kpa", "pressure_basis", "feet_after_n",
)  # fmt: skip


def presses_path(samples_path: str | Path) -> Path:
    """Where the presses of a session exported to `samples_path` go: NAME.presses.SUFFIX."""
    path = Path(samples_path)
    return path.with_name(f"{path.stem}.presses{path.suffix}")


def export_presses(store: SessionStore, session_id: int, path: str | Path, fmt: str) -> int:
    """Write the client's presses of a session, one row each (t_s, elapsed_s, then
    PRESS_EXPORT_COLUMNS; empty where unknown), to `path`; returns the number of rows (no
    file when there are none)."""
    if fmt not in FORMATS:
        raise ExportError(f"export format must be one of {sorted(FORMATS)}, got {fmt!r}")
    presses = store.presses(session_id)
    if not presses:
        return 0
    started_s = store.session(session_id).meta.started_s
    t_s = np.array([p.t_s for p in presses])
    columns: dict[str, pa.Array] = {"t_s": pa.array(t_s), "elapsed_s": pa.array(t_s - started_s)}
    for name in PRESS_EXPORT_COLUMNS:
        values = [getattr(p, name) for p in presses]
        if isinstance(values[0], str):
            columns[name] = pa.array(
                values, type=pa.string(), mask=np.array([not v for v in values])
            )
        else:
            columns[name] = _floats(np.array(values))
    table = pa.table(columns)
    sink = FORMATS[fmt](Path(path), table.schema)
    sink.write(table)
    sink.close()
    return table.num_rows
