#!/bin/sh
# run.sh - build and run the x86 decoder tests: self-tests, random byte sequences against objdump
# (32- and 64-bit), and every instruction of the executable sections of sample objects built here
# plus any ELF files given as arguments. Output is KTAP; exit status 1 on any failure.
# Usage: tests/decoder/run.sh [ELF...]      (builds into build/decoder/)
set -e
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/build/decoder/samples"
mkdir -p "$out"
# Sample objects: the decoder itself and the string/format library, as 32- and 64-bit code.
for bits in 32 64; do
	for src in arch/x86_64/cpu/decode.c lib/kstring.c lib/format.c; do
		gcc -m$bits -O2 -ffreestanding -fno-pic -fno-stack-protector -c "$root/$src" \
			-o "$out/$(basename "$src" .c).$bits.o"
	done
done
exec python3 "$root/tests/decoder/run.py" "$out"/*.o "$@"
