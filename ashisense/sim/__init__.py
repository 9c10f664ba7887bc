"""The simulated rig: a physical model of bars, mat and people (model, scenarios, sensors,
imprint) wrapped as a protocol-v1 device (device, urlhandler, ptyserver)."""

from ashisense.sim.effects import Effects
from ashisense.sim.model import SIM_CHANNELS, RigSimulator, SimBlock, SimTruth, SimulatorError
from ashisense.sim.scenarios import PHASES, SCENARIOS, Scenario, UnknownScenarioError

__all__ = [
    "PHASES",
    "SCENARIOS",
    "SIM_CHANNELS",
    "Effects",
    "RigSimulator",
    "Scenario",
    "SimBlock",
    "SimTruth",
    "SimulatorError",
    "UnknownScenarioError",
]
