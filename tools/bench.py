#!/usr/bin/env python3
"""bench.py - the same guest binary natively and under the VMM, counted three ways:
  icount  QEMU TCG with -icount shift=0,sleep=off: the guest's TSC counts executed instructions
          (the VMM's as well as the guest's under the VMM), exactly and repeatably: `insns`;
  tcg     QEMU TCG wall clock through the TSC: `cycles` of an emulator, only ratios mean much;
  kvm     real cycles, only where tools/accel.sh finds real VT-x/AMD-V.
For each guest-x86 benchmark (bench mode: a median of BENCH_RUNS runs, per operation) and each
configuration (native; vtlb, the VMM's virtual-TLB shadow; trace, its traced shadows cached per
address space (shadow=trace); vtlb-general, vtlb with the fast paths off, icount only; pv, trace with
the guest using the VMM's hypercalls, icount only -- the others are full virtualization: the guest
boots with nopv), and, under
icount, the VMM exits per operation by
kind: the benchmark run alone (boot word bench=NAME) minus a run with none (bench=none), divided by
BENCH_RUNS * iterations. The VMM's own per-kind profile of the full run is printed too. The MIPS
rows (tests/mips/bench.sh: native, VMM without and with the L2 TLB) join in TCG mode, and in icount
mode native, full and pv (the special page for CP0 registers) with traps per operation.
Writes build/bench/results.json (a list of {"arch", "bench", "config", "mode", "insns", "cycles",
"exits"}), build/bench/x86.md and build/bench/x86.svg."""
import json, math, os, re, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, 'build', 'bench')
QEMU = ['qemu-system-x86_64', '-m', '1024', '-display', 'none', '-serial', 'stdio', '-no-reboot',
        '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04']
MODES = {'icount': ['-accel', 'tcg', '-icount', 'shift=0,sleep=off'], 'tcg': ['-accel', 'tcg'],
         'kvm': ['-accel', 'kvm', '-cpu', 'host']}
BENCH_RUNS = 11          # guest/x86/common/stats.h
EXIT_KINDS = ['priv', 'patched', 'syscall/softint', 'exceptions', 'hidden-pf', 'true-pf', 'irqs', 'io',
              'hlt', 'mmio', 'pt-write', 'dt-write', 'hypercall']


def iso(name, entry):
    cfg = os.path.join(OUT, name + '.cfg')
    with open(cfg, 'w') as f:
        f.write('set timeout=0\nmenuentry "%s" {\n%s\n  boot\n}\n' % (name, entry))
    path = os.path.join(OUT, name + '.iso')
    subprocess.check_call([os.path.join(ROOT, 'tools/mkiso.sh'), path, cfg,
                           os.path.join(ROOT, 'build/x86_64/vmm.elf'),
                           os.path.join(ROOT, 'build/guest-x86/kernel.elf')], stdout=subprocess.DEVNULL)
    return path


def guest_iso(config, words):
    name = '%s-%s' % (config, words.replace(' ', '-').replace('=', '-'))
    if config == 'native':
        return iso(name, '  multiboot /boot/guest-x86.elf %s' % words)
    vmm = 'mem=256M' + {'vtlb-general': ' fast=off shadow=vtlb', 'vtlb': ' shadow=vtlb', 'trace': ' shadow=trace',
                        'pv': ' shadow=trace'}[config]
    # Full virtualization (nopv: the guest makes no hypercalls) except in config pv, where guest-x86
    # finds the VMM and uses its hypercalls (docs/hypercalls.md).
    words += '' if config == 'pv' else ' nopv'
    return iso(name, '  multiboot2 /boot/vmm.elf %s\n  module2 /boot/guest-x86.elf guest-x86 %s' % (vmm, words))


def run(path, mode, prefix, mem=None):
    """Boot (with mem MiB of machine memory instead of QEMU's 1024); return ({bench: (per-op, iters)},
    {exit kind: count}, profile line, console)."""
    qemu = QEMU if mem is None else [w if w != '1024' else str(mem) for w in QEMU]
    p = subprocess.run(qemu + MODES[mode] + ['-boot', 'd', '-cdrom', path], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=1800)
    text = p.stdout.decode('utf-8', 'replace')
    res, exits, prof = {}, {}, ''
    for line in text.splitlines():
        line = line.rstrip('\r')
        line = line[len(prefix):] if line.startswith(prefix) else line
        m = re.match(r'bench (\S+) cycles=(\d+) min=(\d+) max=(\d+) iters=(\d+)', line)
        if m:
            res[m.group(1)] = (int(m.group(2)), int(m.group(5)))
        if 'vm1 exits:' in line:
            part = line.split('vm1 exits:', 1)[1].split(';')[0]
            exits = {k: int(v) for k, v in re.findall(r'([a-z/-]+) (\d+)', part)}
        if 'vm1 profile' in line:
            prof = line.split('vmm: ', 1)[-1]
    if p.returncode not in (0, 1) or 'not ok' in text:
        sys.exit('bench: %s failed (QEMU exit %d); console:\n%s' % (path, p.returncode, text[-2000:]))
    return res, exits, prof, text


def svg(rows, title, unit):
    w, bar, h = 760, 22, 60 + 2 * 22 * len(rows) + 10 * len(rows)
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">' % (w, h),
           '<text x="10" y="20" font-size="14">%s</text>' % title,
           '<text x="10" y="38">bars: log10(%s per operation); blue native, orange under the VMM</text>' % unit]
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


def vmm_iso(name, vmm, guests):
    """An ISO of the VMM (command line vmm) with one guest-x86 module per entry of guests."""
    mods = '\n'.join('  module2 /boot/guest-x86.elf guest-x86 %s' % g for g in guests)
    return iso(name, '  multiboot2 /boot/vmm.elf %s\n%s' % (vmm, mods))


def memory_rows():
    """Issue 11's memory figures (TCG: they are counts, not times), as results.json rows with
    insns/cycles None and the counts in their own keys, plus markdown lines:
      - pages zeroed by the guest and by the VMM over guest-x86's whole test suite, full
        virtualization (nopv) and pv (hypercalls: freed frames given back, not zeroed twice);
      - frames saved by content-based sharing (share=64) with 1, 3 and 6 VMs of guest-x86's suite
        (64 MiB each, nopv: the VMM sees no free pages), at the most, and with 1 and 3 Linux VMs;
      - four VMs of 128 MiB in a 256 MiB machine (twice overcommitted; two pv with balloon drivers,
        two nopv), which must all pass: what sharing, the balloons and the compressed store did."""
    rows, lines = [], ['', 'Memory (issue 11; counts from TCG runs):', '']
    lines += ['| suite, 128 MiB | pages zeroed by the guest | by the VMM | frames given back | frames backed at the end |',
              '|---|---:|---:|---:|---:|']
    for config, words in (('full', 'test nopv'), ('pv', 'test')):
        _, _, _, text = run(vmm_iso('zero-' + config, 'mem=128M', [words]), 'tcg', 'vm1: ')
        g = re.search(r'memory: (\d+) pages zeroed by the kernel', text)
        v = re.search(r'vm1 memory: (\d+) frames backed now.*?; (\d+) zeroed by the VMM to back them, (\d+) given back', text)
        if not g or not v:
            sys.exit('bench: no zeroing counts in the %s run' % config)
        row = {'arch': 'x86', 'bench': 'suite_pages_zeroed', 'config': config, 'mode': 'tcg', 'insns': None,
               'cycles': None, 'exits': {}, 'zeroed_guest': int(g.group(1)), 'zeroed_vmm': int(v.group(2)),
               'given_back': int(v.group(3)), 'backed_end': int(v.group(1))}
        rows.append(row)
        lines.append('| %s | %d | %d | %d | %d |' % (config, row['zeroed_guest'], row['zeroed_vmm'], row['given_back'],
                                                    row['backed_end']))
    lines += ['', '| VMs of 64 MiB (suite, nopv), share=64 | frames saved by sharing at most | MiB | merges | copy-on-write breaks |',
              '|---|---:|---:|---:|---:|']
    for n in (1, 3, 6):
        _, _, _, text = run(vmm_iso('share-%d' % n, 'mem=64M share=64', ['test nopv'] * n), 'tcg', 'vm1: ')
        m = re.search(r'sharing saved (\d+) frames at most \((\d+) frames scanned, (\d+) merges, (\d+) copy-on-write', text)
        if not m or 'all passed' not in text:
            sys.exit('bench: sharing run with %d VMs did not pass or print its counts' % n)
        saved = int(m.group(1))
        rows.append({'arch': 'x86', 'bench': 'sharing_saved_frames', 'config': 'vms%d' % n, 'mode': 'tcg', 'insns': None,
                     'cycles': None, 'exits': {}, 'saved_frames': saved, 'merges': int(m.group(3)),
                     'cow_breaks': int(m.group(4))})
        lines.append('| %d | %d | %.1f | %s | %s |' % (n, saved, saved / 256, m.group(3), m.group(4)))
    # The same with Linux VMs (Debian's kernel and our initramfs, as make test-linux runs them), where
    # make test-linux has fetched them.
    lin = os.path.join(ROOT, 'build', 'linux')
    if all(os.path.exists(os.path.join(lin, f)) for f in ('vmlinuz', 'initrd.gz', 'vmlinux')):
        for n in (1, 3):
            entries = '\n'.join('  module2 /boot/vmlinuz console=ttyS0 quiet cryptomgr.notests noisapnp\n'
                                '  module2 /boot/initrd.gz initrd\n  module2 /boot/vmlinux vmlinux' for _ in range(n))
            cfg = os.path.join(OUT, 'share-linux-%d.cfg' % n)
            with open(cfg, 'w') as f:
                f.write('set timeout=0\nmenuentry "share-linux" {\n  multiboot2 /boot/vmm.elf mem=256M share=64\n%s\n'
                        '  boot\n}\n' % entries)
            path = os.path.join(OUT, 'share-linux-%d.iso' % n)
            subprocess.check_call([os.path.join(ROOT, 'tools/mkiso.sh'), path, cfg,
                                   os.path.join(ROOT, 'build/x86_64/vmm.elf')] +
                                  ['%s=%s' % (f, os.path.join(lin, f)) for f in ('vmlinuz', 'initrd.gz', 'vmlinux')],
                                  stdout=subprocess.DEVNULL)
            _, _, _, text = run(path, 'tcg', 'vm1: ', mem=1280)
            m = re.search(r'sharing saved (\d+) frames at most \((\d+) frames scanned, (\d+) merges, (\d+) copy-on-write', text)
            if not m or 'all passed' not in text:
                sys.exit('bench: sharing run with %d Linux VMs did not pass or print its counts' % n)
            saved = int(m.group(1))
            rows.append({'arch': 'x86', 'bench': 'sharing_saved_frames', 'config': 'linux-vms%d' % n, 'mode': 'tcg',
                         'insns': None, 'cycles': None, 'exits': {}, 'saved_frames': saved, 'merges': int(m.group(3)),
                         'cow_breaks': int(m.group(4))})
            lines.append('| %d Linux (256 MiB) | %d | %.1f | %s | %s |' % (n, saved, saved / 256, m.group(3), m.group(4)))
    else:
        lines.append('| Linux VMs | (not measured: make test-linux fetches the kernel first) | | | |')
    guests = ['test memcheck=10', 'test nopv memcheck=10'] * 2
    _, _, _, text = run(vmm_iso('overcommit2x', 'mem=128M share=16', guests), 'tcg', 'vm1: ', mem=256)
    qm = re.search(r'sharing saved (\d+) frames at most.*compressed store: (\d+) pages put, (\d+) taken back.*?(\d+) frames at most; fewest free machine frames (\d+)', text)
    balloons = [int(b) for b in re.findall(r'vm\d memory: .*balloon \d+ now, (\d+) at most', text)]
    if not qm or 'all passed' not in text:
        sys.exit('bench: the twice-overcommitted set did not pass')
    row = {'arch': 'x86', 'bench': 'overcommit_2x', 'config': '4x128M-in-256M', 'mode': 'tcg', 'insns': None,
           'cycles': None, 'exits': {}, 'shared_saved_max': int(qm.group(1)), 'store_puts': int(qm.group(2)),
           'store_gets': int(qm.group(3)), 'store_frames_max': int(qm.group(4)), 'fewest_free': int(qm.group(5)),
           'balloon_max_frames': balloons}
    rows.append(row)
    lines += ['', 'Four VMs of 128 MiB in 256 MiB (2 pv, 2 nopv), all suites passed: sharing saved %d frames at most; '
              'the compressed store took %d pages (%d back, %d frames at most); balloons at most %s frames; '
              'fewest free machine frames %d.' % (row['shared_saved_max'], row['store_puts'], row['store_gets'],
                                                   row['store_frames_max'], balloons, row['fewest_free'])]
    return rows, lines


def mips_rows():
    """tests/mips/bench.sh's three runs, as TCG rows (CP0 Count ticks: cycles; no instruction count)."""
    r = subprocess.run([os.path.join(ROOT, 'tests/mips/bench.sh')], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    print(r.stdout)
    rows = []
    logs = os.path.join(ROOT, 'build/mips/logs')
    for config, f in (('native', 'bench-native.log'), ('vmm', 'bench-nol2.log'), ('vmm-l2tlb', 'bench-l2.log')):
        try:
            t = open(os.path.join(logs, f), errors='replace').read()
        except OSError:
            continue
        for m in re.finditer(r'bench (\S+) cycles=(\d+)', t):
            rows.append({'arch': 'mips', 'bench': m.group(1), 'config': config, 'mode': 'tcg',
                         'insns': None, 'cycles': int(m.group(2)), 'exits': {}})
    # bench.sh's icount rows: native, full (every privileged access traps), pv (the special page).
    try:
        rows += json.load(open(os.path.join(ROOT, 'build/mips/bench-icount.json')))
    except OSError:
        pass
    return rows


def main():
    os.makedirs(OUT, exist_ok=True)
    accel = subprocess.run([os.path.join(ROOT, 'tools/accel.sh')], stdout=subprocess.PIPE, text=True).stdout.strip()
    modes = ['icount', 'tcg'] + (['kvm'] if accel == 'kvm' else [])
    shadows = ['vtlb', 'trace']           # the VMM's two shadows (boot option shadow=)
    results, per_mode, profiles = [], {}, []
    for mode in modes:
        per_mode[mode] = {'native': run(guest_iso('native', 'bench'), mode, '')[0]}
        for config in shadows:
            res, _, prof, _ = run(guest_iso(config, 'bench'), mode, 'vm1: ')
            per_mode[mode][config] = res
            if prof:
                profiles.append('%s, %s: %s' % (mode, config, prof))
        print('bench: %s done' % mode, file=sys.stderr)
    # The same under icount with the fast paths off (boot option fast=off): what they buy; and with
    # the guest's hypercalls (traced shadows): what para-virtualization buys.
    general, _, prof, _ = run(guest_iso('vtlb-general', 'bench'), 'icount', 'vm1: ')
    profiles.append('icount, vtlb, fast=off: %s' % prof)
    pv, _, prof, _ = run(guest_iso('pv', 'bench'), 'icount', 'vm1: ')
    profiles.append('icount, trace, pv: %s' % prof)
    # Exits per operation (icount: the same instructions, the same exits, run after run).
    exits_per_op = {}
    for config in shadows:
        _, base, _, _ = run(guest_iso(config, 'bench=none'), 'icount', 'vm1: ')
        for name, (_, iters) in per_mode['icount'][config].items():
            res, ex, _, _ = run(guest_iso(config, 'bench=' + name), 'icount', 'vm1: ')
            ops = BENCH_RUNS * iters
            exits_per_op[config, name] = {k: round((ex.get(k, 0) - base.get(k, 0)) / ops, 3) for k in EXIT_KINDS
                                          if ex.get(k, 0) - base.get(k, 0) > 0}
    for config, res in (('vtlb-general', general), ('pv', pv)):
        for name, (per_op, _) in res.items():
            results.append({'arch': 'x86', 'bench': name, 'config': config, 'mode': 'icount',
                            'insns': per_op, 'cycles': per_op, 'exits': {}})
    for mode, by_config in per_mode.items():
        for config, res in by_config.items():
            for name, (per_op, _) in res.items():
                results.append({'arch': 'x86', 'bench': name, 'config': config, 'mode': mode,
                                'insns': per_op if mode == 'icount' else None, 'cycles': per_op,
                                'exits': exits_per_op.get((config, name), {}) if mode == 'icount' else {}})
    # Issue 11 names full virtualization `full`: the traced-shadow rows again under that name.
    results += [dict(r, config='full', same_run_as='trace') for r in results
                if r['arch'] == 'x86' and r['config'] == 'trace' and r['mode'] == 'icount']
    mem_rows, mem_lines = memory_rows()
    results += mem_rows + mips_rows()
    json.dump(results, open(os.path.join(OUT, 'results.json'), 'w'), indent=1)

    ic, tc = per_mode['icount'], per_mode['tcg']

    def ratio(by, config, name):
        return by[config][name][0] / max(by['native'][name][0], 1) if name in by[config] and name in by['native'] else None

    def exits(config, name):
        ex = exits_per_op.get((config, name), {})
        return ', '.join('%s %g' % (k, c) for k, c in sorted(ex.items(), key=lambda kv: -kv[1])) or '-'

    lines = ['guest-x86 nanobenchmarks per operation (median of %d runs): instructions under -icount '
             '(exact), and TCG wall-clock TSC cycles (emulated: only the ratio means something); vtlb is the '
             'virtual-TLB shadow, trace the traced shadows cached per address space (shadow=trace)' % BENCH_RUNS, '',
             '| benchmark | native insns | vtlb insns | ratio | trace insns | ratio | vtlb fast=off | trace pv | TCG ratio vtlb | TCG ratio trace |',
             '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|']
    rows = []
    for name in ic['native']:
        if name not in ic['vtlb'] or name not in ic['trace']:
            continue
        n, v, t = ic['native'][name][0], ic['vtlb'][name][0], ic['trace'][name][0]
        tv, tt = ratio(tc, 'vtlb', name), ratio(tc, 'trace', name)
        g = '%d' % general[name][0] if name in general else '-'
        pvs = '%d (%.2fx)' % (pv[name][0], pv[name][0] / max(n, 1)) if name in pv else '-'
        lines.append('| %s | %d | %d | %.2fx | %d | %.2fx | %s | %s | %s | %s |' % (
            name, n, v, v / max(n, 1), t, t / max(n, 1), g, pvs, '%.2fx' % tv if tv else '-', '%.2fx' % tt if tt else '-'))
        rows.append((name, n, v))
    lines += ['', '| benchmark | VMM exits per op, vtlb | VMM exits per op, trace |', '|---|---|---|']
    for name in ic['native']:
        lines.append('| %s | %s | %s |' % (name, exits('vtlb', name), exits('trace', name)))
    if 'kvm' in per_mode:
        kv = per_mode['kvm']
        lines += ['', '| benchmark | native cycles (KVM) | vtlb cycles | ratio | trace cycles | ratio |',
                  '|---|---:|---:|---:|---:|---:|']
        for name in kv['native']:
            if name in kv['vtlb'] and name in kv['trace']:
                lines.append('| %s | %d | %d | %.2fx | %d | %.2fx |' % (
                    name, kv['native'][name][0], kv['vtlb'][name][0], ratio(kv, 'vtlb', name),
                    kv['trace'][name][0], ratio(kv, 'trace', name)))
    lines += mem_lines
    lines += [''] + ['VMM profile of the whole bench run, ' + p for p in profiles]
    table = '\n'.join(lines)
    print(table)
    open(os.path.join(OUT, 'x86.md'), 'w').write(table + '\n')
    open(os.path.join(OUT, 'x86.svg'), 'w').write(svg(rows, 'guest-x86: native vs under the VMM (instructions, -icount)',
                                                      'instructions'))
    print('\n(written: build/bench/results.json, build/bench/x86.md, build/bench/x86.svg)')


def quick(names, config='trace'):
    """`bench.py quick [--vtlb|--pv] NAME...`: icount only, native and under the VMM (its traced shadows,
    with --vtlb its virtual TLB, with --pv traced shadows and the guest's hypercalls), one benchmark each, with the VMM's exits per operation and its
    per-kind profile of that run (while cutting a path)."""
    os.makedirs(OUT, exist_ok=True)
    _, base, _, _ = run(guest_iso(config, 'bench=none'), 'icount', 'vm1: ')
    for name in names:
        nat, _, _, _ = run(guest_iso('native', 'bench=' + name), 'icount', '')
        vmm, ex, prof, _ = run(guest_iso(config, 'bench=' + name), 'icount', 'vm1: ')
        if name not in nat or name not in vmm:
            sys.exit('bench: no result for %s' % name)
        n, (v, iters) = nat[name][0], vmm[name]
        ops = BENCH_RUNS * iters
        per = ', '.join('%s %g' % (k, round((ex.get(k, 0) - base.get(k, 0)) / ops, 3)) for k in EXIT_KINDS
                        if ex.get(k, 0) - base.get(k, 0) > 0)
        print('%s: native %d, VMM %d instructions per op (%.2fx); exits per op: %s' % (name, n, v, v / max(n, 1),
                                                                                   per or '-'))
        print('  %s' % prof)


if __name__ == '__main__':
    if sys.argv[1:3] in (['quick', '--trace'], ['quick', '--vtlb'], ['quick', '--pv']):
        quick(sys.argv[3:], sys.argv[2][2:])
    elif sys.argv[1:2] == ['quick']:
        quick(sys.argv[2:])
    elif sys.argv[1:2] == ['memory']:       # `bench.py memory`: only the memory figures, printed
        os.makedirs(OUT, exist_ok=True)
        rows, lines = memory_rows()
        print('\n'.join(lines))
        print(json.dumps(rows, indent=1))
    else:
        main()
