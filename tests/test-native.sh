#!/bin/sh
# test-native.sh ACCEL - boot the x86 guest OS natively (no VMM) from a GRUB ISO in QEMU and run
# its KTAP test suite. ACCEL is kvm or tcg. Runs:
#   native-ACCEL           `test`: the suite as every other layer runs it (no disks attached)
#   native-dev-ACCEL       `test devtest`: plus the device tests, with the test disks attached
#   native-dev-apic-ACCEL  `test devtest apic`: the same on the local APIC timer and the IO APIC
#   native-acpioff-ACCEL   `test acpioff`: the suite, then ACPI S5 must end QEMU (exit status 0)
# The device runs attach fresh copies of the test disks (the tests write to them) as hda, hdb and
# hdd; the GRUB ISO is the CD-ROM at hdc, as the device tests expect.
# Results: build/results/native.txt; serial logs: build/test-native/serial-*ACCEL.log.
# Exit status 0 when every run passed.
set -eu
ACCEL=${1:-tcg}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/build/test-native
DISKS=$ROOT/build/guest-x86/disks
mkdir -p "$OUT/iso/boot/grub" "$ROOT/build/results"

make -s -C "$ROOT/guest/x86" BUILD="$ROOT/build/guest-x86"
cp "$ROOT/build/guest-x86/kernel.elf" "$OUT/iso/boot/guest-x86.elf"

# iso NAME CMDLINE: build/test-native/guest-x86-NAME.iso booting the guest with CMDLINE
iso() {
	cat > "$OUT/iso/boot/grub/grub.cfg" <<CFG
set timeout=0
set default=0
menuentry "guest-x86 native $2" {
	multiboot /boot/guest-x86.elf $2
	boot
}
CFG
	grub-mkrescue -o "$OUT/guest-x86-$1.iso" "$OUT/iso" >"$OUT/grub-mkrescue.log" 2>&1 ||
		{ cat "$OUT/grub-mkrescue.log"; exit 1; }
}

QEMU="qemu-system-x86_64 -accel $ACCEL -m 128 -display none -serial stdio -no-reboot
	-device isa-debug-exit,iobase=0xf4,iosize=0x04"
fail=0

# run NAME LOG ISO EXIT [extra QEMU options...]; EXPECT=TEXT: the console must show TEXT
run() {
	name=$1 log=$2 img=$3 code=$4
	shift 4
	# isa-debug-exit: value 0 (all passed) makes QEMU exit with status 1
	python3 "$ROOT/tests/runner.py" --name "$name" --timeout 120 --log "$OUT/$log" \
		--results "$ROOT/build/results/native.txt" --require-ktap --expect-exit "$code" \
		${EXPECT:+--expect "$EXPECT"} -- $QEMU "$@" -boot d -cdrom "$OUT/guest-x86-$img.iso" || fail=1
}

# disks RUN: fresh copies of the test disk templates, as QEMU options
disks() {
	d=$OUT/disks-$1
	mkdir -p "$d"
	for s in hda hdb hdd; do cp "$DISKS/$s.img" "$d/$s.img"; done
	echo "-drive file=$d/hda.img,if=ide,index=0,format=raw" \
		"-drive file=$d/hdb.img,if=ide,index=1,format=raw" \
		"-drive file=$d/hdd.img,if=ide,index=3,format=raw"
}

iso test "test"
run "native-$ACCEL" "serial-$ACCEL.log" test 1

iso dev "test devtest"
run "native-dev-$ACCEL" "serial-dev-$ACCEL.log" dev 1 $(disks dev)

iso dev-apic "test devtest apic"
run "native-dev-apic-$ACCEL" "serial-dev-apic-$ACCEL.log" dev-apic 1 $(disks dev-apic)

iso acpioff "test acpioff"
EXPECT="acpioff: entering S5" run "native-acpioff-$ACCEL" "serial-acpioff-$ACCEL.log" acpioff 0

exit $fail
