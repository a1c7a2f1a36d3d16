#!/bin/sh
# deps.sh - install the build and test tools on Debian (as root); elsewhere, name what is missing.
PKGS="nasm gcc make binutils python3 qemu-system-x86 qemu-system-mips grub-pc-bin grub-efi-amd64-bin \
grub-common xorriso mtools bochs bochsbios bochs-term vgabios seabios ovmf console-setup-linux \
clang lld llvm"
missing=""
for p in $PKGS; do
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "deps: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
	echo "deps: please install these Debian packages (as root: apt-get install$missing)" >&2
	exit 1
fi
