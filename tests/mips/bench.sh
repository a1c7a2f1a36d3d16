#!/bin/sh
# bench.sh - the Disco numbers: TLB refill cost, null syscall, context switch and fork+exit+wait
# natively, under the VMM without the L2 TLB and with it, plus the L2 TLB hit rate. Medians in
# CP0 Count ticks (rdhwr $2). On QEMU TCG, Count follows the host's virtual clock, not executed
# instructions: the numbers are TCG timings, good for ratios, not for real-hardware cycles.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=$ROOT/build/mips
make -s -C "$ROOT/arch/mips" || exit 1
mkdir -p "$B/logs"
Q="qemu-system-mips -M malta -cpu 34Kf -m 128 -nographic -no-reboot"
timeout 120 $Q -kernel "$B/guest.elf" > "$B/logs/bench-native.log" 2>&1
timeout 120 $Q -kernel "$B/vmm.elf" -append "l2tlb=off" > "$B/logs/bench-nol2.log" 2>&1
timeout 120 $Q -kernel "$B/vmm.elf" -append "l2tlb=on" > "$B/logs/bench-l2.log" 2>&1
python3 - "$B/logs" <<'PY'
import re, sys
d = sys.argv[1]
def benches(f):
    t = open(f, errors='replace').read()
    r = {m.group(1): int(m.group(2)) for m in re.finditer(r'bench (\S+) cycles=(\d+)', t)}
    h = re.search(r'l2tlb on: lookups=(\d+) hits=(\d+) hit_rate=([\d.]+)%', t)
    return r, h
n, _ = benches(f'{d}/bench-native.log')
o, _ = benches(f'{d}/bench-nol2.log')
l, h = benches(f'{d}/bench-l2.log')
print('MIPS (QEMU Malta 34Kf, TCG) medians in CP0 Count ticks (rdhwr overhead included)')
print(f'{"benchmark":<16}{"native":>10}{"VMM no L2":>12}{"VMM + L2":>12}')
for k in ['tlb_refill', 'null_syscall', 'context_switch', 'forkwait', 'rdhwr_overhead']:
    print(f'{k:<16}{n.get(k,"-"):>10}{o.get(k,"-"):>12}{l.get(k,"-"):>12}')
if h:
    print(f'L2 TLB: {h.group(2)} hits / {h.group(1)} VMM refills = {h.group(3)}% hit rate (whole run)')
PY
