"""The whole rig firmware compiles for the Pico's Cortex-M0+ with every warning an error.

Debian's gcc-arm-none-eabi builds what arduino-cli would: every C file of the Arduino
libraries in hardware/firmware (with ARDUINO defined, as the core does) and the sketch as
C++ against hardware/firmware/tools/arduino_stub, headers that declare the arduino-pico and
pico-sdk API the sketch uses. The objects are then linked into one relocatable object: each
firmware function is defined exactly once, and only the core's API is left to the real link
(which needs arduino-cli and the arduino-pico core: hardware/README.md).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from firmwarekit import FIRMWARE_DIR

LIBRARIES = sorted(p.parent for p in FIRMWARE_DIR.glob("*/library.properties"))
SKETCH = FIRMWARE_DIR / "ashisense_rp2040" / "ashisense_rp2040.ino"
STUBS = FIRMWARE_DIR / "tools" / "arduino_stub"
TARGET = ("-mcpu=cortex-m0plus", "-mthumb", "-Os", "-DARDUINO=10607", "-DARDUINO_ARCH_RP2040")
WARNINGS = ("-Wall", "-Wextra", "-Wconversion", "-Wshadow", "-Werror")
C_FLAGS = (*TARGET, *WARNINGS, "-std=c99", "-ffreestanding")
CXX_FLAGS = (*TARGET, *WARNINGS, "-std=gnu++17", "-fno-exceptions", "-fno-rtti")
# Firmware code (ours): none of it may be left undefined by the firmware's own objects.
OWN_PREFIXES = ("ashi_", "hx711_", "handset_", "sample_ring_")


def tool(name: str) -> str:
    """Path of a cross tool; fails saying how to get it."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"{name} not found on PATH: the firmware is compiled for the Pico's Cortex-M0+ "
            "with Debian's cross compiler; install it with apt-get install gcc-arm-none-eabi "
            "(scripts/test does when it is missing)"
        )
    return path


def compile_unit(args: list[str]) -> None:
    """Run one compiler command; a warning or error fails the test with the compiler's text."""
    build = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert build.returncode == 0, f"{' '.join(args)}\n{build.stderr}"


@pytest.fixture(scope="module")
def objects(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Every firmware unit compiled for the Cortex-M0+ (-c), one object each."""
    out = tmp_path_factory.mktemp("cortex_m0")
    gcc, gxx = tool("arm-none-eabi-gcc"), tool("arm-none-eabi-g++")
    objs = []
    for source in sorted(s for lib in LIBRARIES for s in lib.glob("*.c")):
        obj = out / f"{source.parent.name}_{source.stem}.o"
        compile_unit([gcc, *C_FLAGS, "-c", str(source), "-o", str(obj)])
        objs.append(obj)
    includes = [f"-I{d}" for d in (STUBS, *LIBRARIES)]
    sketch = out / "sketch.o"
    compile_unit([gxx, *CXX_FLAGS, *includes, "-x", "c++", "-c", str(SKETCH), "-o", str(sketch)])
    return [*objs, sketch]


def test_every_firmware_unit_compiles_for_cortex_m0plus_without_a_warning(
    objects: list[Path],
) -> None:
    names = {p.stem for p in objects}
    for unit in ("ashiproto_ashiproto", "hx711_array_hx711_array", "handset_handset", "sketch"):
        assert unit in names
    header = subprocess.run(
        [tool("arm-none-eabi-readelf"), "-h", str(objects[-1])],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert re.search(r"Machine:\s+ARM", header), header


def test_the_firmware_links_with_only_the_arduino_core_left_undefined(
    objects: list[Path], tmp_path: Path
) -> None:
    firmware = tmp_path / "firmware.o"
    compile_unit([tool("arm-none-eabi-ld"), "-r", "-o", str(firmware), *map(str, objects)])
    nm = tool("arm-none-eabi-nm")
    undefined = subprocess.run(
        [nm, "-C", "-u", str(firmware)], capture_output=True, text=True, check=True
    ).stdout.split()
    own = [s for s in undefined if s.startswith(OWN_PREFIXES)]
    assert not own, f"declared in the firmware but never defined: {own}"
    assert "time_us_32" in undefined and "gpio_get_all" in undefined  # the core's, as stubbed
    defined = subprocess.run(
        [nm, "-C", "--defined-only", str(firmware)], capture_output=True, text=True, check=True
    ).stdout
    for entry in ("setup", "loop", "setup1", "loop1", "handset_update", "ashi_event_client_json"):
        assert re.search(rf" T {entry}(\(\))?$", defined, re.MULTILINE), entry
