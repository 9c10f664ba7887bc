"""Dashboard and live-runtime test kit: a scripted rig on a real pty, a real uvicorn server
in a thread, logins, and Debian's Chromium driven by Playwright.

The scripted rig speaks protocol v1 with the channels of examples/sim_rig.toml: a 70 kg
client lies on the mat; the therapist (65 kg, the example profile) is off the rig until
`climb_on()`, then stands with `feet_n` on the client at (x_m, y_m) and the rest on the
bars. Forces move toward their targets at `slew_n_per_s`, so a test sets a target and the
rig writes samples at 80 Hz in real time; `first_over_s` tells when the first sample above
a watched force went out on the pty.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.cookies
import json
import os
import socket
import threading
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import numpy as np
import uvicorn
from fastapi import FastAPI
from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as ws_connect

from ashisense.live import LiveConfig, load_live_config
from ashisense.sim.ptyserver import PtyRig
from calibration.units import STANDARD_GRAVITY_M_S2
from dashboard.app import create_app
from dashboard.server import uvicorn_config
from dashboard.settings import DashboardSettings
from dashboard.studio import StudioFile
from firmware_bridge.protocol import encode_event, encode_hello, encode_samples

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
RIG_FILE = EXAMPLES / "sim_rig.toml"
PASSWORD = "correct horse battery"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts"  # screenshots for a person to look at
VIEWPORT = {"width": 1280, "height": 800}  # a 10" tablet in landscape
#: expect()'s deadline in the browser tests: generous, only to catch a hang on a busy machine.
BROWSER_WAIT_MS = 30_000
CLIENT_N = 70.0 * STANDARD_GRAVITY_M_S2
THERAPIST_N = 65.0 * STANDARD_GRAVITY_M_S2
# Feet on the upper back of the example client (head at 0.05 m, 1.75 m tall), off the spine.
UPPER_BACK_XY_M = (0.50, 0.10)


@dataclass
class _Cell:
    name: str
    role: str
    offset: float
    gain: float
    x_m: float = 0.0
    y_m: float = 0.0
    side: str = ""
    end: str = ""


class ScriptedRig:
    """A device for PtyRig: HELLO on request, SAMPLEs at `rate_hz` from scripted forces."""

    def __init__(self, rig_file: Path = RIG_FILE, rate_hz: float = 80.0, seed: int = 0) -> None:
        doc = tomllib.loads(rig_file.read_text(encoding="utf-8"))
        self.cells = [
            _Cell(
                c["name"],
                c["role"],
                float(c["offset_counts"]),
                float(c["gain_n_per_count"]),
                c.get("x_m", 0.0),
                c.get("y_m", 0.0),
                c.get("side", ""),
                c.get("end", ""),
            )
            for c in doc["channel"]
        ]
        self.bars = doc["bars"]
        self.rate_hz = rate_hz
        self.hello = {
            "protocol": 1,
            "device": "scripted-rig",
            "serial": "SCRIPT-1",
            "firmware": "test",
            "rate_hz": rate_hz,
            "channels": [c.name for c in self.cells],
        }
        self._rng = np.random.default_rng(seed)
        self._lock = threading.Lock()
        self._boot = time.monotonic()
        self._seq = 0
        self._pending = bytearray()
        self._inbox = b""
        self._on = False
        self.stalled = False  # the device sends nothing; its samples meanwhile are lost
        self.unplugged = False  # the cable is out: the pty goes away
        self._feet_n = 0.0
        self._target_n = 0.0
        self.x_m, self.y_m = UPPER_BACK_XY_M
        self.slew_n_per_s = 1000.0
        self.wobble_n = 0.0
        self.watch_above_n = np.inf
        self.first_over_s: float | None = None  # time.monotonic() of that sample's write
        self._over_at: int | None = None
        self.sent_at: dict[int, float] = {}  # seq -> time.monotonic() when pumped (benchmarks)
        self.keep_send_times = False

    @property
    def seq(self) -> int:
        """The number of the next sample to go out (how far the rig has come)."""
        return self._seq

    # -- the script ------------------------------------------------------------------
    def climb_on(self, feet_n: float = 250.0) -> None:
        with self._lock:
            self._on, self._target_n = True, feet_n

    def climb_off(self) -> None:
        with self._lock:
            self._on, self._feet_n, self._target_n = False, 0.0, 0.0

    def set_feet(self, feet_n: float, slew_n_per_s: float | None = None) -> None:
        with self._lock:
            self._target_n = feet_n
            if slew_n_per_s is not None:
                self.slew_n_per_s = slew_n_per_s

    def press(self, button: str, event: str = "client") -> float:
        """The client presses a handset button now: an EVENT (PROTOCOL.md) goes out with the
        next samples; returns its device time (s)."""
        with self._lock:
            t_s = self.device_time_s()
            self._pending += encode_event(round(t_s * 1e6), {"event": event, "button": button})
        return t_s

    def watch(self, above_n: float) -> None:
        """Note when the first sample with feet force above `above_n` goes out."""
        with self._lock:
            self.watch_above_n, self.first_over_s = above_n, None

    # -- what PtyRig asks of a device -------------------------------------------------
    def device_time_s(self) -> float:
        return time.monotonic() - self._boot

    def unplugged_now(self) -> bool:
        return self.unplugged

    def write(self, data: bytes) -> None:
        with self._lock:
            self._inbox += data
            *lines, self._inbox = self._inbox.split(b"\n")
            if any(line.strip() == b"HELLO?" for line in lines):
                self._pending += encode_hello(self.hello)

    def pump(self) -> bytes:
        with self._lock:
            due = int(self.device_time_s() * self.rate_hz) + 1 - self._seq
            if self.stalled:
                self._seq += max(due, 0)
                due = 0
            if due > 0:
                self._pending += self._samples(due)
            out = bytes(self._pending)
            self._pending.clear()
        now = time.monotonic()
        if self._over_at is not None and self.first_over_s is None:
            self.first_over_s = now
        if self.keep_send_times and due > 0:
            for s in range(self._seq - due, self._seq):
                self.sent_at[s] = now
        return out

    def _samples(self, n: int) -> bytes:
        seq = np.arange(self._seq, self._seq + n)
        self._seq += n
        t_s = seq / self.rate_hz
        step = self.slew_n_per_s / self.rate_hz
        feet = np.empty(n)
        for i in range(n):  # a handful of samples per pump: the ramp is the unit here
            self._feet_n += float(np.clip(self._target_n - self._feet_n, -step, step))
            feet[i] = self._feet_n
        feet = feet + self.wobble_n * np.sin(2 * np.pi * 0.5 * t_s)
        over = np.flatnonzero(feet > self.watch_above_n)
        self._over_at = int(seq[over[0]]) if over.size and self.first_over_s is None else None
        counts = np.stack([self._counts(c, feet) for c in self.cells], axis=1)
        counts += self._rng.integers(-3, 4, counts.shape)
        t_us = np.rint(t_s * 1e6).astype(np.int64)
        return encode_samples(seq, t_us, np.zeros(n, dtype=np.int64), counts.astype(np.int32))

    def _counts(self, c: _Cell, feet_n: np.ndarray) -> np.ndarray:
        on = self._on
        if c.role == "mat":
            force = np.full_like(feet_n, _corner_share(c, 0.95, 0.0) * CLIENT_N)
            if on:
                force = force + _corner_share(c, self.x_m, self.y_m) * feet_n
        else:
            hand_x = self.x_m + 0.3
            head, foot = self.bars["head_mount_x_m"], self.bars["foot_mount_x_m"]
            along = (hand_x - head) / (foot - head)
            share = along if c.end == "foot" else 1.0 - along
            force = 0.5 * share * (THERAPIST_N - feet_n) if on else np.zeros_like(feet_n)
        return np.rint(c.offset + force / c.gain).astype(np.int64)


def _corner_share(c: _Cell, x_m: float, y_m: float) -> float:
    """Bilinear share of a load at (x, y) taken by corner cell c of the sim rig's mat."""
    wx = (x_m - 0.05) / 1.80
    wy = (y_m + 0.30) / 0.60
    return (wx if c.x_m > 1.0 else 1.0 - wx) * (wy if c.y_m > 0 else 1.0 - wy)


@contextlib.contextmanager
def scripted_pty(rig: ScriptedRig | None = None) -> Iterator[tuple[ScriptedRig, str]]:
    """A scripted rig serving on a real pty: (rig, path of the pty to open)."""
    rig = rig or ScriptedRig()
    with PtyRig(rig) as pty:  # type: ignore[arg-type]
        yield rig, pty.path


def live_config(
    tmp: Path, device_url: str, rig_file: Path = RIG_FILE, **overrides: object
) -> LiveConfig:
    """The example rig (or rig_file), profiles and rules, recording into tmp/sessions.sqlite."""
    return load_live_config(
        rig_file,
        store_path=tmp / "sessions.sqlite",
        profiles_dir=EXAMPLES / "profiles",
        rules_path=EXAMPLES / "rules" / "studio_default.toml",
        contraindications_path=EXAMPLES / "rules" / "contraindications.toml",
        device_url=device_url,
        client_id="client-0001",
        therapist_id="therapist-0001",
        **overrides,  # type: ignore[arg-type]
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Uvicorn(uvicorn.Server):
    """uvicorn that says when it listens (and when it gave up)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets)
        finally:
            self.ready.set()


class Server:
    """A real uvicorn server for `app` on 127.0.0.1 in a thread of this process."""

    def __init__(self, app: FastAPI, port: int) -> None:
        self.app = app
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._server: _Uvicorn | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Serve (again, after stop(): the same app, its logins included, on the same port)."""
        settings = replace(self.app.state.settings, host="127.0.0.1", port=self.port)
        self._server = _Uvicorn(uvicorn_config(self.app, settings))
        self._thread = threading.Thread(target=self._server.run, name="ashisense-test-uvicorn")
        self._thread.start()
        if not self._server.ready.wait(20) or not self._server.started:
            self._server.should_exit = True
            raise AssertionError(f"uvicorn did not start on {self.url}")

    def stop(self) -> None:
        """Shut uvicorn down as Ctrl-C would (sockets closed, lifespan ended)."""
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(15)
        assert not self._thread.is_alive(), "uvicorn did not stop"
        self._server = self._thread = None

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def login(self, password: str = PASSWORD) -> str:
        """Log in over HTTP; returns the login token (cookie value)."""
        res = httpx.post(f"{self.url}/api/login", json={"password": password})
        assert res.status_code == 200, res.text
        return str(res.json()["token"])

    def cookie_header(self, token: str) -> str:
        cookie = http.cookies.SimpleCookie()
        cookie["ashisense_login"] = token
        return cookie.output(header="", attrs=[]).strip()


def dashboard_settings(
    tmp: Path, live: LiveConfig | None, port: int, **overrides: object
) -> DashboardSettings:
    """Settings for a test server with PASSWORD as the studio secret."""
    home = tmp / "home"
    StudioFile(home / "studio.json").set_secret(PASSWORD)
    return DashboardSettings(
        home=home,
        store_path=tmp / "sessions.sqlite",
        live=live,
        port=port,
        **overrides,  # type: ignore[arg-type]
    )


def live_socket(server: Server, token: str | None, origin: str = "") -> ClientConnection:
    """The live websocket, logged in with `token` (none: not logged in), from the server's
    own origin unless `origin` says another; use it in a with statement."""
    headers = {"Cookie": server.cookie_header(token)} if token else {}
    return ws_connect(
        f"ws://127.0.0.1:{server.port}/ws/live",
        origin=origin or server.url,  # type: ignore[arg-type]
        additional_headers=headers,
        open_timeout=10,
    )


def wait_for_message(
    server: Server, token: str, predicate: Callable[[dict[str, Any]], bool], timeout_s: float = 30.0
) -> dict[str, Any]:
    """The first live message for which predicate(msg) holds (read from a websocket)."""
    deadline = time.monotonic() + timeout_s
    with live_socket(server, token) as ws:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no live message satisfied {predicate} in {timeout_s} s")
            msg = json.loads(ws.recv(timeout=left))
            if predicate(msg):
                return msg


def frames_counter(n: int) -> Callable[[dict[str, Any]], bool]:
    """A predicate for wait_for_message that holds at the n-th frame."""
    seen = [0]

    def count(msg: dict[str, Any]) -> bool:
        seen[0] += msg["type"] == "frame"
        return seen[0] >= n

    return count


def baseline_ready(msg: dict[str, Any]) -> bool:
    return msg["type"] == "status" and bool(msg["pipeline"] and msg["pipeline"]["baseline_ready"])


@contextlib.contextmanager
def running_dashboard(
    tmp: Path, rig: ScriptedRig | None = None, **overrides: object
) -> Iterator[tuple[Server, ScriptedRig]]:
    """A scripted rig on a pty and the live dashboard for it on a free port, once the client
    baseline is taken (the therapist is still off the rig: climb_on() when ready)."""
    with scripted_pty(rig) as (scripted, path):
        port = free_port()
        settings = dashboard_settings(tmp, live_config(tmp, path), port, **overrides)
        with Server(create_app(settings), port) as server:
            wait_for_message(server, server.login(), baseline_ready)
            yield server, scripted


def require_chromium() -> None:
    """Browser tests need Debian's chromium: fail (not skip) saying so when it is missing."""
    if not os.access(CHROMIUM, os.X_OK):
        raise AssertionError(
            f"{CHROMIUM} is missing: install Debian's chromium package "
            "(apt-get install chromium); the browser tests drive it through Playwright"
        )


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless, under Playwright; fails saying why when it is missing."""
    from playwright.sync_api import expect, sync_playwright

    require_chromium()
    expect.set_options(timeout=BROWSER_WAIT_MS)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def watched_page(
    browser: Browser, server: Server | None = None, path: str = "", **context: Any
) -> Iterator[Page]:
    """A page in a browser context of its own (VIEWPORT unless `context` says otherwise),
    logged in on `path` of `server` when given; fails if JavaScript threw on it meanwhile."""
    ctx = browser.new_context(**({"viewport": VIEWPORT} | context))
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    try:
        if server is not None:
            open_logged_in(page, server, path)
        yield page
    finally:
        ctx.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def open_logged_in(page: Page, server: Server, path: str) -> None:
    """Open `path` on a fresh page: it sends the page to the login form, which brings it back."""
    page.goto(f"{server.url}{path}")
    page.wait_for_url("**/login?next=*")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{path}")


BLANK = ("", "–", "Where: –")  # a live value the page does not know (or no longer shows)


def live_texts(
    page: Page,
    selectors: tuple[str, ...],
    ok: Callable[[list[str]], bool] | None = None,
    timeout_s: float = 30.0,
) -> list[str]:
    """The texts of these live values in one look that passes `ok` (default: none blank).
    The page blanks its live values while its newest frame is over 0.3 s old (a busy
    machine's stall) and the texts are read one by one, so a look that caught a blank is
    taken again; the deadline only catches a page that never shows them."""
    deadline = time.monotonic() + timeout_s
    while True:
        texts = [page.inner_text(s) for s in selectors]
        if ok(texts) if ok is not None else not any(t in BLANK for t in texts):
            return texts
        if time.monotonic() > deadline:
            raise AssertionError(f"live values not shown after {timeout_s:.0f} s: {texts}")
        page.wait_for_timeout(50)


def shot(page: Page, name: str) -> Path:
    """Save a screenshot of the page as test-artifacts/<name>.png."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def run_async(coro: object) -> object:
    """Run a coroutine to completion from a synchronous test."""
    return asyncio.run(coro)  # type: ignore[arg-type]
