"""`ashisense init DIR`: write a starter rig folder a studio edits for its own rig."""

from __future__ import annotations

import argparse
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

CALIBRATIONS_DIR = "calibrations"


def register(sub: Any) -> None:
    p = sub.add_parser(
        "init",
        help="write a starter rig folder (rig.toml, profiles/, rules/, calibrations/)",
        description=(
            "Write a rig folder to edit for your own rig: rig.toml (with comments saying what "
            "to change; it starts on the simulated rig), example client and therapist "
            "profiles in profiles/, the studio alarm rules and contraindication map in "
            "rules/, and an empty calibrations/ for `ashisense calibrate`. `ashisense serve "
            "--rig DIR/rig.toml` finds the profiles and rules next to the rig file. Existing "
            "files are never overwritten."
        ),
    )
    p.add_argument("folder", type=Path, help="the folder to write (created if missing)")
    p.set_defaults(func=run)


def rig_folder_files() -> dict[str, Traversable]:
    """What a rig folder starts with, by path inside it: the starter rig and profiles, and the
    studio's default rules."""
    # Imported here: the alarm package is heavy, and every command's module is imported to
    # build the CLI.
    from ashisense.alarms.defaults import CONTRAINDICATIONS_FILE, RULES_FILE
    from ashisense.starter import starter_files

    return {
        **starter_files(),
        f"rules/{RULES_FILE.name}": RULES_FILE,
        f"rules/{CONTRAINDICATIONS_FILE.name}": CONTRAINDICATIONS_FILE,
    }


def write_rig_folder(folder: Path) -> list[Path]:
    """Write the starter files into folder (and an empty calibrations/); the files written.

    Raises FileExistsError naming the files that are there already (then nothing is written).
    """
    files = rig_folder_files()
    present = sorted(str(folder / name) for name in files if (folder / name).exists())
    if present:
        raise FileExistsError(
            f"{folder}: expected a new or empty rig folder, found {', '.join(present)} "
            "(nothing written; choose another folder)"
        )
    written = []
    for name, source in sorted(files.items()):
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())
        written.append(target)
    (folder / CALIBRATIONS_DIR).mkdir(exist_ok=True)
    return written


def run(args: argparse.Namespace) -> int:
    folder: Path = args.folder
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(f"{folder}: expected a folder to write the rig into, found a file")
    written = write_rig_folder(folder)
    for path in written:
        print(f"wrote {path}")
    print(f"made  {folder / CALIBRATIONS_DIR}/ (`ashisense calibrate` saves there)")
    rig = folder / "rig.toml"
    print(
        f"\nNext: edit {rig} for your rig (its comments say what to change), then\n"
        f"  ashisense serve --rig {rig}"
    )
    return 0
