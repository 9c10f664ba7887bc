"""The rig file: a TOML description of one rig (device, channels, geometry, calibration).

`load_rig(path)` validates the whole file and raises RigFileError with one message naming the
file, the channel or field, what was expected and what was found. `Rig.for_device(...)` checks
the connected device's channels and resolves calibration files; see docs/rig_file.md.
"""

from __future__ import annotations

import logging
import math
import os
import tomllib
from collections.abc import Iterable
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from ashisense.errors import AshisenseError

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

    from calibration.files import CalibrationFile
    from firmware_bridge.link import Link
    from firmware_bridge.listener import Listener

log = logging.getLogger(__name__)


class RigFileError(AshisenseError, ValueError):
    """A rig file that cannot be read or does not describe a valid rig."""


class RigMismatchError(AshisenseError, ValueError):
    """The connected device does not match the rig file (channels, serial, calibration)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Device(_Model):
    """How to reach the rig: a pyserial URL and the input kind."""

    url: str = Field(min_length=1)
    input: Literal["protocol", "ascii"] = "protocol"
    rate_hz: float | None = Field(default=None, gt=0)


class Table(_Model):
    """Table top size: x along the table from the head end, y across, 0 on the midline."""

    length_m: float = Field(gt=0, le=4)
    width_m: float = Field(gt=0, le=2)


class Bars(_Model):
    """Where the bar mounts hang: head and foot mount x, and each bar's y."""

    head_mount_x_m: float
    foot_mount_x_m: float
    left_y_m: float
    right_y_m: float

    @model_validator(mode="after")
    def _mounts_apart(self) -> Bars:
        if abs(self.foot_mount_x_m - self.head_mount_x_m) < 0.1:
            raise ValueError(
                "foot_mount_x_m must be at least 0.1 m from head_mount_x_m, got "
                f"{self.head_mount_x_m} and {self.foot_mount_x_m}"
            )
        return self


class Grid(_Model):
    """An optional pressure-mapping grid: taxel (row, col) centre at
    (origin_x_m + row * pitch_x_m, origin_y_m + col * pitch_y_m); row 0 at the head end.

    Values are raw counts up to full_scale; `saturation` is the value a saturated taxel reads
    (default full_scale); kpa_per_count, when known, turns counts into kPa. A taxel is in
    contact when it rises above its baseline by threshold + creep_frac x baseline (counts), so
    that slow creep of a loaded sheet is not taken for a foot, and taxels out of contact follow
    the sheet's creep with time constant baseline_tau_s; contacts smaller than min_blob_taxels
    are ignored.
    """

    rows: int = Field(gt=0, le=255)
    cols: int = Field(gt=0, le=255)
    pitch_x_m: float = Field(gt=0, le=0.2)
    pitch_y_m: float = Field(gt=0, le=0.2)
    origin_x_m: float = 0.0
    origin_y_m: float = 0.0
    full_scale: int = Field(default=65535, gt=0, le=65535)
    saturation: int | None = Field(default=None, gt=0, le=65535)
    kpa_per_count: float | None = Field(default=None, gt=0)
    threshold: float = Field(default=5.0, gt=0)
    creep_frac: float = Field(default=0.25, ge=0, lt=1)
    baseline_tau_s: float = Field(default=60.0, gt=0)
    min_blob_taxels: int = Field(default=4, ge=1)


#: Without a [calibration] section (inline constants): the limits its fields default to.
DEFAULT_INTERVAL_DAYS = 180.0
DEFAULT_ZERO_DRIFT_LIMIT_N = 20.0


class Calibration(_Model):
    """Calibration files and how long they hold.

    path: a cal-*.json file or the rig's history folder. interval_days: the studio's
    recalibration interval; an older calibration is warned about at connect time and raises
    the calibration_age_days alarm rule. zero_drift_limit_n: how far an unloaded zero may
    move since calibration before the zero_drift_n rule alarms. Both are the limits of those
    rules unless a rule sets its own.
    """

    path: str = Field(min_length=1)
    interval_days: float = Field(default=DEFAULT_INTERVAL_DAYS, gt=0)
    zero_drift_limit_n: float = Field(default=DEFAULT_ZERO_DRIFT_LIMIT_N, gt=0)


class Channel(_Model):
    """One HELLO channel: its role, place, and calibration (inline or from the file).

    force_n = (counts - offset_counts) * gain_n_per_count.
    """

    name: str = Field(min_length=1)
    role: Literal["bar", "mat"]
    side: Literal["left", "right"] | None = None
    end: Literal["head", "foot"] | None = None
    x_m: float | None = None
    y_m: float | None = None
    calibration: Literal["inline", "file"] = "inline"
    offset_counts: float | None = None
    gain_n_per_count: float | None = None

    @field_validator("gain_n_per_count")
    @classmethod
    def _gain_positive(cls, v: float | None) -> float | None:
        if v is not None and not v > 0:
            raise ValueError(f"must be > 0, got {v:g}")
        return v

    @field_validator("offset_counts", "x_m", "y_m")
    @classmethod
    def _finite(cls, v: float | None) -> float | None:
        if v is not None and not math.isfinite(v):
            raise ValueError(f"must be a finite number, got {v}")
        return v

    @model_validator(mode="after")
    def _role_fields(self) -> Channel:
        needed = ("side", "end") if self.role == "bar" else ("x_m", "y_m")
        unwanted = ("x_m", "y_m") if self.role == "bar" else ("side", "end")
        for key in needed:
            if getattr(self, key) is None:
                raise ValueError(f"{key} is required for a {self.role} channel, got nothing")
        for key in unwanted:
            if getattr(self, key) is not None:
                raise ValueError(f"{key} is not used by a {self.role} channel, remove it")
        inline = (self.offset_counts, self.gain_n_per_count)
        if self.calibration == "inline" and None in inline:
            raise ValueError(
                'offset_counts and gain_n_per_count are required (or calibration = "file"), '
                f"got offset_counts={self.offset_counts}, gain_n_per_count={self.gain_n_per_count}"
            )
        if self.calibration == "file" and inline != (None, None):
            raise ValueError(
                'calibration = "file" takes offset and gain from the calibration file; '
                "remove offset_counts and gain_n_per_count"
            )
        return self


class Rig(_Model):
    """A validated rig. Channels keep the rig file's order; pipeline arrays use that order."""

    device: Device
    table: Table
    bars: Bars | None = None
    grid: Grid | None = None
    calibration: Calibration | None = None
    channel: tuple[Channel, ...] = Field(min_length=1)
    source: str = "<rig>"  # the file it came from (for messages)
    # The calibration file the channels' offsets and gains came from (with_calibration_file).
    _calibration_file: CalibrationFile | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _consistent(self) -> Rig:
        names = [c.name for c in self.channel]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"channel names must be unique, got {dup} more than once")
        bar_slots = [(c.side, c.end) for c in self.channel if c.role == "bar"]
        dup_slots = sorted({f"{s}/{e}" for s, e in bar_slots if bar_slots.count((s, e)) > 1})
        if dup_slots:
            raise ValueError(f"each bar mount (side/end) takes one channel, got {dup_slots} twice")
        if bar_slots and self.bars is None:
            raise ValueError("a [bars] section is required when there are bar channels, got none")
        if any(c.calibration == "file" for c in self.channel) and self.calibration is None:
            raise ValueError(
                'a [calibration] path is required when a channel has calibration = "file"'
            )
        mats = [c for c in self.channel if c.role == "mat"]
        if mats and len(mats) < 3:
            raise ValueError(
                f"a mat needs at least 3 load cells for a centre of pressure, got {len(mats)}"
            )
        if mats:
            pts = np.array([[c.x_m, c.y_m] for c in mats], dtype=np.float64)
            if np.linalg.matrix_rank(pts[1:] - pts[0], tol=1e-3) < 2:
                raise ValueError("mat load cells must not all lie on one line (x_m, y_m)")
        return self

    @property
    def channels(self) -> tuple[str, ...]:
        """Channel names in rig order."""
        return tuple(c.name for c in self.channel)

    def link(self, url: str | None = None, listeners: Iterable[Listener] = ()) -> Link:
        """A (not yet started) Link to this rig's device: the [device] url unless another
        is given, with the ASCII channel names and rate when the input is ASCII lines."""
        from firmware_bridge.link import Link

        ascii_input = self.device.input == "ascii"
        return Link(
            url or self.device.url,
            listeners=listeners,
            kind=self.device.input,
            ascii_channels=self.channels if ascii_input else None,
            ascii_rate_hz=self.device.rate_hz if ascii_input else None,
        )

    def calibration_folder(self, fallback: Path) -> Path:
        """Where this rig's calibrations are kept: its [calibration] path if that is a
        folder, else `fallback`."""
        if self.calibration is not None and Path(self.calibration.path).is_dir():
            return Path(self.calibration.path)
        return fallback

    @property
    def kind(self) -> Literal["full", "bars", "mat"]:
        """ "full" (bars and mat), "bars" (bars only) or "mat" (mat only)."""
        roles = {c.role for c in self.channel}
        return "full" if roles == {"bar", "mat"} else ("bars" if roles == {"bar"} else "mat")

    @property
    def calibration_interval_days(self) -> float:
        """[calibration] interval_days (its default without the section)."""
        return DEFAULT_INTERVAL_DAYS if self.calibration is None else self.calibration.interval_days

    @property
    def zero_drift_limit_n(self) -> float:
        """[calibration] zero_drift_limit_n (its default without the section)."""
        cal = self.calibration
        return DEFAULT_ZERO_DRIFT_LIMIT_N if cal is None else cal.zero_drift_limit_n

    @property
    def calibration_file(self) -> CalibrationFile | None:
        """The calibration file in use (set by for_device), None for inline constants only."""
        return self._calibration_file

    def calibration_age_days(self, now: datetime | None = None) -> float | None:
        """Days since the calibration file in use was made (None without one)."""
        cal = self._calibration_file
        return None if cal is None else cal.age_days(now)

    def calibration_stale(self, now: datetime | None = None) -> bool:
        """True when the calibration file in use is older than [calibration] interval_days."""
        age_days = self.calibration_age_days(now)
        return age_days is not None and age_days > self.calibration_interval_days

    @property
    def resolved(self) -> bool:
        """True when every channel has offset and gain (file calibration loaded)."""
        return all(c.gain_n_per_count is not None for c in self.channel)

    @cached_property
    def offsets_counts(self) -> np.ndarray:
        """(C,) offset of each channel; raises RigMismatchError before calibration is loaded."""
        self._require_resolved()
        return np.array([c.offset_counts for c in self.channel], dtype=np.float64)

    @cached_property
    def gains_n_per_count(self) -> np.ndarray:
        """(C,) gain of each channel (N per count)."""
        self._require_resolved()
        return np.array([c.gain_n_per_count for c in self.channel], dtype=np.float64)

    def _require_resolved(self) -> None:
        if not self.resolved:
            raise RigMismatchError(
                f"{self.source}: calibration file not loaded yet: "
                "call Rig.for_device(serial, channels) first"
            )

    def index(self, role: str, side: str | None = None, end: str | None = None) -> list[int]:
        """Indices of the channels with this role (and bar side / end)."""
        return [
            i
            for i, c in enumerate(self.channel)
            if c.role == role and side in (None, c.side) and end in (None, c.end)
        ]

    def check_channels(self, hello_channels: tuple[str, ...] | list[str]) -> None:
        """Raise RigMismatchError if the device lacks channels of the rig or has extra ones."""
        have, want = set(hello_channels), set(self.channels)
        missing, extra = sorted(want - have), sorted(have - want)
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing {missing}")
            if extra:
                parts.append(f"extra {extra}")
            raise RigMismatchError(
                f"{self.source}: the device's channels do not match the rig file: "
                f"expected {sorted(want)}, the device has {' and '.join(parts)}"
            )

    def for_device(self, serial: str, hello_channels: tuple[str, ...] | list[str]) -> Rig:
        """Check the device's channels and return the rig with file calibrations filled in.

        A [calibration] path that is a file must be for this serial; a folder gives its newest
        valid calibration for this device. Raises RigMismatchError otherwise. A calibration
        older than [calibration] interval_days is logged as a warning (calibration_stale()).
        """
        self.check_channels(hello_channels)
        if self.calibration is None:
            return self
        from calibration.errors import CalibrationError
        from calibration.files import load_calibration, newest_valid

        path = Path(self.calibration.path)
        file_channels = [c.name for c in self.channel if c.calibration == "file"]
        try:
            if path.is_dir():
                cal = newest_valid(path, serial, file_channels)
            else:
                cal = load_calibration(path)
        except (CalibrationError, OSError) as err:
            raise RigMismatchError(f"{self.source}: calibration.path: {err}") from err
        if cal.device_serial != serial:
            raise RigMismatchError(
                f"{self.source}: calibration.path: {path} is for device "
                f"{cal.device_serial!r}, the connected device is {serial!r}"
            )
        rig = self.with_calibration_file(cal, str(path))
        if rig.calibration_stale():
            log.warning(
                "%s: the calibration of %s is %.0f days old, older than the studio's interval "
                "of %g days ([calibration] interval_days): recalibrate (ashisense calibrate)",
                self.source,
                cal.created_utc,
                cal.age_days(),
                self.calibration.interval_days,
            )
        return rig

    def with_calibration_file(self, cal: CalibrationFile, where: str) -> Rig:
        """This rig with the offsets and gains of its calibration = "file" channels taken from
        cal, which becomes `calibration_file`. where: the file, for messages."""
        channels = []
        for c in self.channel:
            if c.calibration == "file":
                if c.name not in cal.channels:
                    raise RigMismatchError(
                        f"{self.source}: channel '{c.name}': expected it in calibration file "
                        f"{where}, found only {sorted(cal.channels)}"
                    )
                cc = cal.channels[c.name]
                c = c.model_copy(
                    update={
                        "offset_counts": cc.offset_counts,
                        "gain_n_per_count": cc.gain_n_per_count,
                    }
                )
            channels.append(c)
        rig = self.model_copy(update={"channel": tuple(channels)})
        rig._calibration_file = cal
        return rig


def _where(loc: tuple[Any, ...], doc: dict[str, Any]) -> str:
    """ "channel 'bar_lh': gain_n_per_count " from a pydantic location ("" for the whole file)."""
    head, rest = "", ".".join(str(p) for p in loc)
    if len(loc) >= 2 and loc[0] == "channel" and isinstance(loc[1], int):
        chans = doc.get("channel")
        name = None
        if isinstance(chans, list) and loc[1] < len(chans) and isinstance(chans[loc[1]], dict):
            name = chans[loc[1]].get("name")
        head = f"channel '{name}': " if isinstance(name, str) else f"channel #{loc[1] + 1}: "
        rest = ".".join(str(p) for p in loc[2:])
    return f"{head}{rest} " if rest else head


def _describe(err: ErrorDetails) -> str:
    """What was expected and what was found, for one pydantic error."""
    kind, ctx, found = err["type"], err.get("ctx") or {}, err.get("input")
    bounds = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<"}
    bounds["less_than_equal"] = "<="
    if kind in bounds:
        limit = next(iter(ctx.values()))
        return f"must be {bounds[kind]} {limit}, got {found!r}"
    if kind == "missing":
        return "is required, got nothing"
    if kind == "extra_forbidden":
        return f"is not a known field (value {found!r}); check the spelling"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    return f"{err['msg'].lower()}, got {found!r}"


def rig_from_dict(doc: dict[str, Any], source: str = "<rig>") -> Rig:
    """Validate a parsed rig document; raises RigFileError naming source, field and value."""
    try:
        return Rig.model_validate({**doc, "source": source})
    except ValidationError as err:
        lines = [f"{_where(e['loc'], doc)}{_describe(e)}" for e in err.errors()]
        raise RigFileError(f"{source}: " + f"; {source}: ".join(lines)) from err


def load_rig(path: str | os.PathLike[str]) -> Rig:
    """Read and validate a rig file; a relative calibration path is taken from the file's folder.

    Raises RigFileError (a ValueError) naming the file and the field, or OSError if unreadable.
    """
    path = Path(path)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise RigFileError(f"{path.name}: expected a UTF-8 TOML file, found {err}") from err
    cal = doc.get("calibration")
    if isinstance(cal, dict) and isinstance(cal.get("path"), str):
        doc["calibration"] = {**cal, "path": str(path.parent / cal["path"])}
    rig = rig_from_dict(doc, source=path.name)
    if rig.calibration and not Path(rig.calibration.path).exists():
        raise RigFileError(
            f"{path.name}: calibration.path: expected an existing file or folder, "
            f"found nothing at {rig.calibration.path}"
        )
    return rig
