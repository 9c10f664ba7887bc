"""`ashisense ports`: a port that answers HELLO? is marked as a rig, others are not."""

from __future__ import annotations

import json

from ashisense.sim.device import SimConfig, SimDevice
from ashisense.sim.ptyserver import PtyRig
from ashisense_cli import main
from firmware_bridge.ports import probe


def test_probe_finds_a_rig_on_a_pty_and_nothing_on_a_silent_one(tmp_path, pty_pair):
    _, silent_path = pty_pair
    dev = SimDevice(SimConfig.from_url("sim://calm?seed=2&boot_stream=0"))
    with PtyRig(dev, link_path=tmp_path / "ttyRIG") as rig:
        hello = probe(rig.path)
    assert hello is not None and hello.device == "AshiSense-Sim"
    assert probe(silent_path, timeout_s=0.2) is None
    assert probe(str(tmp_path / "no-such-port"), timeout_s=0.2) is None


def test_ports_command_lists_given_urls_as_json(capsys):
    assert main(["ports", "--no-probe", "--json", "sim://calm?seed=1"]) == 0
    rows = json.loads(capsys.readouterr().out)
    given = [r for r in rows if r["device"] == "sim://calm?seed=1"]
    assert given and given[0]["rig"]["device"] == "AshiSense-Sim"
    assert len(given[0]["rig"]["channels"]) == 8
