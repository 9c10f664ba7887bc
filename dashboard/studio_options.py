"""The options of a room linked to its studio (`serve --room --studio --store postgresql://`);
light to import (`ashisense --help`): the studio link itself is imported when it is used."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ashisense.studio import RoomConfig


def add_studio_options(p: argparse.ArgumentParser) -> None:
    """--room and --studio (with --store postgresql://... the studio's session database)."""
    p.add_argument("--room", help='this room\'s name in the studio ("Room 2")')
    p.add_argument(
        "--studio",
        metavar="URL",
        help="the studio's MQTT broker, mqtt[s]://user:password@host[:port][/studio] "
        "(the room publishes its live view, alarms and notes there)",
    )


def split_store(store: str | None, home: Path) -> tuple[Path, str | None]:
    """--store as (the room's session file, the studio's database URL or None): a
    postgresql:// URL keeps the room's recording in HOME/sessions.sqlite and copies it there."""
    if store and re.match(r"^postgres(ql)?://", store):
        return home / "sessions.sqlite", store
    return (Path(store) if store else home / "sessions.sqlite"), None


def room_config(args: argparse.Namespace, store_url: str | None) -> RoomConfig | None:
    """The room's studio link from the options; None when no studio is set up."""
    if args.studio is None and store_url is None:
        if args.room is not None:
            raise ValueError("--room: give --studio URL and/or --store postgresql://... too")
        return None
    if not args.room:
        raise ValueError('--room: a room linked to a studio needs its name (--room "Room 2")')
    from ashisense.studio import RoomConfig, StudioUrl  # the studio link only when asked for

    studio = StudioUrl.parse(args.studio) if args.studio else None
    return RoomConfig(args.room, studio, store_url)
