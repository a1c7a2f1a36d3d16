#!/usr/bin/env python3
"""summary.py - count every `ok` / `not ok` line the test layers wrote to build/results/*.txt,
print the failures and one final line `N passed, N failed`; exit 1 if anything failed or if a
layer that was asked for wrote no results at all (a layer that silently did nothing is a failure)."""
import glob, os, sys

def main():
    rdir = sys.argv[1]
    layers = sys.argv[2:]
    passed = failed = skipped = 0
    for layer in layers:
        path = os.path.join(rdir, layer + '.txt')
        if not os.path.exists(path):
            print('not ok %s - the layer wrote no results' % layer)
            failed += 1
            continue
        for line in open(path):
            line = line.rstrip('\n')
            if line.startswith('not ok '):
                failed += 1
                print(line)
            elif line.startswith('ok '):
                passed += 1
            elif line.startswith('skip '):
                skipped += 1
                print(line)
    if skipped:
        print('(%d skipped: see the lines above)' % skipped)
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0

if __name__ == '__main__':
    sys.exit(main())
