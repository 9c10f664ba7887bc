"""A session exports to CSV and Parquet, one row per sample, readable without AshiSense."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
import storekit

from ashisense.bodymap import REGIONS
from ashisense.session.analysis import SessionAnalysis
from ashisense.session.export import ExportError, export_session
from ashisense.store import SQLiteStore
from ashisense.store.replay import session_items
from ashisense_cli import main
from firmware_bridge.blocks import SampleBlock

REQUIRED = ["t_s", "bar_n", "mat_n", "feet_n", "feet_x_m", "feet_y_m", "region", "pressure_kpa"]


@pytest.fixture(scope="module")
def session_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("export") / "s.sqlite"
    with SQLiteStore(path) as store:
        storekit.sim_session(store, 60.0)
    return path


def _stored(path: Path) -> SampleBlock:
    with SQLiteStore(path, readonly=True) as store:
        return SampleBlock.concat(list(store.blocks(1)))


def test_csv_has_one_row_per_sample_with_exact_times_and_raw_counts(
    session_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "s.csv"
    with SQLiteStore(session_file, readonly=True) as store:
        rows = export_session(store, 1, out, "csv", raw=True)
    stored = _stored(session_file)
    assert rows == len(stored) == 4800
    with out.open(newline="") as f:  # as a spreadsheet reads it: plain text cells
        lines = list(csv.reader(f))
    header, body = lines[0], lines[1:]
    assert header[: len(REQUIRED) + 1] == ["t_s", "elapsed_s", *REQUIRED[1:]]
    assert len(body) == rows
    col = {name: i for i, name in enumerate(header)}
    t_s = np.array([float(r[col["t_s"]]) for r in body])
    np.testing.assert_array_equal(t_s, stored.t_s)  # text round trip is exact
    for i, name in enumerate(stored.channels):
        counts = np.array([int(r[col[f"counts_{name}"]]) for r in body])
        np.testing.assert_array_equal(counts, stored.counts[:, i])
    regions = {r[col["region"]] for r in body}
    assert regions - {""} and regions <= {*REGIONS, ""}  # names, empty where unknown
    feet = [r[col["feet_n"]] for r in body]
    assert "" in feet and "nan" not in {c.lower() for c in feet}  # unknown is an empty cell
    assert {r[col["pressure_basis"]] for r in body} == {"profile:whole_foot"}


def test_parquet_holds_the_same_values_as_csv_and_the_pipeline(
    session_file: Path, tmp_path: Path
) -> None:
    with SQLiteStore(session_file, readonly=True) as store:
        export_session(store, 1, tmp_path / "s.parquet", "parquet")
        export_session(store, 1, tmp_path / "s.csv", "csv")
        analysis = SessionAnalysis.for_session(store.session(1))
        steps = [analysis.feed(item) for item in session_items(store, 1)]
    feet_n = np.concatenate([s.estimate.feet_n for s in steps if s is not None])
    table = pq.read_table(tmp_path / "s.parquet")
    from_csv = pa_csv.read_csv(  # empty cells are unknown, as pandas reads them by default
        tmp_path / "s.csv", convert_options=pa_csv.ConvertOptions(strings_can_be_null=True)
    )
    assert table.column_names == from_csv.column_names
    assert table.num_rows == from_csv.num_rows == len(feet_n)
    for name in REQUIRED:
        a, b = table.column(name).to_pylist(), from_csv.column(name).to_pylist()
        assert a == b, name
    got = np.array([math.nan if v is None else v for v in table.column("feet_n").to_pylist()])
    np.testing.assert_allclose(got, feet_n, atol=0.01, equal_nan=True)
    assert np.nanmax(got) > 100  # the therapist did stand on the client


def test_an_unknown_format_lists_the_known_ones(session_file: Path, tmp_path: Path) -> None:
    with (
        SQLiteStore(session_file, readonly=True) as store,
        pytest.raises(ExportError, match=r"one of \['csv', 'parquet'\], got 'xlsx'"),
    ):
        export_session(store, 1, tmp_path / "s.xlsx", "xlsx")


def test_the_export_command_writes_beside_the_session_file(session_file: Path) -> None:
    assert main(["export", str(session_file), "1", "--format", "parquet", "--raw"]) == 0
    out = session_file.with_name("s-s1.parquet")
    names = pq.read_schema(out).names
    assert "counts_mat_foot_right" in names and "invalid_bar_left_head" in names
    assert pq.read_metadata(out).num_rows == 4800
