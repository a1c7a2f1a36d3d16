#!/usr/bin/env python3
"""run.py - compare the VMM's x86 decoder (arch/x86_64/cpu/decode.c) with GNU objdump.

Usage: run.py [--seed N] [--count32 N] [--count64 N] [ELF...]

Builds build/decoder/dtest (host) and checks that decode.c also compiles freestanding, runs the
decoder's self-tests, then compares, instruction by instruction:
  (a) random byte sequences in 32-bit and 64-bit mode. Each sequence is 16 random bytes (often
      starting with an escape/prefix so every map is exercised) padded with 16 NOPs to a stride of
      32: objdump disassembles the whole file at once and is back in step at every stride
      boundary, so only the first instruction of each sequence is compared;
  (b) every instruction of the executable sections of the ELF files given (decoded at the
      offsets where objdump put an instruction).
Compared: validity ("(bad)" or not), LENGTH, the decoder's `kind` against the mnemonic, and
immediate/displacement values where objdump prints them plainly. Each disagreement is either
explained by a KNOWN class below (counted and reported) or is a failure. KTAP output; exit 1 on
any failure."""
import os, random, re, struct, subprocess, sys, tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
BUILD = os.path.join(ROOT, 'build', 'decoder')
DTEST = os.path.join(BUILD, 'dtest')
OBJDUMP_MACHINE = {32: ['-m', 'i386'], 64: ['-m', 'i386:x86-64', '-M', 'intel64'], 16: ['-m', 'i8086']}

# ---- KNOWN differences between the decoder (which follows the Intel SDM) and objdump 2.40 --------
# Each entry: (name, explanation, predicate(ctx)) where ctx has .mode, .raw (bytes from the
# instruction start), .dec (decoder result), .obj (objdump result). The first matching class wins.
KNOWN = []

def known(name, why):
    def reg(fn):
        KNOWN.append((name, why, fn))
        return fn
    return reg

def opcode_at(c):
    """(map, opcode, modrm) of the legacy instruction in c.raw: map 0 = 1-byte, 1 = 0F."""
    i = c.prefixes()
    r = c.raw
    if i + 2 >= len(r):
        return None, None, None
    if r[i] == 0x0F:
        return 1, r[i + 1], r[i + 2]
    return 0, r[i], r[i + 1]

def vex_family(c):
    i = c.prefixes()
    r = c.raw
    return i + 1 < len(r) and ((r[i] in (0xC4, 0xC5, 0x62) and (c.mode == 64 or r[i + 1] >= 0xC0)) or
                               (r[i] == 0x8F and r[i + 1] & 0x1F >= 8))

@known('vex-xop-evex-subfields', 'VEX/XOP/EVEX: the decoder checks the opcode map, the opcode and (VEX) '
       'the SSE prefix, but not L/W/EVEX.b/aaa combinations; objdump rejects some of those. The '
       'length does not depend on them (the CPU raises #UD).')
def _(c):
    return c.obad and c.dlen > 0 and vex_family(c)

@known('prefix-before-vex', 'F0/66/F2/F3 before a VEX/XOP/EVEX prefix: #UD by the SDM and the AMD '
       'manual (so in the decoder); objdump prints the prefix and decodes the instruction.')
def _(c):
    return (c.dlen < 0 and not c.obad and vex_family(c) and
            any(p in c.raw[:c.prefixes()] for p in (0xF0, 0x66, 0xF2, 0xF3)))

@known('rex-before-vex', '64-bit: a REX prefix before a VEX/XOP/EVEX prefix: #UD by the SDM (vol. 2, '
       '2.3.2: "any VEX-encoded instruction with a REX prefix preceding VEX will #UD"), so in the '
       'decoder; objdump prints "rex.W" ... and decodes the instruction. Seen first in 10^6 inputs.')
def _(c):
    return (c.mode == 64 and c.dlen < 0 and not c.obad and vex_family(c) and
            any(0x40 <= p <= 0x4F for p in c.raw[:c.prefixes()]))

@known('vpermil2-is4-imm4', 'VEX 0F3A 48/49 (vpermil2ps/pd): the imm8 is an is4 byte (bits 7:4 name the '
       'fourth register, bits 3:0 the m2z selector); objdump prints only bits 3:0 as the immediate, '
       'the decoder the whole byte (same length). Seen first in 10^6 inputs.')
def _(c):
    m = re.search(r'\$(0x[0-9a-f]+)', c.text)
    return (c.dlen == c.olen and c.text.startswith('vpermil2p') and m is not None and
            int(m.group(1), 16) == c.dec[3] & 0xF)

@known('evex-disp8xN', 'EVEX compressed displacement: the decoder reports the raw disp8, objdump '
       'prints it scaled by the memory operand size N (length is the same).')
def _(c):
    return c.dlen == c.olen and vex_family(c) and c.raw[c.prefixes()] == 0x62 and c.dec[4] == 1

@known('fwait-merge', '9B (fwait) is an instruction of its own (the CPU and the decoder: length 1); '
       'objdump merges it with a following x87 instruction.')
def _(c):
    i = c.prefixes()
    return c.raw[i] == 0x9B and c.dlen == i + 1 and (c.obad or c.olen > c.dlen)

@known('test-registers', '0F 24 / 0F 26 (mov to/from TR3-TR7) existed on the 386/486 only; objdump '
       'decodes them, later CPUs raise #UD, so does the decoder.')
def _(c):
    m, op, _m = opcode_at(c)
    return c.dlen < 0 and not c.obad and m == 1 and op in (0x24, 0x26)

@known('mpx-hint-nops', '0F 1A / 0F 1B: objdump rejects MPX forms naming bound registers 4-7 (or '
       'invalid MPX operands); the SDM defines these encodings as hint NOPs on CPUs without MPX.')
def _(c):
    m, op, _m = opcode_at(c)
    return c.obad and c.dlen > 0 and m == 1 and op in (0x1A, 0x1B)

@known('sreg-6-7', '8C/8E with ModRM.reg 6 or 7 name no segment register: objdump prints "%?", '
       'the CPU raises #UD.')
def _(c):
    m, op, modrm = opcode_at(c)
    return c.dlen < 0 and m == 0 and op in (0x8C, 0x8E) and (modrm >> 3) & 7 >= 6

@known('mov-to-cs', '8E /1 (mov to CS): objdump decodes it, the CPU raises #UD.')
def _(c):
    m, op, modrm = opcode_at(c)
    return c.dlen < 0 and m == 0 and op == 0x8E and (modrm >> 3) & 7 == 1

@known('64-bit-only-outside-64', 'swapgs (0F 01 F8) and rd/wr fs/gs base (F3 0F AE /0-3): objdump '
       'decodes them in 32-bit mode, where the CPU raises #UD.')
def _(c):
    m, op, modrm = opcode_at(c)
    return (c.mode != 64 and c.dlen < 0 and m == 1 and
            ((op == 0x01 and modrm == 0xF8) or (op == 0xAE and modrm >= 0xC0 and (modrm >> 3) & 7 <= 3)))

@known('mmx-with-f2-f3', 'F2/F3 0F D7 (pmovmskb with a rep prefix): objdump ignores the prefix, the '
       'SDM gives the MMX/SSE forms only with no prefix or 66.')
def _(c):
    m, op, modrm = opcode_at(c)
    return c.dlen < 0 and m == 1 and op == 0xD7 and (0xF2 in c.raw[:c.prefixes()] or 0xF3 in c.raw[:c.prefixes()])

@known('frstpm-287', 'DB E5 (frstpm) existed on the 80287XL only; objdump decodes it.')
def _(c):
    m, op, modrm = opcode_at(c)
    return c.dlen < 0 and m == 0 and op == 0xDB and modrm == 0xE5

@known('rex-before-prefix', '64-bit: a REX followed by a legacy prefix (or fwait) is ignored by the CPU '
       'and the decoder counts it into the next instruction; objdump prints the bytes up to the REX '
       'as an instruction of their own ("rex.W" ...).')
def _(c):
    i = 0
    while i < len(c.raw) and c.raw[i] in {0xF0, 0xF2, 0xF3, 0x2E, 0x36, 0x3E, 0x26, 0x64, 0x65, 0x66, 0x67} | set(range(0x40, 0x50)):
        i += 1
    return (c.mode == 64 and not c.obad and c.olen <= i and (c.dlen < 0 or c.olen < c.dlen) and
            0x40 <= c.raw[c.olen - 1] <= 0x4F and c.text.split()[-1].startswith('rex'))

# ---- Building ----------------------------------------------------------------------------------
def build():
    os.makedirs(BUILD, exist_ok=True)
    src = [os.path.join(ROOT, 'arch/x86_64/cpu/decode.c'), os.path.join(ROOT, 'tests/decoder/dtest.c')]
    host = ['gcc', '-std=c11', '-O2', '-Wall', '-Wextra', '-Werror', '-o', DTEST] + src
    kern = ['gcc', '-std=c11', '-O2', '-m64', '-fno-pic', '-ffreestanding', '-mno-red-zone',
            '-mgeneral-regs-only', '-mcmodel=kernel', '-Wall', '-Wextra', '-Werror', '-c',
            '-o', os.path.join(BUILD, 'decode.kernel.o'), src[0]]
    out = []
    for cmd in (host, kern):
        r = subprocess.run(cmd, capture_output=True, text=True)
        out.append((r.returncode == 0, ' '.join(cmd[:3]) + ' ...', r.stderr))
    return out

# ---- objdump -----------------------------------------------------------------------------------
LINE = re.compile(r'^\s*([0-9a-f]+):\t([0-9a-f ]+?)\s*\t(.*)$')
LINE_NOMNEM = re.compile(r'^\s*([0-9a-f]+):\t([0-9a-f ]+?)\s*$')

def objdump(path, mode):
    """{offset: (length, text)} for every instruction objdump prints."""
    cmd = ['objdump', '-D', '-z', '-w', '--insn-width=16', '-b', 'binary'] + OBJDUMP_MACHINE[mode] + [path]
    r = subprocess.run(cmd, capture_output=True, text=True, check=True)
    res = {}
    for line in r.stdout.splitlines():
        m = LINE.match(line) or LINE_NOMNEM.match(line)
        if not m:
            continue
        off = int(m.group(1), 16)
        n = len(m.group(2).split())
        text = m.group(3).strip() if m.lastindex >= 3 else ''
        res[off] = (n, re.sub(r'\s+', ' ', text))
    return res

def decode_at(path, mode, offsets):
    with tempfile.NamedTemporaryFile('w', dir=BUILD, delete=False) as f:
        f.write('\n'.join(str(o) for o in offsets) + '\n')
        name = f.name
    r = subprocess.run([DTEST, 'at', str(mode), path, name], capture_output=True, text=True, check=True)
    os.unlink(name)
    res = {}
    for line in r.stdout.splitlines():
        off, n, kind, isz, imm, dsz, disp = line.split()
        res[int(off)] = (int(n), kind, int(isz), int(imm, 16), int(dsz), int(disp, 16))
    return res

# ---- Mnemonic -> kind -----------------------------------------------------------------------------
PREFIX_WORDS = {'lock', 'rep', 'repz', 'repe', 'repnz', 'repne', 'data16', 'data32', 'addr16', 'addr32',
                'cs', 'ds', 'es', 'ss', 'fs', 'gs', 'bnd', 'notrack', 'rex', 'rex.w', 'xacquire',
                'xrelease', 'rex64', '{vex}', '{vex3}', '{evex}'}
SIMPLE = {
    'lgdt': 'LGDT', 'lidt': 'LIDT', 'lldt': 'LLDT', 'ltr': 'LTR', 'lmsw': 'LMSW', 'clts': 'CLTS',
    'invlpg': 'INVLPG', 'wbinvd': 'WBINVD', 'invd': 'INVD', 'hlt': 'HLT', 'cli': 'CLI', 'sti': 'STI',
    'rdmsr': 'RDMSR', 'wrmsr': 'WRMSR', 'rdpmc': 'RDPMC', 'rdtsc': 'RDTSC', 'cpuid': 'CPUID',
    'int3': 'INT3', 'into': 'INTO', 'int1': 'INT1', 'icebp': 'INT1', 'sysenter': 'SYSENTER',
    'sysexit': 'SYSEXIT', 'syscall': 'SYSCALL', 'sysret': 'SYSRET', 'swapgs': 'SWAPGS',
    'xsetbv': 'XSETBV', 'stac': 'STAC', 'clac': 'CLAC',
    'pushf': 'PUSHF', 'popf': 'POPF', 'iret': 'IRET', 'sgdt': 'SGDT', 'sidt': 'SIDT', 'sldt': 'SLDT',
    'str': 'STR', 'smsw': 'SMSW', 'lar': 'LAR', 'lsl': 'LSL', 'verr': 'VERR', 'verw': 'VERW',
    'lcall': 'CALL_FAR', 'ljmp': 'JMP_FAR', 'lret': 'RET_FAR', 'ud0': 'UD', 'ud1': 'UD', 'ud2': 'UD',
    'ins': 'INS', 'outs': 'OUTS', 'int': 'INT', 'wbnoinvd': 'WBINVD',
}
SREGS = ('%es', '%cs', '%ss', '%ds', '%fs', '%gs')

def split_insn(text):
    words = text.split(' ', 1)
    while words and (words[0] in PREFIX_WORDS or words[0].startswith('rex')) and len(words) > 1:
        words = words[1].split(' ', 1)
    return words[0], (words[1] if len(words) > 1 else '')

def kind_of(text):
    mn, ops = split_insn(text)
    ops = ops.split('#')[0].strip()
    base = mn
    for k in (mn, mn[:-1], mn[:-2]):
        if k in SIMPLE and (k != mn or True):
            base = k
            break
    else:
        base = None
    if mn in ('sysretl', 'sysretq', 'sysexitl', 'sysexitq', 'iretw', 'iretl', 'iretq', 'sysret', 'sysexit'):
        return SIMPLE[mn.rstrip('lqw') if mn not in ('sysret', 'sysexit') else mn]
    if mn.startswith('in') and mn[:3] in ('in', 'inb', 'inw', 'inl') and mn in ('in', 'inb', 'inw', 'inl'):
        return 'IN_DX' if ops.startswith('(%dx)') else 'IN_IMM'
    if mn in ('out', 'outb', 'outw', 'outl'):
        return 'OUT_DX' if ops.endswith('(%dx)') else 'OUT_IMM'
    if mn in ('insb', 'insw', 'insl', 'insd', 'ins'):
        return 'INS'
    if mn in ('outsb', 'outsw', 'outsl', 'outsd', 'outs'):
        return 'OUTS'
    if mn in ('mov', 'movl', 'movw', 'movq'):
        parts = [p.strip() for p in re.split(r',(?![^(]*\))', ops)]
        if len(parts) == 2:
            src, dst = parts
            if re.match(r'%cr\d+$', dst): return 'MOV_TO_CR'
            if re.match(r'%cr\d+$', src): return 'MOV_FROM_CR'
            if re.match(r'%db\d+$', dst): return 'MOV_TO_DR'
            if re.match(r'%db\d+$', src): return 'MOV_FROM_DR'
            if src in SREGS: return 'MOV_FROM_SREG'
            if dst in SREGS: return 'MOV_TO_SREG'
        return 'OTHER'
    if mn in ('push', 'pushl', 'pushw', 'pushq') and ops in SREGS:
        return 'PUSH_SREG'
    if mn in ('pop', 'popl', 'popw', 'popq') and ops in SREGS:
        return 'POP_SREG'
    if mn in ('int',):
        return 'INT'
    if mn in ('pushf', 'pushfl', 'pushfw', 'pushfq'): return 'PUSHF'
    if mn in ('popf', 'popfl', 'popfw', 'popfq'): return 'POPF'
    if mn in ('iret', 'iretw', 'iretl', 'iretd', 'iretq'): return 'IRET'
    if mn in ('lret', 'lretw', 'lretl', 'lretq'): return 'RET_FAR'
    if mn in ('lcall', 'lcallw', 'lcalll', 'lcallq'): return 'CALL_FAR'
    if mn in ('ljmp', 'ljmpw', 'ljmpl', 'ljmpq'): return 'JMP_FAR'
    if mn in SIMPLE: return SIMPLE[mn]
    for suffix in ('w', 'l', 'q'):
        if mn.endswith(suffix) and mn[:-1] in SIMPLE and mn[:-1] not in ('int', 'str'):
            return SIMPLE[mn[:-1]]
    return 'OTHER'

# ---- Comparing one instruction --------------------------------------------------------------------
class Ctx:
    def __init__(self, mode, raw, dec, obj):
        self.mode, self.raw, self.dec, self.obj = mode, raw, dec, obj
        self.dlen, self.dkind = dec[0], dec[1]
        self.olen, self.text = obj
        self.obad = '(bad)' in self.text or self.text == '' or self.text.startswith('.byte')
        self.mn = split_insn(self.text)[0] if not self.obad else '(bad)'

    def prefixes(self):
        """Index of the first non-prefix byte in raw."""
        i = 0
        pf = {0xF0, 0xF2, 0xF3, 0x2E, 0x36, 0x3E, 0x26, 0x64, 0x65, 0x66, 0x67}
        while i < len(self.raw) and (self.raw[i] in pf or (self.mode == 64 and self.raw[i] & 0xF0 == 0x40)):
            i += 1
        return i

def imm_ok(c):
    """Does objdump's first $immediate agree with the decoder's immediate (any width mask)?"""
    n, kind, isz, imm, dsz, disp = c.dec
    if isz == 0 or '$' not in c.text:
        return True
    m = re.search(r'\$(0x[0-9a-f]+)', c.text)
    if not m or c.mn.startswith(('enter', 'ljmp', 'lcall', 'extrq', 'insertq')) or c.mn in ('enter',):
        return True
    v = int(m.group(1), 16)
    return any(v == imm & ((1 << b) - 1) for b in (8, 16, 32, 64))

def disp_ok(c):
    n, kind, isz, imm, dsz, disp = c.dec
    if dsz == 0 or dsz == 8:
        return True
    m = re.search(r'(?:^|[ ,:*])(-?0x[0-9a-f]+)\(%[re]?[a-z0-9]+', c.text)
    if not m:
        return True
    v = int(m.group(1), 16)
    sdisp = disp - (1 << 64) if disp >> 63 else disp
    return v == sdisp or v == (sdisp & 0xffffffff) or v == (sdisp & 0xffff)

def compare(c):
    """None if the decoder agrees with objdump, else a short description of the difference."""
    dbad = c.dlen < 0
    if dbad and c.obad:
        return None
    if dbad:
        return 'decoder invalid (%d), objdump "%s" (%d bytes)' % (c.dlen, c.text, c.olen)
    if c.obad:
        return 'objdump (bad), decoder %d bytes %s' % (c.dlen, c.dkind)
    if c.dlen != c.olen:
        return 'length %d vs objdump %d "%s"' % (c.dlen, c.olen, c.text)
    k = kind_of(c.text)
    if k != c.dkind:
        return 'kind %s vs objdump "%s" (%s)' % (c.dkind, c.text, k)
    if not imm_ok(c):
        return 'immediate %x vs objdump "%s"' % (c.dec[3], c.text)
    if not disp_ok(c):
        return 'displacement %x vs objdump "%s"' % (c.dec[5], c.text)
    return None

class Tally:
    def __init__(self):
        self.compared = 0
        self.known = {}
        self.unexplained = []

    def add(self, c, what):
        self.compared += 1
        if what is None:
            return
        for name, why, fn in KNOWN:
            if fn(c):
                self.known[name] = self.known.get(name, 0) + 1
                return
        self.unexplained.append('%d-bit %s: %s' % (c.mode, c.raw[:16].hex(), what))

# ---- (a) random sequences --------------------------------------------------------------------------
STARTS = [b'', b'', b'', b'', b'\x0f', b'\x0f', b'\x0f\x38', b'\x0f\x3a', b'\x66\x0f', b'\xf3\x0f',
          b'\xf2\x0f', b'\x66\x0f\x38', b'\x66\x0f\x3a', b'\xf2\x0f\x38', b'\xc5', b'\xc4', b'\x8f',
          b'\x62', b'\xd8', b'\xd9', b'\xda', b'\xdb', b'\xdc', b'\xdd', b'\xde', b'\xdf', b'\x0f\x01',
          b'\x0f\x00', b'\x66', b'\x67', b'\xf0', b'\xff', b'\xf7', b'\x0f\xae', b'\x0f\xc7', b'\x0f\x0f']

def random_test(mode, count, seed, tally):
    rng = random.Random(seed * 1000 + mode)
    stride = 32
    buf = bytearray()
    for _ in range(count):
        start = rng.choice(STARTS)
        seq = start + rng.randbytes(16 - len(start))
        if mode != 64 and start in (b'\xc5', b'\xc4', b'\x62') and rng.random() < 0.7:
            seq = seq[:1] + bytes([seq[1] | 0xC0]) + seq[2:]      # make it VEX/EVEX, not les/lds/bound
        buf += seq + b'\x90' * (stride - 16)
    path = os.path.join(BUILD, 'random%d.bin' % mode)
    with open(path, 'wb') as f:
        f.write(buf)
    offsets = list(range(0, len(buf), stride))
    obj = objdump(path, mode)
    dec = decode_at(path, mode, offsets)
    lost = 0
    for off in offsets:
        if off not in obj:
            lost += 1
            continue
        c = Ctx(mode, bytes(buf[off:off + stride]), dec[off], obj[off])
        tally.add(c, compare(c))
    return lost

# ---- (b) ELF executable sections --------------------------------------------------------------------
def elf_exec_sections(path):
    data = open(path, 'rb').read()
    if data[:4] != b'\x7fELF':
        raise ValueError('not an ELF file')
    is64 = data[4] == 2
    if is64:
        shoff, = struct.unpack_from('<Q', data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from('<HHH', data, 0x3A)
    else:
        shoff, = struct.unpack_from('<I', data, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from('<HHH', data, 0x2E)
    machine, = struct.unpack_from('<H', data, 0x12)
    secs = []
    for i in range(shnum):
        o = shoff + i * shentsize
        if is64:
            name, typ, flags, addr, off, size = struct.unpack_from('<IIQQQQ', data, o)
        else:
            name, typ, flags, addr, off, size = struct.unpack_from('<IIIIII', data, o)
        secs.append([name, typ, flags, off, size])
    strtab = secs[shstrndx] if shstrndx < len(secs) else None
    out = []
    for name, typ, flags, off, size in secs:
        if typ == 1 and flags & 4 and size:           # PROGBITS, SHF_EXECINSTR
            nm = data[strtab[3] + name:data.index(b'\0', strtab[3] + name)].decode() if strtab else '?'
            out.append((nm, data[off:off + size]))
    mode = 64 if machine == 62 else 32
    return mode, out

def elf_test(path, tally):
    mode, secs = elf_exec_sections(path)
    n = 0
    for name, code in secs:
        raw = os.path.join(BUILD, 'section.bin')
        with open(raw, 'wb') as f:
            f.write(code)
        obj = objdump(raw, mode)
        offs = sorted(obj)
        dec = decode_at(raw, mode, offs)
        for off in offs:
            c = Ctx(mode, code[off:off + 16], dec[off], obj[off])
            tally.add(c, compare(c))
            n += 1
    return mode, len(secs), n

# ---- main -----------------------------------------------------------------------------------------
def main():
    args = sys.argv[1:]
    seed, count32, count64 = 1, 100000, 30000
    elves = []
    while args:
        a = args.pop(0)
        if a == '--seed': seed = int(args.pop(0))
        elif a == '--count32': count32 = int(args.pop(0))
        elif a == '--count64': count64 = int(args.pop(0))
        else: elves.append(a)
    results = []      # (ok, name, detail lines)
    for ok, what, err in build():
        results.append((ok, 'build ' + what, err.splitlines()[:20]))
    if not all(r[0] for r in results):
        return report(results)
    st = subprocess.run([DTEST, 'selftest'], capture_output=True, text=True)
    results.append((st.returncode == 0, 'selftest (kinds, fields, effective addresses)',
                    [l for l in st.stdout.splitlines() if 'not ok' in l]))
    for mode, count in ((32, count32), (64, count64)):
        t = Tally()
        lost = random_test(mode, count, seed, t)
        results.append(summarize(t, 'random %d-bit: %d sequences' % (mode, count), lost))
    for path in elves:
        t = Tally()
        try:
            mode, nsec, n = elf_test(path, t)
        except (OSError, ValueError) as e:
            results.append((False, 'elf %s' % path, [str(e)]))
            continue
        results.append(summarize(t, 'elf %s (%d-bit, %d executable sections)' % (path, mode, nsec), 0))
    return report(results)

def summarize(t, name, lost):
    lines = ['%d instructions compared, %d known differences, %d unexplained%s' % (
        t.compared, sum(t.known.values()), len(t.unexplained),
        ', %d sequences objdump did not resynchronise on' % lost if lost else '')]
    for kname, cnt in sorted(t.known.items()):
        lines.append('known: %-28s %6d' % (kname, cnt))
    with open(os.path.join(BUILD, 'unexplained-%s.txt' % re.sub(r'[^A-Za-z0-9]+', '_', name)[:60]), 'w') as f:
        f.write(''.join(u + '\n' for u in t.unexplained))
    for u in t.unexplained[:25]:
        lines.append('UNEXPLAINED ' + u)
    return (not t.unexplained and not lost, name, lines)

def report(results):
    print('KTAP version 1')
    print('1..%d' % len(results))
    for i, (ok, name, lines) in enumerate(results, 1):
        for l in lines:
            print('# ' + l)
        print('%s %d %s' % ('ok' if ok else 'not ok', i, name))
    if any(1 for ok, n, l in results if not ok) or True:
        pass
    print('# known difference classes:')
    for name, why, fn in KNOWN:
        print('#   %s: %s' % (name, why))
    passed = sum(1 for r in results if r[0])
    print('%d passed, %d failed' % (passed, len(results) - passed))
    return 0 if passed == len(results) else 1

if __name__ == '__main__':
    sys.exit(main())
