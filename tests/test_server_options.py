"""`serve` and `demo` share their server options; `--behind-proxy [ADDR]` is the only way the
dashboard believes X-Forwarded-For, and then only from that address (a real uvicorn)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import dashkit
import httpx
import pytest

from ashisense_cli import build_parser
from dashboard.app import create_app
from dashboard.commands._server_options import server_settings

SERVE = ["serve", "--rig", str(dashkit.RIG_FILE)]


def _options(*argv: str) -> dict[str, object]:
    return server_settings(build_parser().parse_args(list(argv)))


@pytest.mark.parametrize("command", [SERVE, ["demo"]], ids=["serve", "demo"])
def test_serve_and_demo_take_the_same_server_options(command: list[str]) -> None:
    assert _options(*command) == {
        "host": "127.0.0.1",
        "port": 8000,
        "allowed_hosts": (),
        "trusted_proxies": (),
    }
    given = ["--host", "0.0.0.0", "--port", "8080", "--allow-host", "studio.local",
             "--behind-proxy", "10.0.0.2, 10.1.0.0/16"]  # fmt: skip
    assert _options(*command, *given) == {
        "host": "0.0.0.0",
        "port": 8080,
        "allowed_hosts": ("studio.local",),
        "trusted_proxies": ("10.0.0.2", "10.1.0.0/16"),
    }
    assert _options(*command, "--behind-proxy")["trusted_proxies"] == ("127.0.0.1",)


def test_a_proxy_address_that_is_not_one_is_refused_naming_the_option(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        _options(*SERVE, "--behind-proxy", "proxy.example")
    err = capsys.readouterr().err
    assert "argument --behind-proxy: expected IP addresses or networks" in err


def _served(tmp: Path, *flags: str) -> Iterator[dashkit.Server]:
    """A review-only dashboard with the proxy settings these serve flags give."""
    proxies = _options(*SERVE, *flags)["trusted_proxies"]
    port = dashkit.free_port()
    settings = dashkit.dashboard_settings(
        tmp, None, port, login_attempts_per_min=3, trusted_proxies=proxies
    )
    with dashkit.Server(create_app(settings), port) as server:
        yield server


def _guesses(server: dashkit.Server) -> list[int]:
    """Wrong passwords, each claiming another client address through X-Forwarded-For."""
    body = json.dumps({"password": "guess"}).encode()
    return [
        httpx.post(
            f"{server.url}/api/login",
            content=body,
            headers={"Content-Type": "application/json", "X-Forwarded-For": f"10.0.0.{i}"},
        ).status_code
        for i in range(5)
    ]


def test_forwarded_addresses_are_believed_only_behind_a_proxy_named_by_the_option(
    tmp_path: Path,
) -> None:
    for server in _served(tmp_path / "plain"):
        assert _guesses(server) == [401, 401, 401, 429, 429]  # all from 127.0.0.1
    for server in _served(tmp_path / "proxied", "--behind-proxy"):
        assert _guesses(server) == [401] * 5  # five clients behind the proxy
    for server in _served(tmp_path / "elsewhere", "--behind-proxy", "10.9.9.9"):
        assert _guesses(server) == [401, 401, 401, 429, 429]  # not from the proxy named
