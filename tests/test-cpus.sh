#!/bin/sh
# test-cpus.sh RESULTS [MODEL...] - the guest/x86 suite on a matrix of QEMU CPU models (TCG), natively
# and under the VMM (one VM, the default traced shadow), verdict for verdict: the native run on the
# same model is the reference (the suite's CPU feature tests skip where a model lacks the feature,
# on both sides alike). Old and new, Intel and AMD: what a VMM in long mode meets on real boxes
# (LAHF/SAHF absent in 64-bit mode on the first AMD64/EM64T parts, NX absent, SYSENTER #UD in
# compatibility mode on AMD, no XSAVE, SMEP/SMAP/UMIP present). `make test` runs a few models
# (CPUS in the Makefile), `make test-cpus` all of them and, with BOCHS=1 (make test-cpus sets it),
# the suite under the VMM on Bochs' CPU models too (Bochs is another x86 implementation; its first
# AMD64 model, like QEMU's Opteron_G1, has no LAHF in 64-bit mode), and with NXCHECK=1 (set by both
# targets) that a Linux VM is refused on a CPU without NX. Results: RESULTS.
set -u
R=$1
shift
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
OUT=build/test-cpus
G=build/guest-x86/kernel.elf
mkdir -p "$OUT"
: > "$R"
[ $# -gt 0 ] && MODELS="$*" || MODELS="qemu64 qemu64,-nx kvm64 core2duo Conroe Penryn Nehalem Westmere SandyBridge Haswell-noTSX Skylake-Client Icelake-Server Opteron_G1 Opteron_G2 Opteron_G3 phenom EPYC max"

# (gfxpayload=text: GRUB 2.06 crashes on Bochs' 8-bit VBE mode otherwise, see tests/boot.sh)
cat > "$OUT/one.cfg" <<CFG
set timeout=0
menuentry "cpus" {
  multiboot2 /boot/vmm.elf mem=128M
  module2 /boot/guest-x86.elf guest-x86 test
  if [ "\$grub_platform" = "pc" ]; then set gfxpayload=text; fi
  boot
}
CFG
tools/mkiso.sh "$OUT/one.iso" "$OUT/one.cfg" build/x86_64/vmm.elf "$G" >/dev/null 2>&1 || {
	echo "not ok cpus/iso - the ISO could not be built" | tee -a "$R"; exit 1; }

QEMU="qemu-system-x86_64 -accel tcg -display none -serial stdio -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04"
fail=0
for m in $MODELS; do
	n=$(echo "$m" | tr ',+' '__')
	python3 tests/runner.py --name "cpus/$m/native" --timeout 180 --log "$OUT/$n-native.log" --results "$R" \
		--require-ktap --expect-exit 1 -- $QEMU -cpu "$m" -m 128 -kernel "$G" -append "test" || fail=1
	python3 tests/runner.py --name "cpus/$m/vmm" --timeout 300 --log "$OUT/$n-vmm.log" --results "$R" \
		--strip-prefix "vm1: " --require-ktap --expect-exit 1 -- $QEMU -cpu "$m" -m 512 -boot d -cdrom "$OUT/one.iso" || fail=1
	if python3 tests/ktap_of.py "$OUT/$n-native.log" "" "$OUT/$n-native.ktap" >/dev/null &&
	   python3 tests/ktap_of.py "$OUT/$n-vmm.log" "vm1: " "$OUT/$n-vmm.ktap" >/dev/null &&
	   diff -u "$OUT/$n-native.ktap" "$OUT/$n-vmm.ktap" > "$OUT/$n.diff"; then
		echo "ok cpus/$m/same-as-native" | tee -a "$R"
	else
		echo "not ok cpus/$m/same-as-native - see $OUT/$n.diff" | tee -a "$R"
		fail=1
	fi
done

# Without NX a Linux VM is refused with its reason (the VMM could not catch its new code running:
# README, "CPU differences"), and a guest-x86 VM beside it still passes. Needs `make linux-guest`.
L=build/linux
if [ "${NXCHECK:-0}" = 1 ] && [ -f $L/vmlinuz ] && [ -f $L/initrd.gz ]; then
	cat > "$OUT/nonx.cfg" <<CFG
set timeout=0
menuentry "nonx" {
  multiboot2 /boot/vmm.elf vms=2 mem=128M
  module2 /boot/vmlinuz console=ttyS0 quiet
  module2 /boot/initrd.gz initrd
  module2 /boot/guest-x86.elf guest-x86 test
  if [ "\$grub_platform" = "pc" ]; then set gfxpayload=text; fi
  boot
}
CFG
	tools/mkiso.sh "$OUT/nonx.iso" "$OUT/nonx.cfg" build/x86_64/vmm.elf "$G" vmlinuz=$L/vmlinuz \
		initrd.gz=$L/initrd.gz >/dev/null 2>&1 || fail=1
	python3 tests/runner.py --name "cpus/qemu64,-nx/linux-refused" --timeout 300 --log "$OUT/nonx.log" --results "$R" \
		--expect "vm1: not started: module 0 'console=ttyS0 quiet': a Linux kernel needs NX" \
		--expect "vm2 off: exit code 0" --expect-exit 3 -- $QEMU -cpu qemu64,-nx -m 512 -boot d -cdrom "$OUT/nonx.iso" || fail=1
elif [ "${NXCHECK:-0}" = 1 ]; then
	echo "skip cpus/qemu64,-nx/linux-refused - no Linux guest (make linux-guest)" | tee -a "$R"
fi

# Bochs: the VMM with the suite must end with the guest's exit code 0 and no failed test (there is
# no native Bochs reference: the multiboot guest needs GRUB's multiboot1 loader there, which the VMM's
# ISO does not have; test-bochs already runs it on the Sandy Bridge model).
if [ "${BOCHS:-0}" = 1 ]; then
	for m in ${BOCHS_MODELS:-athlon64_clawhammer p4_prescott_celeron_336 ryzen corei7_icelake_u}; do
		cat > "$OUT/bochsrc-$m" <<EOB
megs: 256
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest
cpu: model=$m, ips=200000000
ata0-master: type=cdrom, path=$OUT/one.iso, status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev=$OUT/bochs-$m-serial.txt
display_library: rfb, options="timeout=0"
log: $OUT/bochs-$m-internal.log
panic: action=fatal
error: action=report
clock: sync=none
EOB
		echo c > "$OUT/bochs-debugger.rc"
		rm -f "$OUT/bochs-$m-serial.txt"
		python3 tests/runner.py --name "cpus/bochs-$m/vmm" --timeout 900 --log "$OUT/bochs-$m.log" --results "$R" \
			--require-ktap --strip-prefix "vm1: " --serial-file "$OUT/bochs-$m-serial.txt" \
			--stop-on "vmm: halted" --expect "vm1 off: exit code 0" -- \
			bochs -q -f "$OUT/bochsrc-$m" -rc "$OUT/bochs-debugger.rc" || fail=1
	done
fi
exit $fail
