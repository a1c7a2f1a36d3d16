#!/usr/bin/env python3
"""evidence.py - the checks that boot a round again (cut runs, one-int3 runs, page dumps, traces)
for differences the observations alone leave unexplained, each noting what it found in the VMM
side's observation for a rule of known.py to read."""
import os, re, subprocess, tempfile, threading

import boot
from obs import (unprefixed, page_key, FIELDS, h, CR4_RESERVED, CR4_QEMU64_LACKS, same, flag_store_sites, flags_hash_only, code_at,
                 OBS_IRQ0, patch_sites, insn_len, linear_decode, SENSITIVE)
from known import classify


ALONE_MAX = 100          # unexplained rounds per range run again each in a boot of its own


def fault_flags_check(build, seed, rounds, budget=None):
    """For rounds [(r, n, v)] whose code holds a flag-reading store (flag_store_mem): run each one cut
    right before and right after each such instruction (and after a conditional jump that follows
    it) -- list entries R:K, fuzz.c -- on both sides, and set v['flagstore_first'] where some site
    is the first difference (k_qemu_fault_flags). One list boot per side for all of them."""
    # (not for a round that hangs on a side: every cut past the hang would wait out its timeout
    # -- 3:2346 and 3:8047 cost two minutes of make test-fuzz that way)
    sites = {r: [(a, e) for a, e in flag_store_sites(n.get('code')) if e < len(bytes.fromhex(n['code'])) - 2]
             for r, n, v in rounds if 'hang' not in n.get('dead', '') + v.get('dead', '')}
    code = {r: bytes.fromhex(n['code']) for r, n, v in rounds if r in sites}

    def jcc(r, e):
        # A conditional jump right after the site: (its end, its target's offset), else None.
        # TCG can get its condition wrong with the flags right at a cut after the store (28:2039:
        # `rcll $4, ...; jle`, identical cut after the rcl, the jle went the other way under the VMM).
        c = code[r][e:e + 6]
        if c[:1] and 0x70 <= c[0] <= 0x7F and len(c) >= 2:
            return e + 2, e + 2 + int.from_bytes(c[1:2], 'little', signed=True)
        if len(c) == 6 and c[0] == 0x0F and 0x80 <= c[1] <= 0x8F:
            return e + 6, e + 6 + int.from_bytes(c[2:6], 'little', signed=True)
        return None
    # (in the order the round would reach them: a cut run leaves the VMM's shadow entries behind
    # in the list boot, and one filled writable by a later cut keeps an earlier site from faulting)
    entries = ['%d:%d' % rk for rk in sorted({(r, k) for r in sites for a, e in sites[r]
                                              for k in (a, e, (jcc(r, e) or (0,))[0]) if 0 < k < len(code[r]) - 2})]
    if not entries:
        return
    def both(entries):
        got = {}
        def one(s):
            got[s] = boot.list_entries(s, build, seed, entries, budget=budget)
        ts = [threading.Thread(target=one, args=(s,)) for s in ('native', 'vmm')]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        return got['native'], got['vmm']

    def first(r, nn, vv, only=None):
        def cut_same(k):
            e = '%d:%d' % (r, k)
            return k == 0 or (e in nn and 'dead' not in nn[e] and all(nn[e].get(f) == vv[e].get(f) for f in FIELDS))

        def branched(e):
            # cut right after the store alike, cut right after the jcc that follows it: one side
            # took the branch (its #BP at the int3s past the cut: target + 1), the other did not
            # (end + 1), and nothing else differs but status flags and the page hash
            j = jcc(r, e)
            k = '%d:%d' % (r, j[0]) if j else None
            if not j or not cut_same(e) or k not in nn or 'dead' in nn[k] or 'dead' in vv[k]:
                return False
            base = 0x601000 - len(code[r])
            d = {f for f in FIELDS if nn[k].get(f) != vv[k].get(f)}
            return {h(nn[k], 'f0'), h(vv[k], 'f0')} == {base + j[0] + 1, base + j[1] + 1} and d <= {'f0', 'f2', 'hash'} and \
                not (h(nn[k], 'f2') ^ h(vv[k], 'f2')) & ~0x8D5
        return any(cut_same(a) and (flags_hash_only(nn['%d:%d' % (r, e)], vv['%d:%d' % (r, e)]) or branched(e))
                   for a, e in (only or sites[r]) if '%d:%d' % (r, e) in nn and '%d:%d' % (r, e) in vv)
    nn, vv = both(entries)
    for r, n, v in rounds:
        # (a round's cuts in one boot, where the batch shows nothing: the rounds before it in the
        # batch leave shadow entries too -- 1:8325; and then each site's cuts in a boot of their
        # own, where that shows nothing either: what TCG makes of the store's flags depends on how
        # it translated what ran before -- 15:2767 and 16:6007 showed it in the range's first
        # examination and not in a recheck whose batch held other cuts)
        if r not in sites or not sites[r]:
            continue
        mine = [e for e in entries if e.startswith('%d:' % r)]
        if first(r, nn, vv) or first(r, *both(mine)):
            v['flagstore_first'] = True
            continue
        for a, e in sites[r]:
            j = jcc(r, e)
            own = ['%d:%d' % (r, k) for k in (a, e, j[0] if j else 0) if 0 < k < len(code[r]) - 2]
            if own and first(r, *both(own), only=[(a, e)]):
                v['flagstore_first'] = True
                break


def patch_inside_check(build, seed, rounds, budget=None):
    """For ring-0 rounds [(r, n, v)] no rule explains: run each natively with one int3 at each
    offset where the VMM could have patched an instruction (list entries R@K, fuzz.c), one list
    boot for all; where one of them gives exactly the VMM's observation, note the offset in
    v['patch_inside'] (k_patch_inside)."""
    entries = ['%d@%d' % (r, k) for r, n, v in rounds if not h(n, 'ring3') for k in patch_sites(n.get('code')) if k > 0]
    if not entries:
        return
    got = boot.list_entries('native', build, seed, entries, budget=budget, hang=10)   # (native rounds take ms)
    for r, n, v in rounds:
        base = 0x601000 - len(bytes.fromhex(n.get('code') or ''))
        mine = ['%d@%d' % (r, k) for k in patch_sites(n.get('code')) if k > 0]

        def match(g):
            for e in mine:
                o, k = g.get(e), int(e.split('@')[1])
                # (an int3 the VMM left to the guest would match trivially: not that)
                if o and 'dead' not in o and same(o, v) and not (h(v, 'vec') == 3 and h(v, 'f0') == base + k + 1):
                    return k
            return None
        # (and the round's runs in a boot of their own where the batch showed nothing: 19:715
        # matched in the range's first examination, not in a recheck with another batch)
        k = match(got)
        if k is None and mine:
            k = match(boot.list_entries('native', build, seed, mine, budget=budget, hang=10))
        if k is not None:
            v['patch_inside'] = k


def retry_check(build, seed, rounds):
    """For rounds [(r, n, v)] whose code holds a flag-reading store and that the cut runs of
    fault_flags_check did not settle (a cut run can find the page already written, 23:6577):
    trace each alone on both sides (tracediff.py); where the traces part at the VMM retrying such a
    store with other status flags after a hidden fault, set v['flagstore_first'] (the mechanism
    k_qemu_fault_flags names, seen directly)."""
    import tracediff
    for r, n, v in rounds:
        code = bytes.fromhex(n.get('code') or '')
        starts = {0x601000 - len(code) + a for a, e in flag_store_sites(n.get('code'))}
        if not starts:
            continue
        got = tracediff.retry(*tracediff.both(build, seed, str(r)))
        if got and got[1]['EIP'] in starts:
            v['flagstore_first'] = True


def more_evidence(build, seed, rounds, budget=None):
    """The checks that boot again, for the rounds [(r, n, v)] the observations alone leave
    unexplained, cheapest first: rounds that killed one side run alone (alone_check), page dumps
    (mem_check), one-int3 runs (patch_inside_check), traces (retry_check, trace_check). Each notes
    its finding in v for the rules."""
    def open_(n, v):
        return 'dead' not in n and 'dead' not in v and not same(n, v) and not classify(n, v)
    alone_check(build, seed, rounds, budget=budget)
    for r, n, v in rounds:
        if open_(n, v):
            mem_check(build, seed, r, n, v)
    patch_inside_check(build, seed, [(r, n, v) for r, n, v in rounds if open_(n, v)], budget=budget)
    retry_check(build, seed, [(r, n, v) for r, n, v in rounds if open_(n, v)][:ALONE_MAX])
    # (and the rounds the VMM stopped where natively they went on: 59:6748, a patched iret inside
    # the add that ran, then QEMU's v8086 mode from the iret's other decode)
    for r, n, v in [(r, n, v) for r, n, v in rounds if open_(n, v) or (
            'dead' not in n and v.get('dead', '').startswith('VM stopped') and not classify(n, v))][:ALONE_MAX]:
        trace_check(build, seed, r, n, v)
    for r, n, v in [(r, n, v) for r, n, v in rounds if h(v, 'vec') == 8 and h(v, 'how') == 1 and not same(n, v) and
                    not classify(n, v)][:ALONE_MAX]:
        ltr_check(build, seed, r, n, v)
    for r, n, v in [(r, n, v) for r, n, v in rounds if open_(n, v)][:ALONE_MAX]:
        ev = int_events(build, seed, r)
        self_write_check(n, v, ev)
        port_in_events(n, v, ev)
        if open_(n, v):
            int_flags_check(build, seed, r, n, v, ev)
    for r, n, v in [(r, n, v) for r, n, v in rounds if ('hang' in n.get('dead', '') or 'triple' in n.get('dead', '')) and
                    'vec' in v and not classify(n, v)][:ALONE_MAX]:
        hang_check(build, seed, r, n, v)
    for r, n, v in [(r, n, v) for r, n, v in rounds if 'dead' not in n and 'virtual-8086 frame at eip' in v.get('dead', '')]:
        vm_flag_check(build, seed, r, n, v)


def alone_check(build, seed, rounds, budget=None):
    """Rounds [(r, n, v)] that killed one side's machine where the other went on, and that no rule
    explains: run each alone on both sides, in a boot of its own. compare() runs such a round
    again only if it hung (a round that killed a side would only kill it again), but a round
    before can have left the state that killed it: 19:3280, 19:3363 and 19:3533 triple-faulted
    natively in seed 19's range run and alone run the same as under the VMM. Where neither side
    dies alone, the alone observations replace the range run's, as for a hang (the native side
    keeps the round's code), and v['alone'] says so."""
    for r, n, v in rounds:
        if ('dead' in n) == ('dead' in v) or classify(n, v):
            continue
        got = {}
        def one(s):
            got[s] = boot.list_rounds(s, build, seed, [r], budget=budget, dump=(s == 'native')).get(r)
        ts = [threading.Thread(target=one, args=(s,)) for s in ('native', 'vmm')]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        if got['native'] and got['vmm'] and 'dead' not in got['native'] and 'dead' not in got['vmm']:
            code = n.get('code') or got['native'].get('code')
            n.clear()
            n.update(got['native'], **({'code': code} if code else {}))
            v.clear()
            v.update(got['vmm'], alone='died in the range run, not alone')


def vm_flag_check(build, seed, r, n, v):
    """A round the VMM stopped because a frame from the guest had VM set (run.c vm_trap:
    "virtual-8086 frame at eip ..."): boot its VMM side again with QEMU's interrupt log
    (int_events), and if the guest's exception there was logged in protected mode (a 32-bit CS)
    with VM in its EFLAGS, note its EIP in v['qemu_vm_flag'] (k_qemu_fault_flags)."""
    m = re.search(r'virtual-8086 frame at eip ([0-9a-f]{8})', v.get('dead', ''))
    if m and any(e['ip'] == int(m.group(1), 16) and e['cpl'] == 3 and e['efl'] & 0x20000 and e['cs32']
                 for e in int_events(build, seed, r)):
        v['qemu_vm_flag'] = int(m.group(1), 16)


def ltr_check(build, seed, r, n, v):
    """A round whose VMM side ends in a #DF through the task gate at an ltr (0F 00 /3) -- the
    VMM's #GP there could not be delivered -- where the native side went on: if the native trace
    shows TR 0 right after that ltr, QEMU loaded a null selector (k_qemu_ltr_null): note the ltr's
    EIP in v['ltr_null']. (44:6687: ltr from memory with ESP 0x67; natively the next fault found
    no TSS for its task gate and the machine reset.)"""
    import tracediff
    at = h(v, 'f0')
    c = unprefixed(code_at(n, at))
    if not (len(c) >= 3 and c[0] == 0x0F and c[1] == 0x00 and (c[2] >> 3) & 7 == 3):
        return
    tr = {}
    nt = tracediff.steps('native', build, seed, str(r), tr=tr)
    k = next((k for k, st in enumerate(nt) if st['EIP'] == at), None)
    if k is not None and k + 1 < len(nt) and tr.get(nt[k + 1]['EIP']) == 0 and sum(st['EIP'] == at for st in nt) == 1:
        v['ltr_null'] = at


def int_events(build, seed, r):
    """The guest's exceptions (CPL 1 or 3) in the round's VMM side booted again with QEMU's
    interrupt and translation logs, in order: [{vec, err, cpl, ip, cr2, efl, cs32, eax, asm}] --
    efl as the register dump at the exception shows it, the EFLAGS TCG built the frame from; cs32:
    its CS a 32-bit segment; asm: QEMU's disassembly of what it last translated at ip before
    (code the round wrote over is translated again), '' if none."""
    import tracediff
    d = tempfile.mkdtemp(prefix='int-', dir=build)
    log = os.path.join(d, 'int.log')
    boot.boot('vmm', build, 'seed=%d list=%d' % (seed, r), 'int%d-%d' % (seed, r), qemu=['-d', 'int,in_asm', '-D', log])
    lines = open(log, errors='replace').read().split('\n') if os.path.exists(log) else []
    subprocess.run(['rm', '-rf', d])
    out, asm = [], {}
    for i, l in enumerate(lines):
        t = tracediff.ASM_LINE.match(l)
        if t:
            asm[int(t.group(1), 16)] = t.group(3).strip()
            continue
        f = re.match(r'\s*\d+: v=([0-9a-f]+) e=([0-9a-f]+) .* cpl=([13]) IP=[0-9a-f]{4}:([0-9a-f]{16})', l)
        fl = next((re.search(r'EFL=([0-9a-f]{8})', x) for x in lines[i:i + 4] if 'EFL=' in x), None) if f else None
        if fl:
            cr2 = re.search(r'CR2=([0-9a-f]+)', l)
            ax = next((re.search(r'[RE]AX=([0-9a-f]+)', x) for x in lines[i:i + 4] if 'AX=' in x), None)
            cs = next((x for x in lines[i:i + 8] if x.startswith('CS =')), '')
            ip = int(f.group(4), 16)
            out.append({'vec': int(f.group(1), 16), 'err': int(f.group(2), 16), 'cpl': int(f.group(3)),
                        'ip': ip, 'cr2': int(cr2.group(1), 16) if cr2 else None,
                        'efl': int(fl.group(1), 16), 'cs32': 'CS32' in cs, 'asm': asm.get(ip, ''),
                        'eax': int(ax.group(1), 16) & 0xFFFFFFFF if ax else None})
    return out


def port_in_events(n, v, ev):
    """A port input at ring 0 seen in QEMU's logs where a trace of the round would be too long
    (66:6490: a push %esp loop that ran down into the code page for half a million steps and
    wrote `ec`, in %dx,%al, over its loopne): the VMM's #GP at an `in` the round ran at CPL 1 (ev:
    int_events, with the bytes QEMU last translated there), the rounds alike but for the bits of
    EAX that `in` reads, and EAX at the #GP those of both ends outside them. Note its EIP in
    v['port_in'] (k_port_in)."""
    if h(n, 'ring3') or {k for k in FIELDS if n.get(k) != v.get(k)} != {'eax'}:
        return
    for e in ev:
        m = re.match(r'in([bwl])\s+(?:\$0x[0-9a-f]+|\(?%dx\)?),\s*%(al|ax|eax)$', e['asm'])
        if e['vec'] == 13 and e['cpl'] == 1 and e['ip'] >= 0x400000 and m and e['eax'] is not None:
            keep = ~{'b': 0xFF, 'w': 0xFFFF, 'l': 0xFFFFFFFF}[m.group(1)] & 0xFFFFFFFF
            if not (h(n, 'eax') ^ h(v, 'eax')) & keep and not (e['eax'] ^ h(v, 'eax')) & keep:
                v['port_in'] = e['ip']
                return


def int_flags_check(build, seed, r, n, v, ev):
    """A round where QEMU's TCG may have got a flag-reading store's flags wrong only in the blocks
    the whole round makes, so that cut runs showed nothing (89:5364: cut right after `rcrb $0x48`
    and after the aas that follows, both sides alike; whole, the aas saw AF set under the VMM).
    Trace the native side for the rcl, rcr and setcc to memory it ran -- in the round's code or
    anywhere else (44:4944: `rcll $1, (%ecx)` on the stack page). If the guest's first #PF at such
    a store under the VMM (ev: int_events; the shadow fill's, the store run once natively) has
    other status flags than the native trace had right before it, note its EIP in v['pf_flags']
    (k_qemu_fault_flags): the VMM resumed the store with QEMU's wrong flags."""
    import tracediff
    asm = {}
    nt = tracediff.steps('native', build, seed, str(r), asm)
    stores = {e for e, a in asm.items() if re.match(r'(rcl|rcr|set)\w*\s.*\(', a)}
    for e in ev:
        if e['vec'] == 14 and e['ip'] in stores:
            before = [st['EFL'] for st in nt if st['EIP'] == e['ip']]
            if len(before) == 1 and (before[0] ^ e['efl']) & 0x8D5:
                v['pf_flags'] = e['ip']
            return


def self_write_check(n, v, ev):
    """An instruction in the round's code that wrote over its own bytes and then took a hidden
    fault under the VMM (ev: int_events): a write #PF at its EIP with CR2 inside it -- the
    scanned code page is write-protected; the VMM lets the write through (selfmod.c) -- and then
    another #PF at the same EIP. Such an instruction is not restartable: run again after the
    VMM's fill, the CPU decodes what the first run wrote. Note its EIP in v['self_write']
    (k_self_write)."""
    for a, b in zip(ev, ev[1:]):
        c = code_at(n, a['ip'])
        if a['vec'] == b['vec'] == 14 and a['ip'] == b['ip'] and a['err'] & 2 and c and \
                a['cr2'] is not None and a['ip'] <= a['cr2'] < a['ip'] + insn_len(c):
            v['self_write'] = a['ip']
            return


def hang_check(build, seed, r, n, v):
    """A round that hangs natively (or resets the machine) while under the VMM something ends it:
    trace the native side (tracediff.py, until its log is 64 MiB). If the VMM's was its budget interrupt and after its
    last sti the native side runs a loop of at most four instructions, closed by a jump, with no
    cli, popf or iret in it, note the sti in v['sti_loop'] (k_qemu_sti_pending). If the native
    side's last instruction is a mov to CR4 of a value with a bit reserved on the CPU, where the VMM gave
    #GP(0), note it in v['cr4_reserved'] (k_qemu_cr4). If the VMM's trace is the start of the
    native one, note its length in v['budget_prefix'] (k_budget)."""
    import tracediff
    asm = {}
    nt = tracediff.steps('native', build, seed, str(r), asm)
    last = asm.get(nt[-1]['EIP'], '') if nt else ''
    m = re.match(r'movl\s+%(e[a-z]{2}),\s*%cr4$', last)
    bad = CR4_RESERVED | (0 if os.environ.get('FUZZ_CPU') else CR4_QEMU64_LACKS)
    if m and nt[-1].get(m.group(1).upper()) is not None and nt[-1][m.group(1).upper()] & bad and \
            h(v, 'vec') == 13 and h(v, 'f0') == 0 and h(v, 'f1') == nt[-1]['EIP']:
        v['cr4_reserved'] = nt[-1]['EIP']
        return
    if h(v, 'vec') != OBS_IRQ0:
        return
    sti = [i for i, st in enumerate(nt) if asm.get(st['EIP'], '').startswith('sti')]
    tail = nt[sti[-1] + 1:] if sti else []
    eips = {st['EIP'] for st in tail}
    last = asm.get(tail[-1]['EIP'], '').split() if tail else []
    # (the trace collapses steps that change nothing: `jg .` is one step however long it spins)
    if tail and 'hang' in n.get('dead', '') and len(eips) <= 4 and last[0].startswith(('j', 'loop')) and last[-1].startswith('0x') and \
            int(last[-1], 16) in eips and not any(asm.get(e, '').startswith(('cli', 'popf', 'iret')) for e in eips):
        v['sti_loop'] = nt[sti[-1]]['EIP']
        return
    # Else trace the VMM's side too: if its steps are the native ones' beginning, the VMM's round
    # went the native way until its budget interrupt ended it, and the native one went on
    # without ever taking that interrupt (16:3066: a ring-0 rep stos with CR0.WP clear writes
    # over the round's own code page, and what runs next wanders through the junk page with IF
    # set; natively QEMU logs no interrupt at all for as long as it is let run -- why, this does
    # not say -- under the VMM the budget interrupt ends it; 62:5159, a native reset after more
    # instructions than the VMM's budget let its round run).
    # (whole: a trace cut at its size limit says nothing of where the round ended -- 72:5858's
    # VMM trace stopped there after 342052 steps, a prefix of the native one's 367165)
    vlines = []
    vt = tracediff.steps('vmm', build, seed, str(r), {}, lines=vlines, long=True)
    if not any('fuzz: done' in l for l in vlines):
        return
    # (the native side hangs: traced as far as the VMM's round ran and one step on, no further --
    # 60:6262's native log grew ever slower after 1.5 GiB, and what runs after that is not compared)
    if len(vt) >= len(nt):
        nt = tracediff.steps('native', build, seed, str(r), {}, long=True, stop=len(vt) + 1)
    if vt and len(vt) < len(nt) and nt[:len(vt)] == vt:
        v['budget_prefix'] = len(vt)


def trace_check(build, seed, r, n, v):
    """Trace both sides (tracediff.py) of a round nothing else explained and look at where they
    part. (1) A port input (an `in` at ring 0, only EAX differs after it): v['port_in']. A
    ring-3 sgdt, sidt, sldt, str or smsw: v['sys_read_at'].
    (2) patch_inside_check's case where no int3 run can stand in for the patch, because the
    round also runs the patched instruction itself (20:4479: an iret at 0x600e0e, which the VMM
    patched and emulated, and later `00 cf` from 0x600e0d, whose ModRM byte is that iret -- under
    the VMM `00 cc`, add %cl,%ah instead of add %cl,%bh): where they part right after an
    instruction whose bytes cover the first byte of a patchable instruction that the VMM's scan met -- one its trace ran before, or on the linear decode from
    the first byte the round ran (22:9048: `00 cf` from 0x600eea over the decode's iret at
    0x600eeb) -- note that offset in v['patch_inside']. Traces alike to their end part in how the
    last instruction ended (2:6653: `f3 cf`, rep iret, entered at the f3 over the decode's iret
    at the cf: the VMM emulated the iret from the cf and reported its #GP there, natively at the
    f3)."""
    import tracediff
    code = n.get('code') or ''
    base = 0x601000 - len(bytes.fromhex(code))
    asm, vasm, vcpl, raw, vraw = {}, {}, {}, {}, {}
    lines = []
    nt, vt = tracediff.both(build, seed, str(r), asm, vasm, vcpl, raw, vraw, lines)
    # (0') The native round run one instruction per block, as the trace runs it, observed what the
    # VMM's did, and its ordinary run something else: the oracle disagrees with itself
    # (k_qemu_translation; 63:5856: btc, then int $0xb6, OF set in the frame of the ordinary run)
    got = next((boot.round_fields(l) for l in lines if re.match(r'R %d(?: |$)' % r, l)), None)
    # (noted, not decided: a more specific finding below names the cause where there is one --
    # 6:3886, 42:6214: QEMU's lazy flags in a native frame or a lahf, the stepped run alike too)
    if got and 'dead' not in got and same(got, v) and not same(got, n):
        v['stepped_native'] = True
    if h(v, 'vec') == 6 and h(v, 'f0') in raw:
        v['ud_bytes'], v['ud_asm'] = raw[h(v, 'f0')], asm.get(h(v, 'f0'), '')   # (k_qemu_reg_field)
    # (0) retry_check's finding where the store is not in the code page, so that no byte scan of
    # the code finds it (19:6869: an rcl the round wrote into the junk page, retried by the VMM
    # with CF clear after a hidden fault)
    got = tracediff.retry(nt, vt)
    if got and asm.get(got[1]['EIP'], '').startswith(('rcl', 'rcr', 'set')):
        v['flagstore_first'] = True
        return
    # (or such a retry further on, where the traces had parted before over a retry that changed
    # nothing in the end, and the rounds differ in status flags and the page hash alone -- 43:2192:
    # a popal the VMM's shadow fill interrupted half-way, run again whole, then an rcr retried
    # with OF set)
    if flags_hash_only(n, v) and any(
            a['EIP'] == b['EIP'] and all(a[k] == b[k] for k in tracediff.KEYS if k != 'EFL') and a['EFL'] != b['EFL'] and
            not (a['EFL'] ^ b['EFL']) & ~0x8D5 and asm.get(a['EIP'], '').startswith(('rcl', 'rcr', 'set'))
            for a, b in zip(vt, vt[1:])):
        v['flagstore_first'] = True
        return
    # Where each port input to memory (ins, at ring 0) the native side ran stored its data
    # (k_known_together): at ES:EDI before the step, ES flat (the fuzzer's 0x10) -- one step per
    # iteration of a rep ins. And whether it stored the x87 environment (its FCS).
    if not h(n, 'ring3') and h(n, 'es') == 0x10:
        for st in nt:
            m = re.match(r'(?:rep\w*\s+)?ins([bwl])\b', asm.get(st['EIP'], ''))
            key = page_key(st['EDI']) if m and st['EDI'] is not None else None
            if key:
                v.setdefault('ins_dest', []).append([*key, {'b': 1, 'w': 2, 'l': 4}[m.group(1)]])
    if not h(n, 'ring3') and any(re.match(r'(fn?stenv|fn?save|fxsave)', asm.get(st['EIP'], '')) for st in nt):
        v['x87_env_ran'] = True
    i = next((i for i in range(min(len(nt), len(vt))) if nt[i] != vt[i]), None)
    if i is None and nt and vt[:len(nt)] == nt:
        i = len(nt)              # (alike to the native end: they part in how its last instruction ended -- its fault)
    if not i:
        return
    # A fault (no trap: the instruction changed nothing) whose frames differ in their status flags
    # alone, where the VMM's are those both traces had before the instruction: QEMU's lazy flags
    # went wrong in the native frame (6:3886: #UD at `0f ..` after nops, OF set natively).
    slot = 'f3' if h(n, 'vec') in (8, 10, 11, 12, 13, 14, 17) else 'f2'
    # (#BP and #OF too: traps, but int3 and into change no status flag)
    if i == len(nt) and 'vec' in n and n.get('vec') == v.get('vec') and h(n, 'vec') in (0, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 16, 17, 19):
        d = {k for k in FIELDS if n.get(k) != v.get(k)}
        last = nt[-1]['EFL']
        if slot in d and d <= {slot, 'hash'} and not (h(n, slot) ^ h(v, slot)) & ~0x8D5 and not (h(v, slot) ^ last) & 0x8D5:
            v['native_frame_flags'] = nt[-1]['EIP']
            return
        # QEMU's lazy flags read into a register: lahf natively left AH with other status flags
        # than both traces had, and the VMM's AH is the traced one (42:6214: AF clear natively).
        if d == {'eax'} and not (h(n, 'eax') ^ h(v, 'eax')) & ~0xD500 and h(v, 'eax') == nt[-1]['EAX'] and \
                any(asm.get(st['EIP'], '').startswith('lahf') for st in nt):
            v['native_frame_flags'] = nt[-1]['EIP']
            return
        # The same on the VMM's side, whose frames come from QEMU's TCG too (the VMM passes a
        # guest fault's EFLAGS on as the CPU gave them): its frame's status flags are not those
        # both traces had before the faulting instruction, the native one's are, and the status
        # flags have not changed in the trace since an rcl, rcr or setcc ran, whose lazy flags TCG
        # gets wrong where the VMM made its store fault (13:1296: `rcr %cl, -7(%edi)`, then a #PF
        # at `and`: PF clear under the VMM; 19:3868: `rcll $0x90` on the junk page, nops and
        # pushes, then #GP at a ring-3 iret: PF clear under the VMM).
        fs = [k for k, st in enumerate(nt) if asm.get(st['EIP'], '').startswith(('rcl', 'rcr', 'set'))]
        if slot in d and d <= {slot, 'hash'} and not (h(n, slot) ^ h(v, slot)) & ~0x8D5 and \
                not (h(n, slot) ^ last) & 0x8D5 and fs and \
                all(not (st['EFL'] ^ last) & 0x8D5 for st in nt[fs[-1] + 1:]):
            v['vmm_frame_flags'] = nt[-1]['EIP']
            return
    x = nt[i - 1]['EIP']
    # The instruction where they part read the FCS byte of an x87 environment the round stored
    # before (k_x87_fcs: 9 under the VMM, 8 natively) -- through the junk page, which stands at
    # most addresses (87:2065: fnstenv at 0x235b5e0c, FCS at junk offset 0xe1c; `addl
    # -0x649b66bf(%ecx), %ebx` read 0x9bc88e19-0x9bc88e1c: EBX off by 0x01000000).
    if i < len(nt):
        fcs = set()
        for st in nt[:i - 1]:
            a = asm.get(st['EIP'], '')
            m = re.match(r'(fn?stenv|fn?save|fxsave)l?\s+(\S.*)$', a)
            d = operand_addr(m.group(2), st) if m else None
            if d is not None:
                fcs.add(page_key((d + (12 if m.group(1) == 'fxsave' else 16)) & 0xFFFFFFFF))
        m = re.match(r'[a-z]+?([bwlq])?\s+(?:\$?[^,(]*,\s*)?((?:%[a-z]s:)?-?(?:0x)?[0-9a-f]*\([^)]*\)|0x[0-9a-f]+)', asm.get(x, ''))
        b = operand_addr(m.group(2), nt[i - 1]) if m else None
        if b is not None and fcs - {None} and any(page_key((b + j) & 0xFFFFFFFF) in fcs for j in range(
                {'b': 1, 'w': 2, 'l': 4, 'q': 8}.get(m.group(1), 4))):
            v['fcs_read'] = x                    # (k_x87_fcs)
            return
    if i < len(nt) and i < len(vt) and asm.get(x, '').split()[:1] in (['inb'], ['inw'], ['inl']) and not h(n, 'ring3') and \
            [k for k in tracediff.KEYS if nt[i][k] != vt[i][k]] == ['EAX']:
        v['port_in'] = x                         # (k_port_in)
        return
    # QEMU's TCG reads the imm16 of `lret $imm16` sign-extended; the VMM emulates a far return to
    # the guest kernel's own ring and adds it as the SDM says, zero-extended (79:6694: lretl
    # $0xc7ea with ESP 0x7fdfc0, natively 0x7fa7b2, under the VMM 0x80a7b2): they part right
    # after it in ESP alone, by 0x10000.
    c = unprefixed(bytes.fromhex(raw.get(x, '')) or code_at(n, x))
    if i < len(nt) and i < len(vt) and not h(n, 'ring3') and c[:1] == b'\xca' and len(c) >= 3 and c[2] & 0x80 and \
            [k for k in tracediff.KEYS if nt[i][k] != vt[i][k]] == ['ESP'] and (vt[i]['ESP'] - nt[i]['ESP']) & 0xFFFFFFFF == 0x10000:
        v['lret_imm'] = x                        # (k_qemu_lret_imm)
        return
    if h(n, 'ring3') and asm.get(x, '').startswith(('sgdt', 'sidt', 'sldt', 'str', 'smsw')):
        v['sys_read_at'] = x                     # (k_sys_read_ring3)
        return
    if h(n, 'ring3'):
        return                                   # (the VMM patches no ring-3 code)
    # (2') The same seen in the bytes, on any page: the instruction where they part holds, past its
    # first byte, an int3 under the VMM that the native side did not run (8:5558: `d9 0e` on the
    # stack page, #UD natively; the VMM had patched the 0e, push %cs, found by a scan from another
    # offset, and ran `d9 cc`, fxch). Only a patch puts an int3 into guest code. Or one the
    # traces ran before they part, alike in the registers, where the patch went into memory
    # (63:2506: `push $0xcf00600e` over the iret at its last byte, which the round ran before,
    # and the word above the #BP frame 0xcc00600e under the VMM).
    # QEMU logs an opcode it cannot disassemble as one byte and the bytes after it as what they
    # decode to (52:3489: `c6 0e 60` on the stack page, logged as `c6`, `0e` and `60`; the VMM's
    # scan had not decoded `c6 /1` either, resynchronised a byte on and patched the `0e`, push
    # %cs), so the parting instruction's bytes are what the log holds from x up to the next step.
    end = nt[i]['EIP'] if i < len(nt) and x < nt[i]['EIP'] <= x + 15 else x + 1
    for y, vb, nb in [(x, logged(vraw, x, end), logged(raw, x, end))] + [
            (st['EIP'], bytes.fromhex(vraw.get(st['EIP'], '')), bytes.fromhex(raw.get(st['EIP'], ''))) for st in vt[:i]]:
        if 0xCC in vb[1:] and nb and nb != vb:
            v['patch_inside'] = 'int3 at %#x' % (y + vb.index(0xCC, 1))
            return
    # (2'') The same where QEMU logged only the opcode byte of the instruction, one it cannot
    # disassemble (38:9746: `8f` on the stack page, natively run as a pop to memory; under the
    # VMM its ModRM byte was the int3 of a patch and it popped into ESP): the pages as the round
    # left them hold 0xCC under the VMM, and not natively, inside what the instruction took.
    if asm.get(x, '').startswith('.byte') and page_key(x) and i < len(nt) and nt[i]['EIP'] == vt[i]['EIP']:
        import memdiff
        try:
            nm, vm_ = memdiff.pages('native', build, seed, r)[0], memdiff.pages('vmm', build, seed, r)[0]
        except memdiff.Garbled:
            return                               # (no finding: the round stays open)
        def byte(m, a):
            k = page_key(a)
            return (m.get((k[0], k[1] & ~3), 0) >> 8 * (k[1] & 3)) & 255 if k and k[0] != 8 else None
        for a in range(x + 1, nt[i]['EIP']):
            if byte(vm_, a) == 0xCC and byte(nm, a) not in (0xCC, None):
                v['patch_inside'] = 'int3 at %#x' % a
                return
    ran = {st['EIP'] for st in vt[:i - 1]} | linear_decode(n, vt[0]['EIP'])
    end = x + insn_len(code_at(n, x))
    for k in patch_sites(code):
        if x < base + k < end and base + k in ran:
            v['patch_inside'] = k
            return
    # (3) The guest kernel (CPL 1 under the VMM) ran a sensitive instruction as it is -- the VMM's
    # disassembly shows it, not the int3 of a patch: in one of the round's pages because the VMM's
    # scan of the page, started elsewhere, decoded over it (k_patch_inside); on the junk page
    # because that is a user page, which the VMM never scans (k_user_page_code; 2:2483 and 5:4628,
    # `push %cs` there pushed the real CS 9).
    for st in vt[:i]:
        e = st['EIP']
        if vcpl.get(e) == 1 and SENSITIVE.match(asm.get(e, '')) and vasm.get(e, '').split()[:1] == asm[e].split()[:1]:
            v['unpatched'] = e
            return


def logged(d, a, end):
    """The bytes a trace's log holds ({EIP: hex}, tracediff's raw) from a on, at least up to end."""
    b = b''
    while a < end and d.get(a):
        c = bytes.fromhex(d[a])
        b, a = b + c, a + len(c)
    return b


def operand_addr(op, st):
    """The linear address of the AT&T memory operand op (QEMU's disassembly: `disp(%base, %index,
    scale)` or an absolute `0x...`), with the registers of the trace step st; segment bases taken
    as 0 (the fuzzer's data segments are flat); None for what it does not parse."""
    m = re.fullmatch(r'(?:%[a-z]s:)?(-?(?:0x[0-9a-f]+|\d+))?(?:\((%e[a-z]{2})?(?:,\s*(%e[a-z]{2}))?(?:,\s*(\d))?\))?', op.strip())
    if not m or not (m.group(1) or m.group(2) or m.group(3)):
        return None
    a = int(m.group(1), 0) if m.group(1) else 0
    for r, k in ((m.group(2), 1), (m.group(3), int(m.group(4) or 1))):
        if r:
            if st.get(r[1:].upper()) is None:
                return None
            a += st[r[1:].upper()] * k
    return a & 0xFFFFFFFF


def mem_check(build, seed, r, n, v):
    """For a ring-0 round whose observations differ in the page hash (and at most in bytes that are
    0xCC under the VMM elsewhere): run it alone on both
    sides with its pages dumped (memdiff.py) and note in v whether every byte that differs is
    0xCC under the VMM (v['cc_only'], for k_patched_data); if not, note the bytes that differ
    (v['mem_bytes']: page, offset, the native and the VMM's byte, memdiff.py's pages)."""
    # (or whose other fields differ only in bytes that are 0xCC under the VMM: k_patch_read, a
    # patched byte read as data from a page the hash covers -- 68:7235, a selector from the stack page)
    if 'vec' not in n or 'vec' not in v or h(n, 'ring3') or n.get('hash') == v.get('hash') or any(
            n.get(k) != v.get(k) and any(((h(n, k) ^ h(v, k)) >> 8 * i) & 255 and (h(v, k) >> 8 * i) & 255 != 0xCC
                                         for i in range(4)) for k in FIELDS if k != 'hash'):
        return
    import memdiff
    try:
        nm, vm = memdiff.pages('native', build, seed, r)[0], memdiff.pages('vmm', build, seed, r)[0]
    except memdiff.Garbled:
        return                                   # (no finding: the round stays open)
    differ = [(k, o + i, (nm.get((k, o), 0) >> 8 * i) & 255, (vm.get((k, o), 0) >> 8 * i) & 255)
              for k, o in set(nm) | set(vm) for i in range(4) if ((nm.get((k, o), 0) ^ vm.get((k, o), 0)) >> 8 * i) & 255]
    v['cc_only'] = bool(differ) and all(b == 0xCC for k, o, a, b in differ)
    if not v['cc_only']:
        v['mem_bytes'] = sorted(differ)[:256]     # (page, offset, both bytes: k_known_together)
