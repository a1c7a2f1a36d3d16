#!/bin/sh
# test-native.sh ACCEL - boot the x86 guest OS natively (no VMM) from a GRUB ISO in QEMU and run
# its KTAP test suite. ACCEL is kvm or tcg. Results: build/results/native.txt,
# KTAP: build/test-native/ktap-ACCEL.txt. Exit status 0 when the suite passed.
set -eu
ACCEL=${1:-tcg}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/build/test-native
ISO=$OUT/guest-x86-test.iso
mkdir -p "$OUT/iso/boot/grub" "$ROOT/build/results"

make -s -C "$ROOT/guest/x86" BUILD="$ROOT/build/guest-x86"
cp "$ROOT/build/guest-x86/kernel.elf" "$OUT/iso/boot/guest-x86.elf"
cat > "$OUT/iso/boot/grub/grub.cfg" <<'CFG'
set timeout=0
set default=0
menuentry "guest-x86 native test" {
	multiboot /boot/guest-x86.elf test
	boot
}
CFG
grub-mkrescue -o "$ISO" "$OUT/iso" >"$OUT/grub-mkrescue.log" 2>&1 ||
	{ cat "$OUT/grub-mkrescue.log"; exit 1; }

QEMU="qemu-system-x86_64 -accel $ACCEL -m 128 -display none -serial stdio -no-reboot
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 -cdrom $ISO"
# isa-debug-exit: value 0 (all passed) makes QEMU exit with status 1
exec python3 "$ROOT/tests/runner.py" --name "native-$ACCEL" --timeout 120 \
	--log "$OUT/serial-$ACCEL.log" --results "$ROOT/build/results/native.txt" \
	--require-ktap --expect-exit 1 -- $QEMU
