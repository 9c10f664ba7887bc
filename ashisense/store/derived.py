"""Arrays derived from a session and kept with it (the review's display series): opaque to
the store, which keeps them as named parts of named arrays under a version key and hands
back only those stored under the key asked for. Each array is one row: its name, dtype and
shape, and the codec.pack blob."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from ashisense.store.codec import pack, unpack

#: Arrays of one part by name; parts by name (what put_derived takes and derived returns).
Parts = Mapping[str, Mapping[str, np.ndarray]]

#: The columns of a derived row after its session id, in the order derived_rows gives them.
DERIVED_COLUMNS = "part, name, version_key, dtype, shape_json, data"


def derived_rows(key: str, parts: Parts) -> list[tuple[Any, ...]]:
    """The rows (DERIVED_COLUMNS) that keep `parts` under `key`."""
    rows = []
    for part, arrays in parts.items():
        for name, arr in arrays.items():
            a = np.asarray(arr)
            shape = list(a.shape) or [1]
            rows.append((part, name, key, a.dtype.str, json.dumps(shape), pack(a.reshape(shape))))
    return rows


def parts_from_rows(rows: Iterable[tuple[Any, ...]]) -> dict[str, dict[str, np.ndarray]]:
    """Parts from stored rows (part, name, dtype, shape_json, data)."""
    out: dict[str, dict[str, np.ndarray]] = {}
    for part, name, dtype, shape_json, data in rows:
        shape = tuple(json.loads(shape_json))
        out.setdefault(part, {})[name] = unpack(bytes(data), np.dtype(dtype), shape)
    return out
