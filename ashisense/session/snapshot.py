"""Between live objects and a stored session: what a session keeps of its rig, people and
rules, and how to get them back to derive everything again from the raw counts."""

from __future__ import annotations

import os
import tomllib
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from ashisense.alarms import ContraindicationMap, RuleSet, parse_contraindications, parse_rule_set
from ashisense.profiles import ClientProfile, TherapistProfile, profile_from_dict
from ashisense.rig import Rig, RigFileError, load_rig, rig_from_dict
from ashisense.store.records import SessionInfo, SessionMeta
from calibration.errors import CalibrationFileError
from calibration.files import calibration_from_dict


def calibration_of(rig: Rig) -> dict[str, Any]:
    """The calibration a resolved rig uses, as stored with a session: "channels" (offset in
    counts and gain in N per count of each channel) and, when the constants came from a
    calibration file, "file" (that file's whole document: date, serial, unloaded zeros)."""
    snapshot: dict[str, Any] = {
        "channels": {
            c.name: {"offset_counts": c.offset_counts, "gain_n_per_count": c.gain_n_per_count}
            for c in rig.channel
            if c.offset_counts is not None and c.gain_n_per_count is not None
        }
    }
    if rig.calibration_file is not None:
        snapshot["file"] = rig.calibration_file.to_dict()
    return snapshot


def session_meta(
    rig: Rig,
    rig_path: str | Path,
    *,
    started_s: float,
    client: ClientProfile | None = None,
    therapist: TherapistProfile | None = None,
    rules_path: str | os.PathLike[str] | Traversable | None = None,
    contraindications_path: str | os.PathLike[str] | Traversable | None = None,
    label: str = "",
) -> SessionMeta:
    """The description of a session about to be recorded: snapshots of every file it uses.

    rules_path, contraindications_path: files, or package files such as
    ashisense.alarms.defaults.RULES_FILE.
    """
    return SessionMeta(
        started_s=started_s,
        rig_text=Path(rig_path).read_text(encoding="utf-8"),
        rig_path=str(Path(rig_path).resolve()),
        calibration=calibration_of(rig),
        client={} if client is None else client.model_dump(mode="json"),
        therapist={} if therapist is None else therapist.model_dump(mode="json"),
        rules_text=_text(rules_path),
        contraindications_text=_text(contraindications_path),
        label=label,
    )


def _text(source: str | os.PathLike[str] | Traversable | None) -> str:
    """A file's text ("" for None)."""
    if source is None:
        return ""
    file = source if isinstance(source, Traversable) else Path(source)
    return file.read_text(encoding="utf-8")


def _where(info: SessionInfo, what: str) -> str:
    return f"session {info.id} {what} snapshot"


def rig_of(info: SessionInfo, rig_path: str | Path | None = None) -> Rig:
    """The rig to derive a session with: the session's own snapshot and calibration, or
    another rig file (a new calibration), resolved for the session's device.

    Raises RigFileError or RigMismatchError naming what does not fit.
    """
    if rig_path is not None:
        rig = load_rig(rig_path)
        hello = info.hello or {}
        return rig.for_device(str(hello.get("serial", "")), info.channels)
    where = _where(info, "rig")
    try:
        doc: dict[str, Any] = tomllib.loads(info.meta.rig_text)
    except tomllib.TOMLDecodeError as err:
        raise RigFileError(f"{where}: expected TOML, found {err}") from err
    rig = rig_from_dict(doc, source=where)
    stored = info.meta.calibration
    # Sessions recorded before the calibration file was kept hold the channel map alone.
    constants = stored.get("channels", stored)
    channels = []
    for c in rig.channel:
        if c.name in constants:
            c = c.model_copy(update={"calibration": "inline", **constants[c.name]})
        channels.append(c)
    rig = rig.model_copy(update={"channel": tuple(channels)})
    if not rig.resolved:
        missing = [c.name for c in rig.channel if c.gain_n_per_count is None]
        raise RigFileError(f"{where}: no calibration stored for channels {missing}")
    if "file" in stored:
        where = _where(info, "calibration")
        try:
            cal = calibration_from_dict(stored["file"], Path(where))
        except CalibrationFileError as err:
            raise RigFileError(str(err)) from err
        rig = rig.with_calibration_file(cal, where)
    return rig


def client_of(info: SessionInfo) -> ClientProfile | None:
    """The client profile the session was recorded with (None if it had none)."""
    if not info.meta.client:
        return None
    return profile_from_dict(info.meta.client, ClientProfile, _where(info, "client"))


def therapist_of(info: SessionInfo) -> TherapistProfile | None:
    """The therapist profile the session was recorded with (None if it had none)."""
    if not info.meta.therapist:
        return None
    return profile_from_dict(info.meta.therapist, TherapistProfile, _where(info, "therapist"))


def rules_of(info: SessionInfo) -> RuleSet | None:
    """The alarm rule set the session was recorded with (None if it had none)."""
    text = info.meta.rules_text
    return parse_rule_set(text, _where(info, "rules")) if text.strip() else None


def contraindications_of(info: SessionInfo) -> ContraindicationMap | None:
    """The studio's contraindication map the session was recorded with (None if none)."""
    text = info.meta.contraindications_text
    return parse_contraindications(text, _where(info, "contraindications")) if text else None
