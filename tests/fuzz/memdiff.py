#!/usr/bin/env python3
"""memdiff.py - which bytes make a round's page hash differ: run the round alone (list= mem=1)
natively and under the VMM and print the differing 32-bit words of the hashed pages (scratch 0-3
at 0x400000, the stack pages 4-7 at 0x7fc000, the junk page 8), beside both observations.

Usage: memdiff.py [--build DIR] SEED ROUND[:CUT]   (a tool for explaining fuzz differences by hand)"""
import argparse, os, re, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import boot

BASES = [0x400000 + 0x1000 * k for k in range(4)] + [0x7FC000 + 0x1000 * k for k in range(4)] + [None]


class Garbled(Exception):
    """No page dump of the round came out whole."""


def dump_hash(mem):
    """fuzz.c hash_pages over a dump: FNV-1a of the 32-bit words of the nine pages, in order."""
    h = 2166136261
    for k in range(len(BASES)):
        for off in range(0, 4096, 4):
            h = ((h ^ mem.get((k, off), 0)) * 16777619) & 0xFFFFFFFF
    return h


def pages(side, build, seed, r):
    """The round's pages as it left them, {(page, offset): 32-bit word}, its R line and how the boot
    ended. The dump must give the hash the R line has; else it is booted again (up to three
    times): a dump that lost bytes (57:1446 and one of seed 65 in the stop-26 campaign, on a
    loaded host: the fuzz guest wrote to QEMU's UART without waiting for THRE, fixed in fuzz.c
    putc_; the check stays) gives words that differ where nothing does."""
    for attempt in range(3):
        lines, how = boot.boot(side, build, 'seed=%d list=%s mem=1' % (seed, r), 'mem%d-%s' % (seed, str(r).replace(':', '-')))
        mem, obs = {}, None
        for l in lines:
            m = re.fullmatch(r'M (\d) (\d+) ([0-9a-f]{128})', l)
            for i in range(0, 128, 8) if m else ():
                mem[(int(m.group(1)), int(m.group(2)) + i // 2)] = int.from_bytes(bytes.fromhex(m.group(3)[i:i + 8]), 'little')
            if l.startswith('R '):
                obs = l
        got = re.search(r' hash=([0-9a-f]{8})', obs or '')
        if got and int(got.group(1), 16) == dump_hash(mem):
            return mem, obs, how
    raise Garbled('round %s:%s, %s side: three page dumps, none with the hash of its round (%s)' % (seed, r, side, obs or how))


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
