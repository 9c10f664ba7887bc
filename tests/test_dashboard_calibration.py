"""The calibration page against a real uvicorn server on 127.0.0.1: a calibration walked end to
end in real Chromium on a simulated rig with known weights (gains within 0.1 % of the truth, the
file saved and put to use), its refusals over HTTP (login, origin, recording, stale steps), and
the live stability indicator (a moving load, a misplaced weight), and over HTTP alone (no
browser): gains the steps cannot determine refused with the procedure's message, a complete
run saved with the true gains. Screenshots go to test-artifacts/calibration.png and
calibration-step.png."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import dashkit
import httpx
import pytest
from playwright.sync_api import Browser, Page

from ashisense.live import LiveRuntime, load_live_config
from ashisense.rig import load_rig
from calibration.files import load_calibration
from calibration.geometry import RigGeometry
from calibration.plan import PlanSettings, Step, build_plan
from calibration.simulate import Fault, SimTruth, SimulatedOperator, SimulatedTable
from dashboard.app import create_app
from dashboard.calibration_run import CalibrationRun
from firmware_bridge.protocol import Hello

SEED = 7


def file_calibrated_rig(tmp: Path) -> Path:
    """The example rig with every channel's constants taken from a history folder (empty)."""
    text = dashkit.RIG_FILE.read_text(encoding="utf-8")
    text = re.sub(r"offset_counts = \S+\ngain_n_per_count = \S+", 'calibration = "file"', text)
    cals = tmp / "cals"
    cals.mkdir()
    path = tmp / "rig.toml"
    path.write_text(text + f'\n[calibration]\npath = "{cals}"\n', encoding="utf-8")
    return path


class WeightsOnRig:
    """The calibration-weight simulator (calibration/simulate.py) as the device behind the
    runtime: its HELLO and sample blocks go to the runtime as its link would hand them over,
    in simulated time and as fast as the test asks. True gains are 2 % sd off the example
    rig's; the virtual operator makes the scripted mistakes on first attempts."""

    def __init__(self, runtime: LiveRuntime, faults: dict[int, Fault]) -> None:
        nominal = RigGeometry.from_rig(load_rig(dashkit.RIG_FILE))  # the example's constants
        self.truth = SimTruth.around_nominal(nominal, 0.02, SEED)
        table = SimulatedTable(nominal, self.truth, seed=SEED, t0_s=time.time())
        self.operator = SimulatedOperator(table, faults)
        self.runtime = runtime
        runtime.runner.on_hello(
            Hello("sim-weights", self.operator.serial, "test", 80.0, nominal.channels)
        )

    def place(self, step: Step) -> None:
        """The operator does what the step's prompt says (or the scripted mistake)."""
        self.operator.prepare(step)

    def stream(self, run: CalibrationRun, until_phase: str | None = None) -> None:
        """Blocks to the runtime until the step's outcome (or the page-visible phase)."""
        for _ in range(1000):
            if not run.procedure.capturing or run.snapshot()["phase"] == until_phase:
                return
            self.runtime.runner.on_block(self.operator.next_block())
        raise AssertionError(f"step {run.procedure.current} never came to an outcome")


@contextmanager
def calibration_dashboard(tmp: Path) -> Iterator[dashkit.Server]:
    """The dashboard over a runtime whose link finds no device: the weights simulator speaks
    for it (a real device would also stream into the runtime; here nothing else does)."""
    live = load_live_config(
        file_calibrated_rig(tmp),
        store_path=tmp / "sessions.sqlite",
        profiles_dir=dashkit.EXAMPLES / "profiles",
        device_url=str(tmp / "no-device"),
        client_id="client-0001",
        therapist_id="therapist-0001",
    )
    port = dashkit.free_port()
    settings = dashkit.dashboard_settings(tmp, live, port)
    with dashkit.Server(create_app(settings), port) as server:
        yield server


@contextmanager
def api_client(server: dashkit.Server) -> Iterator[httpx.Client]:
    """A logged-in API client sending our own Origin (as the page does)."""
    token = server.login()
    headers = {"Authorization": f"Bearer {token}", "Origin": server.url}
    with httpx.Client(base_url=server.url, headers=headers) as client:
        yield client


@pytest.fixture(scope="module")
def dash(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dashkit.Server]:
    with calibration_dashboard(tmp_path_factory.mktemp("calibration")) as server:
        yield server


@pytest.fixture(scope="module")
def weights(dash: dashkit.Server) -> WeightsOnRig:
    faults = {
        3: Fault(swing_fraction=0.05),  # a swinging weight on the left bar's stack
        27: Fault(offset_m=(0.06, 0.04)),  # a weight off its mat place by 72 mm
    }
    return WeightsOnRig(dash.app.state.runtime, faults)


@pytest.fixture
def http(dash: dashkit.Server) -> Iterator[httpx.Client]:
    with api_client(dash) as client:
        yield client
        client.post("/api/calibration/abort")


def walk_over_http(
    server: dashkit.Server,
    http: httpx.Client,
    weights: WeightsOnRig,
    what: str,
    skip: Callable[[dict], bool] = lambda step: False,
) -> dict:
    """Start a run and walk every step as the page would (skipping those skip(step) picks);
    returns the state once no step is left."""
    state = http.post("/api/calibration/start", json={"what": what}).json()
    run: CalibrationRun = server.app.state.calibration.run
    while (step := state["run"]["step"]) is not None:
        body = {"step": step["index"]}
        if skip(step):
            state = http.post("/api/calibration/skip", json=body).json()
            continue
        weights.place(run.procedure.current)
        assert http.post("/api/calibration/begin", json=body).json()["run"]["capturing"]
        weights.stream(run)
        state = http.get("/api/calibration").json()
    return state


def test_calibration_needs_a_login_our_origin_and_the_right_password(
    dash: dashkit.Server, weights: WeightsOnRig
) -> None:
    with httpx.Client(base_url=dash.url) as anon:
        assert anon.post("/api/login", json={"password": "not it"}).status_code == 401
        assert anon.get("/api/calibration").status_code == 401
        assert anon.post("/api/calibration/start", json={}).status_code == 401
        assert anon.get("/calibration").status_code == 200  # the page asks for a login
    token = dash.login()
    evil = {"Authorization": f"Bearer {token}", "Origin": "http://evil.example"}
    refused = httpx.post(f"{dash.url}/api/calibration/start", json={}, headers=evil)
    assert refused.status_code == 403
    assert dash.app.state.calibration.run is None


def test_calibration_and_recording_refuse_each_other(
    http: httpx.Client, weights: WeightsOnRig
) -> None:
    started = http.post("/api/session/start", json={"label": "in the way"})
    assert started.status_code == 200, started.text
    refused = http.post("/api/calibration/start", json={"what": "bars"})
    assert refused.status_code == 409
    assert "session" in refused.json()["detail"] and "recording" in refused.json()["detail"]
    assert http.post("/api/session/stop").status_code == 200
    state = http.post("/api/calibration/start", json={"what": "bars"}).json()
    assert state["run"]["step"]["kind"] == "zero"
    assert state["run"]["total"] == 21  # a zero, then per bar: 5 stack, zero, 3 single, zero
    no_session = http.post("/api/session/start", json={})
    assert no_session.status_code == 409
    assert "calibration is running" in no_session.json()["detail"]
    again = http.post("/api/calibration/start", json={"what": "mat"})
    assert again.status_code == 409 and "already running" in again.json()["detail"]


def test_stale_pages_and_skipping_a_zero_are_refused(
    http: httpx.Client, weights: WeightsOnRig
) -> None:
    run = http.post("/api/calibration/start", json={"what": "mat", "mat_single_kg": 15}).json()
    corner = run["run"]["plan"][6]
    assert (corner["label"], corner["mass_kg"]) == ("head-left corner", 15.0)
    assert http.post("/api/calibration/skip", json={"step": 0}).status_code == 409  # a zero
    stale = http.post("/api/calibration/begin", json={"step": 4})
    assert stale.status_code == 409 and "step 1 is" in stale.json()["detail"]
    bad = http.post("/api/calibration/start", json={"what": "mat", "mat_stack_kg": [10, -5]})
    assert bad.status_code == 422


def test_gains_the_loaded_places_cannot_determine_are_refused_with_the_procedure_s_message(
    dash: dashkit.Server, http: httpx.Client
) -> None:
    other = WeightsOnRig(dash.app.state.runtime, {})
    plan = build_plan(other.operator.table.geometry, PlanSettings(groups=("mat",)))
    singles = {s.index for s in plan if s.series == "mat:single"}  # every placement
    state = walk_over_http(dash, http, other, "mat", skip=lambda step: step["index"] in singles)
    run = state["run"]
    assert run["report"] is None and not run["active"]  # flagged: stopped, nothing to review
    assert run["plan"][5]["status"] == "skipped"
    error = run["error"]
    assert error.startswith("Calibration refused, nothing to save: mat: the steps captured ")
    assert "1 distinct place loaded, at least 2 needed; condition number " in error
    assert ", limit 30)" in error
    assert (
        "Redo the skipped placements (steps 7, 8, 9, 10, 11, 12, 13, 14: on the table, 20 kg at"
        in error
    )
    refused = http.post("/api/calibration/save")
    assert refused.status_code == 409 and refused.json()["detail"] == error
    assert not list((dash.app.state.settings.home / "calibrations").glob("*.json"))
    assert not list(Path(dash.app.state.runtime.config.rig.calibration.path).glob("*.json"))


def test_a_complete_run_over_http_saves_the_true_gains(tmp_path: Path) -> None:
    with calibration_dashboard(tmp_path) as server, api_client(server) as http:
        weights = WeightsOnRig(server.app.state.runtime, {})
        state = walk_over_http(server, http, weights, "both")
        assert state["run"]["error"] == ""
        assert all(g["condition"] < 10 for g in state["run"]["report"]["groups"])
        saved = http.post("/api/calibration/save")
        assert saved.status_code == 200, saved.text
        assert saved.json()["saved"]["in_use"]
    cal = load_calibration(Path(saved.json()["saved"]["path"]))
    assert set(cal.channels) == set(weights.truth.gains_n_per_count)
    for name, truth in weights.truth.gains_n_per_count.items():
        error_pct = 100 * abs(cal.channels[name].gain_n_per_count / truth - 1)
        assert error_pct < 0.1, f"{name}: gain {error_pct:.3f} % off the truth"


def wait_page(page: Page, step: int, phase: str) -> None:
    page.wait_for_selector(f"body[data-step='{step}'][data-phase='{phase}']", timeout=30_000)


def test_a_calibration_walked_in_the_browser_recovers_the_true_gains_and_is_saved(
    browser: Browser, dash: dashkit.Server, weights: WeightsOnRig
) -> None:
    runtime: LiveRuntime = dash.app.state.runtime
    assert "calibration" in runtime.status().problem  # the rig has no calibration file yet
    seen: set[str] = set()
    with dashkit.watched_page(browser, dash, "/calibration") as page:
        page.wait_for_selector("#cal-setup:not(.hidden)")
        assert page.input_value("#in-bar-stack") == "5, 5, 10"
        dashkit.shot(page, "calibration-setup")
        page.click("#btn-start")
        page.wait_for_selector("body[data-step='0']")
        run: CalibrationRun = dash.app.state.calibration.run
        while run.procedure.current is not None:
            step = run.procedure.current
            wait_page(page, step.index, run.snapshot()["phase"])
            assert page.inner_text("#prompt") in step.prompt
            weights.place(step)
            page.click("#btn-ready")
            page.wait_for_selector(f"body[data-step='{step.index}'][data-phase=capturing]")
            if weights.operator.attempts[step.index] == 1 and step.index == 3:  # swinging
                weights.stream(run, until_phase="moving")
                wait_page(page, 3, "moving")
                assert page.inner_text("#phase") == "Moving load: hold still"
                dashkit.shot(page, "calibration-step")
            weights.stream(run)
            phase = run.snapshot()["phase"]
            if phase in ("unstable", "rejected"):
                wait_page(page, run.procedure.current.index, phase)
                seen.add(phase)
        assert {"unstable", "rejected"} <= seen  # both mistakes were caught and repeated
        assert weights.operator.attempts[3] == 2 and weights.operator.attempts[27] == 2
        page.wait_for_selector("#cal-report:not(.hidden)")
        assert "mat_foot_right" in page.inner_text("#rep-channels")
        assert "head-left corner" in page.inner_text("#rep-right")  # the mat's table
        assert "75% of the way" in page.inner_text("#rep-left")  # the bars' placements
        page.click("#btn-save")
        page.wait_for_selector("body[data-saved^='cal-0001-']")
        assert "the live view uses it now" in page.inner_text("#saved")
        dashkit.shot(page, "calibration")
    saved = list(Path(runtime.config.rig.calibration.path).glob("cal-*.json"))
    assert len(saved) == 1  # in the rig's history folder
    cal = load_calibration(saved[0])
    assert cal.device_serial == weights.operator.serial
    for name, truth in weights.truth.gains_n_per_count.items():
        error_pct = 100 * abs(cal.channels[name].gain_n_per_count / truth - 1)
        assert error_pct < 0.1, f"{name}: gain {error_pct:.3f} % off the truth"
    assert runtime.setup().rig.calibration_file is not None  # in use now
    assert runtime.status().problem == ""
