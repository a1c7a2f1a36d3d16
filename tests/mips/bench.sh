#!/bin/sh
# bench.sh - the Disco numbers, two ways.
# 1. TCG timings: TLB refill cost, null syscall, context switch and fork+exit+wait natively, under
#    the VMM without the L2 TLB and with it, plus the L2 TLB hit rate. Medians in CP0 Count ticks
#    (rdhwr $2). On QEMU TCG, Count follows the host's virtual clock, not executed instructions:
#    the numbers are TCG timings, good for ratios, not for real-hardware cycles.
# 2. icount (-icount shift=0,sleep=off: exact and repeatable), natively, under the VMM with every
#    privileged access trapping ("full", pv=off) and with Disco's special page ("pv", pv=on): each
#    benchmark alone (guest words bench=NAME iters=N) run with N and with 2N operations; the
#    difference between the two runs, divided by N, gives the instructions per operation (the sums
#    of the samples' Count ticks, times the instructions per tick that the guest's calibration
#    loop measured natively) and the VMM's traps per operation by kind. Boot, setup and the first,
#    colder N operations cancel out. The TLB refill benchmark also runs with l2tlb=off (configs
#    full-nol2tlb, pv-nol2tlb): there a miss runs the guest's own refill handler.
#    Written to build/mips/bench-icount.json for tools/bench.py (results.json rows, mode icount).
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=$ROOT/build/mips
make -s -C "$ROOT/arch/mips" || exit 1
mkdir -p "$B/logs"
rm -f "$B/bench-icount.json"   # a failed icount part leaves no stale rows for tools/bench.py
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
python3 - "$B" <<'PY' || exit 1
import json, re, subprocess, sys
B = sys.argv[1]
Q = ['qemu-system-mips', '-M', 'malta', '-cpu', '34Kf', '-m', '128', '-nographic', '-no-reboot',
     '-icount', 'shift=0,sleep=off']
BENCHES = {'tlb_refill': 1024, 'null_syscall': 300, 'context_switch': 150, 'forkwait': 40}
PER_ITER = {'context_switch': 2}   # a yield there is two switches (its samples are halved too)
# The VMM's configurations: full and pv with the L2 TLB (the default), and for the TLB refill
# benchmark also without it, where a miss runs the guest's own refill handler (Figure B.6).
VMM_WORDS = {'full': 'pv=off', 'pv': 'pv=on', 'full-nol2tlb': 'pv=off l2tlb=off',
             'pv-nol2tlb': 'pv=on l2tlb=off'}
KINDS = ['traps', 'cp0_emulated', 'refills', 'reflected', 'guest_tlbw', 'mmio']

def boot(config, words=''):
    """One boot under icount; returns the console text (checked: the guest finished)."""
    if config == 'native':
        args = ['-kernel', B + '/guest.elf'] + (['-append', words] if words else [])
    else:
        vmm = VMM_WORDS[config]
        if words:
            vmm += ' guestargs=' + words.replace(' ', ',')
        args = ['-kernel', B + '/vmm.elf', '-append', vmm]
    t = subprocess.run(Q + args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300).stdout
    t = t.decode('utf-8', 'replace')
    name = '%s-%s' % (config, words.replace(' ', '-').replace('=', '-') or 'all')
    open('%s/logs/icount-%s.log' % (B, name), 'w').write(t)
    if '# guest: done' not in t or 'not ok' in t or (config != 'native' and 'vmm: vm1 off:' not in t):
        sys.exit('bench: icount run %s %r did not finish cleanly (see logs/icount-%s.log)' % (config, words, name))
    return t

def counts(t):
    m = re.search(r'vmm: vm1 off: (.*)', t)
    return {k: int(v) for k, v in re.findall(r'(\w+)=(\d+)', m.group(1))}

def bench_line(t, name):
    m = re.search(r'bench %s cycles=\d+ min=\d+ max=\d+ iters=(\d+) total=(\d+)' % name, t)
    return int(m.group(2))

# Instructions per tick: the native calibration loop (Count is the board's, the same under the VMM).
c = re.search(r'calib insns=(\d+) ticks=(\d+)', boot('native', 'bench=none'))
ipt = int(c.group(1)) / int(c.group(2))
rows, table = [], {}
for config in ('native', 'full', 'pv', 'full-nol2tlb', 'pv-nol2tlb'):
    for name, n in BENCHES.items():
        if config.endswith('nol2tlb') and name != 'tlb_refill':
            continue
        # The operations n+1..2n of the longer run: ticks from the samples' sums, traps from the
        # VMM's counts (the same boot, setup and first n operations in both runs cancel out).
        a, b = boot(config, 'bench=%s iters=%d' % (name, n)), boot(config, 'bench=%s iters=%d' % (name, 2 * n))
        ticks = (bench_line(b, name) - bench_line(a, name)) / n   # per sample (a switch: halved)
        exits = {}
        if config != 'native':
            ca, cb, ops = counts(a), counts(b), n * PER_ITER.get(name, 1)
            exits = {k: round((cb[k] - ca[k]) / ops, 2) for k in KINDS if round((cb[k] - ca[k]) / ops, 2)}
        insns = round(ticks * ipt)
        table[name, config] = (insns, exits.get('traps', 0))
        rows.append({'arch': 'mips', 'bench': name, 'config': config, 'mode': 'icount',
                     'insns': insns, 'cycles': round(ticks), 'exits': exits})
json.dump(rows, open(B + '/bench-icount.json', 'w'), indent=1)
print('MIPS under icount (%.2f instructions per Count tick): instructions / VMM traps per operation'
      % ipt)
print(f'{"benchmark":<22}{"native":>10}{"full":>16}{"pv":>16}{"pv/full":>9}')
for name, sfx in [(b, '') for b in BENCHES] + [('tlb_refill', '-nol2tlb')]:
    n, f, p = (table.get((name, c), (0, 0)) for c in ('native', 'full' + sfx, 'pv' + sfx))
    print(f'{name + sfx:<22}{n[0]:>10}{"%d / %.2f" % f:>16}{"%d / %.2f" % p:>16}{p[0] / max(f[0], 1):>9.2f}')
for r in rows:
    if r['exits']:
        print('  %-15s %-12s per op: %s' % (r['bench'], r['config'],
              ' '.join('%s %g' % kv for kv in r['exits'].items())))
PY
