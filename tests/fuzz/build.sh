#!/bin/sh
# build.sh OUTDIR - the fuzz guest: OUTDIR/kernel.elf (a multiboot1 kernel: fuzz.c says what it does)
set -e
D=$(cd "$(dirname "$0")" && pwd)
O=$1
mkdir -p "$O"
nasm -f elf32 "$D/entry.asm" -o "$O/entry.o"
for f in fuzz gen; do
	gcc -m32 -std=gnu11 -ffreestanding -nostdlib -fno-pic -fno-pie -fno-stack-protector -O2 -Wall -Wextra -Werror \
		-mgeneral-regs-only -fno-tree-loop-distribute-patterns -fno-asynchronous-unwind-tables \
		-c "$D/$f.c" -o "$O/$f.o"
done
ld -m elf_i386 -nostdlib -z noexecstack --no-warn-rwx-segments -T "$D/fuzz.ld" -o "$O/kernel.elf" \
	"$O/entry.o" "$O/fuzz.o" "$O/gen.o"
