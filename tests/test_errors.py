"""Every exception class the ashisense package defines derives from AshisenseError, so a caller
can catch all of ours in one clause."""

from __future__ import annotations

import importlib
import pkgutil

import ashisense
from ashisense.errors import AshisenseError


def _error_classes() -> list[type[BaseException]]:
    """Exception classes defined (not imported) in any ashisense module."""
    found = []
    for mod in pkgutil.walk_packages(ashisense.__path__, "ashisense."):
        if mod.name.endswith("__main__"):  # running it would start the command line
            continue
        module = importlib.import_module(mod.name)
        found += [
            obj
            for obj in vars(module).values()
            if isinstance(obj, type)
            and issubclass(obj, BaseException)
            and obj.__module__ == module.__name__
        ]
    return found


def test_every_ashisense_error_derives_from_the_base() -> None:
    classes = _error_classes()
    assert len(classes) > 20, "expected the package's error classes to be found"
    outside = sorted(
        f"{c.__module__}.{c.__name__}" for c in classes if not issubclass(c, AshisenseError)
    )
    assert outside == []
