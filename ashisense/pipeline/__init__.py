"""Live estimation: counts in, forces, positions, regions and pressure out (see types.py)."""

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
    "EstimateBlock",
    "GridEstimate",
    "PipelineState",
    "Uncertain",
    "reason_names",
]
