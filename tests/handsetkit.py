"""Simulated sessions with a client on the handset, recorded through the real path without a
port: the simulated rig's protocol bytes (SAMPLEs and the handset's client EVENTs) decoded,
timestamped, run through a SessionRunner (pipeline, alarms, press tracking) and recorded by
a SessionWriter into a store, as fast as the machine goes."""

from __future__ import annotations

from pathlib import Path

from ashisense.alarms.defaults import RULES_FILE, studio_rules
from ashisense.profiles import ClientProfile
from ashisense.rig import load_rig
from ashisense.session.runner import SessionRunner
from ashisense.session.setup import SessionSetup
from ashisense.session.snapshot import session_meta
from ashisense.sim.device import SimConfig, SimDevice
from ashisense.store.base import SessionStore
from firmware_bridge.decoder import FrameDecoder
from firmware_bridge.listener import deliver
from firmware_bridge.stream import SampleStream
from tests.simfeedkit import sim_profiles

ROOT = Path(__file__).resolve().parent.parent
SIM_RIG = ROOT / "examples" / "sim_rig.toml"
T0_S = 1.7e9
Client = ClientProfile | None


def record_handset_session(
    store: SessionStore, seconds: float, nth: int, handset: str = "1", client: Client = None
) -> int:
    """Record `seconds` of the client's `nth` session (0, 1, ...: seeded by nth, an hour
    after the one before) on the simulated rig, calm, with the client on the handset
    (sim.handset spec, e.g. "upper_back:30,lumbar:20" in kgf); returns the session id. The
    simulated client (sim_profiles, or `client`: another id for the same body) is on
    the table, the studio's default rules alarm."""
    seed, started_s = nth, T0_S + 3600.0 * nth
    sim_client, therapist = sim_profiles()
    client = client or sim_client
    rig = load_rig(SIM_RIG)
    url = f"sim://calm?seed={seed}&speed=fast&handset={handset}"
    device = SimDevice(SimConfig.from_url(url))
    runner = SessionRunner(SessionSetup(rig, client, therapist, studio_rules()))
    meta = session_meta(
        rig, SIM_RIG, started_s=started_s, client=client, therapist=therapist,
        rules_path=RULES_FILE, label=f"handset {handset}, seed {seed}",
    )  # fmt: skip
    writer = runner.record(store, meta)
    decoder, stream = FrameDecoder(), SampleStream()
    try:
        while device.model.t_s < seconds:
            data = device.pump()
            items = stream.push(decoder.feed(data), started_s + device.model.t_s)
            for item in items:
                deliver(runner, item)
    finally:
        runner.stop_recording()
    return writer.session_id
