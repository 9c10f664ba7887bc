"""The options `serve` and `demo` share: where the dashboard listens, who may reach it, the
studio folder; standard library only (every command module is imported to build --help)."""

from __future__ import annotations

import argparse
import ipaddress
from pathlib import Path
from typing import Any

from ashisense.commands import port_number

#: --behind-proxy without an address: a proxy on this computer.
LOCAL_PROXY = "127.0.0.1"


def proxy_addresses(text: str) -> tuple[str, ...]:
    """Comma-separated addresses or networks of reverse proxies (10.0.0.2,10.1.0.0/16)."""
    parts = tuple(p.strip() for p in text.split(",") if p.strip())
    try:
        for part in parts:
            ipaddress.ip_network(part, strict=False)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected IP addresses or networks, comma-separated, got {text!r}"
        ) from None
    if not parts:
        raise argparse.ArgumentTypeError(f"expected an IP address, got {text!r}")
    return parts


def add_server_options(p: argparse.ArgumentParser) -> None:
    """--host, --port, --home, --allow-host, --behind-proxy, --reset-password."""
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=port_number, default=8000)
    p.add_argument(
        "--home", type=Path, help="studio folder (default $ASHISENSE_HOME or ~/.ashisense)"
    )
    p.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a host name the server may be reached by (with --host other than loopback)",
    )
    p.add_argument(
        "--behind-proxy",
        nargs="?",
        type=proxy_addresses,
        const=(LOCAL_PROXY,),
        default=(),
        metavar="ADDR",
        help="a reverse proxy at ADDR (default 127.0.0.1; several comma-separated) serves the "
        "dashboard: believe its X-Forwarded-For/-Proto headers, from it only (without this "
        "option those headers are ignored)",
    )
    p.add_argument("--reset-password", action="store_true", help="make and print a new password")


def server_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The DashboardSettings fields these options give (host, port, allowed_hosts,
    trusted_proxies)."""
    return {
        "host": args.host,
        "port": args.port,
        "allowed_hosts": tuple(args.allow_host),
        "trusted_proxies": tuple(args.behind_proxy),
    }
