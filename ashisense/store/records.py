"""What a session holds besides raw blocks: its description, summary, alarm log and notes."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ashisense.store.errors import SessionDataError
from firmware_bridge.blocks import DeviceEvent, Gap, GridBlock, SampleBlock
from firmware_bridge.protocol import Hello


@dataclass(frozen=True)
class SessionMeta:
    """Known when a session starts: who, on which rig, with which calibration and rules.

    started_s: host time (Unix epoch seconds). rig_text: the rig file's text as used (a
    snapshot, so the session can be re-derived after the file changes). calibration: the
    calibration in use as JSON-able data. client, therapist: profiles as JSON-able dicts.
    rules_text, contraindications_text: the alarm rule set and the studio's
    contraindication map in use (file texts), if any.
    """

    started_s: float
    rig_text: str = ""
    rig_path: str = ""
    calibration: dict[str, Any] = field(default_factory=dict)
    client: dict[str, Any] = field(default_factory=dict)
    therapist: dict[str, Any] = field(default_factory=dict)
    rules_text: str = ""
    contraindications_text: str = ""
    label: str = ""


@dataclass(frozen=True)
class SessionSummary:
    """Figures of a whole session: filled at stop, or computed from the rows if it never stopped.

    peak_feet_n is None when no estimate reached the writer (a raw-only recording or a session
    cut short by a crash); `sessions` then shows it as unknown, and a replay recomputes it.
    """

    duration_s: float = 0.0
    samples: int = 0
    lost_samples: int = 0
    dropped_samples: int = 0
    alarm_count: int = 0
    peak_feet_n: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "duration_s": self.duration_s,
            "samples": self.samples,
            "lost_samples": self.lost_samples,
            "dropped_samples": self.dropped_samples,
            "alarm_count": self.alarm_count,
            "peak_feet_n": self.peak_feet_n,
        }

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> SessionSummary:
        return cls(**{k: obj[k] for k in cls().to_dict() if k in obj})


@dataclass(frozen=True)
class BaselineRecord:
    """The pipeline's baseline state kept with a session (ashisense.pipeline.baseline.
    BaselineState as JSON-able data): its "start" state (what the live pipeline held when
    recording began, e.g. a client baseline taken before the therapist climbed on), then
    each change (kind "automatic", "on request", "reset", "tracked").

    t_s: the state holds from the first sample after this host time (-inf: from the first).
    """

    t_s: float
    state: dict[str, Any]

    @classmethod
    def of(cls, state: dict[str, Any]) -> BaselineRecord:
        """From a state of Pipeline.baseline_state() or .baseline_changes()."""
        t_s = state.get("t_s")
        return cls(-math.inf if t_s is None else float(t_s), state)

    @property
    def kind(self) -> str:
        return str(self.state.get("kind", ""))


@dataclass(frozen=True)
class SessionInfo:
    """A stored session as listed: its meta, its HELLO and channels, stop time and summary.

    stopped_s is None for a session that never stopped cleanly (the process died).
    baselines: the pipeline's baseline states kept with it, in time order (none for a
    session recorded before they were kept). id is the store's own number; uuid names the
    session in every store it is copied to.
    """

    id: int
    meta: SessionMeta
    stopped_s: float | None
    hello: dict[str, Any] | None
    channels: tuple[str, ...]
    summary: SessionSummary
    baselines: tuple[BaselineRecord, ...] = ()
    uuid: str = ""

    @property
    def interrupted(self) -> bool:
        return self.stopped_s is None


@dataclass(frozen=True)
class AlarmRecord:
    """One alarm log row (ashisense.alarms.AlarmEvent, stored as plain values).

    transition: why the row was written ("raised", "cleared", "acknowledged", ...);
    from_state / state: the alarm state before and after; value and limit in the rule's unit,
    NaN when none applies.
    """

    t_s: float
    rule_id: str
    priority: str
    transition: str
    from_state: str
    state: str
    value: float
    limit: float
    message: str

    @classmethod
    def of(cls, event: Any) -> AlarmRecord:
        """From any row with these attributes (an AlarmEvent: enums become their strings)."""
        return cls(
            t_s=float(event.t_s),
            rule_id=str(event.rule_id),
            priority=str(event.priority),
            transition=str(event.transition),
            from_state=str(event.from_state),
            state=str(event.state),
            value=math.nan if event.value is None else float(event.value),
            limit=math.nan if event.limit is None else float(event.limit),
            message=str(event.message),
        )


def duration_text(duration_s: float) -> str:
    """A session's duration as every listing shows it: 59.97 -> "1:00.0" (minutes and
    seconds to a tenth, rounded once: never "0:60.0")."""
    minutes, tenths = divmod(round(duration_s * 10), 600)
    return f"{minutes}:{tenths // 10:02d}.{tenths % 10}"


def count_raised(alarms: list[AlarmRecord]) -> int:
    """How many alarms were raised (log rows whose transition is "raised")."""
    return sum(a.transition == "raised" for a in alarms)


#: How long after a press the feet force is taken again: what the therapist did next (s).
PRESS_FOLLOW_UP_S = 2.0


@dataclass(frozen=True)
class PressRecord:
    """One press of the client's handset, or of the dashboard's client page, with the moment.

    t_s: host time of the press. button: "lighter", "deeper", "stop" or "ok". source:
    "handset" (the rig's EVENT) or "page" (the dashboard's client page). feet_n: the feet
    force then (N, NaN unknown); region: the body region under the feet ("" unknown);
    pressure_kpa (NaN unknown) and pressure_basis (which contact area it assumes).
    feet_after_n: the feet force PRESS_FOLLOW_UP_S later, what the therapist did next (NaN
    when the session ended first or nothing was estimated then).
    """

    t_s: float
    button: str
    source: str
    feet_n: float = math.nan
    region: str = ""
    pressure_kpa: float = math.nan
    pressure_basis: str = ""
    feet_after_n: float = math.nan


@dataclass(frozen=True)
class Annotation:
    """A note (a trainer's, a therapist's) pinned to a time of the session, or over a time
    range when t_end_s is given. id: the store's number of a stored note (None before it is
    stored), local to the store: it takes no part in comparing or showing notes."""

    t_s: float
    text: str
    author: str = ""
    t_end_s: float | None = None
    id: int | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class RecorderFault:
    """Something the recorder itself got wrong: a write error, a stall, data it had to drop.

    dropped_samples counts samples lost to this fault (0 when nothing was lost).
    """

    t_s: float
    kind: str
    message: str
    dropped_samples: int = 0


def batch_channels(
    known: tuple[str, ...] | None, batch: Batch, where: str
) -> tuple[str, ...] | None:
    """The session's channels once `batch` is written: those known, else its HELLO's or first
    block's; SessionDataError (saying `where`) if the batch brings other ones."""
    found = [("HELLO", batch.hello.channels)] if batch.hello is not None else []
    found += [("block", b.channels) for b in batch.blocks]
    for what, channels in found:
        if known is None:
            known = channels
        elif channels != known:
            raise SessionDataError(
                f"{where}: expected channels {list(known)}, got {list(channels)} in a {what}"
            )
    return known


@dataclass
class Batch:
    """Everything one commit writes for one session, in arrival order per kind."""

    blocks: list[SampleBlock] = field(default_factory=list)
    grids: list[GridBlock] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    events: list[DeviceEvent] = field(default_factory=list)
    alarms: list[AlarmRecord] = field(default_factory=list)
    annotations: list[Annotation] = field(default_factory=list)
    faults: list[RecorderFault] = field(default_factory=list)
    baselines: list[BaselineRecord] = field(default_factory=list)
    presses: list[PressRecord] = field(default_factory=list)
    hello: Hello | None = None
    #: The calibration in use once known (a rig with calibration files resolves it from the
    #: device's serial after HELLO); replaces SessionMeta.calibration.
    calibration: dict[str, Any] | None = None
    #: The session's figures so far: a session cut short by a crash keeps its last summary.
    summary: SessionSummary | None = None

    @property
    def samples(self) -> int:
        return sum(len(b) for b in self.blocks)

    def add(self, record: object) -> None:
        """Append a gap, event, alarm, note, fault, baseline or press to its list."""
        lists: dict[type, list[Any]] = {
            Gap: self.gaps,
            DeviceEvent: self.events,
            AlarmRecord: self.alarms,
            Annotation: self.annotations,
            RecorderFault: self.faults,
            BaselineRecord: self.baselines,
            PressRecord: self.presses,
        }
        lists[type(record)].append(record)

    def __bool__(self) -> bool:
        return bool(
            self.blocks
            or self.grids
            or self.gaps
            or self.events
            or self.alarms
            or self.annotations
            or self.faults
            or self.baselines
            or self.presses
            or self.hello
            or self.calibration
            or self.summary
        )
