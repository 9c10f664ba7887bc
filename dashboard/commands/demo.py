"""`ashisense demo`: simulated rig, live pipeline and alarms, recording, dashboard in one go
(on the starter rig and profiles shipped as package data: no clone of the repository needed)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from dashboard.commands._server_options import add_server_options, server_settings

DEFAULT_DEVICE = "sim://demo?seed=1&grid=1"


def register(sub: Any) -> None:
    p = sub.add_parser(
        "demo",
        help="simulated rig + live dashboard on http://127.0.0.1:8000 (records as it goes)",
        description=(
            "Start a simulated rig (a looping session with an overload now and then), the "
            "live pipeline and alarms, record to a local SQLite file, and serve the dashboard. "
            "Prints the URL, and on first run the login password."
        ),
    )
    add_server_options(p)
    p.add_argument("--store", type=Path, help="session file (default HOME/demo.sqlite)")
    p.add_argument("--device", default=DEFAULT_DEVICE, help=f"rig URL (default {DEFAULT_DEVICE})")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Imported here: `ashisense --help` stays light (the live runtime and the server are heavy).
    from ashisense.alarms.defaults import CONTRAINDICATIONS_FILE, RULES_FILE
    from ashisense.live import load_live_config
    from ashisense.starter import PROFILES_DIR, RIG_FILE, starter_path
    from dashboard.server import default_home, serve
    from dashboard.settings import DashboardSettings

    home = args.home or default_home()
    store = args.store or home / "demo.sqlite"
    live = load_live_config(
        starter_path(RIG_FILE),
        store_path=store,
        profiles_dir=starter_path(PROFILES_DIR),
        rules_path=Path(str(RULES_FILE)),
        contraindications_path=Path(str(CONTRAINDICATIONS_FILE)),
        device_url=args.device,
        client_id="client-0001",
        therapist_id="therapist-0001",
        auto_session=True,
    )
    settings = DashboardSettings(home=home, store_path=store, live=live, **server_settings(args))
    return serve(settings, reset_password=args.reset_password)
