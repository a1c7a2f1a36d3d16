#!/usr/bin/env python3
"""pathtrace.py - where the VMM's instructions go on one kind of trap, instruction by instruction.

  python3 tools/pathtrace.py ISO [--vector N] [--skip K] [--traps T] [--vmm ELF] [--show]

Boots ISO in QEMU (TCG, -icount, paused, gdb stub on a free port), lets the guest run until the
VMM's entry stub for vector N (default 128, int 0x80) has been hit K times (default 2000: past the
boot, inside a benchmark loop), then single-steps the VMM from that stub until it returns to the
guest, and keeps doing so for the next T-1 traps of any vector (default T=4: a system call, the
patched iret that ends it, ...). For each trap it prints the vector, the number of VMM instructions
from the stub to the iretq, and the functions they were spent in (by symbol of vmm.elf); --show
lists every instruction. The figures are what the exit profile's per-kind averages summarise, so
they explain make bench's rows. A development tool, not a test: nothing here is asserted."""
import os, socket, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

try:
    import gdb  # noqa: F401  (running inside gdb: the tracer itself)
except ImportError:
    gdb = None


def launcher():
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument('iso')
    ap.add_argument('--vector', type=int, default=128)
    ap.add_argument('--skip', type=int, default=2000)
    ap.add_argument('--traps', type=int, default=4)
    ap.add_argument('--vmm', default=os.path.join(ROOT, 'build/x86_64/vmm.elf'))
    ap.add_argument('--show', action='store_true')
    a = ap.parse_args()
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    q = subprocess.Popen(['qemu-system-x86_64', '-accel', 'tcg', '-icount', 'shift=0,sleep=off', '-m', '1024',
                          '-display', 'none', '-serial', 'file:/dev/null', '-no-reboot', '-device',
                          'isa-debug-exit,iobase=0xf4,iosize=0x04', '-boot', 'd', '-cdrom', a.iso,
                          '-gdb', 'tcp:127.0.0.1:%d' % port, '-S'])
    out = '/tmp/pathtrace.%d.txt' % os.getpid()
    env = dict(os.environ, PT_OUT=out, PT_PORT=str(port), PT_VECTOR=str(a.vector), PT_SKIP=str(a.skip),
               PT_TRAPS=str(a.traps), PT_SHOW='1' if a.show else '')
    try:
        # (gdb prints every step's source line: only the tracer's report, written to `out`, is shown)
        rc = subprocess.call(['gdb', '-q', '-batch', '-nx', a.vmm, '-x', os.path.abspath(__file__)], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    finally:
        q.kill()
    if os.path.exists(out):
        sys.stdout.write(open(out).read())
        os.remove(out)
    sys.exit(rc)


def tracer():
    e = os.environ
    show = bool(e['PT_SHOW'])
    rep = open(e['PT_OUT'], 'w')

    def say(line):
        rep.write(line + '\n')
        rep.flush()
    gdb.execute('set pagination off')
    gdb.execute('set confirm off')
    gdb.execute('target remote 127.0.0.1:%s' % e['PT_PORT'])
    bp = gdb.Breakpoint('stub_%d' % int(e['PT_VECTOR']))
    bp.ignore_count = int(e['PT_SKIP'])
    gdb.execute('continue')
    bp.delete()
    vmm_low = 0xffff800000000000

    def pc():
        return int(gdb.parse_and_eval('$pc')) & 0xffffffffffffffff

    def where(addr):
        s = gdb.execute('info symbol 0x%x' % addr, to_string=True).strip()
        return s.split(' in section')[0].split(' + ')[0] if not s.startswith('No symbol') else '?'

    M = 0xffffffffffffffff
    stubs = (int(gdb.parse_and_eval('(long)&stub_1')) - int(gdb.parse_and_eval('(long)&stub_0'))) & M
    stub0 = int(gdb.parse_and_eval('(long)&stub_0')) & M
    common = min(int(gdb.parse_and_eval('(long)&trap_common')) & M, int(gdb.parse_and_eval('(long)&fast_common')) & M)
    for t in range(int(e['PT_TRAPS'])):
        if t:   # run the guest to the next trap into the VMM (any vector), past the stub: the full
                # way in (trap_common) or the short one (fast_common)
            gdb.execute('break trap_common', to_string=True)
            gdb.execute('break fast_common', to_string=True)
            gdb.execute('continue', to_string=True)
            gdb.execute('delete', to_string=True)
            # the stub that came before: the vector is on the stack ([rsp])
        start = pc()
        vec = (start - stub0) // stubs if start < common else int(gdb.parse_and_eval('*(long *)$rsp'))
        n, funcs, order = 0, {}, []
        cache = {}
        while True:
            a = pc()
            if a < vmm_low:
                break
            n += 1
            f = cache.get(a)
            if f is None:
                f = cache[a] = where(a)
            if f not in funcs:
                order.append(f)
                funcs[f] = 0
            funcs[f] += 1
            if show:
                say('  %016x %s' % (a, f))
            gdb.execute('stepi', to_string=True)
        say('trap %d: vector %d: %d VMM instructions' % (t + 1, vec, n))
        for f in order:
            say('    %6d  %s' % (funcs[f], f))
    gdb.execute('kill')


if gdb is None:
    launcher()
else:
    tracer()
