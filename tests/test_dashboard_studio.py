"""The studio file keeps only a salted scrypt hash of the login secret, made once on first run."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from dashboard.settings import DashboardSettings
from dashboard.studio import StudioFile, StudioFileError, hash_secret, verify_secret


def test_first_run_makes_a_token_once_and_keeps_only_its_salted_hash(tmp_path: Path) -> None:
    path = tmp_path / "home" / "studio.json"
    token = StudioFile(path).ensure_secret()
    assert token is not None and len(token) >= 16
    text = path.read_text()
    assert token not in text
    stored = json.loads(text)["secret"]
    assert stored["algo"] == "scrypt" and len(bytes.fromhex(stored["salt"])) == 16
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = StudioFile(path)
    assert again.ensure_secret() is None
    assert again.check(token) and not again.check(token + "x") and not again.check("")


def test_same_secret_hashes_differently_with_another_salt() -> None:
    a, b = hash_secret("a studio password"), hash_secret("a studio password")
    assert a["hash"] != b["hash"]
    assert verify_secret("a studio password", a) and verify_secret("a studio password", b)
    assert not verify_secret("a studio password", {**a, "salt": "zz"})


def test_short_password_and_unknown_units_are_refused(tmp_path: Path) -> None:
    studio = StudioFile(tmp_path / "studio.json")
    with pytest.raises(StudioFileError, match="at least 8 characters"):
        studio.set_secret("short")
    with pytest.raises(StudioFileError, match="kg, lb"):
        studio.set_units("stone")
    studio.set_units("lb")
    assert StudioFile(tmp_path / "studio.json").units == "lb"


def test_a_corrupt_studio_file_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "studio.json"
    path.write_text("[1, 2]")
    with pytest.raises(StudioFileError, match=r"studio\.json: expected a JSON object"):
        StudioFile(path)


def test_the_server_answers_to_loopback_names_unless_told_otherwise(tmp_path: Path) -> None:
    local = DashboardSettings(home=tmp_path, store_path=tmp_path / "s.sqlite")
    assert local.host_names() == ("127.0.0.1", "localhost")
    lan = DashboardSettings(home=tmp_path, store_path=tmp_path / "s.sqlite", host="192.168.1.5")
    assert lan.host_names() == ("192.168.1.5", "127.0.0.1", "localhost")
    named = DashboardSettings(
        home=tmp_path, store_path=tmp_path / "s.sqlite", host="0.0.0.0", allowed_hosts=("studio",)
    )
    assert named.host_names() == ("127.0.0.1", "localhost", "studio")
