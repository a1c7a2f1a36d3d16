#!/usr/bin/env python3
"""memdiff.py - which bytes make a round's page hash differ: run the round alone (list= mem=1)
natively and under the VMM and print the differing 32-bit words of the hashed pages (scratch 0-3
at 0x400000, the stack pages 4-7 at 0x7fc000, the junk page 8), beside both observations.

Usage: memdiff.py [--build DIR] SEED ROUND[:CUT]   (a tool for explaining fuzz differences by hand)"""
import argparse, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import boot

BASES = [0x400000 + 0x1000 * k for k in range(4)] + [0x7FC000 + 0x1000 * k for k in range(4)] + [None]


def pages(side, build, seed, r):
    lines, how = boot.boot(side, build, 'seed=%d list=%s mem=1' % (seed, r), 'mem%d-%s' % (seed, str(r).replace(':', '-')))
    mem, obs = {}, None
    for l in lines:
        if l.startswith('M '):
            _, k, off, hexes = l.split()
            for i in range(0, 128, 8):
                mem[(int(k), int(off) + i // 2)] = int.from_bytes(bytes.fromhex(hexes[i:i + 8]), 'little')
        elif l.startswith('R '):
            obs = l
    return mem, obs, how


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', default=os.path.join(boot.ROOT, 'build/fuzz'))
    ap.add_argument('seed', type=int)
    ap.add_argument('round', help='R, or R:K for the round cut at byte K (bisect.py)')
    a = ap.parse_args()
    n, nobs, nhow = pages('native', a.build, a.seed, a.round)
    v, vobs, vhow = pages('vmm', a.build, a.seed, a.round)
    print('native: %s\nvmm:    %s' % (nobs or nhow, vobs or vhow))
    for key in sorted(set(n) | set(v)):
        if n.get(key, 0) != v.get(key, 0):
            k, off = key
            where = 'junk+%#x' % off if BASES[k] is None else '%#x' % (BASES[k] + off)
            print('  %-12s native %08x  vmm %08x' % (where, n.get(key, 0), v.get(key, 0)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
