"""`ashisense export FILE SESSION`: one row per sample to CSV or Parquet."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ashisense.commands import add_session_arguments, existing_file, output_file


def register(sub: Any) -> None:
    p = sub.add_parser(
        "export",
        help="export a session, one row per sample, to CSV or Parquet",
        description=(
            "Derive SESSION of FILE again from its raw counts and write one row per sample: "
            "t_s, elapsed_s, bar_n, mat_n, feet_n, feet_x_m, feet_y_m, region, pressure_kpa "
            "and its basis, and more estimates; with --raw also seq, device time, and the raw "
            "counts and invalid flag of every channel. Empty cells mean unknown. The client's "
            "presses, if any, go to NAME.presses.FORMAT beside it (docs/client.md)."
        ),
    )
    add_session_arguments(p, newest_by_default=False)
    p.add_argument("--format", choices=("csv", "parquet"), default="csv")
    p.add_argument("--raw", action="store_true", help="add the raw counts per channel")
    p.add_argument(
        "--rig", type=existing_file, help="derive with another rig file (a new calibration)"
    )
    p.add_argument(
        "--out",
        type=output_file,
        help="output file (default: FILE-sSESSION.FORMAT beside FILE; for a URL, "
        "session-SESSION.FORMAT here)",
    )
    p.set_defaults(func=run)


def _default_out(source: str, session: int, fmt: str) -> Path:
    """FILE-sSESSION.FORMAT beside a file; session-SESSION.FORMAT here for a database URL."""
    if "://" in source:
        return Path(f"session-{session}.{fmt}")
    path = Path(source)
    return path.with_name(f"{path.stem}-s{session}.{fmt}")


def run(args: argparse.Namespace) -> int:
    # Imported here: pyarrow and the pipeline are heavy, and every command's module is
    # imported to build the CLI.
    from tqdm import tqdm

    from ashisense.session.export import export_presses, export_session, presses_path
    from ashisense.store import open_store

    out = Path(args.out or _default_out(args.file, args.session, args.format))
    with open_store(args.file, readonly=True) as store:
        total = store.sample_count(store.session(args.session).id)
        with tqdm(total=total, unit="samples", unit_scale=True, desc="export") as bar:
            rows = export_session(
                store, args.session, out, args.format, raw=args.raw, rig_path=args.rig,
                on_samples=bar.update,
            )  # fmt: skip
        presses = export_presses(store, args.session, presses_path(out), args.format)
    print(f"wrote {rows} rows to {out}")
    if presses:
        print(f"wrote the client's {presses} presses to {presses_path(out)}")
    return 0
