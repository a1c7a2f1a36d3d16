#!/bin/sh
# run.sh RESULTS - build and run the host unit tests (lib/, mm/, and the VMM code that needs no
# hardware: virtual devices, the software page walk, reflection, segments, the emulation of
# instructions on device memory and their flags) with the host compiler and
# sanitizers; each test program prints KTAP.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
results=$1
out=build/host
mkdir -p "$out"
CC="${HOSTCC:-gcc} -std=c11 -O1 -g -Wall -Wextra -Werror -fno-builtin -fsanitize=address,undefined -fno-sanitize-recover=all"
fail=0
build_run() {
	name=$1
	shift
	if ! $CC -o "$out/$name" "$@" 2>"$out/$name.build.log"; then
		cat "$out/$name.build.log"
		echo "not ok host-$name - does not build" | tee -a "$results"
		fail=1
		return
	fi
	python3 tests/runner.py --name "host-$name" --timeout 120 --log "$out/$name.log" --results "$results" \
		--require-ktap --expect-exit 0 -- "$out/$name" || fail=1
}
build_run lib tests/host/test_lib.c lib/format.c lib/options.c lib/kstring.c lib/calendar.c
MM="mm/frame.c mm/pmap.c mm/share.c mm/zstore.c mm/lz.c"
build_run frame tests/host/test_frame.c $MM lib/kstring.c
build_run share tests/host/test_share.c $MM lib/kstring.c
build_run vmconfig tests/host/test_vmconfig.c vcpu/vmconfig.c lib/format.c lib/kstring.c
PC="arch/x86_64/pc/*.c mm/blkcow.c mm/frame.c lib/kstring.c lib/format.c lib/calendar.c"
build_run vdev tests/host/test_vdev.c $PC
build_run firmware tests/host/test_firmware.c arch/x86_64/pc/firmware.c lib/kstring.c
# The tables as ACPICA's own tools see them (optional: Debian's acpica-tools): every table
# disassembles, and the DSDT's AML is byte for byte what iasl compiles from the ASL it stands for.
if command -v iasl >/dev/null 2>&1; then
	fw=$out/firmware-tables
	rm -rf "$fw" && mkdir -p "$fw"
	s5=$(sed -n 's/^#define VPM_S5_TYP *\([0-9]*\).*/\1/p' arch/x86_64/pc/vpm.h)
	echo "DefinitionBlock (\"\", \"DSDT\", 2, \"VMMPC \", \"VMMDSDT\", 1) { Name (_S5, Package () { $s5, $s5, 0, 0 }) }" \
		> "$fw/ref.asl"
	why=
	if ! "$out/firmware" "$fw" > "$fw/dump.log" 2>&1; then why="the table dump failed"
	elif ! (cd "$fw" && iasl ref.asl > iasl-ref.log 2>&1); then why="iasl cannot compile the reference ASL"
	elif ! cmp -s -i 36 "$fw/DSDT.dat" "$fw/ref.aml"; then why="DSDT AML differs from iasl's for the same ASL"
	else
		for t in DSDT FACP APIC RSDT XSDT FACS; do
			if ! (cd "$fw" && iasl -d $t.dat > iasl-$t.log 2>&1) || grep -qi "error\|warning\|invalid" "$fw/$t.dsl"; then
				why="iasl -d $t.dat failed (see $fw/iasl-$t.log)"
				break
			fi
		done
		grep -q "Name (_S5, Package (0x04)" "$fw/DSDT.dsl" || why="${why:-iasl does not see _S5 in the DSDT}"
	fi
	if [ -z "$why" ]; then echo "ok host-firmware-iasl" | tee -a "$results"
	else echo "not ok host-firmware-iasl - $why" | tee -a "$results"; fail=1; fi
else
	echo "skip host-firmware-iasl - iasl not installed (Debian package acpica-tools)" | tee -a "$results"
fi
build_run gmem tests/host/test_gmem.c arch/x86_64/mmu/gmem.c $MM lib/kstring.c
build_run traced tests/host/test_traced.c arch/x86_64/mmu/traced.c arch/x86_64/mmu/gmem.c $MM lib/kstring.c
build_run alu tests/host/test_alu.c arch/x86_64/cpu/alu.c
build_run seg tests/host/test_seg.c arch/x86_64/cpu/reflect.c arch/x86_64/cpu/task.c arch/x86_64/cpu/segments.c arch/x86_64/mmu/gmem.c \
	$MM lib/kstring.c vcpu/trace.c
CPU="arch/x86_64/cpu/mmio.c arch/x86_64/cpu/alu.c arch/x86_64/cpu/msr.c arch/x86_64/cpu/sysenter.c arch/x86_64/cpu/emulate.c arch/x86_64/cpu/decode.c arch/x86_64/cpu/patch.c"
build_run mmio tests/host/test_mmio.c $CPU arch/x86_64/cpu/reflect.c arch/x86_64/cpu/task.c arch/x86_64/cpu/segments.c arch/x86_64/mmu/gmem.c \
	$MM lib/kstring.c vcpu/trace.c
build_run reflect tests/host/test_reflect.c arch/x86_64/cpu/reflect.c arch/x86_64/cpu/task.c arch/x86_64/cpu/segments.c arch/x86_64/mmu/gmem.c \
	$MM lib/kstring.c vcpu/trace.c
exit $fail
