"""`ashisense init DIR` writes a rig folder a studio edits; `serve --rig DIR/rig.toml` takes the
profiles and rules next to the rig file, and says where it looked when there are none."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from ashisense.alarms.defaults import CONTRAINDICATIONS_FILE, RULES_FILE
from ashisense.profiles import Profiles
from ashisense.rig import load_rig
from ashisense.starter import starter_path
from ashisense_cli import build_parser, main
from dashboard.commands.serve import profiles_folder, rules_files


def _serve_args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["serve", *argv])


def test_init_writes_a_rig_folder_that_loads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "studio"
    assert main(["init", str(folder)]) == 0
    rig = load_rig(folder / "rig.toml")
    assert rig.device.url.startswith("sim://") and rig.grid is not None
    assert "# AshiSense rig file" in (folder / "rig.toml").read_text()  # the comments too
    profiles = Profiles.from_folder(folder / "profiles")
    assert profiles.client("client-0001").id == "client-0001"
    assert (folder / "rules" / "studio_default.toml").read_text() == RULES_FILE.read_text()
    assert (folder / "calibrations").is_dir() and not any((folder / "calibrations").iterdir())
    out = capsys.readouterr().out
    assert f"ashisense serve --rig {folder / 'rig.toml'}" in out


def test_init_never_overwrites_a_studio_s_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "studio"
    folder.mkdir()
    (folder / "rig.toml").write_text("# ours\n")
    assert main(["init", str(folder)]) == 2
    err = capsys.readouterr().err
    assert f"found {folder / 'rig.toml'} (nothing written" in err
    assert (folder / "rig.toml").read_text() == "# ours\n"
    assert sorted(p.name for p in folder.iterdir()) == ["rig.toml"]


def test_serve_finds_profiles_and_rules_next_to_the_rig(tmp_path: Path) -> None:
    folder = tmp_path / "studio"
    assert main(["init", str(folder)]) == 0
    args = _serve_args("--rig", str(folder / "rig.toml"))
    assert profiles_folder(args, tmp_path / "home") == folder / "profiles"
    assert rules_files(args) == (
        folder / "rules" / "studio_default.toml",
        folder / "rules" / "contraindications.toml",
    )


def test_serve_without_a_rig_folder_uses_home_profiles_and_the_shipped_rules(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    (home / "profiles").mkdir(parents=True)
    (tmp_path / "rig.toml").write_bytes(starter_path("rig.toml").read_bytes())
    args = _serve_args("--rig", str(tmp_path / "rig.toml"))
    assert profiles_folder(args, home) == home / "profiles"
    assert rules_files(args) == (Path(str(RULES_FILE)), Path(str(CONTRAINDICATIONS_FILE)))


def test_serve_with_no_profiles_anywhere_says_where_it_looked(tmp_path: Path) -> None:
    (tmp_path / "rig.toml").write_bytes(starter_path("rig.toml").read_bytes())
    args = _serve_args("--rig", str(tmp_path / "rig.toml"))
    with pytest.raises(FileNotFoundError) as err:
        profiles_folder(args, tmp_path / "home")
    assert str(err.value).startswith(
        f"--profiles: expected a folder of client and therapist profiles, found none at "
        f"{tmp_path / 'profiles'} nor {tmp_path / 'home' / 'profiles'}"
    )
    assert "ashisense init" in str(err.value)
