#!/usr/bin/env python3
"""fuzzdiff.py - the differential oracle: run fuzz rounds natively (QEMU TCG) and under the VMM,
compare their digests round by round, explain every difference or report it.

Usage: fuzzdiff.py [--build DIR] [--results FILE] [--name NAME] [--detail N] [--budget TICKS]
                   SEED:START:COUNT ...

For each range both sides run at once (two QEMUs; boot.py restarts a side after a round that
killed its machine). A round is identical when both sides printed the same digest character and
the digest lines covering it agree, or when both sides died in it. Differing rounds (all, or up to
--detail of them per range) are run again alone on both sides (list=) for their full observations
and classified by KNOWN below; the first unexplained one is printed with both observations.
Last line: "N rounds, M identical to native, K known differences, F VMM faults" (F: differences
no rule explains, and VMM panics). A range fails if it has a VMM panic or more than --max-faults
unexplained differences (default 0; make test-fuzz gives the baseline of open differences that
docs/NOTES.md lists, so that the layer catches any new one without hiding the old ones).
With --results FILE, one "ok"/"not ok" line per range is appended (tests/summary.py format)."""
import argparse, glob, hashlib, json, os, re, subprocess, sys, tempfile, threading, time, traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import boot

ALONE_MAX = 100          # unexplained rounds per range run again each in a boot of its own
FIELDS = ('vec how ring3 nf f0 f1 f2 f3 f4 f5 eax ecx edx ebx esp ebp esi edi ds es fs gs ss cr2 cr0 cr4 '
          'hash').split()


def h(o, k):
    return int(o.get(k, '0'), 16)


# ---- known, explained differences (docs/NOTES.md "Differential fuzzing" explains each) ----

def k_budget(n, v):
    """The round's time budget (the PIT one-shot, 2 ms of guest time = 2M instructions under
    -icount) ran out on one side only: under the VMM the traps a round takes cost instructions
    too, so a round that loops over trapping instructions can run out of time there and end by
    itself natively (or the other way round)."""
    return 'vec' in n and 'vec' in v and (h(n, 'vec') == OBS_IRQ0) != (h(v, 'vec') == OBS_IRQ0)


def k_v86(n, v):
    """A 32-bit iret at CPL 0 whose popped EFLAGS has VM: natively the round goes on in
    virtual-8086 mode (its next exception's frame has VM set); the VMM does not run v8086 code
    (its guests are 32-bit protected mode by design) and stops the VM."""
    return 'virtual-8086' in v.get('dead', '') and 'vec' in n and any(
        h(n, 'f%d' % i) & 0x20000 for i in range(6) if 'f%d' % i in n)


CR4_RESERVED = 1 << 15 | 1 << 19 | 0xFC000000       # (SDM Vol. 3, 2.5: reserved in every CPU so far)


def k_qemu_cr4(n, v):
    """A mov to CR4 with a reserved bit set (3:8047: 0x91da, bit 15): #GP(0) on the CPU (SDM Vol.
    3, 2.5), and so under the VMM; QEMU 7.2's TCG takes the value, logs no exception, and the
    machine runs no further instruction of the round nor any interrupt: a hang. Decided by the
    native trace (hang_check): its last instruction is that mov, the VMM's #GP(0) is at it."""
    return 'hang' in n.get('dead', '') and v.get('cr4_reserved') is not None


def k_real_mode(n, v):
    """A mov to CR0 that clears PE at CPL 0: natively the round goes on in real mode (3:2346 ran
    on through zeroed memory with IF clear: a hang); the VMM runs protected-mode guests only
    and stops the VM, as for v8086 mode and PAE paging."""
    return 'real mode is not virtualized' in v.get('dead', '')


def same(n, v):
    """Are two observations of a round the same (the native side's code dump and both digests
    aside)?"""
    return {k: x for k, x in n.items() if k not in ('code', 'd')} == {k: x for k, x in v.items() if k not in ('code', 'd')}


def flag_store_mem(code):
    """Does the round's code hold, at any byte offset, an instruction that reads the flags and
    writes memory: rcl/rcr (D0-D3 or C0-C1 /2 or /3) or setcc (0F 90-9F), ModRM mod != 3?"""
    return bool(flag_store_sites(code))


GPRS = ('eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi')


def k_qemu_fault_flags(n, v):
    """QEMU's TCG (7.2) and an instruction that reads the flags and writes memory, when the write
    faults: the #PF frame holds the wrong flags. rcl/rcr put the flags they computed there (guest-x86's
    rcl_write_fault_flags probe: `stc; rcl $1` on a read-only page faults with CF clear natively on
    QEMU); setcc, having folded the flags for its condition, leaves TCG to rebuild them from an older
    instruction's state (setcc_write_fault_flags: `or` sets SF, `setno` on a read-only page faults
    with SF clear, 1:3077). On Bochs, under the VMM, both frames hold the flags from before the
    instruction, as the SDM's fault semantics say. Under the VMM such writes fault where they do not
    natively -- a shadow entry filled read-only by a read waits for the write to set the guest's
    dirty bit, a first touch fills it -- and the VMM resumes the instruction with the frame's flags,
    so the retried instruction sees QEMU's wrong ones. Decided by evidence (fault_flags_check): the
    round cut right before such an instruction is identical on both sides, and cut right after it
    the two differ in status flags (CF PF AF ZF SF OF) and the page hash only; everything after
    that follows from it. Or the round ends in a fault at such an instruction on both sides, and the
    frames differ in status flags only (the fault frame's flags are the bug itself; whether TCG
    shows it there depends on how it translated the block, so cut runs need not: 1:6807). Or
    the wrong flags had VM set: 10:2067, a ring-3 `rcrb $0xdf` whose operand the VMM's shadow
    did not map yet faulted with EFLAGS 0x006657be (EAX's bits, in protected mode, CS 0x1b), and
    trap.c, taking VM for QEMU's v8086 quirk, stopped the VM; natively the store went to memory
    nothing decodes without a fault. Decided by QEMU's interrupt log (vm_flag_check). Or the
    native frame's status flags are not those the instruction found, which the single-stepped
    traces of both sides show, and the VMM's are (6:3886: #UD, OF set natively; trace_check)."""
    if v.get('flagstore_first') is True or v.get('qemu_vm_flag') is not None or v.get('native_frame_flags') is not None:
        return True
    if 'vec' not in n or not flags_hash_only(n, v) or n.get('vec') != v.get('vec') or h(n, 'vec') not in (13, 14):
        return False
    b = bytes.fromhex(n.get('code') or '')
    return any(0x601000 - len(b) + a == h(n, 'f1') for a, e in flag_store_sites(n.get('code')))


def flag_store_sites(code):
    """(start, end) byte offsets of each flag-reading store in the code (flag_store_mem), at every
    byte offset (random code need not run its linear decode)."""
    b = bytes.fromhex(code or '')
    sites = []
    for i in range(len(b) - 1):
        if b[i] in (0xC0, 0xC1, 0xD0, 0xD1, 0xD2, 0xD3) and b[i + 1] >> 6 != 3 and (b[i + 1] >> 3) & 7 in (2, 3):
            sites.append((i, i + 1 + modrm_len(b[i + 1:]) + (1 if b[i] in (0xC0, 0xC1) else 0)))
        elif b[i] == 0x0F and i + 2 < len(b) and 0x90 <= b[i + 1] <= 0x9F and b[i + 2] >> 6 != 3:
            sites.append((i, i + 2 + modrm_len(b[i + 2:])))
    return sites


def flags_hash_only(n, v):
    """n and v differ, and only in the status flags of their frames and in the page hash."""
    d = [k for k in FIELDS if n.get(k) != v.get(k)]
    return bool(d) and 'dead' not in n and 'dead' not in v and all(
        k == 'hash' or (k[0] == 'f' and k[1:].isdigit() and (h(n, k) ^ h(v, k)) & ~0x8D5 == 0) for k in d)


def fault_flags_check(build, seed, rounds, budget=None):
    """For rounds [(r, n, v)] whose code holds a flag-reading store (flag_store_mem): run each one cut
    right before and right after each such instruction (list entries R:K, fuzz.c) on both sides,
    and set v['flagstore_first'] where some site is the first difference (k_qemu_fault_flags). One list boot
    per side for all of them."""
    # (not for a round that hangs on a side: every cut past the hang would wait out its timeout
    # -- 3:2346 and 3:8047 cost two minutes of make test-fuzz that way)
    sites = {r: [(a, e) for a, e in flag_store_sites(n.get('code')) if e < len(bytes.fromhex(n['code'])) - 2]
             for r, n, v in rounds if 'hang' not in n.get('dead', '') + v.get('dead', '')}
    # (in the order the round would reach them: a cut run leaves the VMM's shadow entries behind
    # in the list boot, and one filled writable by a later cut keeps an earlier site from faulting)
    entries = ['%d:%d' % rk for rk in sorted({(r, k) for r in sites for a, e in sites[r] for k in (a, e) if k > 0})]
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

    def first(r, nn, vv):
        def cut_same(k):
            e = '%d:%d' % (r, k)
            return k == 0 or (e in nn and 'dead' not in nn[e] and all(nn[e].get(f) == vv[e].get(f) for f in FIELDS))
        return any(cut_same(a) and flags_hash_only(nn['%d:%d' % (r, e)], vv['%d:%d' % (r, e)]) for a, e in sites[r])
    nn, vv = both(entries)
    for r, n, v in rounds:
        # (a round's cuts in one boot, where the batch shows nothing: the rounds before it in the
        # batch leave shadow entries too -- 1:8325)
        if first(r, nn, vv) or (sites[r] and first(r, *both([e for e in entries if e.startswith('%d:' % r)]))):
            v['flagstore_first'] = True


DATA_SEGS = ('ds', 'es', 'fs', 'gs')


def k_null_rpl(n, v):
    """A null selector with RPL 1-3 in DS, ES, FS or GS (loaded by the round at CPL 0): the
    VMM's iretq back to the guest's ring is a return to an outer level, which on the CPU makes any
    data register holding a null selector 0 (SDM, IRET) -- so under the VMM the register reads 0
    after the first trap, inherent to ring compression on a 64-bit host. The round may also have
    used the null segment: QEMU's TCG does not check null data segments in protected mode and the
    access goes on natively, where the VMM (and a real CPU) raise #GP(0) -- so a VMM #GP(0) may
    stand for a native later outcome. Memory may differ (the selector stored, the frame)."""
    nulls = [k for k in DATA_SEGS if n.get(k) != v.get(k)]
    if not nulls or 'vec' not in n or 'vec' not in v or any(
            not (h(n, k) & ~3 == 0 and h(n, k) != 0 and h(v, k) == 0) for k in nulls):
        return False
    rest = [k for k in FIELDS if n.get(k) != v.get(k) and k not in nulls and k != 'hash']
    return not rest or (h(v, 'vec') == 13 and h(v, 'f0') == 0)


def seg_load(c):
    """Does the instruction c load a data segment register (pop es/ds/ss/fs/gs, mov to one,
    les/lds/lss/lfs/lgs)? Prefixes skipped."""
    while c[:1] and c[0] in PREFIXES:
        c = c[1:]
    return c[:1] in (b'\x07', b'\x17', b'\x1f', b'\x8e', b'\xc4', b'\xc5') or c[:2] in (
        b'\x0f\xa1', b'\x0f\xa9', b'\x0f\xb2', b'\x0f\xb4', b'\x0f\xb5')


def k_ring_alias(n, v):
    """A data selector with RPL 1 for a DPL-0 segment, loaded at CPL 0 (13:5461: pop %es of 0x11):
    #GP(selector) on the CPU, since max(CPL, RPL) > DPL. Under ring compression the guest kernel
    runs at ring 1 and its DPL-0 segments have DPL 1 in the real GDT, so the load is legal there:
    the guest can tell ring 1 from ring 0 this way, a limit of the seed's ring compression (as
    are the RPL of a pushed CS and null selectors with RPL). The native round ends in #GP(sel)
    at a segment load, and the VMM's round went on with that selector, RPL 1, in a register."""
    if 'vec' not in n or h(n, 'vec') != 13 or not h(n, 'f0') or h(n, 'ring3') or not seg_load(code_at(n, h(n, 'f1'))):
        return False
    return any(h(v, k) == h(n, 'f0') | 1 for k in DATA_SEGS + ('ss',) if k in v)


SEG_PREFIX = {0x26: 'es', 0x3E: 'ds', 0x64: 'fs', 0x65: 'gs'}


def k_null_use(n, v):
    """A memory access through DS, ES, FS or GS holding a null selector, at CPL 0: #GP(0) on the
    CPU (SDM 5.4.1: a null selector may be loaded, not used), which the VMM raises (its emulator
    checks the segment; in the guest kernel's ring the CPU does too); QEMU's TCG does not check
    null data segments in protected mode and reads through base 0 (19:5831: mov gs, fs:[ecx-0x20]
    with FS 0 read 0xcccc natively and raised #GP(0xcccc) for it). The VMM's round ends in #GP(0)
    at an instruction whose segment -- its override prefix, else DS -- is null on both sides,
    where the native one did something else."""
    if 'vec' not in v or h(v, 'vec') != 13 or h(v, 'f0') != 0 or h(v, 'ring3') or (
            n.get('vec') == v.get('vec') and n.get('f1') == v.get('f1') and n.get('f0') == v.get('f0')):
        return False
    c, seg = code_at(n, h(v, 'f1')), 'ds'
    while c[:1] and c[0] in PREFIXES:
        seg = SEG_PREFIX.get(c[0], seg)
        c = c[1:]
    return bool(c) and h(n, seg) & ~3 == 0 and h(v, seg) & ~3 == 0 and touches_memory(code_at(n, h(v, 'f1')))


RO_DATA_SEL = 0x30   # the fuzzer's GDT entry 6 (fuzz.c setup_tables; entries 0-7 of every image): read-only, limit 0xffff


def mem_operand(c, o):
    """For the instruction whose bytes are c (prefixes included), with o's registers: (segment
    register, offset) of its ModRM memory operand -- the override prefix, else SS for an ESP or
    EBP base, else DS -- and the bytes after the prefixes; (None, None, ...) for a register
    operand or 16-bit addressing."""
    seg = None
    while c[:1] and c[0] in PREFIXES:
        if c[0] == 0x67:
            return None, None, c
        seg = {0x26: 'es', 0x2E: 'cs', 0x36: 'ss', 0x3E: 'ds', 0x64: 'fs', 0x65: 'gs'}.get(c[0], seg)
        c = c[1:]
    i = 2 if c[:1] == b'\x0f' else 1
    if len(c) <= i + 5 or c[i] >> 6 == 3:
        return None, None, c
    mod, rm, j = c[i] >> 6, c[i] & 7, i + 1
    base = index = None
    scale = 1
    if rm == 4:
        sib = c[j]
        j += 1
        base, index, scale = sib & 7, (sib >> 3) & 7, 1 << (sib >> 6)
        if index == 4:
            index = None
        if base == 5 and mod == 0:
            base, mod = None, 2                    # (a disp32 follows)
    elif rm == 5 and mod == 0:
        mod = 2
    else:
        base = rm
    disp = int.from_bytes(c[j:j + 4], 'little', signed=True) if mod == 2 else \
        int.from_bytes(c[j:j + 1], 'little', signed=True) if mod == 1 else 0
    off = disp + (h(o, GPRS[base]) if base is not None else 0) + (h(o, GPRS[index]) * scale if index is not None else 0)
    return seg or ('ss' if base in (4, 5) else 'ds'), off & 0xFFFFFFFF, c


def writes_rm(c):
    """Does the instruction c (prefixes skipped) write its ModRM operand? The common forms: the
    ALU ops but cmp, mov, xchg, the group-1/2/3/5 writes, setcc."""
    if not c:
        return False
    op, r = c[0], (c[1] >> 3) & 7 if len(c) > 1 else 0
    if op == 0x0F:
        return len(c) > 1 and 0x90 <= c[1] <= 0x9F
    return ((op < 0x40 and op & 7 in (0, 1) and op >> 3 != 7) or op in (0x86, 0x87, 0x88, 0x89, 0xC6, 0xC7, 0xD0, 0xD1, 0xD2, 0xD3, 0xC0, 0xC1)
            or (op in (0x80, 0x81, 0x83) and r != 7) or (op in (0xF6, 0xF7) and r in (2, 3)) or (op in (0xFE, 0xFF) and r in (0, 1)))


def k_qemu_data_segment(n, v):
    """A data access its segment does not allow: a write through a read-only data segment, or an
    offset past the segment's limit: #GP(0) on the CPU (SDM 5.3, 5.5), which the VMM's emulator
    raises for the instructions it performs itself (the patched sgdt, sidt, sldt, str, smsw and
    mov from a segment register; lgdt, lidt and the like); QEMU's TCG (7.2) checks a data
    segment's type and limit only when the segment is loaded, not at each access (23:7353: sidt
    through DS = 0x30, the fuzzer's read-only segment, stored natively; 24:7818: lgdt from offset
    0x402818 through DS = 0x30, limit 0xffff, loaded natively -- a triple fault followed). The
    VMM's round ends in #GP(0) at CPL 0 at such an instruction whose memory operand goes through
    a segment holding 0x30 (entry 6 of every GDT the fuzzer gives a round: base 0x1000, limit
    0xffff, read-only), a store or at an offset past 0xffff, or a store through a segment holding
    one of its code segments, 0x08 or 0x18, which no CPU writes through (15:9054: `mov $8,%ax;
    mov %eax,%ds; ...; sgdt 0x400194`) or CS (an override: 16:6484, `sbb %esi,%cs:(%edi)`, where
    the real CPU raised it under the VMM), where the native one went past it."""
    if 'vec' not in v or h(v, 'vec') != 13 or h(v, 'f0') != 0 or h(v, 'ring3') or (
            n.get('vec') == v.get('vec') and n.get('f1') == v.get('f1')):
        return False
    seg, off, c = mem_operand(code_at(n, h(v, 'f1')), v)
    if seg is None or (seg != 'cs' and h(v, seg) & ~3 not in (RO_DATA_SEL, 0x08, 0x18)):
        return False
    store = len(c) >= 3 and ((c[0] == 0x0F and c[1] == 0x01 and (c[2] >> 3) & 7 in (0, 1, 4)) or
                             (c[0] == 0x0F and c[1] == 0x00 and (c[2] >> 3) & 7 in (0, 1)) or c[0] == 0x8C or writes_rm(c))
    if seg == 'cs':
        return store
    return store or (h(v, seg) & ~3 == RO_DATA_SEL and off > 0xFFFF)


def objdump(b, vma=0):
    """objdump's (binutils) 32-bit decode of the bytes b placed at vma: [(address, text)]."""
    import subprocess, tempfile
    with tempfile.NamedTemporaryFile(suffix='.bin') as f:
        f.write(b)
        f.flush()
        out = subprocess.run(['objdump', '-D', '-b', 'binary', '-m', 'i386', '--adjust-vma=%#x' % vma, f.name],
                             capture_output=True, text=True).stdout
    return [(int(m.group(1), 16), m.group(2)) for m in re.finditer(r'^\s+([0-9a-f]+):\t(.*)$', out, re.M)]


def touches_memory(b):
    """Does the instruction at b[0] access memory through a data segment (a ModRM memory operand,
    a moffs mov, a string instruction, xlat)? objdump decodes it."""
    for a, l in objdump(b[:16])[:1]:
        if a == 0:
            text = l.split('\t')[-1]
            op = text.split()[0] if text.split() else ''
            if op.startswith(('lea', 'nop', 'prefetch')):         # (an address, not an access)
                return False
            # (a displacement alone is a memory operand with no parentheses in AT&T syntax: `str
            # 0x400c14`, 23:2475 -- a bare number, where a branch's would be its target)
            args = text[len(op):].strip().split(',') if not op.startswith(('j', 'call', 'loop')) else []
            absolute = any(re.match(r'^(%[c-gs]s:)?-?0x[0-9a-f]+$', a.strip()) for a in args)
            return '(' in text or absolute or op.rstrip('bwlq').startswith(('movs', 'stos', 'lods', 'scas', 'cmps', 'ins', 'outs', 'xlat'))
    return False


def code_at(n, eip):
    """The round's code bytes from linear address eip on (the code ends at its page's end)."""
    b = bytes.fromhex(n.get('code') or '')
    off = eip - (0x601000 - len(b))
    return b[off:] if 0 <= off < len(b) else b''


def k_qemu_sti_step(n, v):
    """A single step (TF) over sti: QEMU's TCG (7.2) traps only after the next instruction (even
    with IF already set: its sti always inhibits for one instruction); the SDM names only
    MOV SS and POP SS as holding debug traps back for an instruction. The VMM emulates the sti and raises the #DB after
    it: its #DB names the instruction after an sti (fb), the native one the instruction after
    that, which has run natively and may have changed registers, flags and memory (9:7073)."""
    if 'vec' not in n or 'vec' not in v or h(v, 'vec') != 1 or h(v, 'ring3') or not h(v, 'f2') & 0x100:
        return False
    at = h(v, 'f0')
    if code_at(n, at - 1)[:1] != b'\xfb':
        return False
    if h(n, 'vec') == 1:
        return 0 < h(n, 'f0') - at <= 15
    # (or the next instruction faulted natively, so no trap followed it: 23:1455, sti; int1, which
    # QEMU's TCG answers with #UD)
    fault_eip = 'f1' if h(n, 'vec') in (10, 11, 12, 13, 14, 17) else 'f0'
    return h(n, 'vec') in (0, 5, 6, 7, 10, 11, 12, 13, 14, 16, 17, 19) and h(n, fault_eip) == at


def k_int_prefix(n, v):
    """A prefixed INT n (64 cd 31: the CPU ignores the prefix) through a gate the VMM leaves open
    to the guest's ring (segments.c), whose delivery to the guest's handler then faults: the
    fault is reported at the INT instruction, so the VMM steps EIP back from after it -- by two
    bytes, as it cannot know how many prefixes came before the cd (the CPU delivered it straight
    to the VMM; the bytes before may as well be the end of another instruction that jumped to the
    cd). Natively the EIP is that of the first prefix (23:4131: a #DF whose task switch saved
    0x600da4 natively, 0x600da5 under the VMM). A VMM limit, documented: one saved EIP field
    differs, by 1-13, the native one names prefix bytes only up to the VMM's, which names cd."""
    if 'vec' not in n or 'vec' not in v:
        return False
    d = [k for k in FIELDS if n.get(k) != v.get(k)]
    if len(d) != 1 or not (d[0][0] == 'f' and d[0][1:].isdigit()):
        return False
    a, b = h(n, d[0]), h(v, d[0])
    c = code_at(n, a)
    return 0 < b - a <= 13 and all(x in PREFIXES for x in c[:b - a]) and c[b - a:b - a + 1] == b'\xcd'


def k_gdt_copy(n, v):
    """A round that lgdt'd a random GDT image with a large limit and then iret'd (or jumped) to a
    selector past its 512th entry: natively it runs there; the VMM copies (and ring-compresses)
    only the first 512 entries of a guest's GDT (desc.h GUEST_GDT_MAX: Linux uses 32) and stops
    the VM, saying so (9:8936). A limit of the VMM, documented. Likewise an LDT selector with no
    LDT loaded, which sysexit can make CS and SS (they come from SYSENTER_CS, the CPU reads no
    table): natively the round runs on with them (19:7097), the VMM has no descriptor to give
    the CPU and stops the VM, saying so."""
    return ('GDT entries the VMM copies' in v.get('dead', '') or 'no LDT is loaded' in v.get('dead', '')) and 'vec' in n


def k_qemu_ltr_null(n, v):
    """ltr with a null selector: #GP(0) on the CPU (SDM, LTR); QEMU's TCG (7.2) loads it
    natively (an unusable TR) and the round goes on. The VMM emulates ltr and raises the #GP(0):
    the VMM's round ends at an ltr (0F 00 /3) with #GP(0) where the native one went past it."""
    if 'vec' not in v or h(v, 'vec') != 13 or h(v, 'f0') != 0 or h(v, 'ring3'):
        return False
    c = code_at(n, h(v, 'f1'))
    while c[:1] and c[0] in PREFIXES:
        c = c[1:]
    return len(c) >= 3 and c[0] == 0x0F and c[1] == 0x00 and (c[2] >> 3) & 7 == 3 and (
        n.get('vec') != v.get('vec') or n.get('f1') != v.get('f1'))


PREFIXES = (0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x66, 0x67, 0xF0, 0xF2, 0xF3)


def k_qemu_reg_field(n, v):
    """8F /1-7, C6 /1-7 and C7 /1-7: the SDM defines only /0 (pop r/m, mov r/m, imm) -- the rest
    is #UD on Intel (8F with a nonzero reg field is AMD's XOP escape; C6/C7 F8 are xabort/xbegin,
    #UD without RTM, which qemu64 lacks). QEMU's TCG (7.2) ignores the reg field and runs them as
    pop and mov (18:7636: 8f 7b 41 popped [ebx+0x41] natively). The VMM's decoder does not know
    them, so a scanned page's copy of one ends in the #UD the SDM gives: the VMM's round ends
    there in #UD where the native one went on. (Outside the code page, what the native trace ran
    there, trace_check: 2:2597, on the stack page -- QEMU logs only the opcode byte of one it
    cannot disassemble, `.byte 0x8f`, which its disassembler says of a nonzero reg field.)"""
    if 'vec' not in v or h(v, 'vec') != 6 or (n.get('vec') == v.get('vec') and n.get('f0') == v.get('f0')):
        return False
    c = code_at(n, h(v, 'f0')) or bytes.fromhex(v.get('ud_bytes', ''))
    while c[:1] and c[0] in PREFIXES:
        c = c[1:]
    if len(c) == 1 and c[0] in (0x8F, 0xC6, 0xC7) and v.get('ud_asm', '').startswith('.byte'):
        return True
    return len(c) >= 2 and c[0] in (0x8F, 0xC6, 0xC7) and (c[1] >> 3) & 7 != 0


def k_qemu_ret_stack(n, v):
    """A far return or iret at ring 3 whose stack read faults: the #PF error code has U/S set on
    the CPU (a CPL-3 access; SDM 4.7), which the VMM gives; QEMU's TCG (7.2) pops through its
    kernel (supervisor) memory accesses in these helpers and reports U/S clear (1:2689: lret
    $0x8ff2 with ESP 0x55, error code 0 natively, 4 under the VMM). Only the error code differs,
    by that bit, at a ring-3 ca/cb/cf."""
    if not h(n, 'ring3') or h(n, 'vec') != 14 or any(n.get(k) != v.get(k) for k in FIELDS if k != 'f0'):
        return False
    c = code_at(n, h(n, 'f1'))
    while c[:1] and c[0] in PREFIXES:
        c = c[1:]
    return h(n, 'f0') ^ h(v, 'f0') == 4 and h(v, 'f0') & 4 and c[:1] in (b'\xca', b'\xcb', b'\xcf')


def k_qemu_call_stack(n, v):
    """The other half of the same QEMU helpers: a far call at ring 3 pushes CS and EIP through
    supervisor accesses, and with CR0.WP clear (the fuzzer's CR0) a supervisor write to a
    read-only page succeeds. So natively a ring-3 lcall loop whose stack ran down into the round's
    code page (mapped user, read-only) wrote over its own code (18:4255, 22:285: the pushes went
    on into the code until it ran into what they wrote); on the CPU, which the VMM follows, the
    first such push is a #PF with error code 7 (present, write, user). The VMM's round ends so, at
    a far call (9a, ff /3), with CR2 in the code page, where the native one went on."""
    if not h(v, 'ring3') or h(v, 'vec') != 14 or h(v, 'f0') != 7 or not 0x600000 <= h(v, 'cr2') < 0x601000 or (
            n.get('vec') == v.get('vec') and n.get('f1') == v.get('f1')):
        return False
    c = code_at(n, h(v, 'f1'))
    while c[:1] and c[0] in PREFIXES:
        c = c[1:]
    return len(c) >= 2 and (c[0] == 0x9A or (c[0] == 0xFF and (c[1] >> 3) & 7 == 3 and c[1] >> 6 != 3))


def msr_exists(m):
    """Is m in a range where x86 CPUs define MSRs (Intel's 0-0x1FFF, the hypervisor range, AMD's
    and long mode's 0xC0000000-0xC0011FFF)?"""
    return m < 0x2000 or 0x40000000 <= m < 0x40000100 or 0xC0000000 <= m < 0xC0012000


def k_qemu_msr(n, v):
    """rdmsr or wrmsr of an MSR no x86 CPU has (ECX a random value the code jumped in with):
    #GP(0) on the CPU (SDM, RDMSR/WRMSR: a reserved or unimplemented MSR address), which the VMM
    raises; QEMU's TCG (7.2) reads 0 and ignores the write (19:1033: rdmsr with ECX 0x6895a0 gave
    EDX:EAX 0 natively). The VMM's round ends in #GP(0) at 0F 32 / 0F 30 with such an ECX at
    CPL 0, where the native one went on."""
    if 'vec' not in v or h(v, 'vec') != 13 or h(v, 'f0') != 0 or h(v, 'ring3') or msr_exists(h(v, 'ecx')) or (
            n.get('vec') == v.get('vec') and n.get('f1') == v.get('f1')):
        return False
    return code_at(n, h(v, 'f1'))[:2] in (b'\x0f\x32', b'\x0f\x30')


def sys_read(code):
    """Does the code hold sgdt, sidt (0F 01 /0 /1, memory), smsw (0F 01 /4), sldt or str (0F 00
    /0 /1) at any byte offset?"""
    b = bytes.fromhex(code or '')
    return any(b[i] == 0x0F and ((b[i + 1] == 0x01 and ((b[i + 2] >> 3) & 7 == 4 or ((b[i + 2] >> 3) & 7 in (0, 1)
                                                                                  and b[i + 2] >> 6 != 3)))
                                 or (b[i + 1] == 0x00 and (b[i + 2] >> 3) & 7 in (0, 1)))
               for i in range(len(b) - 2))


def k_sys_read_ring3(n, v):
    """sgdt, sidt, sldt, str or smsw at ring 3 on a CPU without UMIP (QEMU's default qemu64):
    unprivileged and not trapping, they show the VMM's GDT and IDT, its TR and LDTR and the real
    CR0 -- Popek and Goldberg's sensitive-but-unprivileged instructions. The VMM patches them in
    the guest kernel, not in user code; where the CPU has UMIP it keeps UMIP on and answers them
    (emulate.c emulate_umip: pins with @max show those rounds identical). Same vector and frame
    but for status flags; registers and memory may differ (what was read, and what was computed
    from it), and so may CR2 where it is a register's value on each side (19:6539: str edi, then
    scas through edi: a #PF at 0x28 natively, at the VMM's TR selector under it)."""
    if v.get('sys_read_at') is not None:
        return True                              # (the traces part right after one: trace_check, 25:8572)
    if not h(n, 'ring3') or 'vec' not in n or 'vec' not in v or n['vec'] != v['vec'] or not sys_read(n.get('code')):
        return False
    user_esp = 'f4' if h(n, 'vec') in (8, 10, 11, 12, 13, 14, 17) else 'f3'   # (the frame's ESP: a GPR too)
    cr2_reg = all(o.get('cr2') in [o.get(g) for g in GPRS] or 0 <= h(o, user_esp) - h(o, 'cr2') <= 16 for o in (n, v))
    return all(n.get(k) == v.get(k) or k == 'hash' or k in GPRS or k == user_esp or (k == 'cr2' and cr2_reg) or
               (k[0] == 'f' and k[1:].isdigit() and (h(n, k) ^ h(v, k)) & ~0x8D5 == 0) for k in FIELDS)


OBS_IRQ0 = 0x100
def modrm_len(b):
    """Bytes of a 32-bit-addressing ModRM operand (ModRM, SIB, displacement) at b[0]."""
    if not b:
        return 99
    mod, rm = b[0] >> 6, b[0] & 7
    n = 1
    if mod != 3 and rm == 4:
        n += 1
        if mod == 0 and len(b) > 1 and b[1] & 7 == 5:
            n += 4
    if mod == 0 and rm == 5:
        n += 4
    return n + (1 if mod == 1 else 4 if mod == 2 else 0)


EFLAGS_RESERVED = 0xFFC08028      # bits 3, 5, 15, 22-31: always 0 in EFLAGS


def k_qemu_task_flags(n, v):
    """A task switch on both sides (df_entry reads the old task's state from its TSS) that
    differs only in the EFLAGS saved there. QEMU's TCG (7.2) computes that image from lazy-flag
    state it has not brought up to date: 1:4543 saved 0x90908737 (the preceding cmp's immediate,
    reserved bits and all) after `cmp eax, 0x90908735` before a far jmp to a TSS; 1:330 saved OF
    set after an xor; 9:5017 saved 0x909092cb for the #DF task gate. The VMM saves the EFLAGS of
    the frame the CPU gave it, the SDM's. Decided by evidence in the image: native EFLAGS with a
    reserved bit set (no CPU stores that), or the switch was a far jmp or far call (ea/9a
    ptr16:32, ff /5 and /3: QEMU's one task-switch helper does both; 18:5374 saved no SF after a
    `dec` that left ESI 0xffffffff, 19:5996 PF clear after an `aad` that left AL 0 -- the VMM's
    images have the flags those results give)."""
    if h(n, 'how') != 1 or h(v, 'how') != 1 or any(n.get(k) != v.get(k) for k in FIELDS if k != 'f2'):
        return False
    if h(n, 'f2') & EFLAGS_RESERVED and not h(v, 'f2') & EFLAGS_RESERVED:
        return True
    eip = h(n, 'f0')
    if code_at(n, eip - 7)[:1] in (b'\xea', b'\x9a'):
        return True
    return any(c[:1] == b'\xff' and len(c) > 1 and (c[1] >> 3) & 7 in (3, 5) and c[1] >> 6 != 3 and
               1 + modrm_len(c[1:]) == k for k in range(2, 8) for c in [code_at(n, eip - k)])


def x87_env_store(code):
    """Does the round's code hold an x87 environment store with a memory operand at any byte
    offset: fnstenv (d9 /6), fnsave (dd /6), fxsave (0f ae /0)?"""
    b = bytes.fromhex(code or '')
    return any((b[i] in (0xD9, 0xDD) and b[i + 1] >> 6 != 3 and (b[i + 1] >> 3) & 7 == 6) or
               (b[i] == 0x0F and b[i + 1] == 0xAE and i + 2 < len(b) and b[i + 2] >> 6 != 3 and (b[i + 2] >> 3) & 7 == 0)
               for i in range(len(b) - 1))


def k_x87_fcs(n, v):
    """A ring-0 round stored the x87 environment (fnstenv, fnsave, fxsave): its FCS field is the
    CS of the last x87 instruction as the CPU ran it, and under the VMM that is the guest
    kernel's CS with RPL 1 (ring compression), 9 where natively 8 (1:9396: memdiff shows one
    byte, 08 / 09). Only the page hash differs. Not caught: the stores are unprivileged."""
    return (h(n, 'ring3') == 0 and all(n.get(k) == v.get(k) for k in FIELDS if k != 'hash') and
            x87_env_store(n.get('code')))


def k_patched_data(n, v):
    """A ring-0 round ran code in a page it can write (its stack or scratch pages, the junk page):
    the VMM scanned that page when the code first ran there and patched its sensitive
    instructions in place with int3 (patch.c), so under the VMM the page's bytes, which the page
    hash covers, hold 0xCC at the patch sites (seed 9 round 3361: code run on the stack page).
    The seed's binary patching changes the guest's own memory; a translation cache would not.
    Only the hash differs, and mem_check, which dumps both sides' pages, found every differing
    byte to be 0xCC under the VMM."""
    return v.get('cc_only') is True


def k_patch_read(n, v):
    """The same seen through a read instead of the hash: a ring-0 round reads its code page as
    data -- here a far return whose stack is in the code page (9:1653: lret popped CS 0xcce8 under
    the VMM, 0x0ee8 natively) -- and gets an int3 the VMM patched in. Same vector; every byte that
    differs in a non-hash field is 0xCC under the VMM, and nothing else differs."""
    if 'vec' not in n or 'vec' not in v or n['vec'] != v['vec'] or h(n, 'ring3') or n.get('hash') != v.get('hash'):
        return False
    diff = [k for k in FIELDS if n.get(k) != v.get(k)]
    return bool(diff) and all(((h(n, k) ^ h(v, k)) >> 8 * i) & 255 == 0 or (h(v, k) >> 8 * i) & 255 == 0xCC
                              for k in diff for i in range(4))


def patch_sites(code):
    """Byte offsets in the code where an instruction the VMM patches (decode.c x86_needs_patch:
    pushf popf iret, sgdt sidt sldt str smsw, lar lsl verr verw, far calls, push/mov of CS or SS)
    would begin, at every offset (a scan starts wherever the code first ran), prefixes included."""
    b = bytes.fromhex(code or '')
    out = []
    for i in range(len(b)):
        j = i
        while j < len(b) and b[j] in PREFIXES and j - i < 4:
            j += 1
        c = b[j:j + 3] + b'\0\0\0'
        op, m = c[0], (c[1] >> 3) & 7
        if (op in (0x9C, 0x9D, 0xCF, 0x9A, 0x0E, 0x16) or (op == 0x8C and m in (1, 2)) or (op == 0xFF and m == 3 and c[1] >> 6 != 3)
                or (op == 0x0F and (c[1] in (0x02, 0x03) or (c[1] == 0x00 and (c[2] >> 3) & 7 in (0, 1, 4, 5))
                                    or (c[1] == 0x01 and ((c[2] >> 3) & 7 == 4 or ((c[2] >> 3) & 7 in (0, 1) and c[2] >> 6 != 3)))))):
            out.append(i)
    return out


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
        for k in patch_sites(n.get('code')):
            o = got.get('%d@%d' % (r, k))
            # (an int3 the VMM left to the guest would match trivially: not that)
            if o and 'dead' not in o and same(o, v) and not (h(v, 'vec') == 3 and h(v, 'f0') == base + k + 1):
                v['patch_inside'] = k
                break


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
    unexplained, cheapest first: page dumps (mem_check), one-int3 runs (patch_inside_check), traces
    (retry_check, trace_check). Each notes its finding in v for the rules."""
    def open_(n, v):
        return 'dead' not in n and 'dead' not in v and not same(n, v) and not classify(n, v)
    for r, n, v in rounds:
        if open_(n, v):
            mem_check(build, seed, r, n, v)
    patch_inside_check(build, seed, [(r, n, v) for r, n, v in rounds if open_(n, v)], budget=budget)
    retry_check(build, seed, [(r, n, v) for r, n, v in rounds if open_(n, v)][:ALONE_MAX])
    for r, n, v in [(r, n, v) for r, n, v in rounds if open_(n, v)][:ALONE_MAX]:
        trace_check(build, seed, r, n, v)
    for r, n, v in [(r, n, v) for r, n, v in rounds if 'hang' in n.get('dead', '') and 'vec' in v][:ALONE_MAX]:
        hang_check(build, seed, r, n, v)
    for r, n, v in [(r, n, v) for r, n, v in rounds if 'dead' not in n and 'cannot resume at 0003:' in v.get('dead', '')]:
        vm_flag_check(build, seed, r, n, v)


def vm_flag_check(build, seed, r, n, v):
    """A round the VMM stopped because a frame from the guest had VM set (trap.c shows such a
    frame as ring 3 with a null CS: "cannot resume at 0003:..."): boot its VMM side again with
    QEMU's interrupt log, and if the guest's exception there was logged in protected mode (a
    32-bit CS) with VM in its EFLAGS, note its EIP in v['qemu_vm_flag'] (k_qemu_fault_flags)."""
    m = re.search(r'cannot resume at 0003:([0-9a-f]{8})', v.get('dead', ''))
    if not m:
        return
    d = tempfile.mkdtemp(prefix='int-', dir=build)
    log = os.path.join(d, 'int.log')
    boot.boot('vmm', build, 'seed=%d list=%d' % (seed, r), 'int%d-%d' % (seed, r), qemu=['-d', 'int', '-D', log])
    eip, lines = int(m.group(1), 16), open(log, errors='replace').read().split('\n') if os.path.exists(log) else []
    for i, l in enumerate(lines):
        f = re.match(r'\s*\d+: v=[0-9a-f]+ .* cpl=3 IP=[0-9a-f]{4}:([0-9a-f]{16})', l)
        if f and int(f.group(1), 16) == eip:
            fl = next((re.search(r'EFL=([0-9a-f]{8})', x) for x in lines[i:i + 4] if 'EFL=' in x), None)
            cs = next((x for x in lines[i:i + 8] if x.startswith('CS =')), '')
            if fl and int(fl.group(1), 16) & 0x20000 and 'CS32' in cs:
                v['qemu_vm_flag'] = eip
    subprocess.run(['rm', '-rf', d])


def hang_check(build, seed, r, n, v):
    """A round that hangs natively while under the VMM something ends it: trace the native side
    (tracediff.py, until its log is 64 MiB). If the VMM's was its budget interrupt and after its
    last sti the native side runs a loop of at most four instructions, closed by a jump, with no
    cli, popf or iret in it, note the sti in v['sti_loop'] (k_qemu_sti_pending). If the native
    side's last instruction is a mov to CR4 of a value with a reserved bit, where the VMM gave
    #GP(0), note it in v['cr4_reserved'] (k_qemu_cr4)."""
    import tracediff
    asm = {}
    nt = tracediff.steps('native', build, seed, str(r), asm)
    last = asm.get(nt[-1]['EIP'], '') if nt else ''
    m = re.match(r'movl\s+%(e[a-z]{2}),\s*%cr4$', last)
    if m and nt[-1].get(m.group(1).upper()) is not None and nt[-1][m.group(1).upper()] & CR4_RESERVED and \
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
    if tail and len(eips) <= 4 and last[0].startswith(('j', 'loop')) and last[-1].startswith('0x') and \
            int(last[-1], 16) in eips and not any(asm.get(e, '').startswith(('cli', 'popf', 'iret')) for e in eips):
        v['sti_loop'] = nt[sti[-1]]['EIP']


def insn_len(b):
    """The length of the instruction at b[0] (objdump's decode; 0 if it has none)."""
    offs = [a for a, t in objdump(b[:16])]
    return offs[1] if len(offs) > 1 else 0


def linear_decode(n, eip):
    """The instruction boundaries of the round's code decoded from eip to its page's end (objdump):
    what the VMM's first-run scan of the page, started there, patches by (patch.c)."""
    return {a for a, t in objdump(code_at(n, eip), eip)}


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
    nt, vt = tracediff.both(build, seed, str(r), asm, vasm, vcpl, raw, vraw)
    if h(v, 'vec') == 6 and h(v, 'f0') in raw:
        v['ud_bytes'], v['ud_asm'] = raw[h(v, 'f0')], asm.get(h(v, 'f0'), '')   # (k_qemu_reg_field)
    i = next((i for i in range(min(len(nt), len(vt))) if nt[i] != vt[i]), None)
    if i is None and nt and vt[:len(nt)] == nt:
        i = len(nt)              # (alike to the native end: they part in how its last instruction ended -- its fault)
    if not i:
        return
    # A fault (no trap: the instruction changed nothing) whose frames differ in their status flags
    # alone, where the VMM's are those both traces had before the instruction: QEMU's lazy flags
    # went wrong in the native frame (6:3886: #UD at `0f ..` after nops, OF set natively).
    slot = 'f3' if h(n, 'vec') in (8, 10, 11, 12, 13, 14, 17) else 'f2'
    if i == len(nt) and 'vec' in n and n.get('vec') == v.get('vec') and h(n, 'vec') in (0, 5, 6, 7, 8, 10, 11, 12, 13, 14, 16, 17, 19):
        d = {k for k in FIELDS if n.get(k) != v.get(k)}
        last = nt[-1]['EFL']
        if slot in d and d <= {slot, 'hash'} and not (h(n, slot) ^ h(v, slot)) & ~0x8D5 and not (h(v, slot) ^ last) & 0x8D5:
            v['native_frame_flags'] = nt[-1]['EIP']
            return
    x = nt[i - 1]['EIP']
    if i < len(nt) and i < len(vt) and asm.get(x, '').split()[:1] in (['inb'], ['inw'], ['inl']) and not h(n, 'ring3') and \
            [k for k in tracediff.KEYS if nt[i][k] != vt[i][k]] == ['EAX']:
        v['port_in'] = x                         # (k_port_in)
        return
    if h(n, 'ring3') and asm.get(x, '').startswith(('sgdt', 'sidt', 'sldt', 'str', 'smsw')):
        v['sys_read_at'] = x                     # (k_sys_read_ring3)
        return
    if h(n, 'ring3'):
        return                                   # (the VMM patches no ring-3 code)
    # (2') The same seen in the bytes, on any page: the instruction where they part holds, past its
    # first byte, an int3 under the VMM that the native side did not run (8:5558: `d9 0e` on the
    # stack page, #UD natively; the VMM had patched the 0e, push %cs, found by a scan from another
    # offset, and ran `d9 cc`, fxch). Only a patch puts an int3 into guest code.
    vb, nb = bytes.fromhex(vraw.get(x, '')), bytes.fromhex(raw.get(x, ''))
    if 0xCC in vb[1:] and nb != vb:
        v['patch_inside'] = 'int3 at %#x' % (x + vb.index(0xCC, 1))
        return
    ran = {st['EIP'] for st in vt[:i - 1]} | linear_decode(n, vt[0]['EIP'])
    end = x + insn_len(code_at(n, x))
    for k in patch_sites(code):
        if x < base + k < end and base + k in ran:
            v['patch_inside'] = k
            return
    # (3) The other side of the same limit: the guest kernel (CPL 1 under the VMM) ran a sensitive
    # instruction as it is -- the VMM's disassembly shows it, not the int3 of a patch -- because
    # the VMM's scan of its page, started elsewhere, decoded over it (2:2483: `push %cs` in the
    # round's junk page, which the VMM scans from where the image's load-time decode put its
    # first instruction, pushed the real CS 9).
    for st in vt[:i]:
        e = st['EIP']
        if vcpl.get(e) == 1 and SENSITIVE.match(asm.get(e, '')) and vasm.get(e, '').split()[:1] == asm[e].split()[:1]:
            v['unpatched'] = e
            return


# QEMU's disassembly of the instructions the VMM patches (decode.c x86_needs_patch)
SENSITIVE = re.compile(r'(pushf|popf|iret|sgdt|sidt|sldt|str|smsw|lar|lsl|verr|verw|lcall)\w*\b|'
                       r'push[lw]?\s+%[cs]s$|mov[lw]?\s+%[cs]s,')


def k_port_in(n, v):
    """Port input at ring 0 from a port of the PC: natively QEMU's device (or nothing) answers,
    under the VMM the VM's own virtual PC (arch/x86_64/pc), which is a different machine by
    design -- the generator emits no port I/O for that reason, but random bytes run as code can
    hold one (22:7347: `in (%dx),%eax` with DX 0x59 in code on the stack page read 0 natively,
    0xffffffff under the VMM, as a port nothing decodes reads on a PC). Decided by the traces
    (trace_check): they part right after an in, in EAX alone."""
    return v.get('port_in') is not None


def k_qemu_sti_pending(n, v):
    """A round that sets IF with sti and then spins in a tight loop (18:6636: sti; jg . -- the round
    began with IF clear, so its budget interrupt, IRQ 0, came while IF was clear and waits in the
    PIC): natively QEMU's TCG (7.2, -icount) never takes the interrupt -- no output at all,
    and `-d int` logs none -- while under the VMM the VM's PIC delivers it once the sti has set
    the guest's IF. On the CPU a pending interrupt is taken after the instruction following sti.
    Likely QEMU's: the loop's translation block chains to itself and nothing makes it look at the
    interrupt request again (not proven from QEMU's source). Decided by hang_check's trace."""
    return 'hang' in n.get('dead', '') and h(v, 'vec') == OBS_IRQ0 and v.get('sti_loop') is not None


def k_patch_inside(n, v):
    """Code run from inside another instruction over a patch site: the VMM's scan of the code page
    decoded it from where it first ran and patched a sensitive instruction in place with int3
    (patch.c); a jump into the middle of that stream then ran an instruction whose bytes hold the
    int3 (23:5128: `sbb $0x90cf9f0b, %eax` entered at 0x600dee, over an iret at 0x600df1 that a
    decode from an earlier byte found: EAX off by (0xcf - 0xcc) << 16). In-place patching cannot
    see such overlaps -- a translation cache would -- the seed's binary patching shares the
    limit. Decided by evidence: the round run natively with one int3 at a patchable instruction's
    first byte gives exactly the VMM's observation (patch_inside_check), or the two sides' traces
    part right after an instruction that covers a patch site the VMM ran (trace_check); or the
    VMM's trace shows a sensitive instruction the guest kernel ran unpatched (trace_check)."""
    return v.get('patch_inside') is not None or v.get('unpatched') is not None


def mem_check(build, seed, r, n, v):
    """For a ring-0 round whose observations differ only in the page hash: run it alone on both
    sides with its pages dumped (memdiff.py) and note in v whether every byte that differs is
    0xCC under the VMM (v['cc_only'], for k_patched_data)."""
    if 'vec' not in n or 'vec' not in v or h(n, 'ring3') or any(n.get(k) != v.get(k) for k in FIELDS if k != 'hash'):
        return
    import memdiff
    nm, vm = memdiff.pages('native', build, seed, r)[0], memdiff.pages('vmm', build, seed, r)[0]
    differ = [(vm.get(key, 0) >> 8 * i) & 255 for key in set(nm) | set(vm) for i in range(4)
              if ((nm.get(key, 0) ^ vm.get(key, 0)) >> 8 * i) & 255]
    v['cc_only'] = bool(differ) and all(b == 0xCC for b in differ)


KNOWN = [('time budget', k_budget), ('v8086 return', k_v86), ('real mode', k_real_mode), ('ring-1 selector RPL', k_ring_alias), ('QEMU flags at a write fault', k_qemu_fault_flags),
         ('QEMU task switch flags', k_qemu_task_flags), ('x87 FCS RPL', k_x87_fcs),
         ('patched code in a data page', k_patched_data), ('patched code read as data', k_patch_read),
         ('null selector RPL', k_null_rpl), ('null segment used', k_null_use), ('QEMU ltr null', k_qemu_ltr_null), ('QEMU sti single step', k_qemu_sti_step),
         ('selector past the VMM tables', k_gdt_copy), ('QEMU ignores the reg field', k_qemu_reg_field),
         ('QEMU unknown MSR', k_qemu_msr), ('QEMU far return stack U/S', k_qemu_ret_stack),
         ('ring-3 system read without UMIP', k_sys_read_ring3), ('QEMU data segment checks', k_qemu_data_segment),
         ('prefixed INT n', k_int_prefix), ('patch inside another instruction', k_patch_inside),
         ('port input from the PC', k_port_in), ('QEMU far call stack U/S', k_qemu_call_stack),
         ('QEMU sti with an interrupt pending', k_qemu_sti_pending), ('QEMU reserved CR4 bits', k_qemu_cr4)]


def classify(n, v):
    for name, rule in KNOWN:
        if rule(n, v):
            return name
    return None


def show(r, n, v):
    out = ['round %d differs:' % r]
    if 'dead' in n or 'dead' in v:
        out.append('  native: %s' % (n.get('dead') or ' '.join('%s=%s' % (k, n[k]) for k in FIELDS if k in n)))
        out.append('  vmm:    %s' % (v.get('dead') or ' '.join('%s=%s' % (k, v[k]) for k in FIELDS if k in v)))
    else:
        out.append('  %-5s %-9s %-9s' % ('', 'native', 'vmm'))
        for k in FIELDS:
            if k in n or k in v:
                out.append('  %-5s %-9s %-9s%s' % (k, n.get(k), v.get(k), '  <--' if n.get(k) != v.get(k) else ''))
    if 'code' in n:
        out.append('  code: %s' % n['code'][:400])
    return '\n'.join(out)


def compare(args, seed, start, count, log):
    res, said = {}, []                   # (said: the --all lines, printed by main in range order)
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
    known, faults, first, kinds, same_alone = 0, 0, None, {}, 0
    for r in look:
        n, v = obs['native'][r], obs['vmm'][r]
        if same(n, v):
            identical += 1                 # (differed only in the long run: see the NOTES)
            same_alone += 1
            continue
        k = classify(n, v)
        if k:
            known += 1
            kinds[k] = kinds.get(k, 0) + 1
            if args.all:
                said.append('  known %d: %s' % (r, k))
        else:
            faults += 1
            if first is None:
                first = show(r, n, v)
            diff = [k for k in FIELDS if n.get(k) != v.get(k)]     # (every one: a campaign's log lists them all)
            said.append('  unexplained %d: ring3=%s native vec=%s vmm vec=%s %s; differ: %s' % (
                r, n.get('ring3'), n.get('vec', n.get('dead')), v.get('vec', v.get('dead')),
                'eip %s/%s' % (n.get('f0'), v.get('f0')), ' '.join(diff)))
    unexamined = len(differ) - len(look)
    unexplained = faults + unexamined
    faults = unexplained + len(panics)
    return dict(rounds=count, identical=identical, known=known, faults=faults, kinds=kinds, first=first, same_alone=same_alone,
                both_dead=both_dead, boots=(nb, vb), unexamined=unexamined, panics=panics, said=said,
                unexplained=unexplained)


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
    # A range's result is kept in --state under a stamp of everything that decides it -- the VMM,
    # the fuzz guest and these scripts -- and taken from there while the stamp holds.
    stamp = hashlib.sha256(b''.join(open(f, 'rb').read() for f in (
        boot.VMM_ELF, boot.guest_elf(args.build), *sorted(glob.glob(os.path.join(os.path.dirname(__file__), '*.py'))))
    )).hexdigest()[:16]
    kept = {}
    if args.state and os.path.exists(args.state):
        for l in open(args.state):
            e = json.loads(l)
            if e['stamp'] == stamp:
                kept[tuple(e['range'])] = e['result']
    # Ranges run --jobs at a time (a range's VMM side takes about three times its native side, so
    # one range alone leaves a core idle most of the time); each is reported, in order, once it
    # and all before it are done.
    done, lock = {}, threading.Lock()
    todo = [i for i in range(len(specs)) if specs[i] not in kept]
    if kept:
        print('(%d of %d ranges from %s, same build)' % (len(specs) - len(todo), len(specs), args.state))

    def worker():
        while True:
            with lock:
                if not todo:
                    return
                i = todo.pop(0)
            try:
                c = compare(args, *specs[i], log)
            except Exception:                    # (a bug here: that range fails, the rest go on)
                c = dict(error=traceback.format_exc())
            with lock:
                done[i] = c
                if args.state and 'error' not in c:
                    with open(args.state, 'a') as f:
                        f.write(json.dumps(dict(stamp=stamp, range=specs[i], result=c)) + '\n')
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
