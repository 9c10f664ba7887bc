"""The layers of docs/architecture.md hold: read the imports of every product module (ast, so
imports inside functions and under TYPE_CHECKING count too) and find no arrow pointing up."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("firmware_bridge", "calibration", "ashisense", "dashboard", "ashisense_cli")
OURS = (*PRODUCT, "tests", "benchmarks")
CLI = "ashisense_cli"
ENTRY_SHIM = "ashisense.__main__"  # `python -m ashisense`: runs the command line, imported by none

# Inside ashisense, a unit (top-level module or subpackage) imports only units of lower rank.
ASHISENSE_RANK = {
    "ashisense": 0,  # the package itself (__version__, the sim:// URL registration)
    "ashisense.errors": 0,
    "ashisense.compiled": 0,  # numba kernels compiled or loaded at import
    "ashisense.bodymap": 0,
    "ashisense.starter": 0,  # package data: the starter rig folder
    "ashisense.rig": 1,
    "ashisense.profiles": 1,
    "ashisense.sim": 1,
    "ashisense.pipeline": 2,
    "ashisense.store": 2,  # stores records and blocks; never pipeline or alarms
    "ashisense.alarms": 3,
    "ashisense.client": 4,  # presses and comfort: store, alarms, pipeline; used by session
    "ashisense.session": 5,
    "ashisense.live": 6,
    "ashisense.lsl": 6,
    "ashisense.report": 6,
    "ashisense.studio": 7,  # a room's link to its studio (broker, PostgreSQL); the desk's board
    "ashisense.commands": 7,
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(path: Path, module: str) -> Iterator[str]:
    """Every module name that `module` (at path) imports, relative imports resolved."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                yield ".".join([*base, node.module] if node.module else base)
            else:
                yield str(node.module)


def _edges() -> list[tuple[str, str]]:
    """(importer, imported) for every import of one of our packages by a product module."""
    edges = []
    for top in PRODUCT:
        for path in sorted((ROOT / top).rglob("*.py")):
            module = _module_name(path)
            edges += [
                (module, target)
                for target in _imported(path, module)
                if target.split(".")[0] in OURS
            ]
    assert len(edges) > 100, "expected to find the product's imports"
    return edges


EDGES = _edges()


def _top(name: str) -> str:
    return name.split(".")[0]


def _unit(name: str) -> str:
    """ashisense.<sub> for a module of ashisense, the package name otherwise."""
    parts = name.split(".")
    return ".".join(parts[:2]) if parts[0] == "ashisense" else parts[0]


def _violations(importer_in: str, allowed: set[str]) -> list[str]:
    return sorted(
        f"{a} imports {b}"
        for a, b in EDGES
        if _top(a) == importer_in and _top(b) != importer_in and _top(b) not in allowed
    )


def test_firmware_bridge_imports_nothing_of_ours() -> None:
    assert _violations("firmware_bridge", set()) == []


def test_calibration_imports_only_firmware_bridge() -> None:
    assert _violations("calibration", {"firmware_bridge"}) == []


def test_ashisense_imports_only_calibration_and_firmware_bridge() -> None:
    found = _violations("ashisense", {"calibration", "firmware_bridge"})
    assert [v for v in found if not v.startswith(f"{ENTRY_SHIM} imports {CLI}")] == []


def test_the_entry_shim_imports_only_the_command_line() -> None:
    assert {b for a, b in EDGES if a == ENTRY_SHIM} == {CLI}


def test_store_never_imports_pipeline_or_alarms() -> None:
    found = sorted(
        f"{a} imports {b}"
        for a, b in EDGES
        if _unit(a) == "ashisense.store" and _unit(b) in ("ashisense.pipeline", "ashisense.alarms")
    )
    assert found == []


def test_nothing_but_the_command_line_imports_dashboard() -> None:
    found = sorted(
        f"{a} imports {b}"
        for a, b in EDGES
        if _top(b) == "dashboard" and _top(a) not in ("dashboard", CLI)
    )
    assert found == []


@pytest.mark.parametrize("test_package", ["tests", "benchmarks"])
def test_no_product_module_imports_tests_or_benchmarks(test_package: str) -> None:
    assert sorted(f"{a} imports {b}" for a, b in EDGES if _top(b) == test_package) == []


def test_ashisense_units_import_only_lower_ranks() -> None:
    units = {_unit(n) for edge in EDGES for n in edge if _top(n) == "ashisense"} - {ENTRY_SHIM}
    assert sorted(units - ASHISENSE_RANK.keys()) == [], (
        "a new part of ashisense: give it a rank here and a row in docs/architecture.md"
    )
    upward = sorted(
        f"{a} imports {b}"
        for a, b in EDGES
        if _top(a) == "ashisense" and _top(b) == "ashisense" and a != ENTRY_SHIM
        if _unit(a) != _unit(b) and ASHISENSE_RANK[_unit(b)] >= ASHISENSE_RANK[_unit(a)]
    )
    assert upward == []


# The middle stays readable at once (issue 10): no function longer than this there.
SHORT_FUNCTIONS_IN = ("ashisense/pipeline", "ashisense/session", "ashisense/live.py")
MOST_LINES = 60


def test_functions_in_the_middle_are_short() -> None:
    paths = [p for place in SHORT_FUNCTIONS_IN for p in sorted((ROOT / place).glob("**/*.py"))]
    paths += [ROOT / place for place in SHORT_FUNCTIONS_IN if place.endswith(".py")]
    assert len(paths) > 20  # the places exist
    long = [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines} lines)"
        for path in paths
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        if (lines := (node.end_lineno or node.lineno) - node.lineno + 1) > MOST_LINES
    ]
    assert long == [], f"split into named stages (at most {MOST_LINES} lines each): {long}"
