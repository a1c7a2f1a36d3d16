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
#   6. under the VMM (tests/test-linux.sh builds GRUB ISOs with the VMM, the bzImage, the initrd and
#      the vmlinux beside it): the same two kernel command lines, each compared test by test with
#      the native verdicts; two Linux VMs at once; Linux beside guest/x86 (its suite compared with
#      guest/x86 natively); images the loader must refuse by name (a protocol older than 2.06, a
#      64-bit kernel, an initrd that does not fit the VM's RAM) next to a good VM.
# Both native runs must pass with the same verdicts; they are saved to build/test-linux/native.ktap
# for the VMM runs. Wall-clock times and the icount figure go to build/test-linux/times.txt.
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

# ---- under the VMM ----
[ -f "$OUT/native.ktap" ] || { echo "not ok linux/vmm - no native verdicts to compare with" | tee -a "$R"; exit 1; }
make -s build/x86_64/vmm.elf build/guest-x86/kernel.elf > "$OUT/build.log" 2>&1 || {
	cat "$OUT/build.log"; echo "not ok linux/vmm-build" | tee -a "$R"; exit 1; }
# Images the loader must refuse: the same bzImage with its boot protocol version set to 2.05, and
# with XLF_KERNEL_64 (a 64-bit kernel) in xloadflags.
python3 - "$L/vmlinuz" "$OUT" <<'PY'
import sys
img = bytearray(open(sys.argv[1], 'rb').read())
old = bytearray(img); old[0x206:0x208] = (0x0205).to_bytes(2, 'little')
open(sys.argv[2] + '/vmlinuz-old', 'wb').write(old)
k64 = bytearray(img); k64[0x236] |= 1
open(sys.argv[2] + '/vmlinuz-64', 'wb').write(k64)
PY
VMM_APPEND="console=ttyS0 quiet cryptomgr.notests noisapnp ${LINUX_APPEND:-}"
# vmm_iso NAME VMM_CMDLINE ENTRY...: ENTRY is "linux WORDS" (bzImage + initrd + vmlinux), "guest WORDS",
# or "file=PATH WORDS" (any file as a kernel module with that command line, then the initrd)
vmm_iso() {
	name=$1 cmd=$2
	shift 2
	{
		echo "set timeout=0"
		echo "menuentry \"$name\" {"
		echo "  multiboot2 /boot/vmm.elf $cmd"
		for e in "$@"; do
			case $e in
			linux*) echo "  module2 /boot/vmlinuz $VMM_APPEND ${e#linux}"
				echo "  module2 /boot/initrd.gz initrd"
				echo "  module2 /boot/vmlinux vmlinux" ;;
			guest*) echo "  module2 /boot/guest-x86.elf guest-x86 ${e#guest }" ;;
			file=*) f=${e%% *}; echo "  module2 /boot/${f#file=} ${e#* }"
				echo "  module2 /boot/initrd.gz initrd" ;;
			esac
		done
		echo "  boot"
		echo "}"
	} > "$OUT/$name.cfg"
	tools/mkiso.sh "$OUT/$name.iso" "$OUT/$name.cfg" build/x86_64/vmm.elf build/guest-x86/kernel.elf \
		vmlinuz=$L/vmlinuz initrd.gz=$L/initrd.gz vmlinux=$L/vmlinux \
		vmlinuz-old=$OUT/vmlinuz-old vmlinuz-64=$OUT/vmlinuz-64 || fail=1
}
vmm_run() {   # vmm_run NAME TIMEOUT MEM [runner options...]
	name=$1 t=$2 mem=$3
	shift 3
	python3 tests/runner.py --name "linux/$name" --timeout "$t" --log "$OUT/$name.log" --results "$R" \
		--times "$OUT/times.txt" "$@" -- qemu-system-x86_64 -accel tcg -m "$mem" -display none -serial stdio \
		-no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 ${VMM_QEMU_X:-} -boot d -cdrom "$OUT/$name.iso" || fail=1
}
same() {      # same NAME VM [REFERENCE]: that VM's KTAP verdicts equal the native ones
	if python3 tests/ktap_of.py "$OUT/$1.log" "$2: " "$OUT/$1-$2.ktap" >/dev/null &&
		diff -u "${3:-$OUT/native.ktap}" "$OUT/$1-$2.ktap" > "$OUT/$1-$2.diff"; then
		echo "ok linux/$1/$2-same-as-native" | tee -a "$R"
	else
		echo "not ok linux/$1/$2-same-as-native - see $OUT/$1-$2.diff" | tee -a "$R"
		fail=1
	fi
}

# The full PC (LAPIC, IO APIC, ACPI): init's poweroff is an ACPI S5 write, the VM is off with 0.
vmm_iso vmm-acpi "mem=256M" "linux"
vmm_run vmm-acpi 900 1024 --expect "vm1: linux-ktap: " --expect "vm1 off: exit code 0" --expect-exit 1
same vmm-acpi vm1
# The default shadow is the traced one: address spaces were found again in its cache. The virtual
# TLB (shadow=vtlb) gives the same verdicts; and three Linux VMs at once, on both kinds of shadow.
if grep -q "vm1 shadow trace: .*(cached [1-9][0-9]*, .*traced writes [1-9]" "$OUT/vmm-acpi.log"; then
	echo "ok linux/vmm-acpi/shadows-cached" | tee -a "$R"
else
	echo "not ok linux/vmm-acpi/shadows-cached - no CR3 write found its address space cached" | tee -a "$R"; fail=1
fi
vmm_iso vmm-vtlb "mem=256M shadow=vtlb" "linux"
vmm_run vmm-vtlb 900 1024 --expect "vm1: linux-ktap: " --expect "vm1 off: exit code 0" --expect-exit 1 \
	--expect "vm1 shadow vtlb: "
same vmm-vtlb vm1
vmm_iso vmm-three-mixed "mem=256M shadow=trace,vtlb,trace" "linux" "linux" "linux"
vmm_run vmm-three-mixed 1500 1280 --expect "vm1 off: exit code 0" --expect "vm2 off: exit code 0" \
	--expect "vm3 off: exit code 0" --expect-exit 1 --expect "vm1 shadow trace: " --expect "vm2 shadow vtlb: "
for v in vm1 vm2 vm3; do same vmm-three-mixed $v; done
# On the newest CPU QEMU has (-cpu max): Linux turns on SMEP, SMAP (stac/clac in every user copy),
# UMIP and XSAVE with AVX, MPX and PKRU components (xsetbv); under the VMM they must work as they do
# natively (xfeat.c).
vmm_iso vmm-cpumax "mem=256M" "linux"
VMM_QEMU_X="-cpu max"
vmm_run vmm-cpumax 900 1024 --expect "vm1: linux-ktap: " --expect "vm1 off: exit code 0" --expect-exit 1
VMM_QEMU_X=
same vmm-cpumax vm1
# ... and it did turn them on: the VMM's last word on the VM's CR4 and XCR0.
if python3 - "$OUT/vmm-cpumax.log" <<'PY'
import re, sys
m = re.search(r'vm1 control registers at the end: CR0 \w+ CR4 (\w+) XCR0 (\w+)', open(sys.argv[1], errors='replace').read())
cr4, xcr0 = (int(m.group(1), 16), int(m.group(2), 16)) if m else (0, 0)
want = {'UMIP': 11, 'OSXSAVE': 18, 'SMEP': 20, 'SMAP': 21}
miss = [n for n, b in want.items() if not cr4 >> b & 1] + ([] if xcr0 & 7 == 7 else ['XCR0 AVX'])
print('linux/vmm-cpumax: CR4 %x XCR0 %x' % (cr4, xcr0) + (', missing ' + ' '.join(miss) if miss else ''))
sys.exit(1 if miss else 0)
PY
then echo "ok linux/vmm-cpumax/cr4-features-on" | tee -a "$R"
else echo "not ok linux/vmm-cpumax/cr4-features-on - Linux did not turn on SMEP, SMAP, UMIP, OSXSAVE and AVX" | tee -a "$R"; fail=1
fi
# Instructions to init under the VMM: the same icount run as natively (ktap.off: init powers off after
# its first line). Here the TSC the guest reads is the machine's: every instruction since reset,
# firmware, GRUB, the VMM and the guest alike.
vmm_iso vmm-icount "mem=256M" "linux ktap.off"
VMM_QEMU_X="-icount shift=0,sleep=off"
vmm_run vmm-icount 900 1024 --expect "vm1: linux-init: uptime" --expect "vm1 off: exit code 0" --expect-exit 1
VMM_QEMU_X=
set -- $(grep -m 1 'vm1: linux-init: uptime' "$OUT/vmm-icount.log" | tr -d '\r')   # vm1: linux-init: uptime U idle I tsc T
if [ $# -ge 8 ]; then
	python3 -c '
import sys
up, idle, tsc = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
# No idle subtracted: the VMM idles only when every guest is in hlt, which the Linux boot does
# not do under -icount (hlt exits 0); the "idle" Linux counts here is virtual time it did not get,
# the VMM working for it (mostly rescanning pages the alternatives rewrite).
print("linux/vmm-icount-to-init: TSC %s ns since reset = about %.3g instructions from reset to init, "
      "firmware, GRUB, VMM and guest together (guest uptime %.2f s, of it %.2f s Linux counts idle)"
      % (tsc, int(tsc) if tsc.isdigit() else float("nan"), up, idle))
' "$4" "$6" "$8" >> "$OUT/times.txt"
fi
grep -m 1 'vm1 exits:' "$OUT/vmm-icount.log" | tr -d '\r' | sed 's/^.*vm1 exits/linux\/vmm-icount: exits to init/' >> "$OUT/times.txt"
# 8259 + PIT + UART + CMOS only: poweroff halts with interrupts off, which stops the VM; the runner
# stops at the last KTAP line.
vmm_iso vmm-noacpi "mem=256M" "linux nolapic noapic acpi=off"
vmm_run vmm-noacpi 900 1024 --stop-on "vm1: linux-ktap: "
same vmm-noacpi vm1
# Two Linux VMs at once, and Linux beside guest/x86 (whose verdicts must equal its native run's).
vmm_iso vmm-two "mem=256M" "linux" "linux"
vmm_run vmm-two 1200 1024 --expect "vm1 off: exit code 0" --expect "vm2 off: exit code 0" --expect-exit 1
same vmm-two vm1
same vmm-two vm2
python3 tests/ktap_of.py build/test-native/serial-tcg.log "" "$OUT/guest-x86-native.ktap" >/dev/null 2>&1 ||
	{ tests/test-native.sh tcg > /dev/null 2>&1; python3 tests/ktap_of.py build/test-native/serial-tcg.log "" "$OUT/guest-x86-native.ktap" >/dev/null; }
vmm_iso vmm-beside "mem=256M" "linux" "guest test"
vmm_run vmm-beside 900 1024 --expect "vm1 off: exit code 0" --expect "vm2 off: exit code 0" --expect-exit 1
same vmm-beside vm1
same vmm-beside vm2 "$OUT/guest-x86-native.ktap"
# Refused by name, the good VM runs: an old protocol, a 64-bit kernel, an initrd too big for 34 MiB.
vmm_iso vmm-refused "mem=34M" "guest test" "file=vmlinuz-old console=ttyS0" "file=vmlinuz-64 console=ttyS0" "linux"
vmm_run vmm-refused 300 512 --expect-exit 3 --expect "vm1 off: exit code 0" \
	--expect "vm2: not started: module 1 'console=ttyS0': Linux boot protocol older than 2.06" \
	--expect "vm3: not started: module 3 'console=ttyS0': a 64-bit kernel" \
	--expect "vm4: not started: module 5" --expect "the initrd does not fit the VM's RAM"

sed 's/^/# /' "$OUT/times.txt"
exit $fail
