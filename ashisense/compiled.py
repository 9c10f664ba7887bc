"""Compiled kernels (numba, cached on disk) made ready when their module is imported.

A live stream's first block must not wait on a compiler: each kernel module names the
argument types Python calls its kernels with, and they are compiled (first start) or loaded
from the cache (every later start) at import, with a word in the log when it compiles.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

log = logging.getLogger(__name__)


def compile_now(kernels: Iterable[tuple[Any, str]], what: str) -> None:
    """Compile or load each (numba dispatcher, argument types) pair; says once that `what`
    is being compiled, so a first start's wait is not mistaken for a hang."""
    told = False
    for kernel, args in kernels:
        kernel.compile(f"({args},)")
        if kernel.stats.cache_misses and not told:
            log.warning(
                "first start: compiling %s (about 20 s on a desktop, a minute on a Raspberry "
                "Pi; later starts load them from the cache)",
                what,
            )
            told = True
