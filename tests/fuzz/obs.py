#!/usr/bin/env python3
"""obs.py - a fuzz round's observation (the fields of its "R" line, boot.py) and the x86 facts that
the rules (known.py) and the checks (evidence.py) read from it and from the round's code bytes."""
import re


FIELDS = ('vec how ring3 nf f0 f1 f2 f3 f4 f5 eax ecx edx ebx esp ebp esi edi ds es fs gs ss cr2 cr0 cr4 '
          'hash').split()


def h(o, k):
    return int(o.get(k, '0'), 16)


CR4_RESERVED = 1 << 15 | 1 << 19 | 0xFC000000       # (SDM Vol. 3, 2.5: reserved in every CPU so far)
# CR4 bits of features QEMU's default CPU model, qemu64, does not report in CPUID (no UMIP, LA57,
# VMX, SMX, FSGSBASE, PCID, XSAVE, SMEP, SMAP, PKU, CET, PKS): reserved on it, so a mov to CR4
# that sets one is #GP(0) (SDM, MOV to CR4; the VMM's xfeat.c cr4_ok reads the same CPUID)
CR4_QEMU64_LACKS = 0xF << 11 | 0x7 << 16 | 0x1F << 20


def same(n, v):
    """Are two observations of a round the same: the fields its R line gives, or how it died? (Not
    the native side's code dump, the digests, nor the notes evidence.py adds: 5:9368, whose page
    dump had noted cc_only in the VMM's, never matched its one-int3 run for that note alone.)"""
    return all(n.get(k) == v.get(k) for k in FIELDS + ['dead'])


def flag_store_mem(code):
    """Does the round's code hold, at any byte offset, an instruction that reads the flags and
    writes memory: rcl/rcr (D0-D3 or C0-C1 /2 or /3) or setcc (0F 90-9F), ModRM mod != 3?"""
    return bool(flag_store_sites(code))


GPRS = ('eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi')


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


DATA_SEGS = ('ds', 'es', 'fs', 'gs')


def seg_load(c):
    """Does the instruction c load a data segment register (pop es/ds/ss/fs/gs, mov to one,
    les/lds/lss/lfs/lgs)? Prefixes skipped."""
    c = unprefixed(c)
    return c[:1] in (b'\x07', b'\x17', b'\x1f', b'\x8e', b'\xc4', b'\xc5') or c[:2] in (
        b'\x0f\xa1', b'\x0f\xa9', b'\x0f\xb2', b'\x0f\xb4', b'\x0f\xb5')


SEG_PREFIX = {0x26: 'es', 0x3E: 'ds', 0x64: 'fs', 0x65: 'gs'}


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


def objdump(b, vma=0):
    """objdump's (binutils) 32-bit decode of the bytes b placed at vma: [(address, text)]."""
    import subprocess, tempfile
    with tempfile.NamedTemporaryFile(suffix='.bin') as f:
        f.write(b)
        f.flush()
        out = subprocess.run(['objdump', '-D', '-b', 'binary', '-m', 'i386', '--adjust-vma=%#x' % vma, f.name],
                             capture_output=True, text=True).stdout
    return [(int(m.group(1), 16), m.group(2)) for m in re.finditer(r'^\s+([0-9a-f]+):\t(.*)$', out, re.M)]


def round_page(a):
    """Is the linear address a in one of the round's own pages (fuzz.h: the scratch pages at
    0x400000, the code page at 0x600000, the stack pages below 0x800000)? Every other page of a
    round's space from 64 KiB up is the junk page, a user page (fuzz.c setup_paging)."""
    return 0x400000 <= a < 0x404000 or 0x600000 <= a < 0x601000 or 0x7FC000 <= a < 0x800000


def page_key(a):
    """Where memdiff.py's page dump puts the byte at linear address a of a round's space: (page,
    offset) -- pages 0-3 the scratch pages, 4-7 the stack pages, 8 the junk page, which stands at
    every address that is not the round's own; None for the code page (not dumped)."""
    if 0x400000 <= a < 0x404000:
        return (a - 0x400000) >> 12, a & 0xFFF
    if 0x7FC000 <= a < 0x800000:
        return 4 + ((a - 0x7FC000) >> 12), a & 0xFFF
    return None if 0x600000 <= a < 0x601000 else (8, a & 0xFFF)


def code_at(n, eip):
    """The round's code bytes from linear address eip on (the code ends at its page's end)."""
    b = bytes.fromhex(n.get('code') or '')
    off = eip - (0x601000 - len(b))
    return b[off:] if 0 <= off < len(b) else b''


PREFIXES = (0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x66, 0x67, 0xF0, 0xF2, 0xF3)


def unprefixed(c):
    """The bytes c of an instruction from its opcode on: its legacy prefixes skipped."""
    while c[:1] and c[0] in PREFIXES:
        c = c[1:]
    return c


def sys_read(code):
    """Does the code hold sgdt, sidt (0F 01 /0 /1, memory), smsw (0F 01 /4), sldt or str (0F 00
    /0 /1) at any byte offset?"""
    b = bytes.fromhex(code or '')
    return any(b[i] == 0x0F and ((b[i + 1] == 0x01 and ((b[i + 2] >> 3) & 7 == 4 or ((b[i + 2] >> 3) & 7 in (0, 1)
                                                                                  and b[i + 2] >> 6 != 3)))
                                 or (b[i + 1] == 0x00 and (b[i + 2] >> 3) & 7 in (0, 1)))
               for i in range(len(b) - 2))


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


def x87_env_store(code):
    """Does the round's code hold an x87 environment store with a memory operand at any byte
    offset: fnstenv (d9 /6), fnsave (dd /6), fxsave (0f ae /0)?"""
    b = bytes.fromhex(code or '')
    return any((b[i] in (0xD9, 0xDD) and b[i + 1] >> 6 != 3 and (b[i + 1] >> 3) & 7 == 6) or
               (b[i] == 0x0F and b[i + 1] == 0xAE and i + 2 < len(b) and b[i + 2] >> 6 != 3 and (b[i + 2] >> 3) & 7 == 0)
               for i in range(len(b) - 1))


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


def insn_len(b):
    """The length of the instruction at b[0] (objdump's decode; 0 if it has none)."""
    offs = [a for a, t in objdump(b[:16])]
    return offs[1] if len(offs) > 1 else 0


def linear_decode(n, eip):
    """The instruction boundaries of the round's code decoded from eip to its page's end (objdump):
    what the VMM's first-run scan of the page, started there, patches by (patch.c)."""
    return {a for a, t in objdump(code_at(n, eip), eip)}


# QEMU's disassembly of the instructions the VMM patches (decode.c x86_needs_patch)
SENSITIVE = re.compile(r'(pushf|popf|iret|sgdt|sidt|sldt|str|smsw|lar|lsl|verr|verw|lcall)\w*\b|'
                       r'push[lw]?\s+%[cs]s$|mov[lw]?\s+%[cs]s,')


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
