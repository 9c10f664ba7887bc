"""Alarms after IEC 60601-1-8: rules per block, priorities, delays, latching, the alarm log.

Typical use::

    rules = load_rule_set("our_rules.toml")         # or alarms.defaults.studio_rules()
    contra = load_contraindications("our_map.toml")  # or defaults.studio_contraindications()
    engine = AlarmEngine.for_session(rules, client_profile, contra, channel_names)
    engine.add_listener(recorder_callback)          # AlarmEvent rows
    engine.process(signals_from_estimate(estimate_block))   # | technical signals
    engine.tick(time.time())                        # a few times a second
    engine.hazards()                                # what a person sees: one per hazard

The whole wiring for a session (estimates, link and calibration signals) is
ashisense.session.analysis.SessionAnalysis.
"""

from ashisense.alarms.engine import AlarmEngine, AlarmListener
from ashisense.alarms.errors import (
    AlarmError,
    AlarmPolicyError,
    ClientLimitsError,
    RuleFileError,
    SignalError,
    UnknownRuleError,
    UnknownRuleKindError,
)
from ashisense.alarms.events import (
    AlarmEvent,
    AlarmState,
    AlarmStatus,
    HazardStatus,
    Priority,
    Transition,
)
from ashisense.alarms.hazards import BindingLimits, LimitSource
from ashisense.alarms.kinds import KINDS, BindContext, RuleSpec
from ashisense.alarms.limits import (
    ContraindicationMap,
    load_contraindications,
    parse_contraindications,
    region_limits,
    tighten_for_client,
)
from ashisense.alarms.rules import AlarmPolicy, RuleSet, load_rule_set, parse_rule_set
from ashisense.alarms.signals import signals_from_estimate
from ashisense.alarms.wording import DISPLAY_UNITS, alarm_text, force_text

__all__ = [
    "DISPLAY_UNITS",
    "KINDS",
    "AlarmEngine",
    "AlarmError",
    "AlarmEvent",
    "AlarmListener",
    "AlarmPolicy",
    "AlarmPolicyError",
    "AlarmState",
    "AlarmStatus",
    "BindContext",
    "BindingLimits",
    "ClientLimitsError",
    "ContraindicationMap",
    "HazardStatus",
    "LimitSource",
    "Priority",
    "RuleFileError",
    "RuleSet",
    "RuleSpec",
    "SignalError",
    "Transition",
    "UnknownRuleError",
    "UnknownRuleKindError",
    "alarm_text",
    "force_text",
    "load_contraindications",
    "load_rule_set",
    "parse_contraindications",
    "parse_rule_set",
    "region_limits",
    "signals_from_estimate",
    "tighten_for_client",
]
