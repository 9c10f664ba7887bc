"""What a session runs with: the rig, the people on it, its alarm rules and contraindications."""

from __future__ import annotations

from dataclasses import dataclass

from ashisense.alarms import ContraindicationMap, RuleSet
from ashisense.profiles import ClientProfile, TherapistProfile
from ashisense.rig import Rig


@dataclass(frozen=True)
class SessionSetup:
    """The inputs of a session's analysis, passed on whole by the runner and the recorder.

    rig: as loaded (a runner resolves it for the device) or resolved. client, therapist: the
    people on the rig (None: unknown). rules: the alarm rules (None: no alarm engine).
    contraindications: the client's regions and their limits (None: none).
    """

    rig: Rig
    client: ClientProfile | None = None
    therapist: TherapistProfile | None = None
    rules: RuleSet | None = None
    contraindications: ContraindicationMap | None = None
