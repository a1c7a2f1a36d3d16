#!/usr/bin/env python3
"""boot.py - boot the fuzz guest (tests/fuzz) natively or under the VMM and read what it printed,
surviving rounds that kill the machine.

Natively: QEMU TCG with `-kernel` (multiboot1). Under the VMM: build/x86_64/vmm.elf by QEMU's
`-kernel` too (multiboot 1) with the fuzz guest as its module and only VM (FUZZ_GRUB=1: an ISO,
tools/mkiso.sh, whose GRUB entry boots them, as the other tests do). Both run with
`-icount shift=0,sleep=off`, so the guest's time (its PIT budget) counts instructions and a run
is repeatable.

run_range(side, seed, start, count) boots from `start`; when the guest stops printing before
"fuzz: done" (a triple fault natively -- QEMU ends with -no-reboot --, the VMM stopping the VM, or
no output for HANG_S seconds, HANG_NATIVE_S natively), the round it was in is recorded as dead with the reason, and the
next boot starts at the round after it. Result: {round: char} for rounds that ended normally,
{round: reason} for dead ones, and the digest lines [(first, last, digest)] (each covers the rounds
of one boot from `first` on, so two sides' lines agree only where both restarted alike).

list_rounds(side, seed, rounds) runs the named rounds alone (list=) and returns {round: fields}
from their "R" lines (entry fuzz.c prints them)."""
import os, re, select, subprocess, sys, tempfile, time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
HANG_S = 60                      # no output for this long: the round hangs (under the VMM)
HANG_NATIVE_S = 15               # natively (a round is 2M instructions at most unless it blocks its budget: ms)
VMM_ELF = os.environ.get('FUZZ_VMM') or os.path.join(ROOT, 'build/x86_64/vmm.elf')   # (FUZZ_VMM: another build)
QEMU = ['qemu-system-x86_64', '-accel', 'tcg', '-icount', 'shift=0,sleep=off', '-display', 'none',
        '-serial', 'stdio', '-no-reboot', '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04']
if os.environ.get('FUZZ_CPU'):                   # (FUZZ_CPU: a QEMU CPU model for both sides, e.g. max)
    QEMU += ['-cpu', os.environ['FUZZ_CPU']]
ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_'
LINE = re.compile(r'^([0-9A-Za-z_-]*) r=(\d+) d=([0-9a-f]{8})$')


def guest_elf(build):
    return os.path.join(build, 'kernel.elf')


def vmm_machine(build, args, d):
    """QEMU's arguments for the VMM with the fuzz guest (command line args) as its one VM: the
    VMM loaded by QEMU itself (-kernel: its multiboot 1 header) and the guest as a module -- a
    second where GRUB from a CD takes three; or, with FUZZ_GRUB=1, the GRUB ISO the other tests
    boot (made in directory d). Returns (the ISO to remove afterwards or None, the arguments)."""
    if not os.environ.get('FUZZ_GRUB'):
        return None, ['-m', '512', '-kernel', VMM_ELF, '-append', 'vms=1 mem=64M console=serial',
                      '-initrd', '%s fuzz %s' % (guest_elf(build), args.replace(',', ',,'))]
    os.makedirs(d, exist_ok=True)
    cfg = os.path.join(d, 'grub.cfg')
    with open(cfg, 'w') as f:
        f.write('set timeout=0\nmenuentry "fuzz" {\n  multiboot2 /boot/vmm.elf vms=1 mem=64M console=serial\n'
                '  module2 /boot/fuzz.elf fuzz %s\n  boot\n}\n' % args)
    iso = os.path.join(d, 'fuzz.iso')
    subprocess.run([os.path.join(ROOT, 'tools/mkiso.sh'), iso, cfg, VMM_ELF,
                    'fuzz.elf=' + guest_elf(build)], check=True, stdout=subprocess.DEVNULL)
    return iso, ['-m', '512', '-boot', 'd', '-cdrom', iso]


def boot(side, build, args, tag, cpu=None, hang=None, qemu=()):
    """Boot once; returns (guest lines, how it ended: 'done' | reason). Under the VMM the guest's
    lines are the console's "vm1: " lines (a long guest line is split by the VMM: rejoined).
    cpu: a QEMU CPU model for this boot (else FUZZ_CPU's, else QEMU's default); qemu: more
    arguments for QEMU (a log, say)."""
    extra = (['-cpu', cpu] if cpu else []) + list(qemu)
    if hang is None:
        hang = HANG_NATIVE_S if side == 'native' else HANG_S
    if side == 'native':
        cmd = QEMU + extra + ['-m', '64', '-kernel', guest_elf(build), '-append', args]
        iso = None
    else:
        iso, machine = vmm_machine(build, args, os.path.join(build, 'iso-' + tag))
        cmd = QEMU + extra + machine
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    raw, buf, last, how = [], b'', time.time(), None
    while True:
        r, _, _ = select.select([p.stdout], [], [], 1.0)
        if r:
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                break
            buf += chunk
            last = time.time()
            if side == 'vmm' and (b'vm1 off:' in buf or b'vm1: stopped:' in buf or b'PANIC' in buf):
                time.sleep(0.5)
                try:
                    buf += os.read(p.stdout.fileno(), 65536)
                except OSError:
                    pass
                break
        elif time.time() - last > hang:
            how = 'hang (no output for %d s)' % hang
            break
        if p.poll() is not None and not r:
            break
    p.kill()
    p.wait()
    if iso:
        os.remove(iso)                           # (made again for every boot: 20 MB each)
    text = buf.decode('latin-1').replace('\r', '')
    lines = []
    for l in text.split('\n'):
        if side == 'vmm':
            m = re.search(r'PANIC.*', l)
            if m:
                how = 'VMM ' + m.group(0)
            m = re.match(r'vm1: stopped: (.*)', l)
            if m:
                how = how or 'VM stopped: ' + m.group(1)
                continue
            if not l.startswith('vm1: '):
                continue
            l = l[5:]
            if lines and not re.match(r'(R |C |M |fuzz: )', l) and not LINE.match(l) and lines[-1].startswith(('R ', 'C ')):
                lines[-1] += l                       # the VMM split a long guest line
                continue
        lines.append(l)
    if any(l.startswith('fuzz: done') for l in lines):
        how = 'done'
    return lines, how or ('triple fault or reset' if side == 'native' else 'VM ended early')


def run_range(side, build, seed, start, count, budget=None, log=None):
    chars, dead, digests = {}, {}, []
    r, end, boots = start, start + count, 0
    extra = ' budget=%d' % budget if budget else ''
    while r < end:
        lines, how = boot(side, build, 'seed=%d start=%d count=%d%s' % (seed, r, end - r, extra), '%d-%d' % (seed, r))
        boots += 1
        got = r
        for l in lines:
            m = LINE.match(l)
            if m:
                for i, c in enumerate(m.group(1)):
                    chars[got + i] = c
                digests.append((int(m.group(2)), got + len(m.group(1)) - 1, m.group(3)))
                got += len(m.group(1))
            elif l and all(c in ALPHABET for c in l) and not l.startswith('fuzz'):
                for i, c in enumerate(l):            # the partial line the round died in
                    chars[got + i] = c
                got += len(l)
        if log:
            log.write('%s seed %d boot at %d: %d rounds, %s\n' % (side, seed, r, got - r, how))
        if how == 'done' and got >= end:
            break
        if how.startswith('VMM PANIC'):
            dead[got] = how
            break
        dead[got] = how
        r = got + 1
    return chars, dead, digests, boots


def round_fields(l):
    """The fields of an "R n k=v ..." line as a dict -- or, for a line that is not all k=v (the
    round's own output garbled it: natively random code can write the UART), {'dead': why}."""
    f = l.split()[2:]
    if all(kv.count('=') == 1 for kv in f):
        return dict(kv.split('=') for kv in f)
    return {'dead': 'garbled line %r' % l[:80]}


def list_rounds(side, build, seed, rounds, budget=None, dump=False, cpu=None):
    out, pending = {}, list(rounds)
    while pending:
        part = pending[:100]
        args = 'seed=%d list=%s%s%s' % (seed, ','.join(map(str, part)), ' budget=%d' % budget if budget else '',
                                        ' dump=1' if dump else '')
        lines, how = boot(side, build, args, 'list%d-%d' % (seed, part[0]), cpu)
        code = {}
        for l in lines:
            m = re.match(r'([CR]) (\d+)(?: |$)', l)
            if not m or int(m.group(2)) not in part:
                continue
            n = int(m.group(2))
            if m.group(1) == 'C':
                hexes = l.split(' ', 2)[-1]
                if re.fullmatch(r'(?:[0-9a-f]{2})+', hexes):    # (garbled: no code, the rules that need it say nothing)
                    code[n] = hexes
            else:
                out[n] = round_fields(l)
                if n in code:
                    out[n]['code'] = code[n]
        for n in part:
            if n not in out:
                out[n] = {'dead': how}               # this one killed the machine: the rest
                if n in code:
                    out[n]['code'] = code[n]
                break                                # of the list never ran, so boot again
        pending = [n for n in pending if n not in out]
    return out


def list_entries(side, build, seed, entries, budget=None, hang=None):
    """Run list entries -- "R" or "R:K", round R cut at byte K (fuzz.c) -- returning {entry: fields}
    ({'dead': how} for one that killed the machine; the entries after it run in another boot)."""
    out, pending = {}, list(entries)
    while pending:
        part = pending[:150]                     # (the command line holds 2 KiB)
        lines, how = boot(side, build, 'seed=%d list=%s%s' % (seed, ','.join(part), ' budget=%d' % budget if budget else ''),
                          'entries%d-%s' % (seed, re.sub('[:@]', '-', part[0])), hang=hang)
        for l in lines:
            f = l.split()
            if l.startswith('R ') and len(f) > 1 and f[1] in part:
                out[f[1]] = round_fields(l)
        for e in part:
            if e not in out:
                out[e] = {'dead': how}
                break
        pending = [e for e in pending if e not in out]
    return out


if __name__ == '__main__':
    side, build, seed, start, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    chars, dead, digests, boots = run_range(side, build, seed, start, count, log=sys.stderr)
    print(''.join(chars.get(i, '!') for i in range(start, start + count)))
    print(dead)
