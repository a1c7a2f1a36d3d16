#!/bin/sh
# mkiso.sh OUT.iso GRUB.CFG VMM.ELF [GUEST.ELF | NAME=FILE ...] - a hybrid BIOS+UEFI ISO made by
# grub-mkrescue. The VMM goes to /boot/vmm.elf; guests to /boot/<basename of their build dir>.elf
# (build/guest-x86/kernel.elf -> /boot/guest-x86.elf); NAME=FILE goes to /boot/NAME.
set -e
out=$1 cfg=$2 vmm=$3
shift 3
root=$(mktemp -d "${TMPDIR:-/tmp}/isoroot.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/boot/grub"
cp "$cfg" "$root/boot/grub/grub.cfg"
cp "$vmm" "$root/boot/vmm.elf"
for g in "$@"; do
	case $g in
	*=*) cp "${g#*=}" "$root/boot/${g%%=*}" ;;
	*) cp "$g" "$root/boot/$(basename "$(dirname "$g")").elf" ;;
	esac
done
mkdir -p "$(dirname "$out")"
grub-mkrescue -o "$out" "$root" >"$out.log" 2>&1 || { cat "$out.log"; exit 1; }
