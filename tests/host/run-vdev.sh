#!/bin/sh
# run-vdev.sh RESULTS - build the virtual PC devices (arch/x86_64/vpic, vpit, vuart, vio) for the
# host with sanitizers and run their KTAP tests (tests/host/test_vdev.c). Called by run.sh.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
results=$1
out=build/host
mkdir -p "$out"
CC="${HOSTCC:-gcc} -std=c11 -O1 -g -Wall -Wextra -Werror -fno-builtin -fsanitize=address,undefined -fno-sanitize-recover=all"
if ! $CC -o "$out/test_vdev" tests/host/test_vdev.c arch/x86_64/vpic.c arch/x86_64/vpit.c \
	arch/x86_64/vuart.c arch/x86_64/vio.c lib/kstring.c 2>"$out/vdev.build.log"; then
	cat "$out/vdev.build.log"
	echo "not ok host-vdev - does not build" >> "$results"
	exit 1
fi
python3 tests/runner.py --name host-vdev --timeout 60 --log "$out/vdev.log" --results "$results" \
	--require-ktap --expect-exit 0 -- "$out/test_vdev"
