#!/usr/bin/env python3
"""trapprof.py - where a VMM trap's instructions go, one instruction at a time.

make bench gives instructions per operation and the VMM's per-exit-kind profile; this shows the
path inside one trap. It boots an ISO in QEMU (TCG, -icount so that no timer tick lands in the
middle: guest time only moves with instructions), stops under gdb at the N-th entry to a VMM
function, then single-steps STEPS instructions and prints each stretch the CPU spent in the VMM
(one trap, from the stub to the iretq) with its instructions per function -- or, with --lines,
per source line in order of execution.

    tools/trapprof.py build/bench/trace-bench-pte_modify_invlpg.iso --at traced_written --skip 3000
    tools/trapprof.py ISO --at direct_syscall --skip 2000 --steps 3000 --lines 2

--at names a VMM symbol hit once per operation of the benchmark (traced_written for a page-table
write, direct_syscall for int 0x80, fast_common for a #PF); --skip lets the benchmark reach its
steady state first. Needs gdb; about a minute for 3000 skips and 5000 steps."""
import argparse, bisect, collections, os, socket, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VMM_BASE = 0xffff800000000000          # the VMM's addresses; anything below is the guest's

STEP_PY = r'''
import gdb
out = open(%r, "w")
for i in range(%d):
    out.write("%%x\n" %% int(gdb.parse_and_eval("$pc").cast(gdb.lookup_type("unsigned long"))))
    gdb.execute("stepi", to_string=True)
out.close()
'''


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    p = s.getsockname()[1]
    s.close()
    return p


def trace(args, elf, out):
    port = free_port()
    qemu = subprocess.Popen(['qemu-system-x86_64', '-accel', 'tcg', '-icount', 'shift=0,sleep=off', '-m', args.mem,
                             '-display', 'none', '-serial', 'null', '-no-reboot', '-device',
                             'isa-debug-exit,iobase=0xf4,iosize=0x04', '-boot', 'd', '-cdrom', args.iso,
                             '-gdb', 'tcp:127.0.0.1:%d' % port, '-S'],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1)
        with tempfile.TemporaryDirectory() as d:
            py = os.path.join(d, 'step.py')
            with open(py, 'w') as f:
                f.write(STEP_PY % (out, args.steps))
            cmds = ['set pagination off', 'set confirm off', 'target remote 127.0.0.1:%d' % port,
                    'hbreak %s' % args.at, 'ignore 1 %d' % args.skip, 'continue', 'delete',
                    'source %s' % py, 'kill', 'quit']
            subprocess.run(['gdb', '-q', '-batch', elf] + sum((['-ex', c] for c in cmds), []),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=args.timeout)
    finally:
        qemu.kill()
        qemu.wait()


def symbols(elf):
    syms = []
    for line in subprocess.run(['nm', '-n', elf], capture_output=True, text=True).stdout.splitlines():
        p = line.split()
        if len(p) == 3 and p[1] in 'tTwW':
            syms.append((int(p[0], 16), p[2]))
    return [a for a, _ in syms], [n for _, n in syms]


def stretches(rips):
    """Runs of consecutive instructions on one side (guest or VMM)."""
    out = []
    for r in rips:
        vmm = r >= VMM_BASE
        if not out or out[-1][0] != vmm:
            out.append((vmm, []))
        out[-1][1].append(r)
    return out


def by_line(elf, rs):
    addrs = sorted(set(rs))
    res = subprocess.run(['addr2line', '-f', '-e', elf] + ['%x' % a for a in addrs],
                         capture_output=True, text=True).stdout.splitlines()
    where = {a: '%s %s' % (res[2 * i], res[2 * i + 1].split('/')[-1]) for i, a in enumerate(addrs)}
    count = collections.Counter(where[r] for r in rs)
    order = list(dict.fromkeys(where[r] for r in rs))
    return ['  %4d  %s' % (count[k], k) for k in order]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('iso')
    ap.add_argument('--at', required=True, help='VMM symbol hit once per operation')
    ap.add_argument('--skip', type=int, default=3000, help='hits to let pass first')
    ap.add_argument('--steps', type=int, default=5000)
    ap.add_argument('--elf', default=os.path.join(ROOT, 'build/x86_64/vmm.elf'))
    ap.add_argument('--mem', default='512')
    ap.add_argument('--lines', type=int, default=-1, metavar='K', help='per source line for the K-th VMM stretch')
    ap.add_argument('--timeout', type=int, default=900)
    args = ap.parse_args()
    with tempfile.NamedTemporaryFile('r', suffix='.txt') as t:
        trace(args, args.elf, t.name)
        rips = [int(x, 16) for x in t.read().split()]
    if not rips:
        sys.exit('trapprof: no trace (did the breakpoint at %s get %d hits?)' % (args.at, args.skip + 1))
    addrs, names = symbols(args.elf)
    k = 0
    for vmm, rs in stretches(rips):
        if not vmm:
            print('guest %d' % len(rs))
            continue
        c = collections.Counter(names[bisect.bisect_right(addrs, r) - 1] for r in rs)
        print('VMM %d (stretch %d): %s' % (len(rs), k, ', '.join('%s %d' % kv for kv in c.most_common())))
        if k == args.lines:
            print('\n'.join(by_line(args.elf, rs)))
        k += 1


if __name__ == '__main__':
    main()
