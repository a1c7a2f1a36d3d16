#!/bin/sh
# accel.sh - print "kvm" when QEMU can really use /dev/kvm here, "tcg" otherwise.
if [ -e /dev/kvm ] && echo quit | timeout 10 qemu-system-x86_64 -accel kvm -M none -nodefaults \
	-display none -monitor stdio >/dev/null 2>&1; then
	echo kvm
else
	echo tcg
fi
