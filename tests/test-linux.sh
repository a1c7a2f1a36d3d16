#!/bin/sh
# test-linux.sh RESULTS - the Linux guest natively in QEMU (TCG, its own -kernel loader): the oracle
# for the same initramfs under the VMM.
#   1. tools/linux-fetch.sh build/linux (Debian's i386 kernel and busybox; as root on Debian it
#      adds the i386 architecture; elsewhere it names what is missing: one `not ok` line)
#   2. make linux-guest: build/linux/initrd.gz (tools/mkinitramfs.py: busybox, guest/linux/init and
#      bin/rdtsc from guest/linux/rdtsc.asm)
#   3. native-acpi: no special options; init's `poweroff -f` powers off through ACPI and QEMU exits
#   4. native-noacpi: nolapic noapic acpi=off; poweroff only halts, so the runner ends QEMU once
#      the last KTAP line (`linux-ktap: ...`) is on the console
#   5. icount-to-init: -icount shift=0,sleep=off up to init's first line (its TSC and /proc/uptime)
# Both native runs must pass with the same verdicts; they are saved to build/test-linux/native.ktap
# for the VMM run. Wall-clock times and the icount figure go to build/test-linux/times.txt.
# Extra kernel command line words: LINUX_APPEND (e.g. ktap.quick).
set -u
R=${1:?usage: test-linux.sh RESULTS}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
L=build/linux
OUT=build/test-linux
mkdir -p "$OUT" "$(dirname "$R")"
: > "$OUT/times.txt"
fail=0

if ! tools/linux-fetch.sh "$L" > "$OUT/fetch.log" 2>&1; then
	cat "$OUT/fetch.log"
	why=$(sed -n 's/^linux-fetch: error: //p' "$OUT/fetch.log" | head -n 1)
	echo "not ok linux/fetch - missing $L/vmlinuz and $L/busybox (${why:-see $OUT/fetch.log}): Debian i386 packages linux-image-686:i386 (its linux-image-6.1.0-N-686:i386) and busybox-static:i386" | tee -a "$R"
	exit 1
fi
make -s linux-guest > "$OUT/initramfs.log" 2>&1 || {
	cat "$OUT/initramfs.log"; echo "not ok linux/initramfs - make linux-guest failed" | tee -a "$R"; exit 1; }

# quiet: few kernel lines on the console; panic=-1: a dead init reboots, which ends QEMU (-no-reboot);
# cryptomgr.notests noisapnp: skip the crypto self-tests and the ISA PnP probe, about 4e9 of the
# 7e9 instructions up to init (measured with initcall_debug under -icount).
APPEND="console=ttyS0 quiet panic=-1 cryptomgr.notests noisapnp ${LINUX_APPEND:-}"
QEMU="qemu-system-x86_64 -accel tcg -m 256 -display none -serial stdio -no-reboot
	-kernel $L/vmlinuz -initrd $L/initrd.gz"

# run NAME EXTRA_APPEND [runner options...]: QEMU with the kernel command line "APPEND EXTRA_APPEND"
run() {
	name=$1 extra=$2
	shift 2
	python3 tests/runner.py --name "linux/$name" --timeout 400 --log "$OUT/$name.log" --results "$R" \
		--times "$OUT/times.txt" --require-ktap --expect "linux-ktap: " "$@" -- $QEMU -append "$APPEND $extra" || fail=1
	grep -m 1 '^linux-init: uptime' "$OUT/$name.log" | tr -d '\r' | sed "s/^/linux\/$name: /" >> "$OUT/times.txt"
}

run native-acpi "" --expect-exit 0
run native-noacpi "nolapic noapic acpi=off" --stop-on "linux-ktap: "

if python3 tests/ktap_of.py "$OUT/native-acpi.log" "" "$OUT/native-acpi.ktap" >/dev/null &&
	python3 tests/ktap_of.py "$OUT/native-noacpi.log" "" "$OUT/native-noacpi.ktap" >/dev/null &&
	cmp -s "$OUT/native-acpi.ktap" "$OUT/native-noacpi.ktap"; then
	cp "$OUT/native-acpi.ktap" "$OUT/native.ktap"
	echo "ok linux/native-verdicts-agree" | tee -a "$R"
else
	rm -f "$OUT/native.ktap"
	echo "not ok linux/native-verdicts-agree - the native runs do not both pass with the same verdicts ($OUT/native-*.ktap)" | tee -a "$R"
	fail=1
fi

# Instructions to init: boot under -icount shift=0,sleep=off; with ktap.off init powers off after
# its first line.
# shift=0: each instruction advances the virtual clock by 1 ns; sleep=off: an idle (hlt) CPU jumps
# the clock to the next timer instead of waiting, so idle time is clock time without instructions.
# The guest's TSC is that virtual clock since reset (firmware, decompressor, kernel, up to init).
python3 tests/runner.py --name linux/icount-to-init --timeout 400 --log "$OUT/icount.log" --results "$R" \
	--times "$OUT/times.txt" --expect "linux-init: uptime" --expect-exit 0 -- \
	$QEMU -icount shift=0,sleep=off -append "$APPEND ktap.off" || fail=1
set -- $(grep -m 1 '^linux-init: uptime' "$OUT/icount.log" | tr -d '\r')   # linux-init: uptime U idle I tsc T
if [ $# -ge 7 ]; then
	python3 -c '
import sys
up, idle, tsc = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
insn = int(tsc) - idle * 1e9 if tsc.isdigit() else float("nan")
print("linux/icount-to-init: TSC %s ns of virtual time since reset, uptime %.2f s, idle %.2f s: "
      "about %.3g instructions from reset to init (TSC - idle), %.3g of them after the kernel "
      "clock started (uptime - idle)" % (tsc, up, idle, insn, (up - idle) * 1e9))
' "$3" "$5" "$7" >> "$OUT/times.txt"
fi
sed 's/^/# /' "$OUT/times.txt"
exit $fail
