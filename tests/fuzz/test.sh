#!/bin/sh
# test.sh RESULTS [SEED:START:COUNT...] - make test's fuzz layer: the pinned rounds (pins.txt, each
# run alone natively and under the VMM, judged as the file says), then the differential run of
# 10^4 rounds (seed 1, rounds 0-9999, and seed 3's rounds 480-539, whose range run once let the
# guest kernel reach the real UART and PIC -- a real IOPL from QEMU's garbage fault flags, see
# trapentry.asm -- unless ranges are given) with tests/fuzz/fuzzdiff.py, which
# passes with at most OPEN unexplained differences: the ones still open when this was written
# (docs/NOTES.md "Differential fuzzing"; the runs are exactly repeatable under -icount, so one
# more is a new difference). Every unexplained round is listed in build/fuzz/diff.txt.
# Appends "ok"/"not ok" lines to RESULTS. Needs build/x86_64/vmm.elf (the Makefile builds it).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
R=$1
shift
RANGES=${*:-1:0:10000 3:480:60}
OPEN=${OPEN:-0}     # stop 15: 159 -> 79; stop 16: 79 -> 1; stop 17: 0; stop 19: 1 (1:3077); stop 20: 0 (1:3077 is QEMU's setcc fault flags)
B=build/fuzz
mkdir -p "$B" "$(dirname "$R")"
: > "$R"
if ! tests/fuzz/build.sh "$B" > "$B/build.log" 2>&1; then
	echo "not ok fuzz/build - tests/fuzz/build.sh failed (see $B/build.log)" >> "$R"
	exit 1
fi
rm -rf "$B"/iso-*
t0=$(date +%s)
python3 tests/fuzz/pins.py --build "$B" --results "$R" tests/fuzz/pins.txt ||
	echo "not ok fuzz-pins - pins.py exited with status $? (a crash leaves pins unjudged: see its output)" >> "$R"
t1=$(date +%s)
# shellcheck disable=SC2086
python3 tests/fuzz/fuzzdiff.py --build "$B" --results "$R" --name fuzz-diff --detail 3000 --max-faults "$OPEN" --all --log "$B/diff.log" $RANGES \
	| tee "$B/diff.txt"
t2=$(date +%s)
echo "# fuzz: pins $((t1 - t0)) s, differential run $((t2 - t1)) s" | tee -a "$R"
! grep -q '^not ok' "$R"
