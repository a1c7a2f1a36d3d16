#!/usr/bin/env python3
"""bisect.py - where do the two sides of a differing fuzz round part?

Usage: bisect.py [--build DIR] SEED ROUND

Runs the round cut at every instruction boundary of its code's linear decode (list entry R:K:
the code from byte K on becomes int3s, fuzz.c) natively and under the VMM, and prints the first
cut whose observations differ, the instructions before it and both observations. Each cut runs in
a list boot with the others, so the answer is checked again in boots of its own (the cut before
it must be identical there, the cut itself must differ). Random code jumps, so the first
differing cut names the last instruction that ran on the way to the first difference, not always
the faulty one: read the disassembly it prints. Needs objdump (binutils)."""
import argparse, os, re, subprocess, sys, tempfile, threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import boot, obs

CODE_END = 0x601000              # the round's code ends at its page's end (gen.c)


def both(build, seed, entries):
    res = {'native': {}, 'vmm': {}}
    def run(s):
        res[s] = boot.list_entries(s, build, seed, entries)
    ts = [threading.Thread(target=run, args=(s,)) for s in res]
    [t.start() for t in ts]
    [t.join() for t in ts]
    return res['native'], res['vmm']


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', default=os.path.join(boot.ROOT, 'build/fuzz'))
    ap.add_argument('seed', type=int)
    ap.add_argument('round', type=int)
    a = ap.parse_args()

    lines, how = boot.boot('native', a.build, 'seed=%d list=%d dump=1' % (a.seed, a.round), 'bisect-code')
    code = next((l.split()[2] for l in lines if l.startswith('C ')), None)
    if code is None:
        sys.exit('bisect: no code dump natively (%s)' % how)
    blob = bytes.fromhex(code)
    base = CODE_END - len(blob)
    with tempfile.NamedTemporaryFile(suffix='.bin') as f:
        f.write(blob)
        f.flush()
        dis = subprocess.run(['objdump', '-D', '-b', 'binary', '-m', 'i386', '--adjust-vma=%#x' % base, f.name],
                             capture_output=True, text=True, check=True).stdout
    insns = []                           # (offset, text)
    for l in dis.split('\n'):
        m = re.match(r'\s*([0-9a-f]+):\s+((?:[0-9a-f]{2} )+)\s*(.*)', l)
        if m:
            insns.append((int(m.group(1), 16) - base, m.group(3) or '(continued)'))
    cuts = sorted({o for o, _ in insns if 0 < o < len(blob) - 2})
    entries = ['%d:%d' % (a.round, k) for k in cuts] + [str(a.round)]
    n, v = both(a.build, a.seed, entries)
    first = next((k for k in cuts if not obs.same(n['%d:%d' % (a.round, k)], v['%d:%d' % (a.round, k)])), None)
    if first is None:
        print('bisect: every cut identical in the list boots; whole round: %s' %
              ('identical' if obs.same(n[str(a.round)], v[str(a.round)]) else 'differs'))
        return
    prev = max([k for k in cuts if k < first], default=None)
    check = ['%d:%d' % (a.round, first)]
    n1, v1 = both(a.build, a.seed, check)
    ok = not obs.same(n1[check[0]], v1[check[0]])
    if prev is not None:
        pe = '%d:%d' % (a.round, prev)
        n0, v0 = both(a.build, a.seed, [pe])
        ok = ok and obs.same(n0[pe], v0[pe])
    print('seed %d round %d: the sides part at cut %d (%#x)%s' % (a.seed, a.round, first, base + first,
          '' if ok else ' (NOT confirmed in boots of their own)'))
    for o, t in insns:
        if first - 40 <= o < first + 8 and t != 'nop':
            print('  %s%x: %s' % ('>' if o < first else ' ', base + o, t))
    print(obs.show(a.round, n1[check[0]], v1[check[0]]).split('\n  code:')[0])


if __name__ == '__main__':
    main()
