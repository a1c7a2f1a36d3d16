#!/bin/sh
# build.sh OUTDIR - the attack guest: OUTDIR/kernel.elf
set -e
D=$(cd "$(dirname "$0")" && pwd)
O=$1
mkdir -p "$O"
nasm -f elf32 "$D/entry.asm" -o "$O/entry.o"
gcc -m32 -std=gnu11 -ffreestanding -nostdlib -fno-pic -fno-pie -fno-stack-protector -O2 -Wall -Wextra \
	-mgeneral-regs-only -fno-tree-loop-distribute-patterns -fno-asynchronous-unwind-tables \
	-c "$D/attack.c" -o "$O/attack.o"
ld -m elf_i386 -nostdlib -z noexecstack --no-warn-rwx-segments -T "$D/attack.ld" -o "$O/kernel.elf" \
	"$O/entry.o" "$O/attack.o"
