"""The dashboard probed as an outsider would, against a real uvicorn server on 127.0.0.1:
bodies that are not standard JSON or not JSON at all, bodies too large, forged forwarded
headers, logouts and controls started by another page, cookie flags, and live sockets that
outlive their login."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dashkit
import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection

from dashboard.app import create_app
from dashboard.auth import LOGIN_GONE


def _serve(tmp: Path, **overrides: object) -> Iterator[dashkit.Server]:
    port = dashkit.free_port()
    settings = dashkit.dashboard_settings(tmp, None, port, **overrides)
    with dashkit.Server(create_app(settings), port) as server:
        yield server


@pytest.fixture
def server(tmp_path: Path) -> Iterator[dashkit.Server]:
    """A review-only dashboard (no rig) allowing three wrong passwords a minute."""
    yield from _serve(tmp_path, login_attempts_per_min=3)


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[dashkit.Server]:
    """The same behind a reverse proxy on 127.0.0.1 (`--behind-proxy`)."""
    yield from _serve(tmp_path, login_attempts_per_min=3, trusted_proxies=("127.0.0.1",))


def _post_json(server: dashkit.Server, path: str, raw: bytes, **headers: str) -> httpx.Response:
    hdrs = {"Content-Type": "application/json", **headers}
    return httpx.post(f"{server.url}{path}", content=raw, headers=hdrs)


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        (b'{"password": NaN}', "NaN is not a JSON value"),
        (b'{"password": -Infinity}', "-Infinity is not a JSON value"),
        (b'{"password": 1e400}', "too large for a number"),
        (b'{"password": 5}', "password: Input should be a valid string"),
        (b'{"password": ["correct horse battery"]}', "password: Input should be a valid string"),
        (b'["password"]', "body: Input should be a valid dictionary"),
        (b'{"password": "x"', "not standard JSON"),
        (b'{"password": "\xff"}', "not standard JSON"),
        (b'{"password": "\\ud800"}', "password: Input should be a valid string"),
        (b"[" * 30000 + b"]" * 30000, "nested too deeply"),
    ],
)
def test_a_login_body_that_is_not_standard_json_or_wrong_typed_is_a_plain_422(
    server: dashkit.Server, raw: bytes, said: str
) -> None:
    res = _post_json(server, "/api/login", raw)
    assert res.status_code == 422, res.text
    detail = res.json()["detail"]
    assert isinstance(detail, str) and said in detail
    assert "correct horse" not in detail  # what was sent is never echoed


def test_bodies_that_are_not_json_or_too_large_are_refused_before_any_route(
    server: dashkit.Server,
) -> None:
    url = f"{server.url}/api/login"
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = {"Content-Type": content_type} if content_type else {}
        res = httpx.post(url, content=b'{"password": "guess"}', headers=headers)
        assert res.status_code == 415, content_type
        assert "application/json" in res.json()["detail"]
    big = json.dumps({"password": "a" * 100_000}).encode()
    assert _post_json(server, "/api/login", big).status_code == 413

    def chunked() -> Iterator[bytes]:  # no Content-Length: the size shows only while reading
        yield b'{"password": "'
        for _ in range(200):
            yield b"a" * 1000
        yield b'"}'

    res = httpx.post(url, content=chunked(), headers={"Content-Type": "application/json"})
    assert res.status_code == 413 and "at most 65536 bytes" in res.json()["detail"]
    assert _post_json(server, "/api/login", b'{"password": "guess"}').status_code == 401


def test_a_control_with_a_non_finite_number_is_refused(server: dashkit.Server) -> None:
    token = server.login()
    auth = {"Authorization": f"Bearer {token}", "Origin": server.url}
    for raw in (b'{"seconds": Infinity}', b'{"seconds": 1e999}', b'{"seconds": NaN}'):
        res = _post_json(server, "/api/alarms/pause", raw, **auth)
        assert res.status_code == 422, raw
    note = b'{"t_s": NaN, "text": "x"}'
    assert _post_json(server, "/api/sessions/1/notes", note, **auth).status_code == 422


def test_a_forged_forwarded_address_does_not_dodge_the_login_limit(
    server: dashkit.Server,
) -> None:
    codes = []
    for i in range(5):
        res = _post_json(
            server,
            "/api/login",
            b'{"password": "guess"}',
            **{"X-Forwarded-For": f"10.0.0.{i}", "X-Forwarded-Proto": "https"},
        )
        codes.append(res.status_code)
        assert "secure" not in res.headers.get("set-cookie", "").lower()
    assert codes == [401, 401, 401, 429, 429]


def test_guesses_sent_all_at_once_count_as_much_as_guesses_one_by_one(
    server: dashkit.Server,
) -> None:
    def guess(_: int) -> int:
        return _post_json(server, "/api/login", b'{"password": "guess"}').status_code

    with ThreadPoolExecutor(12) as pool:
        codes = list(pool.map(guess, range(12)))
    assert sorted(codes) == [401] * 3 + [429] * 9


def test_behind_a_trusted_proxy_the_forwarded_address_and_scheme_are_used(
    proxied: dashkit.Server,
) -> None:
    def attempt(address: str, password: str = "guess") -> httpx.Response:
        body = json.dumps({"password": password}).encode()
        fwd = {"X-Forwarded-For": address, "X-Forwarded-Proto": "https"}
        return _post_json(proxied, "/api/login", body, **fwd)

    assert [attempt("10.0.0.1").status_code for _ in range(4)] == [401, 401, 401, 429]
    assert attempt("10.0.0.2").status_code == 401  # another client behind the proxy
    ok = attempt("10.0.0.3", dashkit.PASSWORD)
    assert ok.status_code == 200
    assert "secure" in ok.headers["set-cookie"].lower()  # the proxy spoke https to the browser


def test_the_login_cookie_is_http_only_same_site_strict_and_answers_are_not_cached(
    server: dashkit.Server,
) -> None:
    res = _post_json(server, "/api/login", json.dumps({"password": dashkit.PASSWORD}).encode())
    cookie = res.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
    assert "secure" not in cookie  # plain http on 127.0.0.1: a Secure cookie would be lost
    assert res.headers["cache-control"] == "no-store"
    assert "server" not in res.headers
    headers = {"Origin": server.url, "Cookie": server.cookie_header(res.json()["token"])}
    out = httpx.post(f"{server.url}/api/logout", headers=headers)
    gone = out.headers["set-cookie"].lower()
    assert out.status_code == 200 and "max-age=0" in gone and "httponly" in gone


def _logged_in(server: dashkit.Server, cookie: str) -> bool:
    me = httpx.get(f"{server.url}/api/me", headers={"Cookie": cookie})
    return bool(me.json()["logged_in"])


def test_logout_and_controls_refuse_another_page_of_the_same_site(
    server: dashkit.Server,
) -> None:
    cookie = server.cookie_header(server.login())
    # another port of this host is the same site: the browser sends the SameSite cookie
    for origin in ({"Origin": f"http://127.0.0.1:{server.port + 1}"}, {}):
        headers = {"Cookie": cookie, **origin}
        out = httpx.post(f"{server.url}/api/logout", headers=headers)
        assert out.status_code == 403, origin
        ack = httpx.post(f"{server.url}/api/alarms/ack", json={}, headers=headers)
        assert ack.status_code == 403, origin
    assert _logged_in(server, cookie)
    out = httpx.post(f"{server.url}/api/logout", headers={"Cookie": cookie, "Origin": server.url})
    assert out.status_code == 200 and not _logged_in(server, cookie)
    token = server.login()  # API clients log out with their Bearer token, no Origin needed
    out = httpx.post(f"{server.url}/api/logout", headers={"Authorization": f"Bearer {token}"})
    assert out.status_code == 200 and not _logged_in(server, server.cookie_header(token))


def test_every_route_that_changes_something_refuses_another_origin(
    server: dashkit.Server,
) -> None:
    cookie = server.cookie_header(server.login())
    changing = [
        (method.upper(), re.sub(r"\{[^}]+\}", "1", path))
        for path, operations in server.app.openapi()["paths"].items()
        if path != "/api/login"
        for method in operations
        if method in ("post", "put", "patch", "delete")
    ]
    assert len(changing) >= 10  # the controls, sessions, calibration and logout
    for method, path in changing:
        for origin in ({"Origin": "http://evil.example"}, {}):
            res = httpx.request(method, f"{server.url}{path}", headers={"Cookie": cookie, **origin})
            assert res.status_code == 403, (method, path, origin)
    assert _logged_in(server, cookie)


def _close_code(ws: ClientConnection) -> int | None:
    """Read until the server closes the socket; its close code."""
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            ws.recv(timeout=10)
    return closed.value.rcvd.code if closed.value.rcvd else None


def test_a_logout_closes_the_live_sockets_of_that_login_only(server: dashkit.Server) -> None:
    gone, kept = server.login(), server.login()
    with dashkit.live_socket(server, gone) as ws_gone, dashkit.live_socket(server, kept) as ws_kept:
        bearer = {"Authorization": f"Bearer {gone}"}
        assert httpx.post(f"{server.url}/api/logout", headers=bearer).status_code == 200
        assert _close_code(ws_gone) == LOGIN_GONE
        with pytest.raises(TimeoutError):  # the other login's socket stays open
            ws_kept.recv(timeout=0.5)
    with dashkit.live_socket(server, gone) as again:  # the page learns why, and goes to the login
        assert _close_code(again) == LOGIN_GONE
    with dashkit.live_socket(server, None) as anonymous:
        assert _close_code(anonymous) == LOGIN_GONE


def test_a_viewer_sending_a_huge_message_is_cut(server: dashkit.Server) -> None:
    with dashkit.live_socket(server, server.login()) as ws:
        ws.send("x" * 1_000_000)
        assert _close_code(ws) == 1009  # message too big
