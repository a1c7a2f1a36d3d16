#!/usr/bin/env python3
"""bench.py - the same guest binary natively and under the VMM: run guest-x86 in bench mode both
ways (QEMU, KVM when tools/accel.sh says it is usable, TCG otherwise), and print one table of
cycles per operation with the VMM/native ratio; also write build/bench/x86.md and x86.svg.
Timings under TCG are emulator timings, labelled as such: only ratios mean anything there."""
import os, re, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, 'build', 'bench')
QEMU = ['qemu-system-x86_64', '-m', '1024', '-display', 'none', '-serial', 'stdio', '-no-reboot',
        '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04']

def iso(name, entry):
    cfg = os.path.join(OUT, name + '.cfg')
    with open(cfg, 'w') as f:
        f.write('set timeout=0\nmenuentry "%s" {\n%s\n  boot\n}\n' % (name, entry))
    path = os.path.join(OUT, name + '.iso')
    subprocess.check_call([os.path.join(ROOT, 'tools/mkiso.sh'), path, cfg,
                           os.path.join(ROOT, 'build/x86_64/vmm.elf'),
                           os.path.join(ROOT, 'build/guest-x86/kernel.elf')])
    return path

def run(path, accel, prefix):
    p = subprocess.run(QEMU + ['-accel', accel, '-cdrom', path], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=900)
    text = p.stdout.decode('utf-8', 'replace')
    res = {}
    for line in text.splitlines():
        line = line[len(prefix):] if line.startswith(prefix) else line
        m = re.match(r'bench (\S+) cycles=(\d+) min=(\d+) max=(\d+) iters=(\d+)', line)
        if m:
            res[m.group(1)] = int(m.group(2))
    if not res:
        sys.exit('bench: no results from %s; console:\n%s' % (path, text[-2000:]))
    return res, text

def svg(rows, title):
    w, bar, h = 760, 22, 60 + 2 * 22 * len(rows) + 10 * len(rows)
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">' % (w, h),
           '<text x="10" y="20" font-size="14">%s</text>' % title,
           '<text x="10" y="38">bars: log10(cycles per operation); blue native, orange under the VMM</text>']
    import math
    top = max(max(n, v) for _, n, v in rows)
    scale = 480 / math.log10(max(top, 10))
    y = 50
    for name, n, v in rows:
        out.append('<text x="10" y="%d">%s</text>' % (y + 26, name))
        for val, col, dy in ((n, '#3b6fb6', 0), (v, '#e08a2c', bar)):
            width = max(1, math.log10(max(val, 1)) * scale)
            out.append('<rect x="190" y="%d" width="%.0f" height="%d" fill="%s"/>' % (y + dy, width, bar - 3, col))
            out.append('<text x="%.0f" y="%d">%d</text>' % (195 + width, y + dy + 15, val))
        y += 2 * bar + 10
    out.append('</svg>')
    return '\n'.join(out)

def main():
    os.makedirs(OUT, exist_ok=True)
    accel = subprocess.run([os.path.join(ROOT, 'tools/accel.sh'), '-v'], stdout=subprocess.PIPE,
                           text=True).stdout.strip()
    native, _ = run(iso('native', '  multiboot /boot/guest-x86.elf bench'), accel, '')
    vmm, log = run(iso('vmm', '  multiboot2 /boot/vmm.elf mem=256M\n  module2 /boot/guest-x86.elf guest-x86 bench'),
                   accel, 'vm1: ')
    exits = [l for l in log.splitlines() if 'exits:' in l]
    label = 'KVM' if accel == 'kvm' else 'TCG (emulated: only the ratios mean something)'
    lines = ['guest-x86 nanobenchmarks, cycles per operation (rdtsc, median of 11 runs), QEMU %s' % label,
             '', '| benchmark | native | under the VMM | VMM / native |', '|---|---:|---:|---:|']
    rows = []
    for name in native:
        if name in vmm:
            lines.append('| %s | %d | %d | %.1fx |' % (name, native[name], vmm[name], vmm[name] / max(native[name], 1)))
            rows.append((name, native[name], vmm[name]))
    if exits:
        lines += ['', 'VMM exits during the VMM run: ' + exits[0].split('exits: ', 1)[1]]
    table = '\n'.join(lines)
    print(table)
    open(os.path.join(OUT, 'x86.md'), 'w').write(table + '\n')
    open(os.path.join(OUT, 'x86.svg'), 'w').write(svg(rows, 'guest-x86: native vs under the VMM (%s)' % accel.upper()))
    print('\n(written: build/bench/x86.md, build/bench/x86.svg)')

if __name__ == '__main__':
    main()
