"""Live estimation: counts in, forces, positions, regions and pressure out (see types.py)."""

from ashisense.pipeline.baseline import BaselineRefused, ClientBaseline
from ashisense.pipeline.core import Pipeline
from ashisense.pipeline.settings import PipelineSettings, SettingsError
from ashisense.pipeline.types import (
    MAX_BLOBS,
    SERIES,
    EstimateBlock,
    GridEstimate,
    PipelineState,
    Uncertain,
    reason_names,
)

__all__ = [
    "MAX_BLOBS",
    "SERIES",
    "BaselineRefused",
    "ClientBaseline",
    "EstimateBlock",
    "GridEstimate",
    "Pipeline",
    "PipelineSettings",
    "PipelineState",
    "SettingsError",
    "Uncertain",
    "reason_names",
]
