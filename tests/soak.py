#!/usr/bin/env python3
"""soak.py - `make soak`: four VMs of mixed workloads under the VMM in one QEMU (TCG) for N minutes.

    tests/soak.py [--minutes N] [--machine-mem MiB] [--sample SEC] [--out DIR] [--no-linux]

The VMs (each 128 MiB, sharing on: share=16) in a machine of 300 MiB (--machine-mem, SOAK_MEM):
512 MiB of guest RAM in less than 300, so the sharing, the balloons and the compressed store all
get to work:
  vm1  guest-x86 `test soak memcheck=10`        (hypercalls, balloon driver; traced shadow)
  vm2  guest-x86 `test nopv soak memcheck=10`   (no hypercalls; virtual TLB)
  vm3  guest-x86 `bench soak memcheck=10`       (the benchmarks: fork/exec, page faults, a 64 MiB walk)
  vm4  Linux (Debian i386 + busybox) with `ktap.soak` (its 20 self-checking tests, again and again)
       -- or a fourth guest-x86 `test soak` with --no-linux or when build/linux is missing.
With the boot word `soak` guest-x86 does not power off when its suite (or its benchmarks) end: it
runs memcheck (2048 frames of four kinds, checksummed over memcheck=N rounds) and starts its user
program again, printing `soak: pass P: ...; totals: ...` after each pass (guest/x86/kernel/proc.c).
Linux's init with `ktap.soak` prints `linux-soak: pass P: ...` (guest/linux/init).

Every --sample seconds the runner types the operator's `mem` command (Ctrl-] mem Enter) on the
serial line and records the VMM's answer (free machine frames, the fewest so far, the VMM's own
frames, shared frames, the compressed store; each VM's backed/shared/paged-out frames and balloon).
At the end: `list`, then QEMU is ended. The report (stdout and DIR/report.txt; samples in
DIR/samples.csv, the console in DIR/console.log):
  per VM: passes completed (guest-x86: suite or benchmarks + memcheck; Linux: its 20 tests, the
          first KTAP pass included), memcheck rounds and checksums, checksums wrong (lost or corrupted pages),
          suite tests that said not ok, whether it was alive and progressing at the end;
  the memory table over time.
It passes (exit 0) when every VM is alive and progressed in the last part of the run, no checksum
failed (memcheck, and the Linux tests that compare checksums: pipes, fifo, tmpfs files), and the VMM
did not panic. Suite tests that fail otherwise (wall-clock timings, under a load of four VMs on a
shared host) are reported, not judged.
"""
import argparse, os, re, subprocess, sys, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LINUX_APPEND = 'console=ttyS0 quiet cryptomgr.notests noisapnp ktap.soak'
LINUX_CHECKSUM_TESTS = {'pipe_known_bytes', 'pipe_random_roundtrip', 'fifo', 'tmpfs_files'}


def build_iso(out, linux):
    cfg = os.path.join(out, 'soak.cfg')
    mods = ['guest-x86 test soak memcheck=10', 'guest-x86 test nopv soak memcheck=10',
            'guest-x86 bench soak memcheck=10']
    lines = ['set timeout=0', 'menuentry "soak" {',
             '  multiboot2 /boot/vmm.elf mem=128M share=16 shadow=trace,vtlb,trace,trace']
    lines += ['  module2 /boot/guest-x86.elf ' + m for m in mods]
    files = []
    if linux:
        lines += ['  module2 /boot/vmlinuz ' + LINUX_APPEND, '  module2 /boot/initrd.gz initrd',
                  '  module2 /boot/vmlinux vmlinux']
        L = os.path.join(ROOT, 'build/linux')
        files = ['vmlinuz=%s/vmlinuz' % L, 'initrd.gz=%s/initrd.gz' % L, 'vmlinux=%s/vmlinux' % L]
    else:
        lines += ['  module2 /boot/guest-x86.elf guest-x86 test soak memcheck=10']
    lines += ['  boot', '}']
    open(cfg, 'w').write('\n'.join(lines) + '\n')
    iso = os.path.join(out, 'soak.iso')
    subprocess.run([os.path.join(ROOT, 'tools/mkiso.sh'), iso, cfg, os.path.join(ROOT, 'build/x86_64/vmm.elf'),
                    os.path.join(ROOT, 'build/guest-x86/kernel.elf')] + files, check=True)
    return iso, lines


class Console:
    """QEMU's serial line: a thread copies stdout to the log and keeps the lines with their times."""
    def __init__(self, cmd, log):
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.log = open(log, 'wb')
        self.lines = []          # (seconds since start, text)
        self.t0 = time.time()
        self.lock = threading.Lock()
        threading.Thread(target=self.reader, daemon=True).start()

    def reader(self):
        buf = b''
        while True:
            b = self.p.stdout.read1(65536) if hasattr(self.p.stdout, 'read1') else self.p.stdout.read(1)
            if not b:
                break
            self.log.write(b)
            self.log.flush()
            buf += b
            while b'\n' in buf:
                line, buf = buf.split(b'\n', 1)
                with self.lock:
                    self.lines.append((time.time() - self.t0, line.decode('latin-1').rstrip('\r')))

    def send(self, text):
        try:
            self.p.stdin.write(text.encode())
            self.p.stdin.flush()
        except (BrokenPipeError, OSError):
            pass

    def count(self):
        with self.lock:
            return len(self.lines)

    def since(self, n):
        with self.lock:
            return self.lines[n:]


MEM_RE = re.compile(r'vmm: mem: free (\d+) of (\d+) frames, fewest (\d+); vmm (\d+); shared (\d+) frames for (\d+); '
                    r'store (\d+) pages in (\d+)/(\d+) frames \(put (\d+), taken back (\d+), refused (\d+)\)')
VMMEM_RE = re.compile(r'vmm: mem (vm\d+) (\S+): backed (\d+), shared (\d+), out (\d+), balloon (\d+)')


def sample(con, timeout=60):
    """Type `mem` and wait for the machine line and every VM's line. A dict, or None."""
    n = con.count()
    con.send('\x1dmem\r')
    t_end = time.time() + timeout
    got, vms = None, {}
    while time.time() < t_end:
        for t, line in con.since(n):
            m = MEM_RE.search(line)
            if m:
                got = dict(t=t, free=int(m[1]), total=int(m[2]), fewest=int(m[3]), vmm=int(m[4]),
                           shframes=int(m[5]), shrefs=int(m[6]), zpages=int(m[7]), zframes=int(m[8]),
                           zbound=int(m[9]), zput=int(m[10]), zget=int(m[11]), zfull=int(m[12]))
            m = VMMEM_RE.search(line)
            if m and got:
                vms[m[1]] = dict(state=m[2], backed=int(m[3]), shared=int(m[4]), out=int(m[5]), balloon=int(m[6]))
        if got and len(vms) >= 4:
            got['vms'] = vms
            return got
        time.sleep(0.5)
    if got:
        got['vms'] = vms
    return got


def analyse(lines, nvms, end_t, window):
    """Per VM: passes, rounds, checksums, wrong, suite failures, last output time, end state."""
    vm = {'vm%d' % i: dict(passes=0, rounds=0, checksums=0, wrong=0, suite_bad=0, last=None, ended=None,
                           kind='guest-x86', linux_fail={}, changed=[], soak_t=[]) for i in range(1, nvms + 1)}
    panic = []
    soak_re = re.compile(r'^(vm\d+): soak: pass (\d+): suite (-?\d+) not ok; memcheck (\d+) rounds, (\d+) checksums, '
                         r'(\d+) wrong.*totals: (\d+) passes, (\d+) failed, (\d+) rounds, (\d+) checksums, (\d+) wrong')
    lsoak_re = re.compile(r'^(vm\d+): linux-soak: pass (\d+): (\d+) passed, (\d+) failed(?: \[ ?([^\]]*)\])?')
    for t, line in lines:
        if 'PANIC' in line or 'vmm: fault' in line.lower():
            panic.append(line)
        m = re.match(r'^(vm\d+)[: ]', line)
        if not m or m[1] not in vm:
            continue
        v = vm[m[1]]
        if line.startswith(m[1] + ': ') and not line.startswith(m[1] + ': vmm'):
            v['last'] = t
        if re.match(r'^vm\d+: (stopped|not started)', line) or re.match(r'^vm\d+ off: ', line):
            v['ended'] = line
        s = soak_re.match(line)
        if s:
            v['passes'], v['suite_bad'] = int(s[7]), int(s[8])
            v['rounds'], v['checksums'], v['wrong'] = int(s[9]), int(s[10]), int(s[11])
            v['soak_t'].append(t)
        if 'changed under us' in line:
            v['changed'].append(line)
        s = lsoak_re.match(line)
        if s:
            v['kind'] = 'linux'
            v['passes'] = int(s[2]) + v.get('ktap_done', 0)
            v['soak_t'].append(t)
            for name in (s[5] or '').split():
                v['linux_fail'][name] = v['linux_fail'].get(name, 0) + 1
        if re.match(r'^vm\d+: linux-(init|ktap)', line):
            v['kind'] = 'linux'
        if re.match(r'^vm\d+: linux-ktap: ', line):
            v['ktap_done'] = 1
        if re.match(r'^vm\d+: not ok \d+ ', line):
            name = line.split(' ', 4)[-1]
            if v['kind'] == 'linux':
                v['linux_fail'][name] = v['linux_fail'].get(name, 0) + 1
            elif not v['passes']:
                v['suite_bad'] += 0   # counted through the soak line's totals (the first pass included)
    for name, v in vm.items():
        if v['kind'] == 'linux':
            v['wrong'] = sum(c for k, c in v['linux_fail'].items() if k in LINUX_CHECKSUM_TESTS)
            v['suite_bad'] = sum(c for k, c in v['linux_fail'].items() if k not in LINUX_CHECKSUM_TESTS)
        if v['kind'] == 'linux' and not v['soak_t']:
            v['passes'] = v.get('ktap_done', 0)
        v['alive'] = v['ended'] is None
        v['progressing'] = v['last'] is not None and v['last'] >= end_t - window
    return vm, panic


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--minutes', type=float, default=float(os.environ.get('SOAK_MINUTES', 30)))
    ap.add_argument('--machine-mem', type=int, default=int(os.environ.get('SOAK_MEM', 300)))
    ap.add_argument('--sample', type=float, default=60)
    ap.add_argument('--out', default=os.path.join(ROOT, 'build/soak'))
    ap.add_argument('--no-linux', action='store_true')
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    linux = not a.no_linux and all(os.path.exists(os.path.join(ROOT, 'build/linux', f))
                                   for f in ('vmlinuz', 'initrd.gz', 'vmlinux'))
    iso, cfg = build_iso(a.out, linux)
    cmd = ['qemu-system-x86_64', '-accel', 'tcg', '-m', str(a.machine_mem), '-display', 'none', '-serial', 'stdio',
           '-monitor', 'none', '-no-reboot', '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04', '-boot', 'd', '-cdrom', iso]
    print('soak: %s minutes, machine %d MiB, %s; console in %s/console.log' %
          (a.minutes, a.machine_mem, 'Linux as vm4' if linux else 'no Linux (guest-x86 as vm4)', a.out), flush=True)
    con = Console(cmd, os.path.join(a.out, 'console.log'))
    samples = []
    t_end = con.t0 + a.minutes * 60
    next_s = con.t0 + min(a.sample, 30)       # the first sample early: the VMs have just started
    while time.time() < t_end and con.p.poll() is None:
        if time.time() >= next_s:
            s = sample(con)
            if s:
                samples.append(s)
                print('soak: %5.1f min: free %d frames (fewest %d), shared %d for %d, store %d pages; %s' % (
                    s['t'] / 60, s['free'], s['fewest'], s['shframes'], s['shrefs'], s['zpages'],
                    ', '.join('%s %s' % (k, v['state']) for k, v in sorted(s['vms'].items()))), flush=True)
            next_s = max(next_s + a.sample, time.time() + 5)
        time.sleep(1)
    ended_early = con.p.poll() is not None
    if not ended_early:
        s = sample(con)
        if s:
            samples.append(s)
        n = con.count()
        con.send('\x1dlist\r')
        time.sleep(10)
        con.p.kill()
    con.p.wait()
    time.sleep(1)
    lines = con.since(0)
    end_t = lines[-1][0] if lines else 0
    window = max(a.sample * 2, 120, a.minutes * 60 / 5)
    nvms = 4
    vm, panic = analyse(lines, nvms, end_t, window)

    out = []
    out.append('soak: %.1f minutes (%.0f s of console), machine %d MiB, VMs of 128 MiB: %s' % (
        a.minutes, end_t, a.machine_mem, cfg[2].strip()))
    out.append('')
    out.append('%-4s %-10s %7s %8s %10s %6s %9s %6s %11s' % ('vm', 'workload', 'passes', 'rounds', 'checksums',
                                                          'wrong', 'suite-bad', 'alive', 'progressing'))
    mods = [c for c in cfg if 'module2' in c and 'initrd' not in c and 'vmlinux ' not in c]
    for i, (name, v) in enumerate(sorted(vm.items(), key=lambda kv: int(kv[0][2:]))):
        work = 'linux' if v['kind'] == 'linux' else (mods[i].split('guest-x86.elf guest-x86 ')[-1].split()[0]
                                                       if i < len(mods) else '?')
        out.append('%-4s %-10s %7d %8s %10s %6d %9d %6s %11s' % (
            name, work, v['passes'], v['rounds'] if v['kind'] != 'linux' else '-',
            v['checksums'] if v['kind'] != 'linux' else '-', v['wrong'], v['suite_bad'],
            'yes' if v['alive'] else 'NO', 'yes' if v['progressing'] else 'NO'))
        if v['ended']:
            out.append('     ended: ' + v['ended'])
        for c in v['changed'][:4]:
            out.append('     ' + c)
        if v['linux_fail']:
            out.append('     Linux tests that failed (times): ' + ', '.join('%s %d' % kv for kv in sorted(v['linux_fail'].items())))
    out.append('')
    out.append('memory over time (frames of 4 KiB; machine %s frames; vm columns: backed/paged out/balloon)' %
               (samples[0]['total'] if samples else '?'))
    hdr = '%6s %7s %7s %6s %13s %12s' % ('min', 'free', 'fewest', 'vmm', 'shared(for)', 'store pages')
    for i in range(1, nvms + 1):
        hdr += ' %19s' % ('vm%d' % i)
    out.append(hdr)
    csv = ['minutes,free,fewest,vmm,shared_frames,shared_refs,store_pages,store_frames,store_puts,store_gets' +
           ''.join(',vm%d_backed,vm%d_out,vm%d_balloon' % (i, i, i) for i in range(1, nvms + 1))]
    for s in samples:
        row = '%6.1f %7d %7d %6d %13s %12d' % (s['t'] / 60, s['free'], s['fewest'], s['vmm'],
                                               '%d(%d)' % (s['shframes'], s['shrefs']), s['zpages'])
        c = '%.2f,%d,%d,%d,%d,%d,%d,%d,%d,%d' % (s['t'] / 60, s['free'], s['fewest'], s['vmm'], s['shframes'],
                                                 s['shrefs'], s['zpages'], s['zframes'], s['zput'], s['zget'])
        for i in range(1, nvms + 1):
            v = s['vms'].get('vm%d' % i)
            row += ' %19s' % ('%d/%d/%d' % (v['backed'], v['out'], v['balloon']) if v else '-')
            c += ',%s,%s,%s' % ((v['backed'], v['out'], v['balloon']) if v else ('', '', ''))
        out.append(row)
        csv.append(c)
    wrong = sum(v['wrong'] for v in vm.values())
    dead = [k for k, v in vm.items() if not v['alive'] or not v['progressing']]
    out.append('')
    if panic:
        out.append('VMM panic or fault: ' + panic[0])
    if ended_early:
        out.append('QEMU ended before the time was up (exit %s)' % con.p.returncode)
    ok = not panic and not ended_early and wrong == 0 and not dead and samples
    out.append('soak: %s - %d checksum failures, %d VMs not alive or not progressing%s, %d suite tests not ok (reported), '
               'VMM panic: %s' % ('PASS' if ok else 'FAIL', wrong, len(dead), (' (' + ', '.join(dead) + ')') if dead else '',
                                   sum(v['suite_bad'] for v in vm.values()), 'yes' if panic else 'no'))
    text = '\n'.join(out) + '\n'
    print(text, end='')
    open(os.path.join(a.out, 'report.txt'), 'w').write(text)
    open(os.path.join(a.out, 'samples.csv'), 'w').write('\n'.join(csv) + '\n')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
