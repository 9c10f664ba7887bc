"""The studio: how many rooms the desk follows, how far behind PostgreSQL is, what a room-hour
takes. Everything real: a throwaway Mosquitto and PostgreSQL (tests/infrakit.py), the desk as
`ashisense studio` in its own process.

1. Rooms the desk follows. A second process runs N simulated rooms, each a RoomPublisher
   sending what an 80 Hz room sends (its live page's frames thinned to 20 a second, its
   health twice a second, a setup and presence; frames stamped with the host time when they
   are handed over). This process watches every room's live view on the desk (one websocket
   per room, as a browser would) and takes the age of each frame when it arrives (host time
   minus its stamp: room handover, broker, desk, websocket), and the desk's own hop (when
   the viewer got a frame minus when a plain subscriber in this process got it from the
   broker: what the desk adds, whatever the load upstream). N rises 5, 10, 20, 30, 40; the
   desk's CPU (its process, every thread) is read from /proc. Goal (issue 15): >= 20 rooms
   with frame age p99 <= 250 ms (every step up to that many rooms).
2. Copy lag. COPY_ROOMS live rooms (LiveRuntime on sim:// rigs at 80 Hz, recording, copied by
   their LiveCopier) for COPY_S seconds; four times a second the age of the newest sample of
   each session in PostgreSQL. Goal: p99 <= 2 s ("within 2 s while the network is up").
3. Storage per room-hour: an hour of the simulated 8-channel 80 Hz rig written into SQLite
   (tests/simsessionkit.py) and copied into PostgreSQL (store.copy); the size of each.

Run: python3 benchmarks/bench_studio.py [--quick]   (--quick: shorter steps, fewer rooms)
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import benchkit
import httpx
import numpy as np
from infrakit import MosquittoBroker, PostgresCluster, free_port, studio_accounts
from websockets.asyncio.client import connect

STUDIO = "bench"
STEPS = (5, 10, 20, 30, 40)
GOAL_ROOMS, GOAL_AGE_P99_S, GOAL_COPY_LAG_P99_S = 20, 0.250, 2.0
STEP_S, WARMUP_S = 15.0, 4.0
ROOMS_PER_PROCESS = 10  # simulated rooms per process (each room is a machine of its own)
COPY_ROOMS, COPY_S = 4, 60.0
FRAME_HZ, HEALTH_HZ = 20.0, 2.0
CLK_TCK = os.sysconf("SC_CLK_TCK")

# What an 80 Hz room's live page gets about 20 times a second (dashboard.frames), stamped.
FRAME = {
    "type": "frame", "seq": 0, "t_s": 0.0, "feet_n": 312.4, "feet_raw_n": 315.0,
    "feet_peak_n": 330.1, "feet_x_m": 0.512, "feet_y_m": 0.081, "region": "upper_back",
    "no_go": False, "bar_left_n": 150.2, "bar_right_n": 170.9, "hand_left_x_m": 0.81,
    "hand_right_x_m": 0.8, "bar_left_share": 0.468, "support_ratio": 0.99, "mat_n": 1000.3,
    "cop_x_m": 0.66, "cop_y_m": 0.02, "mat_cells_n": [250.1, 240.2, 260.3, 249.7],
    "pressure_kpa": 26.1, "pressure_basis": "whole_foot", "uncertain": [],
    "baseline_ready": True, "weight_n": 637.4,
    "strip": [[0.0, 312.0], [0.0, 312.2], [0.0, 312.4], [0.0, 312.3]],
}  # fmt: skip
HEALTH = {"type": "status", "link": {"state": "streaming", "rate_hz": 80.0}, "session_id": None,
          "recorder": None, "pipeline": None, "problem": "", "viewers": 0}  # fmt: skip
SETUP = {"type": "setup", "units": "kg", "client": {"id": "client-0001"},
         "therapist": {"id": "therapist-0001"}, "session": None, "feet_limit_n": 450.0}  # fmt: skip


# -- the simulated rooms (a process of their own) -----------------------------------------
def run_rooms(broker_port: int, logins: list[tuple[str, str]], seconds: float) -> None:
    """N RoomPublishers paced at FRAME_HZ frames and HEALTH_HZ health messages a second."""
    from ashisense.studio.publisher import RoomPublisher
    from ashisense.studio.urls import StudioUrl

    rooms = [
        RoomPublisher(StudioUrl.parse(f"mqtt://{u}:{p}@127.0.0.1:{broker_port}/{STUDIO}"), u)
        for u, p in logins
    ]
    for room in rooms:
        room.start()
        room.publish("setup", json.dumps(SETUP))
    start = time.monotonic()
    for tick in range(int(seconds * FRAME_HZ)):
        time.sleep(max(0.0, start + tick / FRAME_HZ - time.monotonic()))
        now = time.time()
        for room in rooms:
            room.publish("frame", json.dumps({**FRAME, "seq": tick, "t_s": now}))
            if tick % int(FRAME_HZ / HEALTH_HZ) == 0:
                room.publish("status", json.dumps({**HEALTH, "t_s": now}))
    for room in rooms:
        room.stop()


# -- the desk -------------------------------------------------------------------------------
class Desk:
    """`ashisense studio` in its own process; its login token and CPU seconds."""

    def __init__(self, home: Path, broker: MosquittoBroker, pg_url: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ashisense", "studio", "--studio",
             f"{broker.url('desk')}/{STUDIO}", "--store", pg_url, "--home", str(home),
             "--port", str(self.port)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            env={**os.environ, "PYTHONPATH": str(benchkit.ROOT)},
        )  # fmt: skip
        assert self.proc.stdout is not None
        lines = [self.proc.stdout.readline(), self.proc.stdout.readline()]
        found = re.match(r"login password: (\S+)", lines[1])
        assert found is not None, f"the desk did not start: {lines}"
        res = httpx.post(f"{self.url}/api/login", json={"password": found.group(1)})
        self.token = str(res.json()["token"])

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def online(self) -> set[str]:
        doc = httpx.get(f"{self.url}/api/rooms", headers={"Authorization": f"Bearer {self.token}"})
        return {r["room_id"] for r in doc.json()["rooms"] if r["state"] == "online"}

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)
        assert self.proc.stdout is not None
        self.proc.stdout.close()


async def _watch(desk: Desk, room_id: str, until: float, got: dict[Any, float]) -> None:
    """A viewer of one room's live view on the desk: when each frame arrived, and its age."""
    async with connect(
        f"ws://127.0.0.1:{desk.port}/rooms/{room_id}/ws",
        origin=desk.url,  # type: ignore[arg-type]
        additional_headers={"Authorization": f"Bearer {desk.token}"},
    ) as ws:
        while (left := until - time.time()) > 0:
            try:
                text = await asyncio.wait_for(ws.recv(), left)
            except TimeoutError:
                return
            msg = json.loads(text)
            if msg.get("type") == "frame":
                now = time.time()
                got[(room_id, msg["seq"])] = now
                got[(room_id, msg["seq"], "age")] = now - msg["t_s"]


def _simulate(
    broker: MosquittoBroker, logins: list[tuple[str, str]], seconds: float
) -> subprocess.Popen[bytes]:
    """A process of simulated rooms (run_rooms)."""
    args = [sys.executable, __file__, "--rooms", str(broker.port), json.dumps(logins)]
    return subprocess.Popen(
        [*args, str(seconds)], env={**os.environ, "PYTHONPATH": str(benchkit.ROOT)}
    )


def desk_step(desk: Desk, broker: MosquittoBroker, n: int, step_s: float) -> dict[str, float]:
    """N rooms for step_s seconds: frame ages after the warm-up, desk CPU over the step."""
    logins = [(f"room-{i}", broker.accounts[f"room-{i}"].password) for i in range(1, n + 1)]
    sims = [_simulate(broker, logins[k : k + ROOMS_PER_PROCESS], step_s + WARMUP_S + 3.0)
            for k in range(0, n, ROOMS_PER_PROCESS)]  # fmt: skip
    ids = {u for u, _ in logins}
    deadline, seen = time.monotonic() + 60, set()
    while not ids <= seen:  # each heard at least once (under load, not all at one moment)
        assert time.monotonic() < deadline, f"rooms never online at the desk: {ids - seen}"
        seen |= desk.online()
        time.sleep(0.2)
    time.sleep(WARMUP_S / 2)
    got: dict[Any, float] = {}
    cpu0, t0 = desk.cpu_s(), time.monotonic()
    until = time.time() + step_s

    async def watch_all() -> None:
        await asyncio.gather(*(_watch(desk, r, until, got) for r in sorted(ids)))

    with BrokerProbe(broker) as probe:
        asyncio.run(watch_all())
    cpu = (desk.cpu_s() - cpu0) / (time.monotonic() - t0)
    for sim in sims:
        sim.wait(60)
    a = np.array([v for k, v in got.items() if len(k) == 3])
    hop = np.array([v - probe.at[k] for k, v in got.items() if len(k) == 2 and k in probe.at])
    b = np.array(list(probe.ages))
    print(f"  {n} rooms: {len(a)} frames at the desk, p99 {np.percentile(a, 99) * 1e3:.0f} ms, "
          f"load average {os.getloadavg()[0]:.1f}", file=sys.stderr, flush=True)  # fmt: skip
    return {"rooms": n, "frames_s": len(a) / step_s, "p50": float(np.percentile(a, 50)),
            "p99": float(np.percentile(a, 99)), "broker_p99": float(np.percentile(b, 99)),
            "hop_p99": float(np.percentile(hop, 99)), "cpu": cpu,
            "load": os.getloadavg()[0]}  # fmt: skip


class BrokerProbe:
    """A plain subscriber to every room's frames: their age at the broker's side (rooms and
    broker alone), to tell the desk's share of the age from the rest."""

    def __init__(self, broker: MosquittoBroker) -> None:
        import paho.mqtt.client as mqtt

        self.ages: list[float] = []
        self.at: dict[tuple[str, int], float] = {}  # (room, seq) -> when it arrived here
        self._client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self._client.username_pw_set("desk", broker.accounts["desk"].password)
        self._client.on_connect = lambda c, *_: c.subscribe(f"ashisense/{STUDIO}/+/frame")
        self._client.on_message = self._take
        self._client.connect("127.0.0.1", broker.port)

    def _take(self, _c: Any, _u: Any, msg: Any) -> None:
        now, frame = time.time(), json.loads(msg.payload)
        self.ages.append(now - frame["t_s"])
        self.at[(msg.topic.split("/")[2], frame["seq"])] = now

    def __enter__(self) -> BrokerProbe:
        self._client.loop_start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.disconnect()
        self._client.loop_stop()


# -- copy lag and storage ---------------------------------------------------------------------
def copy_lag(pg_url: str, tmp: Path, seconds: float) -> list[float]:
    """COPY_ROOMS recording rooms copied live; the age of PostgreSQL's newest sample, 4 Hz."""
    import psycopg

    from ashisense.alarms.defaults import CONTRAINDICATIONS_FILE, RULES_FILE
    from ashisense.live import LiveRuntime, load_live_config
    from ashisense.studio import RoomConfig, RoomLink

    runtimes, links = [], []
    for i in range(COPY_ROOMS):
        config = load_live_config(
            benchkit.ROOT / "examples" / "sim_rig.toml", store_path=tmp / f"room{i}.sqlite",
            profiles_dir=benchkit.ROOT / "examples" / "profiles", rules_path=Path(str(RULES_FILE)),
            contraindications_path=Path(str(CONTRAINDICATIONS_FILE)),
            device_url=f"sim://stepping?seed={i}", auto_session=True,
        )  # fmt: skip
        runtime = LiveRuntime(config).start()
        runtimes.append(runtime)
        links.append(RoomLink(RoomConfig(f"Room {i}", None, pg_url)).start(runtime))
    lags: list[float] = []
    end = time.monotonic() + seconds
    with psycopg.connect(pg_url, autocommit=True) as conn:
        while time.monotonic() < end:
            time.sleep(0.25)
            rows = conn.execute("SELECT max(t1_s) FROM chunks GROUP BY session_id").fetchall()
            if len(rows) == COPY_ROOMS and time.monotonic() > end - seconds + 5:
                lags += [time.time() - t for (t,) in rows]
    for runtime, link in zip(runtimes, links, strict=True):
        runtime.stop()
        link.stop()
    return lags


def storage(pg_url: str, tmp: Path) -> tuple[float, float]:
    """(PostgreSQL bytes, SQLite bytes) of one simulated room-hour (8 channels, 80 Hz)."""
    import psycopg
    from simsessionkit import simulate_session

    from ashisense.store import SQLiteStore
    from ashisense.store.copy import copy_session
    from ashisense.store.postgres import PostgresStore

    path = tmp / "hour.sqlite"
    with SQLiteStore(path) as src:
        sid = simulate_session(src, 3600.0, rig_path=benchkit.ROOT / "examples" / "sim_rig.toml")
    with SQLiteStore(path, readonly=True) as src, PostgresStore(pg_url) as dst:
        copy_session(src, dst, sid)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        (pg_bytes,) = conn.execute(
            "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'"
        ).fetchone()
    return float(pg_bytes), float(path.stat().st_size)


def main(quick: bool = False) -> int:
    steps, step_s, copy_s = ((5, 10, 20), 8.0, 20.0) if quick else (STEPS, STEP_S, COPY_S)
    rooms = tuple(f"room-{i}" for i in range(1, max(steps) + 1))
    broker = MosquittoBroker(studio_accounts(STUDIO, rooms))
    cluster = PostgresCluster()
    tmp = Path(tempfile.mkdtemp(prefix="bench-studio-"))
    try:
        broker.start()
        cluster.start()
        desk = Desk(tmp / "desk", broker, cluster.create_database("desk"))
        try:
            results = [desk_step(desk, broker, n, step_s) for n in steps]
        finally:
            desk.close()
        lags = copy_lag(cluster.create_database("live"), tmp, copy_s)
        pg_bytes, sqlite_bytes = storage(cluster.create_database("hour"), tmp)
    finally:
        broker.close()
        cluster.close()
    return report(results, lags, pg_bytes, sqlite_bytes)


def report(results: list[dict[str, float]], lags: list[float], pg: float, sqlite: float) -> int:
    print("rooms  frames/s  age p50  age p99  p99 at the broker  p99 of the desk's hop  "
          "desk CPU (of a core)  per room  load avg")  # fmt: skip
    for r in results:
        broker = f"{r['broker_p99'] * 1e3:14.0f} ms"
        ages = f"{r['p50'] * 1e3:4.0f} ms  {r['p99'] * 1e3:4.0f} ms  {broker}"
        cpu = f"{r['hop_p99'] * 1e3:18.0f} ms  {r['cpu']:20.1%}  {r['cpu'] / r['rooms']:8.2%}"
        print(f"{r['rooms']:5.0f}  {r['frames_s']:8.0f}  {ages}  {cpu}  {r['load']:8.1f}")
    followed = 0.0  # the most rooms up to which every step met the goal
    for r in results:
        if r["p99"] > GOAL_AGE_P99_S:
            break
        followed = r["rooms"]
    ok_rooms = followed >= GOAL_ROOMS
    print(f"rooms the desk follows with frame age p99 <= {GOAL_AGE_P99_S * 1e3:.0f} ms: "
          f"{followed:.0f} (goal >= {GOAL_ROOMS}) {'PASS' if ok_rooms else 'FAIL'}")  # fmt: skip
    lag_p99 = float(np.percentile(lags, 99)) if lags else math.inf
    ok_lag = lag_p99 <= GOAL_COPY_LAG_P99_S
    print(f"copy lag to PostgreSQL ({COPY_ROOMS} rooms recording at 80 Hz): p50 "
          f"{statistics.median(lags) if lags else math.nan:.2f} s, p99 {lag_p99:.2f} s "
          f"(goal <= {GOAL_COPY_LAG_P99_S:.0f} s) {'PASS' if ok_lag else 'FAIL'}")  # fmt: skip
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (2 cores)")
    print(f"storage per room-hour (8 channels, 80 Hz): PostgreSQL {pg / 1e6:.1f} MB, "
          f"the room's SQLite {sqlite / 1e6:.1f} MB")  # fmt: skip
    return 0 if ok_rooms and ok_lag else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--rooms":
        run_rooms(int(sys.argv[2]), json.loads(sys.argv[3]), float(sys.argv[4]))
        sys.exit(0)
    sys.exit(main(quick="--quick" in sys.argv))
