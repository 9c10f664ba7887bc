#!/usr/bin/env bash
# Portability checks of the firmware C code, beyond tests/test_c_packet_code.py (which
# runs everywhere with the host gcc). These need cross tools; on Debian:
#   apt-get install gcc-arm-none-eabi gcc-powerpc-linux-gnu qemu-user g++
# 1. the portable libraries build for the RP2040's Cortex-M0+ with all warnings as errors;
# 2. the test harness gives the same output on a big-endian CPU (PowerPC under qemu) as on
#    this host, for the fixed vectors and for 500 random SAMPLEs;
# 3. the sketch type-checks as C++ against stub headers of the Arduino/pico-sdk API
#    (the real build needs arduino-cli and the arduino-pico core: hardware/README.md).
set -euo pipefail

tools=$(cd "$(dirname "$0")" && pwd)
fw=$(dirname "$tools")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

need() {
    command -v "$1" >/dev/null || {
        echo "check_portability: '$1' not found; install it with: apt-get install $2" >&2
        exit 2
    }
}
need arm-none-eabi-gcc gcc-arm-none-eabi
need powerpc-linux-gnu-gcc gcc-powerpc-linux-gnu
need qemu-ppc qemu-user
need gcc gcc
need g++ g++

portable=("$fw/ashiproto/ashiproto.c" "$fw/hx711_array/hx711_array.c")
harness=("${portable[@]}" "$fw/ashiproto/test_vectors_main.c")
strict=(-std=c99 -Wall -Wextra -Wpedantic -Wconversion -Werror)

echo "1. Cortex-M0+ build (-Os), code size in bytes:"
for src in "${portable[@]}"; do
    arm-none-eabi-gcc -mcpu=cortex-m0plus -mthumb -Os -ffreestanding "${strict[@]}" \
        -c "$src" -o "$tmp/$(basename "$src" .c).o"
done
arm-none-eabi-size "$tmp"/*.o

echo "2. Harness output on big-endian PowerPC vs this host:"
gcc -O1 "${strict[@]}" -o "$tmp/tv_host" "${harness[@]}"
powerpc-linux-gnu-gcc -O1 -static "${strict[@]}" -o "$tmp/tv_be" "${harness[@]}"
python3 - "$tmp/samples.txt" <<'PY'
import random, sys
rng = random.Random(1)
with open(sys.argv[1], "w") as f:
    for _ in range(500):
        counts = [rng.randint(-(2**31), 2**31 - 1) for _ in range(rng.randint(0, 32))]
        head = [rng.randrange(2**16), rng.randrange(2**32), rng.randrange(2**32)]
        f.write(" ".join(map(str, ["S", *head, *counts])) + "\n")
PY
"$tmp/tv_host" >"$tmp/host.txt"
"$tmp/tv_host" --lines <"$tmp/samples.txt" >>"$tmp/host.txt"
qemu-ppc "$tmp/tv_be" >"$tmp/be.txt"
qemu-ppc "$tmp/tv_be" --lines <"$tmp/samples.txt" >>"$tmp/be.txt"
cmp "$tmp/host.txt" "$tmp/be.txt"
echo "   identical: $(wc -l <"$tmp/host.txt") lines"

echo "3. Sketch type-check against stub headers:"
g++ -std=gnu++17 -Wall -Wextra -Wshadow -Wconversion -Werror -fsyntax-only \
    -I"$tools/arduino_stub" -I"$fw/ashiproto" -I"$fw/hx711_array" \
    -x c++ "$fw/ashisense_rp2040/ashisense_rp2040.ino"
echo "   ok"
