#!/bin/sh
# boot.sh MODE RESULTS - boot the VMM ISO and judge the console. MODE:
#   qemu  : QEMU with BIOS (SeaBIOS), under KVM when usable and always under TCG
#   uefi  : QEMU with OVMF (UEFI firmware)
#   bochs : Bochs, headless, serial to a file
# Each case builds a small ISO whose only menu entry boots the VMM with the case's command line.
set -u
mode=$1 results=$2
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=build/test-$mode
mkdir -p "$out"
vmm=build/x86_64/vmm.elf
fail=0
QEMU_DEV="-display none -serial stdio -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04"

# iso NAME CMDLINE [MODULE_FILE MODULE_CMDLINE]
iso() {
	cfg=$out/$1.cfg
	{
		echo "set timeout=0"
		echo "menuentry \"$1\" {"
		echo "  multiboot2 /boot/vmm.elf $2"
		[ $# -ge 4 ] && echo "  module2 /boot/$(basename "$(dirname "$3")").elf $4"
		# Under BIOS boot in VGA text mode. This must come after multiboot2: because the VMM's
		# header has a framebuffer tag, the multiboot2 command resets gfxpayload to "auto".
		# GRUB 2.06 then picks a VBE mode, and on Bochs that is 640x480x8 (indexed). GRUB sizes
		# the boot information without the palette, writes past the end of it and breaks its
		# own heap, so it crashes in 'boot' (the Bochs triple fault).
		echo '  if [ "$grub_platform" = "pc" ]; then set gfxpayload=text; fi'
		echo "  boot"
		echo "}"
	} > "$cfg"
	if [ $# -ge 4 ]; then tools/mkiso.sh "$out/$1.iso" "$cfg" "$vmm" "$3"
	else tools/mkiso.sh "$out/$1.iso" "$cfg" "$vmm"; fi
}

# run NAME TIMEOUT [runner options...] -- emulator command
run() {
	name=$1 t=$2
	shift 2
	python3 tests/runner.py --name "$name" --timeout "$t" --log "$out/$name.log" --results "$results" "$@" \
		|| fail=1
}

qemu_cases() {
	accel=$1 t=$2
	run "selftest-$accel" "$t" --require-ktap --expect-exit 1 --expect "frames managed" -- \
		qemu-system-x86_64 -accel "$accel" -m 512 $QEMU_DEV -boot d -cdrom "$out/selftest.iso"
	run "bad-option-$accel" "$t" --require-ktap --expect-exit 1 --expect "unknown boot option 'bogus=1'" -- \
		qemu-system-x86_64 -accel "$accel" -m 512 $QEMU_DEV -boot d -cdrom "$out/badopt.iso"
	run "panic-dump-$accel" "$t" --expect-panic --expect "<selftest_crash+" --expect "CR2 ffff900000000000" \
		--expect-exit 3 -- qemu-system-x86_64 -accel "$accel" -m 512 $QEMU_DEV -boot d -cdrom "$out/crash.iso"
	run "module-not-elf-$accel" "$t" --require-ktap --expect-exit 1 --expect "module 0:" \
		--expect "is neither an ELF file nor a Linux bzImage" -- \
		qemu-system-x86_64 -accel "$accel" -m 512 $QEMU_DEV -boot d -cdrom "$out/notelf.iso"
	run "small-memory-$accel" "$t" --require-ktap --expect-exit 1 -- \
		qemu-system-x86_64 -accel "$accel" -m 16 $QEMU_DEV -boot d -cdrom "$out/selftest.iso"
	# Machines other than QEMU's default PC: the Q35 chipset (the guest suite under the VMM), and
	# -nodefaults: with COM1 only and no VGA, then with a VGA and no serial port at all (the VMM
	# says so on the screen and goes on: the exit device's code is the suite's verdict).
	run "q35-vmm-guest-$accel" "$t" --require-ktap --strip-prefix "vm1: " --expect-exit 1 \
		--expect "vm1 off: exit code 0" -- \
		qemu-system-x86_64 -accel "$accel" -machine q35 -m 512 $QEMU_DEV -boot d -cdrom "$out/vmmguest.iso"
	# The VMM's tick: the local APIC by default (apic.c), the PIT when asked; a bad value is said.
	run "timer-apic-$accel" "$t" --require-ktap --strip-prefix "vm1: " --expect-exit 1 \
		--expect "timer 1000 Hz from the local APIC" -- \
		qemu-system-x86_64 -accel "$accel" -m 512 $QEMU_DEV -boot d -cdrom "$out/vmmguest.iso"
	# The machine's ACPI tables (acpi.c): two CPUs in the MADT, one runs the VMM, the other stays
	# parked; the TSC calibrated against the PM timer, or against the PIT when there is no ACPI.
	run "smp2-madt-$accel" "$t" --require-ktap --strip-prefix "vm1: " --expect-exit 1 \
		--expect "the MADT lists 2 CPUs (APIC IDs 0 1); the VMM runs on APIC ID 0, the others stay parked" \
		--expect "calibrated against the ACPI PM timer" -- \
		qemu-system-x86_64 -accel "$accel" -smp 2 -m 512 $QEMU_DEV -boot d -cdrom "$out/vmmguest.iso"
	run "no-acpi-$accel" "$t" --require-ktap --strip-prefix "vm1: " --expect-exit 1 \
		--expect "no ACPI tables: no RSDP" --expect "calibrated against the PIT" -- \
		qemu-system-x86_64 -accel "$accel" -machine pc,acpi=off -m 512 $QEMU_DEV -boot d -cdrom "$out/vmmguest.iso"
	run "timer-pit-$accel" "$t" --require-ktap --strip-prefix "vm1: " --expect-exit 1 \
		--expect "timer 1000 Hz from the PIT (not the local APIC: timer=pit)" -- \
		qemu-system-x86_64 -accel "$accel" -m 512 $QEMU_DEV -boot d -cdrom "$out/vmmguest-pit.iso"
	run "timer-bad-option-$accel" "$t" --require-ktap --strip-prefix "vm1: " --expect-exit 1 \
		--expect "bad value in boot option 'timer=hpet' (apic or pit); using apic" -- \
		qemu-system-x86_64 -accel "$accel" -m 512 $QEMU_DEV -boot d -cdrom "$out/vmmguest-badtimer.iso"
	run "nodefaults-serial-only-$accel" "$t" --require-ktap --strip-prefix "vm1: " --expect-exit 1 \
		--expect "vm1 off: exit code 0" -- \
		qemu-system-x86_64 -accel "$accel" -nodefaults -m 512 $QEMU_DEV -boot d -cdrom "$out/vmmguest.iso"
	run "nodefaults-no-com1-$accel" "$t" --expect-exit 1 -- qemu-system-x86_64 -accel "$accel" -nodefaults \
		-vga std -monitor none -m 512 -display none -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-cdrom "$out/vmmguest.iso"
}

case $mode in
qemu)
	iso selftest "test"
	iso badopt "test bogus=1"
	iso crash "crash"
	mkdir -p "$out/notelf"; echo "this is not an ELF file" > "$out/notelf/kernel.elf"
	iso notelf "test" "$out/notelf/kernel.elf" "notelf"
	iso vmmguest "" build/guest-x86/kernel.elf "guest-x86 test"
	iso vmmguest-pit "timer=pit" build/guest-x86/kernel.elf "guest-x86 test"
	iso vmmguest-badtimer "timer=hpet" build/guest-x86/kernel.elf "guest-x86 test"
	if [ "$(tools/accel.sh)" = kvm ]; then qemu_cases kvm 60
	else echo "skip $mode-kvm - $(tools/accel.sh -v 2>&1 >/dev/null)" | tee -a "$results"; fi
	qemu_cases tcg 120
	;;
uefi)
	iso selftest "test"
	fw=/usr/share/ovmf/OVMF.fd
	[ -f "$fw" ] || fw=/usr/share/OVMF/OVMF_CODE.fd
	accel=$(tools/accel.sh)
	run "selftest-uefi-$accel" 240 --require-ktap --expect-exit 1 --expect "UEFI boot" -- \
		qemu-system-x86_64 -accel "$accel" -m 512 -bios "$fw" $QEMU_DEV -boot d -cdrom "$out/selftest.iso"
	iso vmmguest "" build/guest-x86/kernel.elf "guest-x86 test"
	run "vmm-guest-uefi-$accel" 240 --require-ktap --strip-prefix "vm1: " --expect-exit 1 \
		--expect "vm1 off: exit code 0" -- \
		qemu-system-x86_64 -accel "$accel" -m 512 -bios "$fw" $QEMU_DEV -boot d -cdrom "$out/vmmguest.iso"
	;;
bochs)
	iso selftest "test"
	iso vmmguest "" build/guest-x86/kernel.elf "guest-x86 test"
	cat > "$out/bochsrc" <<EOB
megs: 256
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest
cpu: model=corei7_sandy_bridge_2600k, ips=200000000
ata0-master: type=cdrom, path=$out/selftest.iso, status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev=$out/bochs-serial.txt
display_library: rfb, options="timeout=0"
log: $out/bochs-internal.log
panic: action=fatal
error: action=report
clock: sync=none
EOB
	echo c > "$out/bochs-debugger.rc"   # Debian's bochs has the debugger built in: just continue
	run "selftest-bochs" 600 --require-ktap --serial-file "$out/bochs-serial.txt" --stop-on "vmm: halted" -- \
		bochs -q -f "$out/bochsrc" -rc "$out/bochs-debugger.rc"
	# The guest suite under the VMM on Bochs' CPU model: another implementation of x86 to run on.
	sed "s|selftest.iso|vmmguest.iso|; s|bochs-serial.txt|bochs-guest-serial.txt|" "$out/bochsrc" > "$out/bochsrc-guest"
	run "vmm-guest-bochs" 600 --require-ktap --strip-prefix "vm1: " --serial-file "$out/bochs-guest-serial.txt" \
		--stop-on "vmm: halted" --expect "vm1 off: exit code 0" -- \
		bochs -q -f "$out/bochsrc-guest" -rc "$out/bochs-debugger.rc"
	;;
*)
	echo "boot.sh: unknown mode '$mode' (qemu, uefi or bochs)" >&2
	exit 2
	;;
esac
exit $fail
