#!/bin/sh
# run.sh - build the MIPS port and run its test matrix on QEMU Malta (TCG), about a minute:
#   the guest suite natively; under the VMM with the L2 TLB on and off, with one VM and two;
#   hostile guests (bad tlbwr PFN, exception loop, access outside guest memory) next to a good VM;
#   trace=tlb; and Disco's special page (pv=on): the suite with it, with and without the L2 TLB, in
#   two VMs, next to a hostile VM (one that loops, one that scribbles on its page). Every run is judged by tests/runner.py (results in
#   build/results/mips.txt) and the KTAP verdicts of every VM are compared with the native run, test
#   by test; the guest must use the page exactly when the VMM offers it (never natively), and
#   with it the VMM must emulate far fewer CP0 instructions than without.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=$ROOT/build/mips
L=$B/logs
R=$ROOT/build/results/mips.txt
make -s -C "$ROOT/arch/mips" || exit 1
mkdir -p "$L" "$ROOT/build/results"
: > "$R"
Q="qemu-system-mips -M malta -cpu 34Kf -m 128 -nographic -no-reboot"
fail=0

run() {  # run NAME [runner options...] -- qemu args
	name=$1; shift
	python3 "$ROOT/tests/runner.py" --name "mips/$name" --timeout 60 --log "$L/$name.log" \
		--results "$R" "$@" || { echo "FAIL mips/$name"; fail=1; return; }
	echo "ok   mips/$name"
}
same() {  # same NAME PREFIX: that VM's KTAP verdicts equal the native ones
	python3 "$ROOT/tests/ktap_of.py" "$L/$1.log" "$2" "$L/$1.${2%: }.ktap" &&
	diff -u "$L/native.ktap" "$L/$1.${2%: }.ktap" >/dev/null ||
		{ echo "not ok mips/$1/${2%: }-ktap-identical-to-native" | tee -a "$R"; fail=1; return; }
	echo "ok mips/$1/${2%: }-ktap-identical-to-native" | tee -a "$R"
}

run native --ktap-out "$L/native.raw" -- $Q -kernel "$B/guest.elf"
python3 "$ROOT/tests/ktap_of.py" "$L/native.log" "" "$L/native.ktap" || fail=1
run vmm-l2 --strip-prefix "vm1: " --expect "vmm: vm1 off:" -- $Q -kernel "$B/vmm.elf" -append "l2tlb=on"
same vmm-l2 "vm1: "
run vmm-nol2 --strip-prefix "vm1: " --expect "vmm: vm1 off:" -- $Q -kernel "$B/vmm.elf" -append "l2tlb=off"
same vmm-nol2 "vm1: "
run vmm-2vm --strip-prefix "vm1: " --expect "vmm: vm2 off:" -- $Q -kernel "$B/vmm.elf" -append "vms=2"
same vmm-2vm "vm1: "; same vmm-2vm "vm2: "
run vmm-2vm-nol2 --strip-prefix "vm2: " --expect "vmm: vm1 off:" -- $Q -kernel "$B/vmm.elf" -append "vms=2 l2tlb=off"
same vmm-2vm-nol2 "vm1: "; same vmm-2vm-nol2 "vm2: "
run hostile-pfn --strip-prefix "vm1: " --expect "vm2: stopped: tlbwr of pfn 0x7ff00 outside guest memory" \
	--expect "vmm: vm1 off:" -- $Q -kernel "$B/vmm.elf" -append "vms=2 hostile=2:pfn"
same hostile-pfn "vm1: "
run hostile-loop --strip-prefix "vm1: " --expect "vm2: stopped: exception loop" \
	--expect "vmm: vm1 off:" -- $Q -kernel "$B/vmm.elf" -append "vms=2 hostile=2:loop"
same hostile-loop "vm1: "
run hostile-kseg1 --strip-prefix "vm2: " --expect "vm1: stopped: store of guest-physical 0x08000000" \
	--expect "vmm: vm2 off:" -- $Q -kernel "$B/vmm.elf" -append "vms=2 hostile=1:kseg1"
same hostile-kseg1 "vm2: "
# The special page: offered with pv=on only, used by the guest then (its console says so), and it
# must take most CP0 traps away (whole suite: cp0_emulated of vm1 with and without).
run vmm-pv --strip-prefix "vm1: " --expect "vmm: vm1 off:" --expect "the VMM's special page at 0x00001000" \
	--expect "CP0 register writes taken from it" -- $Q -kernel "$B/vmm.elf" -append "pv=on"
same vmm-pv "vm1: "
run vmm-pv-nol2 --strip-prefix "vm1: " --expect "vmm: vm1 off:" --expect "the VMM's special page at" \
	-- $Q -kernel "$B/vmm.elf" -append "pv=on l2tlb=off"
same vmm-pv-nol2 "vm1: "
run vmm-pv-2vm --strip-prefix "vm1: " --expect "vmm: vm2 off:" --expect "vm2: # guest: the VMM's special page" \
	-- $Q -kernel "$B/vmm.elf" -append "pv=on vms=2"
same vmm-pv-2vm "vm1: "; same vmm-pv-2vm "vm2: "
run hostile-loop-pv --strip-prefix "vm1: " --expect "vm2: stopped: exception loop" \
	--expect "vmm: vm1 off:" -- $Q -kernel "$B/vmm.elf" -append "vms=2 pv=on hostile=2:loop"
same hostile-loop-pv "vm1: "
run hostile-cp0page --strip-prefix "vm1: " --expect "vm2: stopped: exception 8 at epc" \
	--expect "with Status.BEV set" --expect "vmm: vm1 off:" -- $Q -kernel "$B/vmm.elf" -append "vms=2 pv=on hostile=2:cp0page"
same hostile-cp0page "vm1: "
check() {  # check NAME CONDITION-TEXT: a result line from the shell test that precedes it
	if [ "$2" = 0 ]; then echo "ok mips/$1" | tee -a "$R"; else echo "not ok mips/$1" | tee -a "$R"; fail=1; fi
}
! grep -q "special page" "$L/native.log" "$L/vmm-l2.log"; check native-and-full-do-not-use-the-page $?
cp0() { sed -n 's/.*vmm: vm1 off: .*cp0_emulated=\([0-9]*\).*/\1/p' "$L/$1.log"; }
full=$(cp0 vmm-l2); pv=$(cp0 vmm-pv)
[ -n "$full" ] && [ -n "$pv" ] && [ $((pv * 2)) -lt "$full" ]
check "pv-emulates-fewer-cp0-instructions ($full full, $pv pv)" $?
run trace-tlb --strip-prefix "vm1: " --expect "[3] reflect exc" --expect "[4] guest tlbwr traps" \
	--expect "[5] guest eret traps" --expect "L2 TLB hit" -- $Q -kernel "$B/vmm.elf" -append "trace=tlb"
run bad-option --expect "bad boot option 'frobnicate'" --expect-panic -- $Q -kernel "$B/vmm.elf" -append "frobnicate"

[ $fail = 0 ] && echo "mips: all passed" || echo "mips: FAILURES"
exit $fail
