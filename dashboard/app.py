"""The dashboard's app factory: `create_app(settings)` builds the FastAPI app; its lifespan
starts the hub and the live runtime (if any) and stops them. Nothing is created at import."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.middleware.trustedhost import TrustedHostMiddleware

from ashisense.live import LiveRuntime
from dashboard.auth import LoginLimiter, Logins
from dashboard.bodies import BodyGuard, plain_validation_error
from dashboard.calibration_run import CalibrationDesk
from dashboard.display import HubDisplay
from dashboard.hub import Hub
from dashboard.review import Review
from dashboard.room_link import linked_display
from dashboard.routes import auth, calibration, client, controls, live, pages, presses, sessions
from dashboard.settings import DashboardSettings
from dashboard.studio import StudioFile

STATIC_DIR = Path(__file__).parent / "static"
# Our pages load only our own scripts, styles and sockets; no framing by other sites.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
# Answers that carry a login token or a client's data are never kept by a browser or proxy.
PRIVATE_PREFIXES = ("/api/", "/downloads/")


def create_app(settings: DashboardSettings) -> FastAPI:
    """The dashboard for `settings`: live view and controls if settings.live, review always.

    app.state holds settings, studio (StudioFile), logins, limiter, review (recorded sessions),
    calibration (the calibration page's run) and, while running, hub, display, runtime
    (None without a live rig) and room_link (the room's studio link, None without a studio).
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        hub = Hub(asyncio.get_running_loop())
        app.state.hub = hub
        units = lambda: app.state.studio.units  # noqa: E731  (read when a setup is sent)
        app.state.display = HubDisplay(hub, units)
        app.state.runtime = app.state.room_link = None
        if settings.live is not None:
            display, link = linked_display(settings.room, app.state.display, hub, units)
            runtime = LiveRuntime(settings.live, display)
            await run_in_threadpool(runtime.start)
            app.state.runtime = runtime
            app.state.room_link = link.start(runtime) if link is not None else None
        try:
            yield
        finally:
            hub.close()
            app.state.calibration.close()
            if app.state.runtime is not None:
                await run_in_threadpool(app.state.runtime.stop)
            await run_in_threadpool(app.state.review.jobs.close)
            if app.state.room_link is not None:  # after the runtime: its last session copied
                await run_in_threadpool(app.state.room_link.stop)

    app = FastAPI(title="AshiSense", lifespan=lifespan, docs_url=None, redoc_url=None)
    guard(app, settings)
    app.state.calibration = CalibrationDesk()
    for module in (pages, auth, live, controls, sessions, calibration, client, presses):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


def guard(app: FastAPI, settings: DashboardSettings) -> None:
    """What every app of ours has (the room's dashboard, the studio's desk): settings, the
    studio file, logins and their limiter, the review in app.state; request size,
    Host and security headers checked and set on every answer."""
    app.state.settings = settings
    app.state.studio = StudioFile(settings.studio_file)
    app.state.logins = Logins(settings.login_ttl_s)
    app.state.limiter = LoginLimiter(settings.login_attempts_per_min)
    app.state.review = Review(settings.store)
    app.add_middleware(BodyGuard, max_bytes=settings.max_body_bytes)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(settings.host_names()))
    app.add_exception_handler(RequestValidationError, plain_validation_error)

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        if request.url.path.startswith(PRIVATE_PREFIXES):
            response.headers["Cache-Control"] = "no-store"
        return response
