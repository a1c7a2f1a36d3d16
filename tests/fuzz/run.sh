#!/bin/sh
# run.sh [SEEDS...] - the fuzz guest (tests/fuzz) under the VMM, next to a good guest-x86 VM.
# For each seed: vm1 = fuzz (seed=N count=$ROUNDS), vm2 = guest-x86 test, vms=2 mem=64M. The run
# lasts until vm2 (the good guest) has finished its suite, and fails on a VMM PANIC, a timeout, or
# vm2 not ending with "vm2 off: exit code 0" and all-ok KTAP: whatever random code does in vm1, the
# VMM and the other VM must go on. What became of vm1 (finished, stopped with a reason, or still
# running, with its last progress line) is reported, not judged here: a round that makes the VMM
# stop the VM (a double fault, ...) ends it; whether its rounds match native is fuzzdiff.py's job
# (make test-fuzz, the first part of make fuzz).
# Results: build/results/fuzz-beside.txt. ROUNDS, ACCEL, TIMEOUT and JOBS may be set in the environment.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
ACCEL=${ACCEL:-tcg}
ROUNDS=${ROUNDS:-2000}
TIMEOUT=${TIMEOUT:-240}
JOBS=${JOBS:-2}
OUT=build/fuzz-beside
R=build/results/fuzz-beside.txt
mkdir -p "$OUT" build/results
[ $# -gt 0 ] && SEEDS="$*" || SEEDS="1 2 3 4 5 6 7 8"
make --no-print-directory build/x86_64/vmm.elf build/guest-x86/kernel.elf >/dev/null || exit 1
tests/fuzz/build.sh "$OUT" || exit 1
: > "$R"

one() {   # one SEED: build its ISO, boot it, judge it
	s=$1 d=$OUT/seed$1
	mkdir -p "$d" && rm -f "$d/runner.txt"
	cat > "$d/grub.cfg" <<CFG
set timeout=0
menuentry "fuzz seed $s" {
  multiboot2 /boot/vmm.elf vms=2 mem=64M
  module2 /boot/fuzz.elf fuzz seed=$s count=$ROUNDS
  module2 /boot/guest-x86.elf guest-x86 test
  boot
}
CFG
	mkdir -p "$d/fuzz" && cp "$OUT/kernel.elf" "$d/fuzz/kernel.elf"   # -> /boot/fuzz.elf
	tools/mkiso.sh "$d/fuzz.iso" "$d/grub.cfg" build/x86_64/vmm.elf "$d/fuzz/kernel.elf" build/guest-x86/kernel.elf \
		>/dev/null 2>&1 || { echo "not ok fuzz/seed$s - ISO build failed" > "$d/result"; return; }
	python3 tests/runner.py --name "fuzz/seed$s" --timeout "$TIMEOUT" --log "$d/serial.log" \
		--results "$d/runner.txt" --expect "vm2 off: exit code 0" --stop-on "vm2 off:" -- qemu-system-x86_64 -accel "$ACCEL" \
		-m 512 -display none -serial stdio -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-cdrom "$d/fuzz.iso" >/dev/null 2>&1
	why=""
	grep -q "PANIC" "$d/serial.log" && why="VMM panic: $(grep -m1 PANIC "$d/serial.log")"
	[ -z "$why" ] && ! grep -q "^ok " "$d/runner.txt" && why="$(grep -m1 '^not ok' "$d/runner.txt" | sed 's/^not ok [^ ]* - //')"
	python3 tests/ktap_of.py "$d/serial.log" "vm2: " "$d/vm2.ktap" >/dev/null || why="${why:+$why; }vm2's suite did not pass"
	grep -q "vm2: stopped" "$d/serial.log" && why="${why:+$why; }the good VM was stopped"
	stop=$(grep -m1 -o "vm1: stopped: .*" "$d/serial.log" | tr -d '\r')
	last=$(grep -a "vm1: fuzz: " "$d/serial.log" | tail -1 | sed 's/.*fuzz: //' | cut -c1-60 | tr -d '\r')
	fate=""
	if [ -z "$why" ]; then
		grep -q "vm1 off:" "$d/serial.log" && fate="vm1 finished"
		[ -n "$stop" ] && fate=$stop
		echo "ok fuzz/seed$s # ${fate:-vm1 still running}; last: $last" > "$d/result"
	else
		echo "not ok fuzz/seed$s - $why; last: $last" > "$d/result"
	fi
}

t0=$(date +%s)
running=0
for s in $SEEDS; do
	one "$s" &
	running=$((running + 1))
	if [ "$running" -ge "$JOBS" ]; then wait; running=0; fi
done
wait
fail=0
for s in $SEEDS; do
	cat "$OUT/seed$s/result" | tee -a "$R"
	grep -q "^not ok" "$OUT/seed$s/result" && fail=1
done
echo "# fuzz beside a good VM: $(echo $SEEDS | wc -w) seeds, $ROUNDS rounds each, $(( $(date +%s) - t0 )) s" | tee -a "$R"
exit $fail
