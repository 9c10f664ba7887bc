"""The starter rig folder shipped with AshiSense (package data, so a plain install has it).

`ashisense init DIR` writes it for a studio to edit (rig.toml, profiles/), and `ashisense demo`
runs on it. examples/grid_rig.toml and examples/profiles/ link to these files: one copy.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

#: The packaged folder: rig.toml and profiles/ (read them with .read_text()).
STARTER: Traversable = files(__name__)
RIG_FILE = "rig.toml"
PROFILES_DIR = "profiles"


def starter_files() -> dict[str, Traversable]:
    """Every file of the starter folder by its path relative to the folder (rig, profiles)."""
    found = {RIG_FILE: STARTER / RIG_FILE}
    for item in (STARTER / PROFILES_DIR).iterdir():
        if item.is_file():
            found[f"{PROFILES_DIR}/{item.name}"] = item
    return found


def starter_path(relative: str) -> Path:
    """A file or folder of the packaged starter as a path (pip installs packages as files, so
    this is a real path, as the live configuration needs)."""
    return Path(str(STARTER / relative))
