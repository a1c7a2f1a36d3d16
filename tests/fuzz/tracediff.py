#!/usr/bin/env python3
"""tracediff.py - a fuzz round instruction by instruction, natively and under the VMM, side by side.

Usage: tracediff.py [--build DIR] [--all] SEED ROUND[:CUT]

Boots the round alone (list=) on each side with QEMU's single step and `-d cpu` restricted to the
round's addresses (-dfilter: 4 MiB to 4 GiB, its code, scratch and stack pages and the junk page
mapped at every other address), so the log holds the registers before
every instruction the round ran there -- natively, and under the VMM as the guest's own
instructions (the VMM runs elsewhere). Prints the steps up to the first one whose EIP, general
registers or EFLAGS (but IF and IOPL, which the VMM keeps virtual) differ (all of them with --all).
An instruction that took a hidden fault under the VMM (a shadow fill) shows there twice in a
row: retry() finds those.

One instruction per translation block changes what QEMU's TCG does with lazily computed flags, so
a trace need not end as the round's normal run does; what it shows about single instructions
(a retried one and its flags) holds. Needs nothing but QEMU."""
import argparse, os, re, select, socket, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import boot

KEYS = ['EIP', 'EAX', 'ECX', 'EDX', 'EBX', 'ESP', 'EBP', 'ESI', 'EDI', 'EFL']
VIRTUAL = 0x3200                   # EFLAGS.IF and IOPL: under the VMM the guest's are in the VMM


# A line of QEMU's in_asm log: address, the instruction's bytes, its disassembly.
ASM_LINE = re.compile(r'^0x([0-9a-f]+):\s+((?:[0-9a-f]{2} )+)\s*(\S.*)$')


def single_step_on(mon):
    """QEMU's monitor (HMP) at the unix socket mon: `singlestep on` and `log in_asm,cpu,nochain`,
    each waited for (its next prompt): blocks translated from now on hold one instruction each, and
    the log has them. (Logging from here on, not from the start: the firmware's code runs in the
    -dfilter range too -- SeaBIOS at 0xfffexxxx and, relocated, at the top of RAM.)"""
    c = socket.socket(socket.AF_UNIX)
    c.connect(mon)
    got = b''
    while got.count(b'(qemu)') < 1:
        got += c.recv(4096)
    for i, cmd in enumerate((b'singlestep on\n', b'log in_asm,cpu,nochain\n')):
        c.sendall(cmd)
        while got.count(b'(qemu)') < 2 + i:
            got += c.recv(4096)
    c.close()


def steps(side, build, seed, entry, asm=None, cpl=None, raw=None, tr=None, lines=None, long=False, stop=None):
    """[{KEY: value}] before each instruction the round ran from 4 MiB up (its code, scratch and
    stack pages, and the junk page at every other address). asm, a dict: filled with {EIP: QEMU's disassembly of the instruction there} (the
    first translation of it); cpl, a dict: {EIP: the CPL it first ran at}; raw: {EIP: its bytes};
    tr: {EIP: the task register's selector when it first ran}; lines, a list: the guest's serial
    lines of the stepped run are appended (its rounds' R lines: what the round observed; "fuzz:
    done" if the trace is whole); long: let it run 1200 s and log 2 GiB, for a round that runs
    its whole 2 ms budget (some 2M instructions, some 700 bytes of log each: 60:6262's VMM side,
    a push loop that ran until its budget interrupt, took 1,563,627 steps and 1.3 GiB); stop: end
    the run once that many steps are in (a native hang traced as far as the VMM's round ran, and
    one step on: nothing after that is compared)."""
    # (up to three runs: now and then a run logs no step at all, the round done before the single
    # step took hold -- a race around the monitor seen once in two runs of 87:2065's VMM side)
    for attempt in range(3):
        got = [] if lines is not None else None
        out = _steps_once(side, build, seed, entry, asm, cpl, raw, tr, got, long, stop)
        if out or attempt == 2:
            if lines is not None:
                lines.extend(got)
            return out


class _Parser:
    """Turns QEMU's `-d in_asm,cpu` log, line by line, into steps (see steps())."""

    def __init__(self, asm, cpl, raw, tr):
        self.asm, self.cpl, self.raw, self.tr = asm, cpl, raw, tr
        self.out, self.cur, self.part = [], {}, b''

    def line(self, l):
        cur, out, asm = self.cur, self.out, self.asm
        if l.startswith('CCS='):
            st = {k: cur.get(k) for k in KEYS}
            if st['EFL'] is not None:          # (the VMM keeps IF and IOPL virtual: not compared)
                st['EFL'] &= ~VIRTUAL
            # (a step again with nothing changed: a fault the VMM took and hid -- or with TF
            # alone set, the VMM stepping the instruction again on its own code page, 73:1938;
            # or a popa again, of which QEMU had committed the first registers before it
            # faulted half-way, 99:3029)
            again = out and st['EIP'] == out[-1]['EIP'] and asm is not None and asm.get(st['EIP'], '').startswith('popa')
            if not out or (out[-1] != st and not again and not (
                    st['EFL'] is not None and out[-1]['EFL'] is not None and st['EFL'] ^ out[-1]['EFL'] == 0x100 and
                    all(st[k] == out[-1][k] for k in KEYS if k != 'EFL'))):
                out.append(st)
            self.cur = {}
            return
        for k, v in re.findall(r'\b(E[A-Z]{2})=([0-9a-f]{8})\b', l):
            cur[k] = int(v, 16)
        if self.tr is not None and cur.get('EIP') is not None:
            m = re.match(r'TR =([0-9a-f]{4}) ', l)
            if m:
                self.tr.setdefault(cur['EIP'], int(m.group(1), 16))
        if self.cpl is not None and cur.get('EIP') is not None:
            m = re.search(r' CPL=(\d) ', l)
            if m:
                self.cpl.setdefault(cur['EIP'], int(m.group(1)))
        if asm is not None or self.raw is not None:
            m = ASM_LINE.match(l)
            if m and asm is not None:
                asm.setdefault(int(m.group(1), 16), m.group(3).strip())
            if m and self.raw is not None:
                self.raw.setdefault(int(m.group(1), 16), m.group(2).replace(' ', ''))

    def feed(self, f, limit):
        """Parse the whole lines among the next (about) limit bytes of the file f (binary); the
        start of a line still being written is kept for the next call."""
        chunk = f.read(limit)
        if not chunk:
            return False
        chunk, self.part = (self.part + chunk).rsplit(b'\n', 1) if b'\n' in chunk else (b'', self.part + chunk)
        for l in chunk.decode(errors='replace').split('\n'):
            self.line(l)
        return True


def _steps_once(side, build, seed, entry, asm, cpl, raw, tr, lines, long, stop):
    """One run of steps()."""
    d = tempfile.mkdtemp(prefix='trace-', dir=build)
    log = os.path.join(d, 'cpu.log')
    # (QEMU's single step is turned on through its monitor once the guest waits for it: booting
    # the VMM from the CD one instruction per block took most of a trace's time)
    mon = os.path.join(d, 'mon.sock')
    # (-dfilter: the round's own pages and the junk page wherever it maps -- everything from 4 MiB
    # on below 4 GiB; the harness runs below 4 MiB, the VMM above 4 GiB)
    trace = ['-dfilter', '0x400000..0xffffffff', '-D', log,
             '-monitor', 'unix:%s,server=on,wait=off' % mon]
    args = 'seed=%d list=%s wait=1' % (seed, entry)
    if side == 'native':
        cmd = boot.QEMU + trace + ['-m', '64', '-kernel', boot.guest_elf(build), '-append', args]
    else:
        cmd = boot.QEMU + trace + boot.vmm_machine(build, args, d)[1]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.PIPE)
    buf, stepping = b'', False
    secs, cap = (1200, 2 << 30) if long else (120, 64 << 20)
    parse = _Parser(asm, cpl, raw, tr)
    f = None
    try:                               # (until the guest says it is done, or 120 s, or 64 MiB of log: a hang,
        t0 = size_t = time.time()      #  or 10 s without a line of log or output: a hang outside the
        size = 0                       #  round's pages, or stop steps parsed)
        while time.time() - t0 < secs and b'fuzz: done' not in buf and p.poll() is None and size <= cap and \
                not (stepping and time.time() - size_t > 10) and not (stop and len(parse.out) >= stop):
            if select.select([p.stdout], [], [], 0.2 if f else 1.0)[0]:
                buf += os.read(p.stdout.fileno(), 65536)
                size_t = time.time()   # (output is not a stall either: the harness printing its R line)
            if not stepping and b'fuzz: waiting' in buf:
                single_step_on(mon)
                p.stdin.write(b'g')    # (the serial line: natively the guest's, under the VMM vm1's console)
                p.stdin.flush()
                stepping = True
            if f is None and os.path.exists(log):
                f = open(log, 'rb')
            if f:                      # (parsed as it grows: a long trace is read once, and stop is seen)
                parse.feed(f, 4 << 20)
            now = os.path.getsize(log) if os.path.exists(log) else 0
            if now != size:            # (measured after the parse, which takes its time: not a stall)
                size, size_t = now, time.time()
    finally:
        p.kill()
        p.wait()
    buf += p.stdout.read()             # (what QEMU wrote before it ended and the loop did not read)
    if lines is not None:
        lines.extend(buf.decode(errors='replace').splitlines())
    if f is None and os.path.exists(log):
        f = open(log, 'rb')
    if f:
        while not (stop and len(parse.out) >= stop) and parse.feed(f, 64 << 20):
            pass
        if parse.part:                 # (a last line QEMU did not end)
            parse.line(parse.part.decode(errors='replace'))
        f.close()
    subprocess.run(['rm', '-rf', d])
    return parse.out[:stop] if stop else parse.out


def both(build, seed, entry, asm=None, vasm=None, vcpl=None, raw=None, vraw=None, lines=None):
    """Both sides' steps (asm: the native side's disassembly, as steps fills it, raw its bytes,
    lines its serial lines; vasm, vcpl and vraw: the VMM side's disassembly -- patched bytes show
    as int3 there --, CPLs and bytes)."""
    res = {}
    ts = [threading.Thread(target=lambda s=s: res.__setitem__(s, steps(s, build, seed, entry, asm, None, raw, lines=lines)
                                                              if s == 'native'
                                                              else steps(s, build, seed, entry, vasm, vcpl, vraw)))
          for s in ('native', 'vmm')]
    [t.start() for t in ts]
    [t.join() for t in ts]
    return res['native'], res['vmm']


def retry(n, v):
    """Where the traces part, if there the VMM ran the instruction of the step before again -- the
    same instruction retried after a hidden fault -- with the same registers and only status
    flags (CF PF AF ZF SF OF) changed: (i, its first run, its retry); else None."""
    for i in range(1, min(len(n), len(v))):
        if n[i] != v[i]:
            a, b = v[i - 1], v[i]              # (v[i - 1] == n[i - 1]: the first run of it)
            if a['EIP'] == b['EIP'] and all(a[k] == b[k] for k in KEYS if k != 'EFL') and \
                    a['EFL'] != b['EFL'] and (a['EFL'] ^ b['EFL']) & ~0x8D5 == 0:
                return i - 1, a, b
            return None
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', default=os.path.join(boot.ROOT, 'build/fuzz'))
    ap.add_argument('--all', action='store_true')
    ap.add_argument('seed', type=int)
    ap.add_argument('entry')
    args = ap.parse_args()
    asm = {}
    n, v = both(args.build, args.seed, args.entry, asm)
    fmt = lambda x: ' '.join('%08x' % x[k] if x.get(k) is not None else '-' * 8 for k in KEYS)
    print('step     ' + ' '.join('%-8s' % k for k in KEYS))
    for i in range(max(len(n), len(v))):
        a, b = (n[i] if i < len(n) else {}), (v[i] if i < len(v) else {})
        print('%4d N   %s  %s' % (i, fmt(a), asm.get(a.get('EIP'), '')))
        if a != b:
            print('     VMM %s  <-- differs' % fmt(b))
            if not args.all:
                break
    r = retry(n, v)
    if r:
        print('the VMM retried the instruction at %08x with EFLAGS %08x after a hidden fault (first run: %08x)'
              % (r[1]['EIP'], r[2]['EFL'], r[1]['EFL']))


if __name__ == '__main__':
    main()
