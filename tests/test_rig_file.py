"""The rig file: examples load, every wrong field gives one message naming file, field and value."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ashisense.rig import RigFileError, RigMismatchError, load_rig, rig_from_dict

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SIM_RIG = EXAMPLES / "sim_rig.toml"


def sim_doc() -> dict[str, Any]:
    return tomllib.loads(SIM_RIG.read_text())


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.toml")), ids=lambda p: p.name)
def test_every_example_rig_loads(path: Path) -> None:
    rig = load_rig(path)
    assert rig.channels and rig.source == path.name


def test_sim_rig_is_a_full_rig_with_its_calibration() -> None:
    rig = load_rig(SIM_RIG)
    assert rig.kind == "full"
    assert rig.index("bar", side="left") == [0, 1]
    assert rig.index("mat") == [4, 5, 6, 7]
    assert rig.gains_n_per_count[0] == pytest.approx(0.00186)
    assert rig.offsets_counts[5] == pytest.approx(-15800)


def test_negative_gain_names_file_channel_field_and_value() -> None:
    doc = sim_doc()
    doc["channel"][0]["gain_n_per_count"] = -3
    with pytest.raises(RigFileError) as info:
        rig_from_dict(doc, "rig.toml")
    assert (
        str(info.value) == "rig.toml: channel 'bar_left_head': gain_n_per_count must be > 0, got -3"
    )


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda d: d["channel"][4].pop("x_m"), "channel 'mat_head_left': x_m is required"),
        (
            lambda d: d["channel"][0].update(gain=1.0),
            "channel 'bar_left_head': gain is not a known",
        ),
        (lambda d: d["channel"][0].update(side="up"), "channel 'bar_left_head': side input should"),
        (lambda d: d["channel"][1].update(name="bar_left_head"), "unique, got ['bar_left_head']"),
        (lambda d: d["channel"][1].update(end="head"), "side/end) takes one channel"),
        (lambda d: d["table"].update(length_m="long"), "table.length_m input should be a valid"),
        (lambda d: d.pop("bars"), "a [bars] section is required"),
        (lambda d: d["channel"][0].update(x_m=0.1), "x_m is not used by a bar channel"),
        (lambda d: d["channel"][0].pop("offset_counts"), "offset_counts and gain_n_per_count are"),
        (lambda d: d["channel"][0].update(calibration="file"), 'calibration = "file" takes'),
        (lambda d: d.update(channel=d["channel"][:6]), "at least 3 load cells"),
        (lambda d: d["device"].update(input="usb"), "device.input input should be"),
    ],
)
def test_wrong_fields_are_named(edit: Any, expected: str) -> None:
    doc = sim_doc()
    edit(doc)
    with pytest.raises(RigFileError) as info:
        rig_from_dict(doc, "rig.toml")
    assert str(info.value).startswith("rig.toml: ")
    assert expected in str(info.value)


def test_collinear_mat_cells_are_refused() -> None:
    doc = sim_doc()
    for ch, x in zip(doc["channel"][4:], (0.1, 0.6, 1.1, 1.6), strict=True):
        ch.update(x_m=x, y_m=0.0)
    with pytest.raises(RigFileError, match="must not all lie on one line"):
        rig_from_dict(doc, "rig.toml")


def test_bad_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[device\nurl = 1\n")
    with pytest.raises(RigFileError, match=r"^broken.toml: expected a UTF-8 TOML file"):
        load_rig(path)


def test_rig_file_error_is_a_value_error() -> None:
    assert issubclass(RigFileError, ValueError)
    assert issubclass(RigMismatchError, ValueError)


def test_check_channels_names_missing_and_extra() -> None:
    rig = load_rig(SIM_RIG)
    rig.check_channels(list(reversed(rig.channels)))  # order does not matter
    with pytest.raises(RigMismatchError) as info:
        rig.check_channels([*rig.channels[1:], "temp"])
    msg = str(info.value)
    assert "missing ['bar_left_head']" in msg and "extra ['temp']" in msg
    assert msg.startswith("sim_rig.toml: ")


def _calibration_doc(serial: str, channels: dict[str, tuple[float, float]]) -> dict[str, Any]:
    return {
        "format": "ashisense-calibration",
        "version": 1,
        "created_utc": "2024-05-01T10:00:00Z",
        "device_serial": serial,
        "method": "test",
        "channels": {
            n: {"offset_counts": o, "gain_n_per_count": g} for n, (o, g) in channels.items()
        },
        "unloaded_zero_counts": {n: o for n, (o, _) in channels.items()},
        "report": {},
    }


def _file_rig(tmp_path: Path, cal_name: str) -> Path:
    """A mat-only rig whose first two cells take their calibration from `cal_name`."""
    cells = [("mat_a", 0.1, -0.3), ("mat_b", 0.1, 0.3), ("mat_c", 1.8, -0.3), ("mat_d", 1.8, 0.3)]
    text = '[device]\nurl = "loop://"\n[table]\nlength_m = 1.9\nwidth_m = 0.7\n'
    text += f'[calibration]\npath = "{cal_name}"\n'
    for i, (name, x, y) in enumerate(cells):
        cal = 'calibration = "file"' if i < 2 else "offset_counts = 10\ngain_n_per_count = 0.001"
        text += f'[[channel]]\nname = "{name}"\nrole = "mat"\nx_m = {x}\ny_m = {y}\n{cal}\n'
    path = tmp_path / "rig.toml"
    path.write_text(text)
    return path


def test_file_calibration_is_resolved_for_the_right_device(tmp_path: Path) -> None:
    cal = _calibration_doc("SN-1", {"mat_a": (100.0, 0.002), "mat_b": (-5, 0.003)})
    (tmp_path / "cal.json").write_text(json.dumps(cal))
    rig = load_rig(_file_rig(tmp_path, "cal.json"))
    assert not rig.resolved
    with pytest.raises(RigMismatchError, match="for_device"):
        _ = rig.gains_n_per_count
    ready = rig.for_device("SN-1", rig.channels)
    assert ready.resolved
    np.testing.assert_allclose(ready.gains_n_per_count[:2], [0.002, 0.003])
    np.testing.assert_allclose(ready.offsets_counts[:2], [100.0, -5.0])
    assert ready.gains_n_per_count[2] == pytest.approx(0.001)  # inline stays inline
    with pytest.raises(RigMismatchError, match="is for device 'SN-1'"):
        rig.for_device("SN-2", rig.channels)


def test_file_calibration_lacking_a_channel_is_named(tmp_path: Path) -> None:
    cal = _calibration_doc("SN-1", {"mat_a": (100.0, 0.002)})
    (tmp_path / "cal.json").write_text(json.dumps(cal))
    rig = load_rig(_file_rig(tmp_path, "cal.json"))
    with pytest.raises(RigMismatchError, match="channel 'mat_b': expected it in"):
        rig.for_device("SN-1", rig.channels)


def test_missing_calibration_path_is_named(tmp_path: Path) -> None:
    with pytest.raises(RigFileError, match=r"calibration\.path: expected an existing file"):
        load_rig(_file_rig(tmp_path, "nowhere.json"))
