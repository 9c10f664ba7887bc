#!/usr/bin/env bash
# Portability check of the firmware C code beyond the test suite: the test harness gives the
# same output on a big-endian CPU (PowerPC under qemu) as on this host, for the fixed
# vectors and for 500 random SAMPLEs. Needs cross tools; on Debian:
#   apt-get install gcc-powerpc-linux-gnu qemu-user gcc
# (The Cortex-M0+ build of the whole firmware, sketch included, is part of the test suite:
# tests/test_firmware_cortex_m0.py; the host runs of the C code are tests/test_c_*.py.)
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
need powerpc-linux-gnu-gcc gcc-powerpc-linux-gnu
need qemu-ppc qemu-user
need gcc gcc

harness=("$fw/ashiproto/ashiproto.c" "$fw/hx711_array/hx711_array.c" "$fw/handset/handset.c"
    "$fw/ashiproto/test_vectors_main.c")
strict=(-std=c99 -Wall -Wextra -Wpedantic -Wconversion -Werror)

echo "Harness output on big-endian PowerPC vs this host:"
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
echo "identical: $(wc -l <"$tmp/host.txt") lines"
