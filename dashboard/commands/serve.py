"""`ashisense serve --rig RIG.toml`: the live dashboard for a real rig."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

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
    p.add_argument("--rig", required=True, type=Path, help="rig file (TOML)")
    p.add_argument("--device", help="rig URL (default: the rig file's [device] url)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument(
        "--home", type=Path, help="studio folder (default $ASHISENSE_HOME or ~/.ashisense)"
    )
    p.add_argument(
        "--store",
        help="session file (default HOME/sessions.sqlite), or the studio's postgresql://... "
        "database: the room records into HOME/sessions.sqlite and copies each session there",
    )
    p.add_argument(
        "--profiles", type=Path, help="folder of client/therapist profiles (default HOME/profiles)"
    )
    p.add_argument("--rules", type=Path, help="alarm rule set (default: the studio example rules)")
    p.add_argument("--contraindications", type=Path, help="contraindication map (.toml)")
    p.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a host name the server may be reached by (with --host other than loopback)",
    )
    p.add_argument("--reset-password", action="store_true", help="make and print a new password")
    add_studio_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Imported here: `ashisense --help` stays light (the live runtime and the server are heavy).
    from ashisense.alarms.defaults import CONTRAINDICATIONS_FILE, RULES_FILE
    from ashisense.live import load_live_config
    from dashboard.server import default_home, serve
    from dashboard.settings import DashboardSettings

    home = args.home or default_home()
    store, store_url = split_store(args.store, home)
    profiles = args.profiles or home / "profiles"
    if not profiles.is_dir():
        raise FileNotFoundError(
            f"--profiles: expected a folder of client and therapist profiles, found nothing at "
            f"{profiles} (see examples/profiles)"
        )
    live = load_live_config(
        args.rig,
        store_path=store,
        profiles_dir=profiles,
        rules_path=args.rules or Path(str(RULES_FILE)),
        contraindications_path=args.contraindications or Path(str(CONTRAINDICATIONS_FILE)),
        device_url=args.device,
    )
    settings = DashboardSettings(
        home=home,
        store_path=store,
        live=live,
        host=args.host,
        port=args.port,
        allowed_hosts=tuple(args.allow_host),
        room=room_config(args, store_url),
    )
    return serve(settings, reset_password=args.reset_password)
