#!/usr/bin/env python3
"""known.py - the known, explained differences between a round run natively and under the VMM:
one rule per kind, each a function of the two observations (and of what evidence.py noted in
them), its docstring the explanation (docs/NOTES.md "Differential fuzzing"). classify() names the
first rule that explains a difference. The rules read observations only -- they boot nothing --
so fuzzdiff.py applies today's rules to a campaign's stored observations."""
import re

from obs import (FIELDS, h, GPRS, flag_store_sites, flags_hash_only, DATA_SEGS, seg_load,
                 SEG_PREFIX, RO_DATA_SEL, mem_operand, writes_rm, code_at, objdump,
                 PREFIXES, sys_read, OBS_IRQ0, modrm_len, EFLAGS_RESERVED,
                 x87_env_store, round_page, unprefixed)


def k_budget(n, v):
    """The round's time budget (the PIT one-shot, 2 ms of guest time = 2M instructions under
    -icount) ran out on one side only: under the VMM the traps a round takes cost instructions
    too, so a round that loops over trapping instructions can run out of time there and end by
    itself natively (or the other way round). Or the VMM's round ended on its budget where the
    native one hung later, and the VMM's trace is the native trace's beginning: the same
    instructions, cut short (hang_check: 16:3066) -- or where the native one reset the machine
    later, the same way (62:5159)."""
    if ('hang' in n.get('dead', '') or 'triple' in n.get('dead', '')) and h(v, 'vec') == OBS_IRQ0 and v.get('budget_prefix'):
        return True
    return 'vec' in n and 'vec' in v and (h(n, 'vec') == OBS_IRQ0) != (h(v, 'vec') == OBS_IRQ0)


def k_both_stopped(n, v):
    """The round killed the machine on both sides: natively a triple fault (QEMU's -no-reboot
    ends the run), under the VMM a VM stop with its reason (39:3456: "cannot resume at
    0009:00600f60: CS or SS is not usable", the round's own GDT broken under its code). Nothing
    is left to compare; the range runs count such rounds as identical already, this is the same
    for a round that died on both sides only when run alone."""
    return 'triple fault' in n.get('dead', '') and v.get('dead', '').startswith('VM stopped')


def k_v86(n, v):
    """A 32-bit iret at CPL 0 whose popped EFLAGS has VM: natively the round goes on in
    virtual-8086 mode (its next exception's frame has VM set); the VMM does not run v8086 code
    (its guests are 32-bit protected mode by design) and stops the VM. The same where the VMM
    did not emulate that iret -- at ring 1, where its scan decoded over it (32:6046, 47:9705) --
    and QEMU's TCG, which checks no CPL there, entered v8086 mode in long mode: run.c stops the VM
    at the first frame with VM set. And at ring 3 (64:8219), where the CPU ignores VM: QEMU enters
    v8086 mode on both sides, natively as well."""
    if 'virtual-8086' not in v.get('dead', '') or 'vec' not in n:
        return False
    # (the EFLAGS word of the native frame: after EIP and CS, and after the error code of the
    # vectors that push one; a #DF through the task gate shows the TSS's EIP, CS, EFLAGS)
    err = h(n, 'how') != 1 and h(n, 'vec') in (8, 10, 11, 12, 13, 14, 17)
    return bool(h(n, 'f3' if err else 'f2') & 0x20000)


def k_qemu_cr4(n, v):
    """A mov to CR4 with a reserved bit set -- reserved in every CPU (3:8047: 0x91da, bit 15), or
    the bit of a feature the CPU does not report (22:4062: 0x513b1c, with LA57, VMXE, FSGSBASE,
    SMEP and PKE, none of which qemu64 has): #GP(0) on the CPU (SDM Vol. 3, 2.5; MOV to CR4), and
    so under the VMM (xfeat.c allows the bits CPUID reports); QEMU 7.2's TCG takes the value, logs
    no exception, and the machine runs no further instruction of the round nor any interrupt: a
    hang. Decided by the native trace (hang_check): its last instruction is that mov, the VMM's
    #GP(0) is at it."""
    return 'hang' in n.get('dead', '') and v.get('cr4_reserved') is not None


def k_real_mode(n, v):
    """A mov to CR0 that clears PE at CPL 0: natively the round goes on in real mode (3:2346 ran
    on through zeroed memory with IF clear: a hang); the VMM runs protected-mode guests only
    and stops the VM, as for v8086 mode and PAE paging."""
    return 'real mode is not virtualized' in v.get('dead', '')


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
    that follows from it (or cut right after it they are alike, and cut after a conditional jump
    that follows it one side took the branch and the other did not: 28:2039, `rcll $4; jle`). Or
    the round ends in a fault at such an instruction on both sides, and the
    frames differ in status flags only (the fault frame's flags are the bug itself; whether TCG
    shows it there depends on how it translated the block, so cut runs need not: 1:6807). Or
    the wrong flags had VM set: 10:2067, a ring-3 `rcrb $0xdf` whose operand the VMM's shadow
    did not map yet faulted with EFLAGS 0x006657be (EAX's bits, in protected mode, CS 0x1b), and
    run.c, taking VM for QEMU's v8086 quirk, stopped the VM; natively the store went to memory
    nothing decodes without a fault. Decided by QEMU's interrupt log (vm_flag_check). Or the
    native frame's status flags are not those the instruction found, which the single-stepped
    traces of both sides show, and the VMM's are (6:3886: #UD, OF set natively; trace_check) -- or
    the other way round, right after an rcl, rcr or setcc: the VMM's frame, which QEMU's TCG made
    for the guest's fault and the VMM passed on, lacks the flags both traces had (13:1296). Or a
    lahf natively read other status flags than both traces had into AH (42:6214: AF clear). Or
    TCG got them wrong only in the blocks the whole round makes, where no cut run shows it: QEMU's
    interrupt log shows the status flags of the VMM's #PF at the store other than the native
    trace had before it (int_flags_check; 89:5364: `rcrb $0x48` then aas, AF set under the VMM)."""
    if v.get('flagstore_first') is True or v.get('qemu_vm_flag') is not None or v.get('native_frame_flags') is not None or \
            v.get('vmm_frame_flags') is not None or v.get('pf_flags') is not None:
        return True
    if 'vec' not in n or not flags_hash_only(n, v) or n.get('vec') != v.get('vec') or h(n, 'vec') not in (13, 14):
        return False
    b = bytes.fromhex(n.get('code') or '')
    at = h(n, 'f1')                          # (past its prefixes: 16:6007, `3e d1 11` faulting at the 3e)
    c = code_at(n, at)
    while c[:1] and c[0] in PREFIXES:
        c, at = c[1:], at + 1
    return any(0x601000 - len(b) + a == at for a, e in flag_store_sites(n.get('code')))


def k_null_rpl(n, v):
    """A null selector with RPL 1-3 in DS, ES, FS or GS (loaded by the round at CPL 0): the
    VMM's iretq back to the guest's ring is a return to an outer level, which on the CPU makes any
    data register holding a null selector 0 (SDM, IRET) -- so under the VMM the register reads 0
    after the first trap, inherent to ring compression on a 64-bit host. The round may also have
    used the null segment: QEMU's TCG does not check null data segments in protected mode and the
    access goes on natively, where the VMM (and a real CPU) raise #GP(0) -- so a VMM #GP(0) may
    stand for a native later outcome. Memory may differ (the selector stored, the frame), and so
    may a register or a stack word the round copied the selector into: natively it holds the
    selector, under the VMM 0 (51:7500: `mov %ds, %edx` gave 3 and 0; 88:4717: `push %es`, the
    word above the #UD frame)."""
    nulls = [k for k in DATA_SEGS if n.get(k) != v.get(k)]
    if not nulls or 'vec' not in n or 'vec' not in v or any(
            not (h(n, k) & ~3 == 0 and h(n, k) != 0 and h(v, k) == 0) for k in nulls):
        return False
    sels = {h(n, k) for k in nulls}
    copies = GPRS + tuple('f%d' % i for i in range(6))
    rest = [k for k in FIELDS if n.get(k) != v.get(k) and k not in nulls and k != 'hash' and not (
        k in copies and h(n, k) & 0xFFFF in sels and not h(v, k) & 0xFFFF and h(n, k) >> 16 == h(v, k) >> 16)]
    return not rest or (h(v, 'vec') == 13 and h(v, 'f0') == 0)


def k_ring_alias(n, v):
    """A data selector with RPL 1 for a DPL-0 segment, loaded at CPL 0 (13:5461: pop %es of 0x11):
    #GP(selector) on the CPU, since max(CPL, RPL) > DPL. Under ring compression the guest kernel
    runs at ring 1 and its DPL-0 segments have DPL 1 in the real GDT, so the load is legal there:
    the guest can tell ring 1 from ring 0 this way, a limit of the seed's ring compression (as
    are the RPL of a pushed CS and null selectors with RPL). The native round ends in #GP(sel)
    at a segment load, and the VMM's round went on with that selector, RPL 1, in a register -- or
    for a load of SS with the guest kernel's stack selector, went on elsewhere (26:8754: pop %ss
    of 0x11, where the VMM shows the guest its SS with RPL 0, as it does the kernel's every
    selector; the VMM emulates only the loads the CPU refuses at ring 1, and this one it does not
    refuse)."""
    if 'vec' not in n or h(n, 'vec') != 13 or not h(n, 'f0') or h(n, 'ring3') or not seg_load(code_at(n, h(n, 'f1'))):
        return False
    if any(h(v, k) == h(n, 'f0') | 1 for k in DATA_SEGS + ('ss',) if k in v):
        return True
    # (an SS load of the guest kernel's own stack selector with RPL 1: the VMM shows SS as 0x10
    # whatever its real RPL, so only the round going on elsewhere under the VMM tells)
    c = unprefixed(code_at(n, h(n, 'f1')))
    ss_load = c[:1] == b'\x17' or c[:2] == b'\x0f\xb2' or (c[:1] == b'\x8e' and len(c) > 1 and (c[1] >> 3) & 7 == 2)
    return ss_load and h(n, 'f0') == 0x10 and 'vec' in v and (h(v, 'vec') != 13 or h(v, 'f1') != h(n, 'f1'))


def first_insn(b, at=0):
    """objdump's text of the instruction at b[0] (linear address at), as words, without the
    prefixes it names apart (`ss jmp 0x62e5642f`, 49:112; `gs ds mov %fs:0x555075bb,%ds`, 72:97)."""
    text = next((t for a, t in objdump(b[:16], at)[:1] if a == at), '').split('\t')[-1]
    return re.sub(r'^(?:(?:[c-gs]s|data16|addr16|lock|rep\w*|bnd|notrack)\s+)+', '', text).split()


def touches_memory(b):
    """Does the instruction at b[0] access memory through a data segment (a ModRM memory operand,
    a moffs mov, a string instruction, xlat)? objdump decodes it."""
    for a, l in objdump(b[:16])[:1]:
        if a == 0:
            text = ' '.join(first_insn(b))
            op = text.split()[0] if text.split() else ''
            if op.startswith(('lea', 'nop', 'prefetch')):         # (an address, not an access)
                return False
            # (a displacement alone is a memory operand with no parentheses in AT&T syntax: `str
            # 0x400c14`, 23:2475 -- a bare number, where a branch's would be its target; an
            # indirect branch's has a star: `lcall *0x402948`, 34:9848)
            args = [a.strip() for a in text[len(op):].strip().split(',')]
            branch = op.startswith(('j', 'call', 'loop', 'lcall', 'ljmp'))
            absolute = any(re.match(r'^%s(%%[c-gs]s:)?-?0x[0-9a-f]+$' % (r'\*' if branch else r'\*?'), a) for a in args)
            return '(' in text or absolute or op.rstrip('bwlq').startswith(('movs', 'stos', 'lods', 'scas', 'cmps', 'ins', 'outs', 'xlat'))
    return False


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
    the real CPU raised it under the VMM), where the native one went past it -- or went on to
    the next check and faulted there (64:4683: `mov 0x730bb845, %es` through DS 0x30, natively
    #GP(0xcccc) for the selector it read past the limit)."""
    if 'vec' not in v or h(v, 'vec') != 13 or h(v, 'f0') != 0 or h(v, 'ring3') or (
            n.get('vec') == v.get('vec') and n.get('f1') == v.get('f1') and n.get('f0') == v.get('f0')):
        return False
    seg, off, c = mem_operand(code_at(n, h(v, 'f1')), v)
    if seg is None or (seg != 'cs' and h(v, seg) & ~3 not in (RO_DATA_SEL, 0x08, 0x18)):
        return False
    store = len(c) >= 3 and ((c[0] == 0x0F and c[1] == 0x01 and (c[2] >> 3) & 7 in (0, 1, 4)) or
                             (c[0] == 0x0F and c[1] == 0x00 and (c[2] >> 3) & 7 in (0, 1)) or c[0] == 0x8C or writes_rm(c))
    if seg == 'cs':
        return store
    return store or (h(v, seg) & ~3 == RO_DATA_SEL and off > 0xFFFF)


def k_qemu_sti_step(n, v):
    """A single step (TF) over sti: QEMU's TCG (7.2) traps only after the next instruction (even
    with IF already set: its sti always inhibits for one instruction); the SDM names only
    MOV SS and POP SS as holding debug traps back for an instruction. The VMM emulates the sti and raises the #DB after
    it: its #DB names the instruction after an sti (fb), the native one the instruction after
    that, which has run natively and may have changed registers, flags and memory (9:7073) --
    or, for a rep string instruction, one iteration of it, after which its #DB names it again
    (41:9104: sti; rep movsl, ECX, ESI and EDI one iteration on natively); after a branch the
    native #DB names its target (42:6197; 49:112, through an ss prefix), or for a near return the
    address it popped (61:4341), and an into or int3 traps natively before the #DB (42:2713)."""
    if 'vec' not in n or 'vec' not in v or h(v, 'vec') != 1 or h(v, 'ring3') or not h(v, 'f2') & 0x100:
        return False
    at = h(v, 'f0')
    if code_at(n, at - 1)[:1] != b'\xfb':
        return False
    if h(n, 'vec') == 1 and h(n, 'f0') == at:
        c = code_at(n, at)
        while c[:1] and c[0] in PREFIXES and c[0] not in (0xF2, 0xF3):
            c = c[1:]
        return c[:1] in (b'\xf2', b'\xf3') and all(
            n.get(k) == v.get(k) for k in FIELDS if k not in ('eax', 'ecx', 'esi', 'edi', 'hash'))
    if h(n, 'vec') == 1 and 0 < h(n, 'f0') - at <= 15:
        return True
    # (a branch: the native #DB names where it went -- 42:6197, sti; loope 0x600eef)
    txt = first_insn(code_at(n, at), at)
    if h(n, 'vec') == 1 and len(txt) == 2 and txt[0].startswith(('j', 'loop')) and txt[1].startswith('0x'):
        return h(n, 'f0') == int(txt[1], 16)
    # (a near return: the native #DB names the address it popped, the word above the VMM's #DB
    # frame -- 61:4341, sti; ret)
    if h(n, 'vec') == 1 and txt[:1] in (['ret'], ['retl']) and h(v, 'nf') >= 4:
        return h(n, 'f0') == h(v, 'f3')
    # (an int3 or into: natively its trap came first, after it -- 42:2713, sti; into with OF set)
    if h(n, 'vec') in (3, 4):
        return code_at(n, at)[:1] == (b'\xcc' if h(n, 'vec') == 3 else b'\xce') and h(n, 'f0') == at + 1
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
    differs, by 1-13, the native one names prefix bytes only up to the VMM's, which names cd --
    or the one-byte INTO (ce) and INT3 (cc), the same way (36:3290: `67 ce`, into with an
    address-size prefix and ESP 0xcc, a #DF through the task gate: 0x600c9b natively, 0x600c9c
    under the VMM)."""
    if 'vec' not in n or 'vec' not in v:
        return False
    d = [k for k in FIELDS if n.get(k) != v.get(k)]
    if len(d) != 1 or not (d[0][0] == 'f' and d[0][1:].isdigit()):
        return False
    a, b = h(n, d[0]), h(v, d[0])
    c = code_at(n, a)
    return 0 < b - a <= 13 and all(x in PREFIXES for x in c[:b - a]) and c[b - a:b - a + 1] in (b'\xcd', b'\xce', b'\xcc')


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
    the VMM's round ends at an ltr (0F 00 /3) with #GP(0) where the native one went past it. Or
    the #GP could not be delivered (ESP 0x67 in 44:6687) and the VMM's round ends in a #DF through
    the task gate at the ltr, where natively the trace shows TR 0 after it (ltr_check) and the
    round died later, its own #DF finding no TSS."""
    if v.get('ltr_null') is not None:
        return True
    if 'vec' not in v or h(v, 'vec') != 13 or h(v, 'f0') != 0 or h(v, 'ring3'):
        return False
    c = unprefixed(code_at(n, h(v, 'f1')))
    return len(c) >= 3 and c[0] == 0x0F and c[1] == 0x00 and (c[2] >> 3) & 7 == 3 and (
        n.get('vec') != v.get('vec') or n.get('f1') != v.get('f1'))


def k_qemu_cr0(n, v):
    """A mov to CR0 of a value with PG set and PE clear, or NW set and CD clear: #GP(0) on the CPU
    (SDM, MOV to CR0), and under the VMM, which emulates it; QEMU's TCG (7.2) takes either
    (50:3482: CR0 0xcccccccc, natively the round ran on with protection off and the machine
    reset; 56:1003: 0x211ee503, natively on with paging off, reading past RAM, until it hung).
    The VMM's round ends in #GP(0) at 0F 22 /0 whose source register, as the frame left it, holds
    such a value."""
    if 'vec' not in v or h(v, 'vec') != 13 or h(v, 'f0') or h(v, 'ring3') or n.get('vec') == v.get('vec') and n.get('f1') == v.get('f1'):
        return False
    c = unprefixed(code_at(n, h(v, 'f1')))
    if len(c) < 3 or c[0] != 0x0F or c[1] != 0x22 or (c[2] >> 3) & 7 != 0:
        return False
    src = h(v, GPRS[c[2] & 7])
    return bool(src & 0x80000000 and not src & 1) or bool(src & 0x20000000 and not src & 0x40000000)


def k_qemu_translation(n, v):
    """The native round run again with one instruction per translation block (QEMU's single step,
    as tracediff.py runs it) observes exactly what the VMM's round did, and its ordinary run
    something else: the oracle disagrees with itself. QEMU's TCG computes the flags lazily, and
    the flags an instruction leaves undefined (bt/bts/btr/btc, shifts, mul, aaa and others) come
    out of that computation differently depending on how the code was cut into blocks -- which
    the VMM's exits change (53:4597: btc then aaa, AF set only in the ordinary native run; 63:5856:
    btc then int $0xb6, OF set in its frame only there). On a CPU an instruction gives its
    undefined flags the same way however it is reached. Decided by trace_check."""
    return v.get('stepped_native') is True


def k_self_write(n, v):
    """An instruction that writes over its own bytes and then faults, under the VMM only: the
    fault is a hidden one (a shadow entry not filled yet), and after the VMM's fill the CPU runs
    the instruction again from the start, decoding what its first run wrote -- x86 instructions
    that fault after a store are not restartable (82:434: `enter $0x3bd2, $0x59` with ESP at its
    own end; its push of EBP put 0xc0 over the level byte, then its read of the outer frame
    pointers faulted, and run again it had level 0xc0 & 31 = 0). A guest OS's own demand paging
    would do the same; natively the round took no fault there. Decided by QEMU's interrupt log
    (self_write_check)."""
    return v.get('self_write') is not None


def k_qemu_lret_imm(n, v):
    """`lret $imm16` (CA) with imm16 of 0x8000 or more: the CPU adds imm16 to ESP after popping
    EIP and CS (SDM, RET: an unsigned count of bytes to release), and so does the VMM, which
    emulates a far return to the guest kernel's own ring; QEMU's TCG (7.2) fetches imm16
    sign-extended and so releases imm16 - 0x10000 (79:6694: lretl $0xc7ea, ESP 0x7fa7b2 natively
    where the CPU gives 0x80a7b2). Decided by the traces (trace_check): they part right after
    such an lret, in ESP alone, by 0x10000."""
    return v.get('lret_imm') is not None


def k_qemu_reg_field(n, v):
    """8F /1-7, C6 /1-7 and C7 /1-7: the SDM defines only /0 (pop r/m, mov r/m, imm) -- the rest
    is #UD on Intel (8F with a nonzero reg field is AMD's XOP escape; C6/C7 F8 are xabort/xbegin,
    #UD without RTM, which qemu64 lacks). QEMU's TCG (7.2) ignores the reg field and runs them as
    pop and mov (18:7636: 8f 7b 41 popped [ebx+0x41] natively). The VMM's decoder does not know
    them, so a scanned page's copy of one ends in the #UD the SDM gives: the VMM's round ends
    there in #UD where the native one went on. (Outside the code page, what the native trace ran
    there, trace_check: 2:2597, on the stack page -- QEMU logs only the opcode byte of one it
    cannot disassemble, `.byte 0x8f`, which its disassembler says of a nonzero reg field.) Or
    the #UD could not be delivered and became a #DF through the task gate, whose TSS saved the
    EIP of that instruction (38:4601: c6 63, natively run as a mov)."""
    ud = 'vec' in v and (h(v, 'vec') == 6 or (h(v, 'vec') == 8 and h(v, 'how') == 1))
    if not ud or (n.get('vec') == v.get('vec') and n.get('f0') == v.get('f0')):
        return False
    c = unprefixed(code_at(n, h(v, 'f0')) or bytes.fromhex(v.get('ud_bytes', '')))
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
    c = unprefixed(code_at(n, h(n, 'f1')))
    return h(n, 'f0') ^ h(v, 'f0') == 4 and h(v, 'f0') & 4 and c[:1] in (b'\xca', b'\xcb', b'\xcf')


def k_qemu_call_stack(n, v):
    """The other half of the same QEMU helpers: a far call at ring 3 pushes CS and EIP through
    supervisor accesses, and with CR0.WP clear (the fuzzer's CR0) a supervisor write to a
    read-only page succeeds. So natively a ring-3 lcall loop whose stack ran down into the round's
    code page (mapped user, read-only) wrote over its own code (18:4255, 22:285: the pushes went
    on into the code until it ran into what they wrote); on the CPU, which the VMM follows, the
    first such push is a #PF with error code 7 (present, write, user). The VMM's round ends so, at
    a far call (9a, ff /3), with CR2 in the code page, where the native one went on -- or faulted
    there too, further down the code page (71:7823: natively at CR2 0x600f4c, after its pushes
    had written over the code page's top, under the VMM at the first push, 0x600ffc)."""
    if not h(v, 'ring3') or h(v, 'vec') != 14 or h(v, 'f0') != 7 or not 0x600000 <= h(v, 'cr2') < 0x601000 or (
            n.get('vec') == v.get('vec') and n.get('f1') == v.get('f1') and not 0x600000 <= h(n, 'cr2') < h(v, 'cr2')):
        return False
    c = unprefixed(code_at(n, h(v, 'f1')))
    return len(c) >= 2 and (c[0] == 0x9A or (c[0] == 0xFF and (c[1] >> 3) & 7 == 3 and c[1] >> 6 != 3))


# The MSRs a CPU with qemu64's CPUID has (SDM Vol. 4, each gated by its CPUID feature; the hypervisor
# range aside): P5_MC_ADDR/TYPE, TSC, APIC_BASE, BIOS_SIGN, MTRRcap, SYSENTER_CS/ESP/EIP, MCG_CAP/
# STATUS/CTL, MISC_ENABLE, the variable and fixed MTRRs, PAT, MTRRdefType, ten MC banks, EFER, STAR,
# LSTAR, CSTAR, FMASK, FS/GS/KERNEL_GS base, TSC_AUX
QEMU64_MSRS = ({0x0, 0x1, 0x10, 0x1B, 0x8B, 0xFE, 0x174, 0x175, 0x176, 0x179, 0x17A, 0x17B, 0x1A0, 0x250, 0x258,
                0x259, 0x277, 0x2FF} | set(range(0x200, 0x210)) | set(range(0x268, 0x270)) | set(range(0x400, 0x428)) |
               set(range(0xC0000080, 0xC0000085)) | set(range(0xC0000100, 0xC0000104)))


def k_qemu_msr(n, v):
    """rdmsr or wrmsr of an MSR the CPU does not have: one no x86 CPU has (ECX a random value the
    code jumped in with), or one of Intel's or AMD's ranges that a CPU with qemu64's CPUID lacks
    (32:6670: rdmsr of 0xca): #GP(0) on the CPU (SDM, RDMSR/WRMSR: a reserved or unimplemented
    MSR address), which the VMM raises; QEMU's TCG (7.2) reads 0 and ignores the write (19:1033:
    rdmsr with ECX 0x6895a0 gave EDX:EAX 0 natively). The VMM's round ends in #GP(0) at 0F 32 /
    0F 30 with such an ECX at CPL 0, where the native one went on. (One the VMM does not know but
    qemu64 has, QEMU64_MSRS, stays unexplained: that would be the VMM's gap.)"""
    m = h(v, 'ecx')
    if 'vec' not in v or h(v, 'vec') != 13 or h(v, 'f0') != 0 or h(v, 'ring3') or m in QEMU64_MSRS or \
            0x40000000 <= m < 0x40000100 or (n.get('vec') == v.get('vec') and n.get('f1') == v.get('f1')):
        return False
    return code_at(n, h(v, 'f1'))[:2] in (b'\x0f\x32', b'\x0f\x30')


# Bits of an MSR a wrmsr must leave clear on qemu64 (SDM Vol. 4; MAXPHYADDR 40, no x2APIC):
# IA32_APIC_BASE keeps BSP (8), EN (11) and the base (12-39)
MSR_RESERVED = {0x1B: ~(0xFFFFFFF000 | 0x900) & (1 << 64) - 1}


def k_qemu_msr_value(n, v):
    """wrmsr of a value with reserved bits set (37:2794: IA32_APIC_BASE = 0x7fdfe0, bits 5-7 and
    10): #GP(0) on the CPU (SDM, WRMSR), which the VMM raises (vlapic.c); QEMU's TCG (7.2) takes
    the value and the round goes on. The VMM's round ends in #GP(0) at 0F 30 at CPL 0 with ECX an
    MSR of MSR_RESERVED and EDX:EAX hitting its reserved bits, where the native one went past."""
    if 'vec' not in v or h(v, 'vec') != 13 or h(v, 'f0') != 0 or h(v, 'ring3') or h(v, 'ecx') not in MSR_RESERVED or (
            n.get('vec') == v.get('vec') and n.get('f1') == v.get('f1')):
        return False
    val = h(v, 'edx') << 32 | h(v, 'eax')
    return code_at(n, h(v, 'f1'))[:2] == b'\x0f\x30' and bool(val & MSR_RESERVED[h(v, 'ecx')])


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


def k_qemu_frame_reserved(n, v):
    """An exception frame whose EFLAGS image natively has reserved bits set (bits 3, 5, 15 or 22-31,
    which no CPU stores), where the VMM's has none: QEMU's TCG (7.2) built it from lazy-flag state
    it had not brought up to date, as in its task-switch images (k_qemu_task_flags). 4:439: a
    ring-3 `cmpb $0xfb, 0x3ff24a13(%esi)` entered mid-instruction faults (#PF, error code 4) with
    EFLAGS 0xf2d5dabf natively, 0x2c6 under the VMM. Same vector and frame but that slot; the
    page hash may differ (the frame lies in a hashed page)."""
    if 'vec' not in n or n.get('vec') != v.get('vec') or h(n, 'how') or h(v, 'how'):
        return False
    slot = 'f3' if h(n, 'vec') in (8, 10, 11, 12, 13, 14, 17) else 'f2'
    d = {k for k in FIELDS if n.get(k) != v.get(k)}
    return slot in d and d <= {slot, 'hash'} and bool(h(n, slot) & EFLAGS_RESERVED) and not h(v, slot) & EFLAGS_RESERVED


def k_x87_fcs(n, v):
    """A ring-0 round stored the x87 environment (fnstenv, fnsave, fxsave): its FCS field is the
    CS of the last x87 instruction as the CPU ran it, and under the VMM that is the guest
    kernel's CS with RPL 1 (ring compression), 9 where natively 8 (1:9396: memdiff shows one
    byte, 08 / 09). Only the page hash differs. Not caught: the stores are unprivileged. Or the
    round read that byte back, and went on differently from there: the traces part right after
    an instruction whose memory operand covers the stored FCS (trace_check; 87:2065, 81:9746). Or
    a frame word holds the stored FCS or FDS byte (76:9060), the trace having stored the
    environment."""
    if v.get('fcs_read') is not None:
        return True
    # (the environment's FDS too -- the data segment of the last x87 memory operand, DS 0x10 with
    # RPL 1 under the VMM -- seen in a stack word above a frame: 76:9060, fnstenv into the junk
    # page, whose FDS byte the round's ESP later pointed at, 0x10 natively, 0x11 under the VMM)
    def rpl_byte(k):
        d = [i for i in range(4) if ((h(n, k) ^ h(v, k)) >> 8 * i) & 255]
        return len(d) == 1 and ((h(n, k) >> 8 * d[0]) & 255, (h(v, k) >> 8 * d[0]) & 255) in ((0x08, 0x09), (0x10, 0x11))
    diff = [k for k in FIELDS if n.get(k) != v.get(k) and k != 'hash']
    if diff and v.get('x87_env_ran') and not h(n, 'ring3') and all(k[0] == 'f' and k[1:].isdigit() and rpl_byte(k) for k in diff):
        return True
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
    return v.get('cc_only') is True and all(n.get(k) == v.get(k) for k in FIELDS if k != 'hash')


def k_known_together(n, v):
    """Known differences together in one ring-0 round's memory, where each alone has its rule:
    the int3s of patched code in a data page (k_patched_data), a port input stored to memory
    (k_port_in's difference, through ins), and the CS of the last x87 instruction in a stored x87
    environment (k_x87_fcs: 0x09 under the VMM, 0x08 natively). 4:1066 ran code on its stack
    page, which the VMM patched, and an `insl` from port 0xffff into the junk page (0 natively,
    0xffffffff under the VMM); 36:5345 ran patched code on its stack page and an fnsave there.
    Only the hash differs, and every byte mem_check found to differ is 0xCC under the VMM, or one
    an ins of the native trace stored, or 0x08 natively and 0x09 under the VMM in a round whose
    native trace stored the x87 environment (trace_check)."""
    ins, got = v.get('ins_dest') or [], v.get('mem_bytes') or []
    def known(k, o, a, b):
        return b == 0xCC or any(k == ik and io <= o < io + sz for ik, io, sz in ins) or (
            (a, b) == (0x08, 0x09) and v.get('x87_env_ran'))
    return bool(got) and all(len(x) == 4 and known(*x) for x in got)


def k_patch_read(n, v):
    """The same seen through a read instead of the hash: a ring-0 round reads its code page as
    data -- here a far return whose stack is in the code page (9:1653: lret popped CS 0xcce8 under
    the VMM, 0x0ee8 natively) -- and gets an int3 the VMM patched in. Same vector; every byte that
    differs in a non-hash field is 0xCC under the VMM, and nothing else differs -- but the page
    hash, where the patched code is on a page it covers and every byte the page dump (mem_check)
    finds different is 0xCC under the VMM (68:7235: a #GP for a selector read from the stack page,
    0xcc1c under the VMM, 0x161c natively)."""
    if 'vec' not in n or 'vec' not in v or n['vec'] != v['vec'] or h(n, 'ring3') or (
            n.get('hash') != v.get('hash') and v.get('cc_only') is not True) or v.get('patch_inside') is not None:
        return False                             # (the trace's finding is the more precise: 63:2506)
    diff = [k for k in FIELDS if n.get(k) != v.get(k) and k != 'hash']
    return bool(diff) and all(((h(n, k) ^ h(v, k)) >> 8 * i) & 255 == 0 or (h(v, k) >> 8 * i) & 255 == 0xCC
                              for k in diff for i in range(4))


def k_port_in(n, v):
    """Port input at ring 0 from a port of the PC: natively QEMU's device (or nothing) answers,
    under the VMM the VM's own virtual PC (arch/x86_64/pc), which is a different machine by
    design -- the generator emits no port I/O for that reason, but random bytes run as code can
    hold one (22:7347: `in (%dx),%eax` with DX 0x59 in code on the stack page read 0 natively,
    0xffffffff under the VMM, as a port nothing decodes reads on a PC). Decided by the traces
    (trace_check): they part right after an in, in EAX alone; or, where a trace would be too long,
    by QEMU's logs of the VMM side (port_in_events: its #GP at an in the round ran, the rounds
    alike but for the bits of EAX that in reads -- 66:6490, port 0x42 after half a million steps)."""
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
    VMM's trace shows a sensitive instruction the guest kernel ran unpatched in one of the
    round's own pages (trace_check)."""
    return v.get('patch_inside') is not None or (v.get('unpatched') is not None and round_page(v['unpatched']))


def k_user_page_code(n, v):
    """Guest-kernel code on a user page: the VMM scans a page for sensitive instructions when the
    guest kernel first runs code there, and it finds out by mapping the guest's kernel pages
    no-execute until then (vtlb.c rights) -- but not its user pages, which the guest kernel has
    no business running (SMEP forbids it) and which are most of a guest's pages. So kernel code
    that does run from a user page runs unscanned, and its sensitive instructions do what they do
    at ring 1 (5:4628: a ring-0 round's ret landed in the junk page, a user page at every address
    that is not the round's own, on `push %cs; lret`, and pushed CS 9 where natively 8). The
    fuzzer keeps the junk page a user page for that reason (fuzz.c setup_paging), and generates no
    sensitive instruction into it, but a round can write one there. Decided by the VMM's trace
    (trace_check): the guest kernel ran a sensitive instruction there as it is."""
    return v.get('unpatched') is not None and not round_page(v['unpatched'])


KNOWN = [('time budget', k_budget), ('v8086 return', k_v86), ('real mode', k_real_mode), ('QEMU flags at a write fault', k_qemu_fault_flags),
         ('QEMU task switch flags', k_qemu_task_flags), ('QEMU reserved flags in a frame', k_qemu_frame_reserved), ('x87 FCS RPL', k_x87_fcs),
         ('patched code in a data page', k_patched_data), ('patched code read as data', k_patch_read),
         ('several known differences', k_known_together),
         ('null selector RPL', k_null_rpl), ('null segment used', k_null_use), ('QEMU ltr null', k_qemu_ltr_null), ('QEMU lret imm16 sign', k_qemu_lret_imm), ('QEMU invalid CR0', k_qemu_cr0),
         ('instruction wrote itself', k_self_write),
         ('QEMU sti single step', k_qemu_sti_step),
         ('selector past the VMM tables', k_gdt_copy), ('QEMU ignores the reg field', k_qemu_reg_field),
         ('QEMU unknown MSR', k_qemu_msr), ('QEMU MSR reserved bits', k_qemu_msr_value), ('QEMU far return stack U/S', k_qemu_ret_stack),
         ('ring-3 system read without UMIP', k_sys_read_ring3), ('QEMU data segment checks', k_qemu_data_segment),
         ('prefixed INT n', k_int_prefix), ('patch inside another instruction', k_patch_inside),
         ('kernel code on a user page', k_user_page_code),
         ('port input from the PC', k_port_in), ('QEMU far call stack U/S', k_qemu_call_stack),
         ('QEMU sti with an interrupt pending', k_qemu_sti_pending), ('QEMU reserved CR4 bits', k_qemu_cr4),
         # (last: the rules above name a more specific cause where one applies)
         ('QEMU translation-dependent result', k_qemu_translation), ('ring-1 selector RPL', k_ring_alias), ('stopped on both sides', k_both_stopped)]


def classify(n, v):
    for name, rule in KNOWN:
        if rule(n, v):
            return name
    return None
