"""Physical constants shared by calibration and the packages above it (one copy)."""

from __future__ import annotations

#: Standard gravity (m/s^2): kg <-> N for reference masses, people's weights and kgf figures.
STANDARD_GRAVITY_M_S2 = 9.80665
