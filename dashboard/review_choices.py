"""What a recorded session can be evaluated again with from the review page: the studio's
rule sets (the live rig's, and every `HOME/rules/*.toml`) and client profiles (the live
rig's, and `HOME/profiles`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ashisense.profiles import ClientProfile, Profiles

if TYPE_CHECKING:
    from ashisense.live import LiveConfig


@dataclass(frozen=True)
class Choices:
    """Rule set files by file name; client profiles by id."""

    rules: dict[str, Path]
    clients: dict[str, ClientProfile]


def review_choices(home: Path, live: LiveConfig | None) -> Choices:
    """The rule sets and client profiles there are (ProfileError for an unreadable profile)."""
    rules: dict[str, Path] = {}
    clients: dict[str, ClientProfile] = {}
    if live is not None:
        if live.rules_path is not None:
            rules[live.rules_path.name] = live.rules_path
        clients.update(live.profiles.clients)
    rules.update({p.name: p for p in sorted((home / "rules").glob("*.toml"))})
    if (home / "profiles").is_dir():
        clients.update(Profiles.from_folder(home / "profiles").clients)
    return Choices(rules, clients)
