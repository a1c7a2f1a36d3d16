#!/bin/sh
# run.sh RESULTS - the attack guest (tests/attack, issue 12) natively and under the VMM beside a
# witness VM (guest-x86 checksumming 2048 of its pages over 20 rounds, and its whole suite).
# Judged: the VMM never panics; the attacker ends ("attack: done") or is stopped with a one-line
# reason; the witness passes; every compared line ("attack: NAME: ...") is the native one, or the
# exact line known.txt records for it, with the reason.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
R=$1
OUT=build/attack
mkdir -p "$OUT/attack"
tests/attack/build.sh "$OUT/attack" >/dev/null || { echo "not ok attack/build - the attack guest does not build" | tee -a "$R"; exit 1; }
fail=0
python3 tests/runner.py --name attack/native --timeout 120 --log "$OUT/native.log" --results "$R" \
	--expect "attack: done" --expect-exit 1 -- qemu-system-x86_64 -accel tcg -m 128 -display none -serial stdio \
	-no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$OUT/attack/kernel.elf" -append attack || fail=1
cat > "$OUT/vmm.cfg" <<CFG
set timeout=0
menuentry "attack" {
  multiboot2 /boot/vmm.elf mem=64M
  module2 /boot/attack.elf attack
  module2 /boot/guest-x86.elf guest-x86 test memcheck=20
  boot
}
CFG
tools/mkiso.sh "$OUT/vmm.iso" "$OUT/vmm.cfg" build/x86_64/vmm.elf "$OUT/attack/kernel.elf" build/guest-x86/kernel.elf \
	>/dev/null || exit 1
python3 tests/runner.py --name attack/vmm --timeout 600 --log "$OUT/vmm.log" --results "$R" \
	--expect "vm1: attack: done" --expect "vm2 off: exit code 0" --expect "all passed" --expect-exit 1 -- \
	qemu-system-x86_64 -accel tcg -m 512 -display none -serial stdio -no-reboot \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 -boot d -cdrom "$OUT/vmm.iso" || fail=1
python3 - "$OUT/native.log" "$OUT/vmm.log" tests/attack/known.txt "$R" <<'PY' || fail=1
import re, sys
nat_log, vmm_log, known_f, res = sys.argv[1:]
def lines(path, prefix):
    out = {}
    for l in open(path, errors='replace'):
        l = l.rstrip('\r\n')
        if not l.startswith(prefix):
            continue
        l = l[len(prefix):]
        m = re.match(r'attack: ([a-z0-9-]+): ', l)
        if m:
            out[m.group(1)] = l
    return out
nat, vmm = lines(nat_log, ''), lines(vmm_log, 'vm1: ')
known = {}
for l in open(known_f):
    if l.strip() and not l.startswith('#'):
        g, line, why = l.rstrip('\n').split('|', 2)
        known[g] = (line, why)
ok = True
with open(res, 'a') as r:
    for g in nat:
        if g in ('start', 'done'):
            continue
        v = vmm.get(g)
        if v == nat[g]:
            msg = 'ok attack/%s-same-as-native' % g
        elif g in known and v == known[g][0]:
            msg = 'ok attack/%s-same-as-native # known difference: %s' % (g, known[g][1][:120])
        else:
            ok = False
            msg = 'not ok attack/%s-same-as-native - native: %s; VMM: %s' % (g, nat[g], v)
        print(msg)
        r.write(msg + '\n')
sys.exit(0 if ok and nat else 1)
PY
exit $fail
