"""Client and therapist profiles: data a session carries (JSON or TOML files), not code.

`load_client(path)` / `load_therapist(path)` validate a file and raise ProfileError naming the
file, the field, what was expected and what was found. Examples: examples/profiles/.
"""

from __future__ import annotations

import functools
import json
import os
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ashisense.bodymap import NO_GO_DEFAULT, REGIONS, BodyMap, regions_named
from ashisense.errors import AshisenseError
from calibration.units import STANDARD_GRAVITY_M_S2

# The studio's default contraindication map, shipped in the package (ashisense.alarms.limits
# turns its conditions into tighter limits): the condition names a client profile may carry
# are the ones defined there. A path, not an import: ashisense.alarms imports this module.
DEFAULT_CONTRAINDICATIONS = (
    Path(__file__).resolve().parent / "alarms" / "defaults" / "contraindications.toml"
)

ContactKind = Literal["whole_foot", "heel", "forefoot"]


class ProfileError(AshisenseError, ValueError):
    """A profile file that cannot be read or does not describe a valid profile."""


class UnknownProfileError(AshisenseError, LookupError):
    """A client or therapist id that is not among the loaded profiles."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LimitAlarm(_Model):
    """How a client's region limit alarms, where it should differ from the studio's rule for
    that region (which it follows otherwise). None: as the studio's rule."""

    priority: Literal["high", "medium", "low"] | None = None
    delay_s: float | None = Field(default=None, ge=0)


class ClientProfile(_Model):
    """The person lying on the table.

    head_x_m: x of the top of the head on the table; head_end: "head" if the head lies at the
    table's head end (feet toward larger x), "foot" otherwise. limits_n: feet-force limit per
    body region (names from ashisense.bodymap.REGIONS); max_feet_n: limit anywhere.
    limit_alarms: per region, a priority or delay for its limits_n alarm other than the
    studio's rule for that region (docs/alarms.md).
    contraindications: each a body region (not to be pressed), a condition of the default
    contraindication map ("osteoporosis", "pregnancy", ...: the alarm limits tighten for it),
    or "condition:region" for a condition with a site ("recent_surgery:thigh": the site is
    not to be pressed either). See contraindications_named().
    """

    id: str = Field(min_length=1)
    weight_kg: float = Field(gt=20, lt=300)
    height_m: float = Field(gt=0.5, lt=2.5)
    head_x_m: float = 0.0
    head_end: Literal["head", "foot"] = "head"
    midline_y_m: float = 0.0
    spine_half_width_m: float = Field(default=0.03, gt=0, le=0.1)
    max_feet_n: float | None = Field(default=None, gt=0)
    limits_n: dict[str, float] = Field(default_factory=dict)
    limit_alarms: dict[str, LimitAlarm] = Field(default_factory=dict)
    contraindications: tuple[str, ...] = ()
    notes: str = ""

    @field_validator("limits_n")
    @classmethod
    def _limit_regions(cls, v: dict[str, float]) -> dict[str, float]:
        regions_named(v)
        bad = {k: x for k, x in v.items() if not x > 0}
        if bad:
            raise ValueError(f"limits must be > 0 N, got {bad}")
        return v

    @field_validator("limit_alarms")
    @classmethod
    def _alarm_regions(cls, v: dict[str, LimitAlarm]) -> dict[str, LimitAlarm]:
        regions_named(v)
        return v

    @field_validator("contraindications")
    @classmethod
    def _contra_known(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return contraindications_named(v)

    @property
    def weight_n(self) -> float:
        """Body weight in newtons."""
        return self.weight_kg * STANDARD_GRAVITY_M_S2

    @property
    def no_go(self) -> frozenset[str]:
        """Regions this client must not be pressed on: the default ones (head, neck, spine,
        popliteal), region contraindications and condition sites. What a condition itself
        forbids (kidney_disorders: lumbar) is the studio map's, applied by the alarm limits."""
        named = (c.partition(":") for c in self.contraindications)
        return NO_GO_DEFAULT | {site or name for name, _, site in named if site or name in REGIONS}

    def body_map(self) -> BodyMap:
        """The client's body regions on the table."""
        return BodyMap(
            stature_m=self.height_m,
            head_x_m=self.head_x_m,
            direction=1 if self.head_end == "head" else -1,
            midline_y_m=self.midline_y_m,
            spine_half_width_m=self.spine_half_width_m,
            no_go=self.no_go,
        )

    def limit_n(self, region: str) -> float | None:
        """The feet-force limit in a region (the region's own, else max_feet_n, else None)."""
        if region not in REGIONS:
            raise ValueError(f"unknown region {region!r}; valid: {', '.join(REGIONS)}")
        return self.limits_n.get(region, self.max_feet_n)


@functools.cache
def known_conditions(path: Path = DEFAULT_CONTRAINDICATIONS) -> dict[str, bool]:
    """Condition names of a contraindication map file, each with whether it takes a site
    ("condition:region", a condition with a site_rule). Raises ValueError if unreadable."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise ValueError(
            f"the contraindication map {path} is needed to check condition names: {err}"
        ) from err
    conditions = doc.get("condition", {})
    return {name: "site_rule" in c for name, c in conditions.items() if isinstance(c, dict)}


def contraindications_named(items: Iterable[str]) -> tuple[str, ...]:
    """Check contraindications: a body region, a condition of the default map, or
    "condition:region" for a condition with a site; raises ValueError listing the valid ones."""
    items = tuple(items)
    if all(c in REGIONS for c in items):
        return items  # plain regions: no need for the map
    conditions = known_conditions()
    unknown = []
    for c in items:
        name, sep, site = c.partition(":")
        if not sep and (name in REGIONS or name in conditions):
            continue
        if sep and conditions.get(name) and site in REGIONS:
            continue
        unknown.append(c)
    if unknown:
        sited = [name for name, has_site in conditions.items() if has_site]
        raise ValueError(
            f"unknown contraindications {unknown}; expected a body region "
            f"({', '.join(REGIONS)}), a condition ({', '.join(conditions)}; from "
            f"{DEFAULT_CONTRAINDICATIONS.name}) or condition:region for "
            f"{', '.join(sited) or 'none'}"
        )
    return items


class FootAreas(_Model):
    """Contact area of one foot, cm^2, by the part in contact."""

    whole_foot: float = Field(gt=20, lt=400)
    heel: float = Field(gt=5, lt=200)
    forefoot: float = Field(gt=5, lt=250)


class TherapistProfile(_Model):
    """The person standing on the client: weight and foot contact areas.

    contact: which foot area turns force into pressure by default; feet_in_contact: how many
    feet share the load for that figure (1 is the conservative choice: all force on one foot).
    """

    id: str = Field(min_length=1)
    weight_kg: float = Field(gt=20, lt=250)
    foot_area_cm2: FootAreas
    contact: ContactKind = "whole_foot"
    feet_in_contact: Literal[1, 2] = 1

    @property
    def weight_n(self) -> float:
        """Body weight in newtons."""
        return self.weight_kg * STANDARD_GRAVITY_M_S2

    def contact_area_m2(self, contact: ContactKind | None = None) -> float:
        """Area (m^2) that carries the feet force for a pressure figure."""
        cm2 = getattr(self.foot_area_cm2, contact or self.contact)
        return cm2 * 1e-4 * self.feet_in_contact


# Profile file formats by suffix.
READERS: dict[str, Callable[[str], Any]] = {".json": json.loads, ".toml": tomllib.loads}

P = TypeVar("P", ClientProfile, TherapistProfile)


def _load(path: str | os.PathLike[str], model: type[P]) -> P:
    path = Path(path)
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise ProfileError(
            f"{path.name}: expected a file ending in {' or '.join(READERS)}, got {path.suffix!r}"
        )
    try:
        doc = reader(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as err:  # JSON and TOML decode errors are both
        raise ProfileError(f"{path.name}: expected UTF-8 {path.suffix[1:]}, found {err}") from err
    return profile_from_dict(doc, model, path.name)


def profile_from_dict(doc: Any, model: type[P], source: str = "<profile>") -> P:
    """Validate a parsed profile; raises ProfileError naming source, field and value."""
    try:
        return model.model_validate(doc)
    except ValidationError as err:
        parts = []
        for e in err.errors():
            where = ".".join(str(p) for p in e["loc"]) or "profile"
            ctx = e.get("ctx") or {}
            what = str(ctx["error"]) if "error" in ctx else e["msg"].lower()
            parts.append(f"{source}: {where}: {what}, got {e.get('input')!r}")
        raise ProfileError("; ".join(parts)) from err


def load_client(path: str | os.PathLike[str]) -> ClientProfile:
    """Read a client profile (.json or .toml); raises ProfileError or OSError."""
    return _load(path, ClientProfile)


def load_therapist(path: str | os.PathLike[str]) -> TherapistProfile:
    """Read a therapist profile (.json or .toml); raises ProfileError or OSError."""
    return _load(path, TherapistProfile)


@dataclass(frozen=True)
class Profiles:
    """The studio's client and therapist profiles, by id."""

    clients: dict[str, ClientProfile] = field(default_factory=dict)
    therapists: dict[str, TherapistProfile] = field(default_factory=dict)

    @classmethod
    def from_folder(cls, folder: Path) -> Profiles:
        """Every *.toml / *.json profile in `folder`: a therapist has foot_area_cm2."""
        clients: dict[str, ClientProfile] = {}
        therapists: dict[str, TherapistProfile] = {}
        for path in sorted(Path(folder).iterdir()):
            reader = READERS.get(path.suffix.lower())
            if reader is None:
                continue
            doc = reader(path.read_text(encoding="utf-8"))
            if isinstance(doc, dict) and "foot_area_cm2" in doc:
                t = profile_from_dict(doc, TherapistProfile, path.name)
                therapists[t.id] = t
            else:
                c = profile_from_dict(doc, ClientProfile, path.name)
                clients[c.id] = c
        return cls(clients, therapists)

    def client(self, client_id: str) -> ClientProfile:
        """The client with this id; UnknownProfileError naming the ones there are."""
        if client_id not in self.clients:
            raise UnknownProfileError(
                f"client {client_id!r}: not among the profiles ({', '.join(self.clients)})"
            )
        return self.clients[client_id]

    def therapist(self, therapist_id: str) -> TherapistProfile:
        """The therapist with this id; UnknownProfileError naming the ones there are."""
        if therapist_id not in self.therapists:
            raise UnknownProfileError(
                f"therapist {therapist_id!r}: not among the profiles ({', '.join(self.therapists)})"
            )
        return self.therapists[therapist_id]
