#!/usr/bin/env python3
"""pins.py - run the pinned fuzz rounds of pins.txt alone, natively and under the VMM, and check
each is still what the file says:
    SEED ROUND identical        the two observations must be equal (a VMM bug the fuzzer found
                                and that was fixed: the pin fails again if the bug comes back)
    SEED ROUND@CPU ...          the same on that QEMU CPU model (both sides), e.g. 1084@max
    SEED ROUND known KIND       they must differ, and known.KNOWN must explain the difference
                                as KIND (a documented, explained difference: the pin shows it is
                                real, and fails if it goes away or changes kind, so that the list
                                in docs/NOTES.md is kept true)
Everything after a '#' is a comment. Appends one ok/not ok line per pin to --results."""
import argparse, os, sys, threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import boot, evidence, known, obs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', default=os.path.join(boot.ROOT, 'build/fuzz'))
    ap.add_argument('--results')
    ap.add_argument('pins')
    args = ap.parse_args()
    pins = []
    for line in open(args.pins):
        line = line.split('#')[0].split()
        if line:
            r, _, cpu = line[1].partition('@')
            pins.append((int(line[0]), (int(r), cpu or None), line[2], ' '.join(line[3:])))
    seen = {}

    def side(s):
        for seed, cpu in sorted({(p[0], p[1][1] or '') for p in pins}):
            rounds = [p[1][0] for p in pins if p[0] == seed and (p[1][1] or '') == cpu]
            for r, o in boot.list_rounds(s, args.build, seed, rounds, dump=(s == 'native'), cpu=cpu or None).items():
                seen[(s, seed, (r, cpu or None))] = o
    ts = [threading.Thread(target=side, args=(s,)) for s in ('native', 'vmm')]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for seed in sorted({p[0] for p in pins}):          # (the write-fault flags rule asks for cut runs first)
        cand = [(r[0], seen[('native', seed, r)], seen[('vmm', seed, r)]) for sd, r, want, kind in pins
                if sd == seed and not r[1] and not obs.same(seen[('native', seed, r)], seen[('vmm', seed, r)])
                and obs.flag_store_mem(seen[('native', seed, r)].get('code'))]
        evidence.fault_flags_check(args.build, seed, cand)
    for seed in sorted({p[0] for p in pins if not p[1][1]}):
        evidence.more_evidence(args.build, seed, [(r[0], seen[('native', seed, r)], seen[('vmm', seed, r)])
                                                  for sd, r, want, kind in pins if sd == seed and not r[1]])
    fails = 0
    out = []
    for seed, r, want, kind in pins:
        n, v = seen[('native', seed, r)], seen[('vmm', seed, r)]
        same = obs.same(n, v)
        got = 'identical' if same else known.classify(n, v) or 'unexplained'
        ok = (want == 'identical' and same) or (want == 'known' and got == kind)
        fails += not ok
        name = 'fuzz-pin/seed%d-round%d%s' % (seed, r[0], '-' + r[1] if r[1] else '')
        if ok:
            out.append('ok %s # %s' % (name, got))
        else:
            out.append('not ok %s - expected %s, got %s' % (name, want + (' ' + kind if kind else ''), got))
            print(obs.show(r[0], n, v))
    for l in out:
        print(l)
    if args.results:
        with open(args.results, 'a') as f:
            f.write('\n'.join(out) + '\n')
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
