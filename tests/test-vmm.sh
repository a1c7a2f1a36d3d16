#!/bin/sh
# test-vmm.sh ACCEL RESULTS - the guest/x86 suite under the VMM, compared with its native results:
#   one VM (again with the fast paths off: fast=off; one-vtlb with the C fast paths only: fast=c);
#   three VMs at once; trace=syscall,trap shows the four steps of Figure B.3;
#   hostile guests (triple fault, hlt with interrupts off, v8086) next to a good VM: each hostile VM
#   is stopped with a one-line reason, the good one still passes; far jumps to L=1 code segments
#   (32-bit or 16-bit code on the VM's 32-bit CPU, never 64-bit code); a
#   self-modifying guest; the device-memory and segment suites (also run natively); three VMs that
#   together want more memory than the machine has; four that overcommit it twice over (sharing,
#   balloons, compressed paging) and must still pass; the PC platform's device suite with disks;
#   VMs made of several modules (initrd, disk=): each bad configuration is refused with its one-line
#   reason while good VMs (one of them checking its initrd and BIOS tables) run next to it.
# Every VM's KTAP verdicts must equal the native run's, test by test (tests/ktap_of.py).
set -u
ACCEL=$1 R=$2
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
OUT=build/test-vmm
mkdir -p "$OUT" build/hostile
fail=0
G=build/guest-x86/kernel.elf
H=build/hostile/kernel.elf
nasm -I tests/hostile/ -f elf32 tests/hostile/hostile.asm -o build/hostile/hostile.o &&
	ld -m elf_i386 -T tests/hostile/hostile.ld -o "$H" build/hostile/hostile.o || exit 1

# The native verdicts to compare with (test-native.sh writes the log).
NATIVE_LOG=build/test-native/serial-$ACCEL.log
[ -f "$NATIVE_LOG" ] || tests/test-native.sh "$ACCEL" >/dev/null 2>&1
python3 tests/ktap_of.py "$NATIVE_LOG" "" "$OUT/native.ktap" || {
	echo "not ok vmm-$ACCEL/native-reference - the native run did not pass" | tee -a "$R"; exit 1; }

# Data modules for the configuration cases: $OUT/mod-NAME/kernel.elf is /boot/mod-NAME.elf on the ISO.
mod() {   # mod NAME: file content on stdin
	mkdir -p "$OUT/mod-$1" && cat > "$OUT/mod-$1/kernel.elf"
}
head -c 512 /dev/zero | mod disk512
head -c 1536 /dev/zero | mod disk1536
head -c 1000 /dev/zero | mod disk1000
printf 'vmm initrd payload\n' | mod initrd          # what `hostile bootinfo` expects its initrd to hold
head -c 4194304 /dev/zero | mod initrd4m

# iso NAME VMM_CMDLINE MODULE_CMDLINE... (modules: guest-x86 unless the cmdline starts with hostile;
# "@NAME words" is the data module mod-NAME with command line "words")
iso() {
	name=$1 cmd=$2
	shift 2
	{
		echo "set timeout=0"
		echo "menuentry \"$name\" {"
		echo "  multiboot2 /boot/vmm.elf $cmd"
		for m in "$@"; do
			case $m in
			hostile*) echo "  module2 /boot/hostile.elf $m" ;;
			@*) f=${m%% *}; echo "  module2 /boot/mod-${f#@}.elf ${m#* }" ;;
			*) echo "  module2 /boot/guest-x86.elf $m" ;;
			esac
		done
		echo "  boot"
		echo "}"
	} > "$OUT/$name.cfg"
	# the data modules this ISO names, once each
	data=$(sed -n 's|^  module2 /boot/\(mod-[^.]*\)\.elf.*|'"$OUT"'/\1/kernel.elf|p' "$OUT/$name.cfg" | sort -u)
	tools/mkiso.sh "$OUT/$name.iso" "$OUT/$name.cfg" build/x86_64/vmm.elf "$G" "$H" $data
}

run() {   # run NAME TIMEOUT MEM [runner options...]
	name=$1 t=$2 mem=$3
	shift 3
	python3 tests/runner.py --name "vmm-$ACCEL/$name" --timeout "$t" --log "$OUT/$name-$ACCEL.log" \
		--results "$R" "$@" -- qemu-system-x86_64 -accel "$ACCEL" -m "$mem" -display none -serial stdio \
		-no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 ${QEMU_X:-} -boot d -cdrom "$OUT/$name.iso" || fail=1
}

check() {  # check RESULT WHY-NOT COMMAND...: ok RESULT if the command succeeds
	r=$1 why=$2
	shift 2
	if "$@"; then
		echo "ok vmm-$ACCEL/$r" | tee -a "$R"
	else
		echo "not ok vmm-$ACCEL/$r - $why" | tee -a "$R"
		fail=1
	fi
}

same() {  # same NAME VM [REFERENCE]: that VM's verdicts equal the native ones (native.ktap)
	if python3 tests/ktap_of.py "$OUT/$1-$ACCEL.log" "$2: " "$OUT/$1-$2.ktap" >/dev/null &&
		diff -u "$OUT/${3:-native}.ktap" "$OUT/$1-$2.ktap" > "$OUT/$1-$2.diff"; then
		echo "ok vmm-$ACCEL/$1/$2-same-as-native" | tee -a "$R"
	else
		echo "not ok vmm-$ACCEL/$1/$2-same-as-native - see $OUT/$1-$2.diff" | tee -a "$R"
		fail=1
	fi
}

# The shadow by default is the traced one (arch/x86_64/mmu/traced.c): address spaces are found again
# in its cache, and guest page-table writes are traced.
iso one "mem=128M" "guest-x86 test"
run one 300 512 --strip-prefix "vm1: " --require-ktap --expect-exit 1 --expect "instructions patched" \
	--expect "vm1 shadow trace: "
same one vm1
check one/shadows-cached "no CR3 write found its address space cached, or no page-table write was traced" \
	grep -q "vm1 shadow trace: .*(cached [1-9][0-9]*, .*traced writes [1-9]" "$OUT/one-$ACCEL.log"
# The fast paths (arch/x86_64/cpu/fastpath.c) took part in that run: they take most traps, and of
# those the direct paths (cpu/direct.asm) the commonest. With fast=off every trap goes the general
# way, which must give the same verdicts; one-vtlb below runs with fast=c (no direct paths), so the
# C fast paths are tested on every trap they take too.
check one/fast-paths-taken "no trap took a fast path, or none a direct path (see the exit line)" \
	grep -q "vm1 exits: .*; fast paths [1-9][0-9]*, direct [1-9]" "$OUT/one-$ACCEL.log"
# guest-x86 found the VMM by its probe and wrote its console and idled by hypercall
# (docs/hypercalls.md; its test hypercall_abi tries every call with good and bad arguments);
# one-vtlb below runs it with nopv, so the UART and hlt stay tested under the VMM too (its 26
# hypercalls are hypercall_abi's alone).
check one/pv "guest-x86 did not find the VMM, or made no hypercalls (see the log)" \
	sh -c "grep -q 'vm1: # guest-x86: VMM found (hypercall ABI 1' '$OUT/one-$ACCEL.log' &&
	       grep -q 'vm1 exits: .* hypercall [1-9]' '$OUT/one-$ACCEL.log' &&
	       grep -q 'vm1 memory: .* [1-9][0-9]* given back by the guest' '$OUT/one-$ACCEL.log'"
iso general "mem=128M fast=off" "guest-x86 test"
run general 300 512 --strip-prefix "vm1: " --require-ktap --expect-exit 1 --expect "; fast paths 0, direct 0;"
same general vm1

iso three "vms=3 mem=128M" "guest-x86 test"
run three 600 1024 --expect-exit 1 --expect "vm3 off: exit code 0"
for v in vm1 vm2 vm3; do same three $v; done

# The virtual TLB (shadow=vtlb: emptied at every CR3 write) gives the same verdicts; three VMs with
# the two kinds of shadow side by side; and a traced shadow bounded so tightly (shadow_mem=512K: 128
# frames, two address spaces and 58 tables) that tables are reclaimed and roots evicted all the time:
# the guest must not notice.
iso one-vtlb "mem=128M shadow=vtlb fast=c" "guest-x86 test nopv"
run one-vtlb 300 512 --strip-prefix "vm1: " --require-ktap --expect-exit 1 --expect "vm1 shadow vtlb: " \
	--expect ", direct 0;" --expect "para-virtual calls forbidden (nopv)" --expect " hypercall 26; "
same one-vtlb vm1
iso three-trace "vms=3 mem=128M shadow=trace,vtlb,trace" "guest-x86 test"
run three-trace 600 1024 --expect-exit 1 --expect "vm3 off: exit code 0" --expect "vm1 shadow trace: " \
	--expect "vm2 shadow vtlb: " --expect "vm3 shadow trace: "
for v in vm1 vm2 vm3; do same three-trace $v; done
iso tiny-trace "mem=128M shadow_mem=512K" "guest-x86 test"
run tiny-trace 300 512 --strip-prefix "vm1: " --require-ktap --expect-exit 1 --expect ", bound 128"
same tiny-trace vm1
check tiny-trace/reclaimed "the 128-frame bound never made the VMM reclaim tables and evict roots" \
	grep -q "vm1 shadow trace: .*evicted [1-9].* [1-9][0-9]* reclaimed" "$OUT/tiny-trace-$ACCEL.log"

# On the newest CPU QEMU has (-cpu max: SMEP, SMAP, UMIP, XSAVE, AVX), where the suite's CPU
# feature tests run instead of skipping: natively (QEMU's multiboot loader) and in three VMs, whose
# AVX registers must survive the machine switches between them.
python3 tests/runner.py --name "native-$ACCEL/cpumax" --timeout 120 --log "$OUT/cpumax-native-$ACCEL.log" \
	--results "$R" --require-ktap --expect-exit 1 -- qemu-system-x86_64 -accel "$ACCEL" -cpu max -m 128 \
	-display none -serial stdio -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	-kernel "$G" -append "test" || fail=1
python3 tests/ktap_of.py "$OUT/cpumax-native-$ACCEL.log" "" "$OUT/native-cpumax.ktap" >/dev/null ||
	echo "not ok vmm-$ACCEL/native-cpumax-reference - the native run did not pass" | tee -a "$R"
iso cpumax "vms=3 mem=128M" "guest-x86 test"
QEMU_X="-cpu max"
run cpumax 600 1024 --expect-exit 1 --expect "vm3 off: exit code 0"
QEMU_X=
for v in vm1 vm2 vm3; do same cpumax $v native-cpumax; done

# The operator's console (arch/x86_64/cpu/operator.c) through the serial line: Ctrl-] and a
# command, as an operator types them, while vm1 runs its suite and vm2 its benchmarks: list, mem, pause,
# regs, resume and stop vm2, bad input (each a one-line error); vm1 must pass regardless, vm2 ends
# "stopped by the operator" (so the VMM's exit code is 3: one VM did not pass).
iso operator "vms=2 mem=128M" "guest-x86 test" "guest-x86 bench"
run operator 300 512 --expect-exit 3 --expect "vm1 off: exit code 0" --expect "vmm: vm2 paused" \
	--expect "vm2 paused, 128 MiB" --expect "vm2: EIP " --expect "vmm: vm2 resumed" \
	--expect "vmm: unknown command 'bogus' (help lists them)" --expect "vmm: pause: no such VM (1..2)" \
	--expect "vmm: regs takes one argument" --expect "vm2: stopped: stopped by the operator" \
	--expect "vmm: mem: free " --expect "vmm: mem vm2 " \
	--send 'vm2: # guest-x86=>\x1dlist\r' --send 'vm2 running, 128 MiB=>\x1dmem\r' \
	--send 'vmm: mem vm2 =>\x1dpause 2\r' \
	--send 'vmm: vm2 paused=>\x1dlist\r' --send 'vm2 paused, 128 MiB=>\x1dregs 2\r' \
	--send 'vm2: EIP=>\x1dbogus\r' --send "unknown command=>\x1dpause 9\r" \
	--send 'no such VM=>\x1dregs\r' --send 'takes one argument=>\x1dresume vm2\r' \
	--send 'vm2 resumed=>\x1dstop 2\r'

# One VM, paused: the CPU idles with nothing to run, and `resume` (typed then) must still run.
iso operator-one "mem=128M" "guest-x86 bench"
run operator-one 120 512 --expect-exit 3 --expect "vm1 paused, 128 MiB" --expect "vmm: vm1 resumed" \
	--expect "vm1: stopped: stopped by the operator" \
	--send 'vm1: # guest-x86=>\x1dpause 1\r' --send 'vmm: vm1 paused=>\x1dlist\r' \
	--send 'vm1 paused, 128 MiB=>\x1dresume 1\r' --send 'vmm: vm1 resumed=>\x1dstop 1\r'

# The same console from the PS/2 keyboard (arch/x86_64/kbd.c; a box without a serial port): keys
# typed through QEMU's monitor (sendkey), the console read from the serial file.
K='sendkey ctrl-bracket_right\nsendkey l\nsendkey i\nsendkey s\nsendkey t\nsendkey ret\n'
S='sendkey ctrl-bracket_right\nsendkey s\nsendkey t\nsendkey o\nsendkey p\nsendkey spc\nsendkey 2\nsendkey ret\n'
python3 tests/runner.py --name "vmm-$ACCEL/operator-keyboard" --timeout 300 --log "$OUT/operator-keyboard-$ACCEL.log" \
	--results "$R" --serial-file "$OUT/operator-keyboard-$ACCEL.serial" --expect-exit 3 \
	--expect "console input: the serial line and the PS/2 keyboard" --expect "vm2 running, 128 MiB" \
	--expect "vm2: stopped: stopped by the operator" --expect "vm1 off: exit code 0" \
	--send "vm2: # guest-x86=>$K" --send "vm2 running, 128 MiB=>$S" -- qemu-system-x86_64 -accel "$ACCEL" -m 512 \
	-display none -monitor stdio -serial "file:$OUT/operator-keyboard-$ACCEL.serial" -no-reboot \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 -boot d -cdrom "$OUT/operator.iso" || fail=1

iso trace "mem=128M trace=syscall,trap" "guest-x86 test"
run trace 300 512 --strip-prefix "vm1: " --require-ktap --expect-exit 1 \
	--expect "1. the process trapped: int 0x80" --expect "2. VMM calls the guest handler for vector 0x80" \
	--expect "3. guest returns from trap: iret" --expect "4. VMM does the real return: iretq to 001b:" \
	--expect "1. the process trapped: #PF (a true fault)"
same trace vm1

# vm7 and vm8 are the hostile guest's test suites (each check prints ok / not ok; they end with
# "passed" and exit code 0): device memory, the end of RAM, the BIOS area, a rep of 2^31 elements
# interrupted in the middle (mmio); segments with bases, expand-down, 16-bit stacks, an LDT (segs).
iso hostile "mem=128M" "guest-x86 test" "hostile triple" "hostile hlt" "hostile long" "hostile selfmod" \
	"hostile v86" "hostile mmio" "hostile segs"
run hostile 300 1024 --expect-exit 3 --expect "vm1 off: exit code 0" \
	--expect "vm2: stopped: vector 13 (beyond the IDT's limit) while delivering a double fault" \
	--expect "vm3: stopped: hlt with interrupts disabled" \
	--expect "vm4: long: ok - the L bit ignored" --expect "vm4 off: exit code 0" --expect "vm5: selfmod: ok" --expect "vm5 off: exit code 0" \
	--expect "vm6: hostile guest: hostile v86" \
	--expect "vm7: mmio: # open bus reads ffffffff" --expect "vm7: mmio: passed" --expect "vm7 off: exit code 0" \
	--expect "vm8: segs: # this line came out of rep outsb through a DS with a base" \
	--expect "vm8: segs: # this line came out of rep outsb through an LDT data segment" \
	--expect "vm8: segs: passed" --expect "vm8 off: exit code 0"
same hostile vm1
# The same hostile guests with the virtual TLB.
iso hostile-vtlb "mem=128M shadow=vtlb" "guest-x86 test" "hostile triple" "hostile hlt" "hostile long" \
	"hostile selfmod" "hostile v86" "hostile mmio" "hostile segs"
run hostile-vtlb 300 1024 --expect-exit 3 --expect "vm1 off: exit code 0" \
	--expect "vm2: stopped: vector 13 (beyond the IDT's limit) while delivering a double fault" --expect "vm3: stopped: hlt with interrupts disabled" \
	--expect "vm4: long: ok - the L bit ignored" --expect "vm4 off: exit code 0" --expect "vm5: selfmod: ok" --expect "vm5 off: exit code 0" \
	--expect "vm6: hostile guest: hostile v86" --expect "vm7: mmio: passed" --expect "vm7 off: exit code 0" \
	--expect "vm8: segs: passed" --expect "vm8 off: exit code 0"
same hostile-vtlb vm1
# A page of the guest's text rewritten, then entered in its middle before its start (a VM of its
# own: a VMM runs at most 8).
iso midpage "" "hostile midpage"
run midpage 120 256 --expect-exit 1 --expect "vm1: midpage: ok" --expect "vm1 off: exit code 0"
# The guest's own page tables used and misused (tests/hostile/ptables.inc: a self-mapped directory,
# entries rewritten through it, A/D bits, aliases, CR0.WP both ways, entries and a table where
# nothing decodes, two address spaces), one VM on each shadow.
iso ptables "shadow=trace,vtlb" "hostile ptables" "hostile ptables"
run ptables 120 256 --expect-exit 1 --expect "vm1: ptables: passed" --expect "vm2: ptables: passed" \
	--expect "vm1 shadow trace: " --expect "vm2 shadow vtlb: "
for h in hostile hostile-vtlb ptables; do
	check $h/suites-no-failed-check "$(grep -c ': not ok - ' "$OUT/$h-$ACCEL.log") checks failed" \
		sh -c "! grep -q ': not ok - ' '$OUT/$h-$ACCEL.log'"
done

# More guest RAM than the machine has (3 x 256 MiB in 400 MiB) and a compressed store too small to
# make up for it (zstore=8M): the VMs that run out of machine frames, once the balloons and the store
# have given what they can, are stopped with that reason; the VMM does not fall over, and it says
# so at the end.
iso oom "vms=3 mem=256M zstore=8M" "guest-x86 test"
run oom 300 400 --expect-exit 3 --expect "stopped: out of machine memory backing guest-physical" --expect "/2048 frames" \
	--expect "all VMs have ended"

# Memory overcommitted twice over (issue 11, seed B.5; arch/x86_64/mmu/overcommit.c): four VMs of
# 128 MiB in 256 MiB, two with hypercalls (their balloon drivers give memory back when the VMM asks)
# and two without, one of them on the virtual TLB; the VMM shares equal frames (share=16), grows the
# balloons and pages out to its compressed store. Each suite, with its memcheck test checksumming
# 2048 pages over ten rounds, must give the native verdicts, and all three ways must have worked.
iso overcommit "mem=128M share=16 shadow=trace,trace,trace,vtlb" "guest-x86 test memcheck=10" \
	"guest-x86 test nopv memcheck=10" "guest-x86 test memcheck=10" "guest-x86 test nopv memcheck=10"
run overcommit 600 256 --expect-exit 1 --expect "vm4 shadow vtlb: " --expect "all passed"
for v in vm1 vm2 vm3 vm4; do same overcommit $v; done
check overcommit/shared-ballooned-paged "sharing saved nothing, no page went to the store, or no balloon grew" \
	sh -c "grep -q 'overcommit: sharing saved [1-9][0-9]* frames at most' '$OUT/overcommit-$ACCEL.log' &&
	       grep -q 'compressed store: [1-9][0-9]* pages put' '$OUT/overcommit-$ACCEL.log' &&
	       grep -q 'vm1 memory: .* balloon [0-9]* now, [1-9][0-9]* at most' '$OUT/overcommit-$ACCEL.log'"

# The PC platform (issue 8): the guest's device suite (firmware tables, LAPIC, IO APIC, CMOS, i8042,
# PCI, ATA on both channels) with the test disks as modules, on the 8259s and on the APICs; then three
# VMs that each get their own copy-on-write view of the same disk modules (each sees the original).
for s in hda hdb hdd; do mod "$s" < build/guest-x86/disks/$s.img; done
for d in dev dev-apic; do
	python3 tests/ktap_of.py "build/test-native/serial-$d-$ACCEL.log" "" "$OUT/native-$d.ktap" ||
		echo "not ok vmm-$ACCEL/native-$d-reference - the native run did not pass" | tee -a "$R"
done
iso dev "mem=128M" "guest-x86 test devtest" "@hda disk=hda" "@hdb disk=hdb" "@hdd disk=hdd"
run dev 300 512 --strip-prefix "vm1: " --require-ktap --expect-exit 1
same dev vm1 native-dev
iso dev-apic "mem=128M" "guest-x86 test devtest apic" "@hda disk=hda" "@hdb disk=hdb" "@hdd disk=hdd"
run dev-apic 300 512 --strip-prefix "vm1: " --require-ktap --expect-exit 1
same dev-apic vm1 native-dev-apic
iso dev-vtlb "mem=128M shadow=vtlb" "guest-x86 test devtest" "@hda disk=hda" "@hdb disk=hdb" "@hdd disk=hdd"
run dev-vtlb 300 512 --strip-prefix "vm1: " --require-ktap --expect-exit 1 --expect "vm1 shadow vtlb: "
same dev-vtlb vm1 native-dev
iso dev3 "vms=3 mem=128M shadow=vtlb,trace,vtlb" "guest-x86 test devtest" "@hda disk=hda" "@hdb disk=hdb" "@hdd disk=hdd"
run dev3 600 1024 --expect-exit 1 --expect "vm3 off: exit code 0" --expect "vm1 shadow vtlb: " --expect "vm2 shadow trace: "
for v in vm1 vm2 vm3; do same dev3 $v native-dev; done

# VMs made of several modules. Each configuration error alone: the VM is refused with its reason (a
# disk before any kernel belongs to no VM: reported, ignored, not a failure; the others fail the run).
iso cfg-orphan "" "@disk512 disk=hda" "hostile selfmod"
run cfg-orphan 120 256 --expect-exit 1 --expect "vmm: module 0 'disk=hda': a disk before any kernel module belongs to no VM; ignored" \
	--expect "vm1 off: exit code 0"
iso cfg-slot "" "hostile selfmod" "@disk512 disk=hdc" "@disk1536 disk=hdc"
run cfg-slot 120 256 --expect-exit 3 --expect "vm1: not started: module 2 'disk=hdc': slot hdc already holds module 1" \
	--expect "no VM could be started"
iso cfg-size "" "hostile selfmod" "@disk1000 disk=hdb"
run cfg-size 120 256 --expect-exit 3 \
	--expect "vm1: not started: module 1 'disk=hdb': a disk of 1000 bytes is not a whole number of 512-byte sectors"
iso cfg-initrd "mem=4M" "hostile bootinfo" "@initrd4m initrd"
run cfg-initrd 120 256 --expect-exit 3 \
	--expect "vm1: not started: module 0 'hostile bootinfo': the initrd ('initrd', 4096 KiB) does not fit in the VM's RAM"
# All of them at once, with two good VMs among them: the guest suite (same verdicts as native) and a
# guest that checks its initrd, the BIOS data area, the RSDP, the MP pointer and the memory map.
iso config "mem=128M" "@disk512 disk=hda" "guest-x86 test" "hostile bootinfo" "@initrd initrd" \
	"hostile hlt" "@disk512 disk=hda" "@disk512 disk=hda" "hostile hlt" "@disk1000 disk=hdb" \
	"hostile hlt" "@initrd initrd" "@initrd initrd two" "hostile hlt" "@disk512 disk=hde"
run config 300 1024 --expect-exit 3 --expect "module 0 'disk=hda': a disk before any kernel module belongs to no VM; ignored" \
	--expect "vm1 off: exit code 0" --expect "vm2: bootinfo: ok" --expect "vm2 off: exit code 0" \
	--expect "vm3: not started: module 6 'disk=hda': slot hda already holds module 5" \
	--expect "vm4: not started: module 8 'disk=hdb': a disk of 1000 bytes is not a whole number of 512-byte sectors" \
	--expect "vm5: not started: module 11 'initrd two': a second initrd (module 10 is this VM's initrd)" \
	--expect "vm6: not started: module 13 'disk=hde': unknown disk 'hde' (hda, hdb, hdc or hdd)" \
	--expect "all VMs have ended (and 4 not started)"
same config vm1

# The same check of initrd and BIOS natively (QEMU's multiboot loader and SeaBIOS).
python3 tests/runner.py --name "native-$ACCEL/bootinfo" --timeout 60 --log "$OUT/bootinfo-native-$ACCEL.log" \
	--results "$R" --expect "bootinfo: ok" --expect-exit 1 -- sh -c "cd '$OUT/mod-initrd' && cp kernel.elf initrd && \
	exec qemu-system-x86_64 -accel '$ACCEL' -m 64 -display none -serial stdio -no-reboot \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel '$ROOT/$H' -append 'hostile bootinfo' -initrd initrd" || fail=1

# The self-modifying guest and the two suites natively, for comparison (QEMU's own multiboot loader,
# no VMM): the same checks must pass there. (QEMU's unassigned memory reads zero where a PC's open
# bus reads all ones; the suites compare with what the first read gave. QEMU's TCG checks no data
# segment limits or types: the suite says so and skips those checks, natively and under the VMM.)
native() {   # native NAME MODE EXPECT...
	name=$1 mode=$2
	shift 2
	python3 tests/runner.py --name "native-$ACCEL/$name" --timeout 60 --log "$OUT/$name-native-$ACCEL.log" \
		--results "$R" "$@" --expect-exit 1 -- qemu-system-x86_64 -accel "$ACCEL" -m 128 \
		-display none -serial stdio -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-kernel "$H" -append "hostile $mode" || fail=1
}
native selfmod selfmod --expect "selfmod: ok"
native long long --expect "long: ok - the L bit ignored"
native midpage midpage --expect "midpage: ok"
native mmio mmio --expect "mmio: passed"
native ptables ptables --expect "ptables: passed"
native segs segs --expect "segs: # this line came out of rep outsb through an LDT data segment" --expect "segs: passed"
exit $fail
