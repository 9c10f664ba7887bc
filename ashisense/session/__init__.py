"""A session: the analysis of one rig's stream (pipeline and alarms), the runner that wires
it to a recording and to consumers, and the way back from a stored session to its rig,
people and rules. Sits above ashisense.store (which stores records and blocks, nothing else)
and ashisense.pipeline / ashisense.alarms."""

from ashisense.session.analysis import SessionAnalysis, Step
from ashisense.session.recorder import Recorder
from ashisense.session.runner import RECORDER_FAULT_SIGNAL, SessionListener, SessionRunner
from ashisense.session.setup import SessionSetup

__all__ = [
    "RECORDER_FAULT_SIGNAL",
    "Recorder",
    "SessionAnalysis",
    "SessionListener",
    "SessionRunner",
    "SessionSetup",
    "Step",
]
