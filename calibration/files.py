"""Calibration files: versioned, dated JSON documents kept as a history folder per rig.

A file is never overwritten: each save adds `cal-<seq>-<UTC stamp>.json`. The pipeline picks the
newest readable one for the connected device with `newest_valid`.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from calibration.errors import (
    CalibrationFileError,
    CalibrationMismatchError,
    CalibrationNotFoundError,
)

log = logging.getLogger(__name__)

FORMAT = "ashisense-calibration"
FORMAT_VERSION = 1
_NAME_RE = re.compile(r"^cal-(\d{4,})-(\d{8}T\d{6}Z)\.json$")


@dataclass(frozen=True)
class ChannelCalibration:
    """One channel: force_n = (counts - offset_counts) * gain_n_per_count, and its error figures.

    linearity_pct and hysteresis_pct are % of the channel's calibrated span; repeatability_n
    is a standard deviation in newtons. None where the procedure had too few points to say.
    """

    offset_counts: float
    gain_n_per_count: float
    linearity_pct: float | None = None
    hysteresis_pct: float | None = None
    repeatability_n: float | None = None


@dataclass(frozen=True)
class CalibrationFile:
    """A whole-device calibration: who, when, how, per-channel constants and the full report.

    version is the file format version; created_utc an ISO 8601 UTC time;
    unloaded_zero_counts the zero of every channel at calibration time (for the drift alarm).
    """

    version: int
    created_utc: str
    device_serial: str
    channels: dict[str, ChannelCalibration]
    method: str
    report: dict[str, Any] = field(default_factory=dict)
    unloaded_zero_counts: dict[str, float] = field(default_factory=dict)

    @property
    def created(self) -> datetime:
        """created_utc as an aware datetime."""
        return _parse_utc(self.created_utc)

    def age_days(self, now: datetime | None = None) -> float:
        """Days since the calibration was made."""
        now = now or datetime.now(UTC)
        return (now - self.created).total_seconds() / 86400.0

    def is_stale(self, interval_days: float, now: datetime | None = None) -> bool:
        """True when older than the studio's recalibration interval."""
        return self.age_days(now) > interval_days

    def to_dict(self) -> dict[str, Any]:
        """The JSON document written to disk."""
        return {
            "format": FORMAT,
            "version": self.version,
            "created_utc": self.created_utc,
            "device_serial": self.device_serial,
            "method": self.method,
            "channels": {
                name: {
                    "offset_counts": ch.offset_counts,
                    "gain_n_per_count": ch.gain_n_per_count,
                    "linearity_pct": ch.linearity_pct,
                    "hysteresis_pct": ch.hysteresis_pct,
                    "repeatability_n": ch.repeatability_n,
                }
                for name, ch in self.channels.items()
            },
            "unloaded_zero_counts": dict(self.unloaded_zero_counts),
            "report": self.report,
        }


def utc_now_iso() -> str:
    """Current UTC time, ISO 8601 with a Z, second resolution (the form created_utc uses)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _parse_utc(text: str) -> datetime:
    when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if when.tzinfo is None:
        raise ValueError("no time zone")
    return when.astimezone(UTC)


class _Fields:
    """Reads typed fields out of a parsed document, raising errors that name file and field."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, expected: str, found: Any) -> CalibrationFileError:
        return CalibrationFileError(f"{self.path}: {where}: expected {expected}, found {found!r}")

    def number(self, obj: dict[str, Any], key: str, where: str, optional: bool = False) -> Any:
        value = obj.get(key)
        if value is None and optional:
            return None
        if (
            not isinstance(value, int | float)
            or isinstance(value, bool)
            or not math.isfinite(value)
        ):
            kind = "a finite number or null" if optional else "a finite number"
            raise self.fail(f"{where}.{key}", kind, value)
        return float(value)

    def mapping(self, obj: dict[str, Any], key: str) -> dict[str, Any]:
        value = obj.get(key)
        if not isinstance(value, dict):
            raise self.fail(key, "a JSON object", value)
        return value

    def text(self, obj: dict[str, Any], key: str) -> str:
        value = obj.get(key)
        if not isinstance(value, str) or not value:
            raise self.fail(key, "a non-empty string", value)
        return value


def _channel(fields: _Fields, name: str, obj: Any) -> ChannelCalibration:
    where = f"channels.{name}"
    if not isinstance(obj, dict):
        raise fields.fail(where, "a JSON object", obj)
    gain = fields.number(obj, "gain_n_per_count", where)
    if gain == 0.0:
        raise fields.fail(f"{where}.gain_n_per_count", "a non-zero number", gain)
    figures = {}
    for key in ("linearity_pct", "hysteresis_pct", "repeatability_n"):
        value = fields.number(obj, key, where, optional=True)
        if value is not None and value < 0:
            raise fields.fail(f"{where}.{key}", "a number >= 0 or null", value)
        figures[key] = value
    return ChannelCalibration(
        offset_counts=fields.number(obj, "offset_counts", where),
        gain_n_per_count=gain,
        **figures,
    )


def calibration_from_dict(doc: Any, path: Path) -> CalibrationFile:
    """Validate a parsed document; raises CalibrationFileError naming file, field and value."""
    fields = _Fields(path)
    if not isinstance(doc, dict):
        raise fields.fail("document", "a JSON object", type(doc).__name__)
    if doc.get("format") != FORMAT:
        raise fields.fail("format", repr(FORMAT), doc.get("format"))
    if doc.get("version") != FORMAT_VERSION:
        raise fields.fail("version", str(FORMAT_VERSION), doc.get("version"))
    created = fields.text(doc, "created_utc")
    try:
        _parse_utc(created)
    except ValueError as err:
        raise fields.fail("created_utc", "an ISO 8601 time with a zone", created) from err
    chans = fields.mapping(doc, "channels")
    if not chans:
        raise fields.fail("channels", "at least one channel", chans)
    zeros = fields.mapping(doc, "unloaded_zero_counts")
    if set(zeros) != set(chans):
        raise fields.fail("unloaded_zero_counts", f"the channels {sorted(chans)}", sorted(zeros))
    report = fields.mapping(doc, "report")
    return CalibrationFile(
        version=FORMAT_VERSION,
        created_utc=created,
        device_serial=fields.text(doc, "device_serial"),
        channels={name: _channel(fields, name, obj) for name, obj in chans.items()},
        method=fields.text(doc, "method"),
        report=report,
        unloaded_zero_counts={
            name: fields.number(zeros, name, "unloaded_zero_counts") for name in zeros
        },
    )


def load_calibration(path: str | os.PathLike[str]) -> CalibrationFile:
    """Read and validate one calibration file; raises CalibrationFileError (or OSError)."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CalibrationFileError(f"{path}: expected UTF-8 JSON, found {err}") from err
    return calibration_from_dict(doc, path)


def save_calibration(cal: CalibrationFile, history_dir: str | os.PathLike[str]) -> Path:
    """Add cal to a rig's history folder as a new numbered, dated file; never overwrites."""
    folder = Path(history_dir)
    folder.mkdir(parents=True, exist_ok=True)
    calibration_from_dict(cal.to_dict(), folder / "<to be saved>")  # refuse to write junk
    stamp = cal.created.strftime("%Y%m%dT%H%M%SZ")
    body = json.dumps(cal.to_dict(), indent=2, allow_nan=False) + "\n"
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=folder, prefix=".cal-", suffix=".tmp", delete=False
    ) as tmp:
        tmp.write(body)
        tmp.flush()
        os.fsync(tmp.fileno())
    try:
        seq = 1 + max((int(m.group(1)) for m in _history_names(folder)), default=0)
        while True:
            target = folder / f"cal-{seq:04d}-{stamp}.json"
            try:
                os.link(tmp.name, target)  # atomic, and fails instead of replacing
                return target
            except FileExistsError:
                seq += 1
    finally:
        os.unlink(tmp.name)


def _history_names(folder: Path) -> Iterable[re.Match[str]]:
    for path in folder.iterdir():
        match = _NAME_RE.match(path.name)
        if match:
            yield match


def history(history_dir: str | os.PathLike[str]) -> list[tuple[Path, CalibrationFile]]:
    """Every readable calibration in the folder, oldest first; unreadable files are logged."""
    folder = Path(history_dir)
    if not folder.is_dir():
        raise CalibrationNotFoundError(f"{folder}: expected a calibration history folder")
    found = []
    for match in _history_names(folder):
        path = folder / match.group(0)
        try:
            found.append((path, load_calibration(path), int(match.group(1))))
        except (CalibrationFileError, OSError) as err:
            log.warning("skipping unreadable calibration: %s", err)
    found.sort(key=lambda item: (item[1].created, item[2]))
    return [(path, cal) for path, cal, _ in found]


def newest_valid(
    history_dir: str | os.PathLike[str],
    device_serial: str,
    channels: Iterable[str],
    *,
    interval_days: float | None = None,
    now: datetime | None = None,
) -> CalibrationFile:
    """The newest readable calibration of the rig, checked against the connected device.

    Raises CalibrationNotFoundError when there is none, CalibrationMismatchError when it was
    made for another device serial or lacks some of `channels`. When older than interval_days
    it logs a warning; ask `cal.is_stale(interval_days)` for the flag.
    """
    found = history(history_dir)
    if not found:
        raise CalibrationNotFoundError(
            f"{history_dir}: expected at least one readable cal-*.json, found none"
        )
    path, cal = found[-1]
    if cal.device_serial != device_serial:
        raise CalibrationMismatchError(
            f"{path}: device_serial: expected the connected device {device_serial!r}, "
            f"found {cal.device_serial!r}; calibrate this device (ashisense calibrate)"
        )
    missing = sorted(set(channels) - set(cal.channels))
    if missing:
        raise CalibrationMismatchError(
            f"{path}: channels: expected every device channel, missing {missing}"
        )
    if interval_days is not None and cal.is_stale(interval_days, now):
        log.warning(
            "%s: calibration is %.0f days old, older than the studio interval of %g days",
            path,
            cal.age_days(now),
            interval_days,
        )
    return cal
