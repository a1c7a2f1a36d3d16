#!/bin/sh
# accel.sh - print "kvm" when QEMU can use hardware-assisted KVM here, "tcg" otherwise; with -v,
# say on stderr why KVM is not used.
#
# /dev/kvm alone is not enough: some hosts expose a software KVM (kvm_pvm) on CPUs without VT-x or
# AMD-V. It runs ordinary kernels but not everything real hardware does (seen here: an int3 at
# ring 0 ends QEMU with "KVM internal error ... emulation failure", and 32-bit non-PAE paging is
# refused), and this VMM is built from exactly those things. So we require vmx or svm.
why=""
if [ ! -e /dev/kvm ]; then
	why="no /dev/kvm"
elif ! grep -qwE 'vmx|svm' /proc/cpuinfo; then
	why="/dev/kvm is a software KVM (the CPU has no VT-x/AMD-V)"
elif ! echo quit | timeout 10 qemu-system-x86_64 -accel kvm -M none -nodefaults -display none \
	-monitor stdio >/dev/null 2>&1; then
	why="QEMU cannot open KVM"
fi
if [ -z "$why" ]; then
	echo kvm
else
	[ "${1:-}" = -v ] && echo "accel: not using KVM: $why" >&2
	echo tcg
fi
