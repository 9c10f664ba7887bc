"""codec.pack/unpack give back every array bit for bit, and compress what recordings hold."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ashisense.store.codec import pack, unpack

DTYPES = [np.float64, np.int64, np.int32, np.uint16, np.bool_]


@st.composite
def arrays(draw: st.DrawFn) -> np.ndarray:
    dtype = draw(st.sampled_from(DTYPES))
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=12))
    if np.dtype(dtype) == np.float64:
        # Any bit pattern: NaN payloads, infinities, -0.0 and subnormals must survive too.
        bits = draw(hnp.arrays(np.int64, shape))
        return bits.view(np.float64)
    return draw(hnp.arrays(dtype, shape))


@given(arrays())
def test_round_trip_is_bit_exact(arr: np.ndarray) -> None:
    back = unpack(pack(arr), arr.dtype, arr.shape)
    assert back.dtype == arr.dtype
    assert back.shape == arr.shape
    assert back.tobytes() == arr.tobytes()


def test_regular_times_and_slow_counts_compress_well() -> None:
    n = 80 * 600
    t_s = 1.7e9 + np.arange(n) / 80.0
    counts = (8000 + np.cumsum(np.random.default_rng(0).integers(-20, 21, (n, 8)), axis=0)).astype(
        np.int32
    )
    assert len(pack(t_s)) < 0.05 * t_s.nbytes
    assert len(pack(counts)) < 0.4 * counts.nbytes
