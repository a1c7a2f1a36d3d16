#!/usr/bin/env python3
"""fuzzdiff.py - the differential oracle: run fuzz rounds natively (QEMU TCG) and under the VMM,
compare their digests round by round, explain every difference or report it.

Usage: fuzzdiff.py [--build DIR] [--results FILE] [--name NAME] [--detail N] [--budget TICKS]
                   SEED:START:COUNT ...

For each range both sides run at once (two QEMUs; boot.py restarts a side after a round that
killed its machine). A round is identical when both sides printed the same digest character and
the digest lines covering it agree, or when both sides died in it. Differing rounds (all, or up to
--detail of them per range) are run again alone on both sides (list=) for their full observations
and classified by the rules of known.py (evidence.py boots the rounds they leave open again for
more to go on); the first unexplained one is printed with both observations.
Last line: "N rounds, M identical to native, K known differences, F VMM faults" (F: differences
no rule explains, and VMM panics). A range fails if it has a VMM panic or more than --max-faults
unexplained differences (default 0; make test-fuzz gives the baseline of open differences that
docs/NOTES.md lists, so that the layer catches any new one without hiding the old ones).
With --results FILE, one "ok"/"not ok" line per range is appended (tests/summary.py format)."""
import argparse, hashlib, inspect, json, os, sys, threading, time, traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import boot
from obs import FIELDS, same, flag_store_mem, show
from known import classify
from evidence import ALONE_MAX, fault_flags_check, more_evidence


def compare(args, seed, start, count, log):
    res = {}
    tm = [time.time()]                   # (when each step ended, for the log's timing line)

    def side(s):
        res[s] = boot.run_range(s, args.build, seed, start, count, budget=args.budget, log=log)
    ts = [threading.Thread(target=side, args=(s,)) for s in ('native', 'vmm')]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    (nc, nd, nl, nb), (vc, vd, vl, vb) = res['native'], res['vmm']
    # Where the VMM side died and rebooted but the native one went on, boot the native side again
    # there too, so that the rounds after it start from the same state on both sides: natively a
    # v8086 round leaves VIF/VIP set (QEMU's protected-mode iret never clears them) and every
    # later exception frame shows them. (Without this, each such round needs a run of its own.)
    cuts = sorted(r for r in vd if r not in nd and r + 1 < start + count)
    if cuts:
        nl = [(a, b, d) for a, b, d in nl if a <= cuts[0]]
        for i, c in enumerate(cuts):
            end = cuts[i + 1] + 1 if i + 1 < len(cuts) else start + count
            c2, d2, l2, b2 = boot.run_range('native', args.build, seed, c + 1, end - c - 1, budget=args.budget, log=log)
            for r in range(c + 1, end):
                nc.pop(r, None)
                nd.pop(r, None)
            nc.update(c2)
            nd.update(d2)
            nl += l2
            nb += b2
    # Rounds whose characters agree but whose digest line does not: look at each of them too.
    vlines = {(a, b): d for a, b, d in vl}
    suspect = set()
    for a, b, d in nl:
        if (a, b) in vlines and vlines[(a, b)] != d and all(nc.get(r) == vc.get(r) for r in range(a, b + 1)):
            suspect.update(range(a, b + 1))      # (a 1-in-64 collision of the characters)
    differ, identical, both_dead, panics = [], 0, 0, []
    for r in range(start, start + count):
        if r in nd and r in vd:
            both_dead += 1
            identical += 1
            if vd[r].startswith('VMM PANIC'):
                panics.append((r, vd[r]))
        elif r in nc and r in vc and nc[r] == vc[r] and r not in suspect:
            identical += 1
        else:
            if r in vd and vd[r].startswith('VMM PANIC'):
                panics.append((r, vd[r]))
            differ.append(r)
    look = differ[:args.detail]
    tm.append(time.time())
    obs = {}
    if look:
        def lst(s):
            # (a round that killed this side's machine in the range run is not run again: it
            # would only kill it again, and every boot costs seconds. One that killed the other
            # side's runs after all the others, in a boot of its own: such a round can leave
            # state behind that the other side, rebooted, never sees -- natively a v8086 round
            # leaves VIF/VIP set, which QEMU's protected-mode iret never clears -- and every
            # round after it in the same list would differ for that alone.)
            died, other = (nd, vd) if s == 'native' else (vd, nd)
            obs[s] = {r: {'dead': died[r]} for r in look if r in died}
            for k, part in enumerate(([r for r in look if r not in died and r not in other],
                                      [r for r in look if r not in died and r in other])):
                if part:
                    # (the code bytes, printed before each round runs, come from the native side --
                    # or, for rounds that killed it, from the VMM's: the generator's, the same)
                    obs[s].update(boot.list_rounds(s, args.build, seed, part, budget=args.budget,
                                                   dump=(s == 'native' or k == 1)))
            # (but a hang where the other side went on is run again, alone: the hang can be an
            # earlier round's doing, or the host's -- 29:3635 hung natively in its range run and
            # alone takes the #PF the VMM gave it; 2:1900 hung under the VMM in the campaign's
            # range run, under load, and neither alone nor in the range run again. The log
            # names each one.)
            for r in [r for r in look if r in died and 'hang' in died[r] and r not in other]:
                got = boot.list_rounds(s, args.build, seed, [r], budget=args.budget, dump=(s == 'native'))
                if 'dead' not in got.get(r, {'dead': 1}):
                    obs[s][r] = got[r]
                    log.write('%s seed %d round %d: hung in the range run, not alone\n' % (s, seed, r))
        ts = [threading.Thread(target=lst, args=(s,)) for s in ('native', 'vmm')]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    for r in look:
        if 'code' not in obs['native'].get(r, {'code': 1}) and 'code' in obs['vmm'].get(r, {}):
            obs['native'][r]['code'] = obs['vmm'][r].pop('code')
    # A list boot runs its rounds one after another, and a round before can still leave state
    # (9:6006, which ran out of its time budget under the VMM, changed 6008's pages natively): a
    # difference no rule explains is run once more truly alone, a boot of its own on each side.
    tm.append(time.time())

    def open_(r):
        return (not same(obs['native'][r], obs['vmm'][r]) and not classify(obs['native'][r], obs['vmm'][r])
                and 'dead' not in obs['native'][r] and 'dead' not in obs['vmm'][r])
    fault_flags_check(args.build, seed, [(r, obs['native'][r], obs['vmm'][r]) for r in look
                                  if not same(obs['native'][r], obs['vmm'][r]) and not classify(obs['native'][r], obs['vmm'][r])
                                  and flag_store_mem(obs['native'][r].get('code'))], budget=args.budget)
    tm.append(time.time())
    lonely = [r for r in look if open_(r)][:ALONE_MAX]
    for r in lonely:
        got = {}
        def one(s):
            got[s] = boot.list_rounds(s, args.build, seed, [r], budget=args.budget, dump=(s == 'native')).get(r)
        ts = [threading.Thread(target=one, args=(s,)) for s in ('native', 'vmm')]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        if got['native'] and got['vmm']:
            obs['native'][r], obs['vmm'][r] = got['native'], got['vmm']

    tm.append(time.time())
    more_evidence(args.build, seed, [(r, obs['native'][r], obs['vmm'][r]) for r in look], budget=args.budget)
    tm.append(time.time())
    log.write('seed %d rounds %d-%d: %d differ, %d alone; seconds: runs %.0f, lists %.0f, flag cuts %.0f, alone %.0f, '
              'evidence %.0f\n' % ((seed, start, start + count - 1, len(differ), len(lonely)) +
                                   tuple(b - a for a, b in zip(tm, tm[1:]))))
    log.flush()
    # What the runs saw, kept as it is: judge() classifies it (now, or later from --state under
    # other rules).
    return dict(rounds=count, identical=identical, both_dead=both_dead, boots=(nb, vb), panics=panics,
                unexamined=len(differ) - len(look), obs={r: (obs['native'][r], obs['vmm'][r]) for r in look})


def judge(c, all_=False):
    """Classify a range's differing rounds (c['obs'], from compare()) by today's rules: the
    tallies main prints, and the lines it says for the range."""
    identical, known, faults, first, kinds, same_alone, said = c['identical'], 0, 0, None, {}, 0, []
    for r, (n, v) in sorted(c['obs'].items(), key=lambda kv: int(kv[0])):
        if same(n, v):
            identical += 1                 # (differed only in the long run: see the NOTES)
            same_alone += 1
            continue
        k = classify(n, v)
        if k:
            known += 1
            kinds[k] = kinds.get(k, 0) + 1
            if all_:
                said.append('  known %s: %s' % (r, k))
        else:
            faults += 1
            if first is None:
                first = show(int(r), n, v)
            diff = [k for k in FIELDS if n.get(k) != v.get(k)]     # (every one: a campaign's log lists them all)
            said.append('  unexplained %s: ring3=%s native vec=%s vmm vec=%s %s; differ: %s' % (
                r, n.get('ring3'), n.get('vec', n.get('dead')), v.get('vec', v.get('dead')),
                'eip %s/%s' % (n.get('f0'), v.get('f0')), ' '.join(diff)))
    unexplained = faults + c['unexamined']
    return dict(c, identical=identical, known=known, faults=unexplained + len(c['panics']), kinds=kinds, first=first,
                same_alone=same_alone, said=said, unexplained=unexplained)


def stamps(args, here):
    """The three stamps a kept range is filed under. runs: what decides the range runs and the
    observations -- the VMM, the fuzz guest, boot.py, compare()'s own code (its source, so that
    moving code around it changes nothing) and the options that shape the runs. evidence: the
    checks that boot rounds again to add notes (evidence.py and what it uses). rules: known.py,
    which reads observations only, so every run judges every range by today's rules. (compare()
    runs rounds alone and gathers evidence only for rounds no rule of its day explained, so
    judging by changed rules, or rechecking under changed checks, can only err towards more
    unexplained rounds, never fewer.)"""
    def sha(parts):
        return hashlib.sha256(b''.join(parts)).hexdigest()[:16]
    def src(*names):
        return [open(os.path.join(here, n), 'rb').read() for n in names]
    runs = sha([open(boot.VMM_ELF, 'rb').read(), open(boot.guest_elf(args.build), 'rb').read(), *src('boot.py'),
                inspect.getsource(compare).encode(), repr((args.budget, args.detail)).encode()])
    return runs, sha(src('obs.py', 'evidence.py', 'tracediff.py', 'memdiff.py')), sha(src('known.py'))


NOTES_KEEP = set(FIELDS) | {'dead', 'd', 'code'}


def recheck(args, seed, start, count, c, log):
    """A kept range whose checks have changed since it ran: its differing rounds' notes dropped,
    the checks run on them again as compare() runs them (the flag cuts, then more_evidence)."""
    t0 = time.time()
    rounds = []
    for r, (n, v) in c['obs'].items():
        for k in [k for k in v if k not in NOTES_KEEP]:
            del v[k]
        rounds.append((int(r), n, v))
    fault_flags_check(args.build, seed, [(r, n, v) for r, n, v in rounds if not same(n, v) and not classify(n, v)
                                         and flag_store_mem(n.get('code'))], budget=args.budget)
    more_evidence(args.build, seed, rounds, budget=args.budget)
    log.write('seed %d rounds %d-%d: rechecked %d differing rounds in %.0f s\n' % (
        seed, start, start + count - 1, len(rounds), time.time() - t0))
    log.flush()
    return c


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', default=os.path.join(boot.ROOT, 'build/fuzz'))
    ap.add_argument('--results')
    ap.add_argument('--name', default='fuzz-diff')
    # (all of them by default: a round that ends on its time budget on one side can leave state
    # that changes the next rounds of a long run -- 9:6006 -- and only a round run alone says
    # whether it differs itself; a list boot runs 100 rounds in 2-3 s)
    ap.add_argument('--detail', type=int, default=1 << 30)
    ap.add_argument('--budget', type=int)
    ap.add_argument('--log')
    ap.add_argument('--all', action='store_true', help='one line for every known difference too (every unexplained one has its line)')
    ap.add_argument('--max-faults', type=int, default=0,
                    help='a range passes with at most this many unexplained differences (the baseline of open ones)')
    ap.add_argument('--jobs', type=int, default=1,
                    help='ranges run at once (each is two QEMUs; make fuzz: 2 on 2 cores keeps both busy)')
    ap.add_argument('--state', help='a file of finished ranges: a run given it again with the same build '
                    'goes on where the last one stopped (make fuzz: a 10^6 campaign takes hours)')
    ap.add_argument('ranges', nargs='+')
    args = ap.parse_args()
    log = open(args.log, 'a') if args.log else sys.stderr
    specs = [tuple(map(int, spec.split(':'))) for spec in args.ranges]
    # A range's observations are kept in --state under stamps of what decided them, and taken from
    # there while those hold: a change to the rules costs nothing, one to the checks a recheck of
    # the differing rounds, one to the VMM, the guest or the range runs a new run (stamps()).
    here = os.path.dirname(os.path.abspath(__file__))
    runs, evid, rules = stamps(args, here)
    kept, stale, other_rules = {}, {}, 0
    if args.state and os.path.exists(args.state):
        for l in open(args.state):
            e = json.loads(l)
            if e.get('runs') != runs:
                continue
            if e.get('evidence') == evid:
                kept[tuple(e['range'])] = e['result']
                stale.pop(tuple(e['range']), None)
                other_rules += e.get('rules') != rules
            elif tuple(e['range']) not in kept:
                stale[tuple(e['range'])] = e['result']
    # Ranges run --jobs at a time (a range's VMM side takes about three times its native side, so
    # one range alone leaves a core idle most of the time); each is reported, in order, once it
    # and all before it are done.
    done, lock = {}, threading.Lock()
    todo = [i for i in range(len(specs)) if specs[i] not in kept]
    if kept or stale:
        print('(%d of %d ranges from %s, same build%s%s)' % (
            len(specs) - len(todo), len(specs), args.state,
            '; %d of them examined under other rules, judged again by these' % other_rules if other_rules else '',
            '; %d more whose differing rounds the changed checks look at again' % len(
                [i for i in todo if specs[i] in stale]) if stale else ''))

    def worker():
        while True:
            with lock:
                if not todo:
                    return
                i = todo.pop(0)
            try:
                c = recheck(args, *specs[i], stale[specs[i]], log) if specs[i] in stale else compare(args, *specs[i], log)
            except Exception:                    # (a bug here: that range fails, the rest go on)
                c = dict(error=traceback.format_exc())
            with lock:
                done[i] = c
                if args.state and 'error' not in c:
                    with open(args.state, 'a') as f:
                        f.write(json.dumps(dict(runs=runs, evidence=evid, rules=rules, range=specs[i], result=c)) + '\n')
    ts = [threading.Thread(target=worker, daemon=True) for _ in range(max(1, args.jobs))]
    for t in ts:
        t.start()
    tot = dict(rounds=0, identical=0, known=0, unexplained=0, panics=0)
    fails = broken = 0
    kinds = {}
    for i, (seed, start, count) in enumerate(specs):
        while True:
            with lock:
                c = kept.get(specs[i]) or done.pop(i, None)
            if c:
                break
            time.sleep(0.5)
        if 'error' not in c:
            try:
                c = judge(c, args.all)
            except Exception:                    # (a bug in a rule: as above)
                c = dict(error=traceback.format_exc())
        if 'error' in c:
            print('seed %d rounds %d-%d: not examined, fuzzdiff failed:\n%s' % (seed, start, start + count - 1, c['error']))
            fails += 1
            broken += 1
            if args.results:
                with open(args.results, 'a') as f:
                    f.write('not ok %s/seed%d-%d - fuzzdiff failed (see its output)\n' % (args.name, seed, start))
            continue
        for k in ('rounds', 'identical', 'known', 'unexplained'):
            tot[k] += c[k]
        tot['panics'] += len(c['panics'])
        for k, n in c['kinds'].items():
            kinds[k] = kinds.get(k, 0) + n
        for l in c['said']:
            print(l)
        line = ('seed %d rounds %d-%d: %d identical (%d of them differed only in the long runs), %d known (%s), '
                '%d VMM faults; %d died on both sides; boots %d native, %d VMM') % (
            seed, start, start + count - 1, c['identical'], c['same_alone'], c['known'],
            ', '.join('%s %d' % kv for kv in sorted(c['kinds'].items())) or '-', c['faults'], c['both_dead'], *c['boots'])
        print(line)
        if c['unexamined']:
            print('  (%d differing rounds not examined: raise --detail)' % c['unexamined'])
        for r, p in c['panics']:
            print('  round %d: %s' % (r, p))
        if c['first']:
            print(c['first'])
        sys.stdout.flush()
        ok = c['faults'] <= args.max_faults and not c['panics']
        fails += not ok
        if args.results:
            with open(args.results, 'a') as f:
                f.write('%s %s/seed%d-%d%s # %s\n' % (
                    'ok' if ok else 'not ok', args.name, seed, start,
                    '' if ok else ' - more unexplained differences than --max-faults %d, or a VMM panic' % args.max_faults,
                    line))
    # ("VMM faults": differences no rule explains plus VMM panics, each counted again after it)
    print('%d rounds, %d identical to native, %d known differences, %d VMM faults (%d unexplained differences, %d VMM panics)' % (
        tot['rounds'], tot['identical'], tot['known'], tot['unexplained'] + tot['panics'], tot['unexplained'], tot['panics']))
    if broken:
        print('%d ranges not examined (fuzzdiff failed in them: above)' % broken)
    if kinds:
        print('known differences by kind: ' + ', '.join('%s %d' % kv for kv in sorted(kinds.items())))
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
