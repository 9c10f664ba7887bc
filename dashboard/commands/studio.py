"""`ashisense studio --studio mqtt://... --store postgresql://...`: the studio's desk."""

from __future__ import annotations

import argparse
import os
from typing import Any

from dashboard.commands._server_options import add_server_options, server_settings

#: Where --store comes from when not given (as for `ashisense sync`).
STORE_ENV = "ASHISENSE_STORE"
#: The desk's port unless told: beside a room's dashboard (8000) on the same computer.
DESK_PORT = 8100


def register(sub: Any) -> None:
    p = sub.add_parser(
        "studio",
        help="the studio's desk: every room live, every room's sessions",
        description=(
            "Follow every room of the studio on its MQTT broker (overview, alarms, a room's "
            "live view) and review every room's sessions from the studio's PostgreSQL. Same "
            "login and security rules as a room's dashboard; binds 127.0.0.1 unless --host "
            "says otherwise; prints the URL, and on first run the login password."
        ),
    )
    p.add_argument(
        "--studio",
        required=True,
        metavar="URL",
        help="the studio's broker, mqtt[s]://user:password@host[:port][/studio] (a login that "
        "may read ashisense/<studio>/#)",
    )
    p.add_argument(
        "--store",
        default=os.environ.get(STORE_ENV),
        help=f"the studio's session database, postgresql://... (default: ${STORE_ENV})",
    )
    add_server_options(p)
    p.set_defaults(func=run, port=DESK_PORT)


def run(args: argparse.Namespace) -> int:
    # Imported here: `ashisense --help` stays light.
    from ashisense.studio import StudioUrl
    from dashboard.desk.app import create_desk_app
    from dashboard.server import default_home, serve
    from dashboard.settings import DashboardSettings

    if not args.store:
        raise ValueError(f"studio: give --store postgresql://... (or set ${STORE_ENV})")
    home = args.home or default_home()
    settings = DashboardSettings(
        home=home,
        store_path=home / "sessions.sqlite",
        store_url=args.store,
        **server_settings(args),
    )
    studio = StudioUrl.parse(args.studio)
    return serve(
        settings, args.reset_password, lambda: create_desk_app(settings, studio), page="/desk"
    )
