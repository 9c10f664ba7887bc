"""`ashisense serve --rig RIG.toml`: the live dashboard for a real rig."""

from __future__ import annotations

import argparse
from dataclasses import replace
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from ashisense.commands import add_lsl_options, add_rig_options, existing_file
from dashboard.commands._server_options import add_server_options, server_settings
from dashboard.studio_options import add_studio_options, room_config, split_store


def register(sub: Any) -> None:
    p = sub.add_parser(
        "serve",
        help="live dashboard for a rig (sessions started from the page)",
        description=(
            "Connect to the rig of RIG.toml, run the live pipeline and alarms, and serve the "
            "dashboard (live view, controls, session review). Binds 127.0.0.1 unless --host "
            "says otherwise; prints the URL, and on first run the login password."
        ),
    )
    add_rig_options(p)
    add_server_options(p)
    p.add_argument(
        "--store",
        help="session file (default HOME/sessions.sqlite), or the studio's postgresql://... "
        "database: the room records into HOME/sessions.sqlite and copies each session there",
    )
    p.add_argument(
        "--profiles",
        type=Path,
        help="folder of client/therapist profiles (default: profiles/ next to the rig file, "
        "else HOME/profiles)",
    )
    p.add_argument(
        "--rules",
        type=existing_file,
        help="alarm rule set (default: rules/studio_default.toml next to the rig file, else "
        "the studio rules shipped with AshiSense)",
    )
    p.add_argument(
        "--contraindications",
        type=existing_file,
        help="contraindication map (default: rules/contraindications.toml next to the rig "
        "file, else the one shipped with AshiSense)",
    )
    add_lsl_options(p, "stream the forces, estimates and events to Lab Streaming Layer")
    add_studio_options(p)
    p.set_defaults(func=run)


def profiles_folder(args: argparse.Namespace, home: Path) -> Path:
    """--profiles, else profiles/ next to the rig file, else HOME/profiles; FileNotFoundError
    naming every place looked at when none is a folder."""
    if args.profiles is not None:
        tried = [args.profiles]
    else:
        tried = [args.rig.parent / "profiles", home / "profiles"]
    for folder in tried:
        if folder.is_dir():
            return Path(folder)
    raise FileNotFoundError(
        "--profiles: expected a folder of client and therapist profiles, found none at "
        f"{' nor '.join(map(str, tried))} (`ashisense init DIR` writes a rig folder with one)"
    )


def rules_files(args: argparse.Namespace) -> tuple[Path, Path]:
    """(rule set, contraindication map): the options, else rules/ next to the rig file, else
    the studio defaults shipped with AshiSense."""
    from ashisense.alarms.defaults import CONTRAINDICATIONS_FILE, RULES_FILE

    def pick(given: Path | None, shipped: Traversable) -> Path:
        beside = args.rig.parent / "rules" / shipped.name
        return Path(given or (beside if beside.is_file() else str(shipped)))

    return pick(args.rules, RULES_FILE), pick(args.contraindications, CONTRAINDICATIONS_FILE)


def run(args: argparse.Namespace) -> int:
    # Imported here: `ashisense --help` stays light (the live runtime and the server are heavy).
    from ashisense.live import load_live_config
    from dashboard.server import default_home, serve
    from dashboard.settings import DashboardSettings

    home = args.home or default_home()
    store, store_url = split_store(args.store, home)
    rules, contraindications = rules_files(args)
    live = load_live_config(
        args.rig,
        store_path=store,
        profiles_dir=profiles_folder(args, home),
        rules_path=rules,
        contraindications_path=contraindications,
        device_url=args.device,
    )
    if args.lsl:  # the outlets hang on the live runtime, open while it runs
        from ashisense.lsl import LslOutlets, default_room

        live = replace(live, consumers=(LslOutlets(args.lsl_room or default_room(), live.rig),))
    settings = DashboardSettings(
        home=home,
        store_path=store,
        live=live,
        room=room_config(args, store_url),
        **server_settings(args),
    )
    return serve(settings, reset_password=args.reset_password)
