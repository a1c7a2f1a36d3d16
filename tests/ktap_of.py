#!/usr/bin/env python3
"""ktap_of.py - pull one VM's KTAP verdicts out of a console log and check them.

Usage: ktap_of.py LOG PREFIX OUT   (PREFIX "" for a native run, "vm2: " for VM 2)
Writes normalized verdicts ("ok name" / "not ok name") to OUT; exits 1 unless the plan 1..N is
complete with no "not ok" (the same rule as tests/runner.py)."""
import re, sys

log, prefix, out = sys.argv[1], sys.argv[2], sys.argv[3]
plan, verdicts, seen = None, [], False
for line in open(log, errors='replace').read().replace('\r', '').split('\n'):
    if not line.startswith(prefix):
        continue
    line = line[len(prefix):]
    if line.startswith('KTAP version'):
        seen = True
        continue
    m = re.match(r'^1\.\.(\d+)$', line)
    if seen and m and plan is None:
        plan = int(m.group(1))
    m = re.match(r'^(not ok|ok) (\d+) (\S+)', line)
    if seen and m:
        verdicts.append(f'{m.group(1)} {m.group(3)}')
open(out, 'w').write(''.join(v + '\n' for v in verdicts))
bad = [v for v in verdicts if v.startswith('not ok')]
if not seen or plan is None or len(verdicts) != plan or bad:
    print(f'ktap_of: {log} [{prefix}]: plan {plan}, {len(verdicts)} results, failing: {bad}')
    sys.exit(1)
