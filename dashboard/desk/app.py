"""The desk's app factory: `create_desk_app(settings, studio)`. Its lifespan follows the
studio's broker (StudioFeed), relays each room's live view, and pushes the overview; the
login, security rules and review API are the room dashboard's own."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from ashisense.studio import StudioUrl
from ashisense.studio.feed import StudioFeed
from dashboard.app import STATIC_DIR, guard
from dashboard.desk import pages, rooms
from dashboard.desk.relay import RoomRelays
from dashboard.hub import Hub
from dashboard.routes import auth, sessions
from dashboard.settings import DashboardSettings
from dashboard.studio import StudioFile

#: Seconds between two overviews pushed to the desk's browsers.
OVERVIEW_EVERY_S = 0.25


def desk_client_id(settings: DashboardSettings, studio: StudioUrl) -> str:
    """The desk's MQTT client id: the same for the same studio folder, so that the broker
    keeps what arrives for it while it restarts."""
    home = hashlib.sha256(str(settings.home.resolve()).encode()).hexdigest()[:10]
    return f"ashisense-desk-{studio.studio}-{home}"


async def _push_overview(feed: StudioFeed, hub: Hub, studio_file: StudioFile) -> None:
    while True:
        doc = {**feed.overview(), "units": studio_file.units}
        hub.publish("rooms", json.dumps(doc, separators=(",", ":")))
        await asyncio.sleep(OVERVIEW_EVERY_S)


def create_desk_app(settings: DashboardSettings, studio: StudioUrl) -> FastAPI:
    """The desk for the rooms of `studio`; settings.store_url: the studio's session database.

    app.state holds, besides what every app of ours holds (dashboard.app.guard), while
    running: feed (the broker), relays (each room's live view), overview (the overview hub).
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        app.state.relays = RoomRelays(loop)
        app.state.overview = Hub(loop)
        feed = StudioFeed(
            studio, app.state.relays.relay, client_id=desk_client_id(settings, studio)
        )
        app.state.feed = feed.start()
        pusher = asyncio.create_task(_push_overview(feed, app.state.overview, app.state.studio))
        try:
            yield
        finally:
            pusher.cancel()
            app.state.overview.close()
            app.state.relays.close()
            await run_in_threadpool(feed.stop)
            await run_in_threadpool(app.state.review.jobs.close)

    app = FastAPI(title="AshiSense studio desk", lifespan=lifespan, docs_url=None, redoc_url=None)
    guard(app, settings)
    for module in (pages, auth, rooms, sessions):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
