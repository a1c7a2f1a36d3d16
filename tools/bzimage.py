#!/usr/bin/env python3
"""bzimage.py - read a Linux x86 bzImage (boot protocol 2.xx): its setup header and its payload.

Usage:
  bzimage.py info FILE           the setup header fields, one per line ("name: value")
  bzimage.py info --json FILE    the same as a JSON object (numbers as integers)
  bzimage.py vmlinux FILE OUT    unpack the compressed vmlinux (the payload) into OUT and check it
                                 is an ELF file; prints its class and machine

The layout, after Documentation/arch/x86/boot.rst: the real-mode setup is (setup_sects + 1) sectors
of 512 bytes (setup_sects 0 means 4); the setup header sits at offset 0x1f1 and says "HdrS" at
0x202; the protected-mode kernel follows the setup. From protocol 2.08 the header's payload_offset
(relative to the start of the protected-mode kernel) and payload_length point at the compressed
vmlinux, whose format is told by its first bytes. As a module: header(data) and payload(data).
"""
import json, lzma, bz2, shutil, struct, subprocess, sys, zlib

# (name, offset, struct format, first protocol version that has it)
FIELDS = [
    ('setup_sects',           0x1f1, 'B', 0x0000),
    ('root_flags',            0x1f2, 'H', 0x0000),
    ('syssize',               0x1f4, 'I', 0x0204),
    ('vid_mode',              0x1fa, 'H', 0x0000),
    ('root_dev',              0x1fc, 'H', 0x0000),
    ('boot_flag',             0x1fe, 'H', 0x0000),
    ('jump',                  0x200, 'H', 0x0200),
    ('header',                0x202, 'I', 0x0200),
    ('version',               0x206, 'H', 0x0200),
    ('realmode_swtch',        0x208, 'I', 0x0200),
    ('start_sys_seg',         0x20c, 'H', 0x0200),
    ('kernel_version',        0x20e, 'H', 0x0200),
    ('type_of_loader',        0x210, 'B', 0x0200),
    ('loadflags',             0x211, 'B', 0x0200),
    ('setup_move_size',       0x212, 'H', 0x0200),
    ('code32_start',          0x214, 'I', 0x0200),
    ('ramdisk_image',         0x218, 'I', 0x0200),
    ('ramdisk_size',          0x21c, 'I', 0x0200),
    ('bootsect_kludge',       0x220, 'I', 0x0200),
    ('heap_end_ptr',          0x224, 'H', 0x0201),
    ('ext_loader_ver',        0x226, 'B', 0x0202),
    ('ext_loader_type',       0x227, 'B', 0x0202),
    ('cmd_line_ptr',          0x228, 'I', 0x0202),
    ('initrd_addr_max',       0x22c, 'I', 0x0203),
    ('kernel_alignment',      0x230, 'I', 0x0205),
    ('relocatable_kernel',    0x234, 'B', 0x0205),
    ('min_alignment',         0x235, 'B', 0x020a),
    ('xloadflags',            0x236, 'H', 0x020c),
    ('cmdline_size',          0x238, 'I', 0x0206),
    ('hardware_subarch',      0x23c, 'I', 0x0207),
    ('hardware_subarch_data', 0x240, 'Q', 0x0207),
    ('payload_offset',        0x248, 'I', 0x0208),
    ('payload_length',        0x24c, 'I', 0x0208),
    ('setup_data',            0x250, 'Q', 0x0209),
    ('pref_address',          0x258, 'Q', 0x020a),
    ('init_size',             0x260, 'I', 0x020a),
    ('handover_offset',       0x264, 'I', 0x020b),
    ('kernel_info_offset',    0x268, 'I', 0x020f),
]

# The formats the kernel's decompressors know, by their first bytes.
MAGICS = [
    (b'\x1f\x8b', 'gzip'),
    (b'\xfd7zXZ\x00', 'xz'),
    (b'\x5d\x00\x00', 'lzma'),
    (b'BZh', 'bzip2'),
    (b'\x89LZO', 'lzo'),
    (b'\x02\x21\x4c\x18', 'lz4'),
    (b'\x28\xb5\x2f\xfd', 'zstd'),
    (b'\x7fELF', 'none'),
]

LOADFLAGS = [(0x01, 'LOADED_HIGH'), (0x02, 'KASLR_FLAG'), (0x20, 'QUIET_FLAG'),
             (0x40, 'KEEP_SEGMENTS'), (0x80, 'CAN_USE_HEAP')]
XLOADFLAGS = [(0x01, 'XLF_KERNEL_64'), (0x02, 'XLF_CAN_BE_LOADED_ABOVE_4G'),
              (0x04, 'XLF_EFI_HANDOVER_32'), (0x08, 'XLF_EFI_HANDOVER_64'),
              (0x10, 'XLF_EFI_KEXEC'), (0x20, 'XLF_5LEVEL'), (0x40, 'XLF_5LEVEL_ENABLED')]

class BadImage(Exception):
    pass

def header(data):
    """The setup header as a dict; only the fields the image's protocol version has, plus
    the derived ones: setup_size, pm_offset (file offset of the protected-mode kernel),
    kernel_version_string, compression."""
    if len(data) < 0x300:
        raise BadImage('too short for a bzImage (%d bytes)' % len(data))
    if data[0x202:0x206] != b'HdrS':
        raise BadImage('no "HdrS" at 0x202: not a bzImage (or a protocol < 2.00 zImage)')
    version = struct.unpack_from('<H', data, 0x206)[0]
    h = {}
    for name, off, fmt, since in FIELDS:
        if version >= since:
            h[name] = struct.unpack_from('<' + fmt, data, off)[0]
    sects = h['setup_sects'] or 4
    h['setup_size'] = (sects + 1) * 512
    h['pm_offset'] = h['setup_size']
    kv = h.get('kernel_version', 0)
    if kv:
        s = data[kv + 0x200: kv + 0x200 + 256]
        h['kernel_version_string'] = s.split(b'\0')[0].decode('ascii', 'replace')
    if 'payload_offset' in h:
        start = h['pm_offset'] + h['payload_offset']
        head = data[start:start + 8]
        h['compression'] = next((n for m, n in MAGICS if head.startswith(m)), 'unknown')
    return h

def flags(value, names):
    return ' '.join(n for bit, n in names if value & bit) or '-'

def info_lines(h):
    v = h['version']
    out = [('protocol', '%d.%02d' % (v >> 8, v & 0xff))]
    if 'kernel_version_string' in h:
        out.append(('kernel_version', h['kernel_version_string']))
    out.append(('setup_sects', '%d (setup %d bytes; protected-mode kernel at file offset 0x%x)'
                % (h['setup_sects'], h['setup_size'], h['pm_offset'])))
    out.append(('syssize', '0x%x (%d bytes)' % (h.get('syssize', 0), h.get('syssize', 0) * 16)))
    out.append(('boot_flag', '0x%04x' % h['boot_flag']))
    out.append(('loadflags', '0x%02x (%s)' % (h['loadflags'], flags(h['loadflags'], LOADFLAGS))))
    out.append(('code32_start', '0x%08x' % h['code32_start']))
    for name in ('initrd_addr_max', 'kernel_alignment'):
        if name in h:
            out.append((name, '0x%08x' % h[name]))
    if 'relocatable_kernel' in h:
        out.append(('relocatable_kernel', str(h['relocatable_kernel'])))
    if 'min_alignment' in h:
        out.append(('min_alignment', '%d (0x%x)' % (h['min_alignment'], 1 << h['min_alignment'])))
    if 'xloadflags' in h:
        out.append(('xloadflags', '0x%04x (%s)' % (h['xloadflags'], flags(h['xloadflags'], XLOADFLAGS))))
    if 'cmdline_size' in h:
        out.append(('cmdline_size', '%d' % h['cmdline_size']))
    if 'hardware_subarch' in h:
        out.append(('hardware_subarch', '%d' % h['hardware_subarch']))
    if 'payload_offset' in h:
        out.append(('payload_offset', '0x%x (file offset 0x%x)' % (h['payload_offset'], h['pm_offset'] + h['payload_offset'])))
        out.append(('payload_length', '0x%x (%d bytes)' % (h['payload_length'], h['payload_length'])))
        out.append(('compression', h['compression']))
    if 'pref_address' in h:
        out.append(('pref_address', '0x%x' % h['pref_address']))
    if 'init_size' in h:
        out.append(('init_size', '0x%x (%d bytes)' % (h['init_size'], h['init_size'])))
    if 'handover_offset' in h:
        out.append(('handover_offset', '0x%x' % h['handover_offset']))
    if 'kernel_info_offset' in h:
        out.append(('kernel_info_offset', '0x%x' % h['kernel_info_offset']))
    return out

def _external(cmd, blob, what):
    if not shutil.which(cmd[0]):
        raise BadImage('%s payload: needs the %s program (Debian package %s)' % (what, cmd[0], what))
    # The kernel's build appends 4 bytes (the decompressed size): tools may call them trailing garbage.
    r = subprocess.run(cmd, input=blob, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if not r.stdout:
        raise BadImage('%s failed: %s' % (' '.join(cmd), r.stderr.decode(errors='replace').strip()))
    return r.stdout

def decompress(kind, blob):
    """Decompress one payload; bytes after the end of the stream (the size word) are ignored."""
    if kind == 'gzip':
        return zlib.decompressobj(wbits=31).decompress(blob)
    if kind in ('xz', 'lzma'):
        d = lzma.LZMADecompressor(format=lzma.FORMAT_XZ if kind == 'xz' else lzma.FORMAT_ALONE)
        return d.decompress(blob)
    if kind == 'bzip2':
        return bz2.BZ2Decompressor().decompress(blob)
    if kind == 'none':
        return blob
    if kind == 'zstd':
        return _external(['zstd', '-dc'], blob, 'zstd')
    if kind == 'lz4':
        return _external(['lz4', '-dc'], blob, 'lz4')
    if kind == 'lzo':
        return _external(['lzop', '-dc'], blob, 'lzop')
    raise BadImage('unknown payload compression (first bytes %s)' % blob[:8].hex())

def payload(data):
    """(compression, vmlinux bytes) of a bzImage."""
    h = header(data)
    if 'payload_offset' not in h:
        raise BadImage('protocol %x has no payload_offset (needs 2.08)' % h['version'])
    start = h['pm_offset'] + h['payload_offset']
    blob = data[start:start + h['payload_length']]
    if len(blob) != h['payload_length']:
        raise BadImage('payload runs past the end of the file')
    return h['compression'], decompress(h['compression'], blob)

ELF_MACHINES = {3: 'i386', 62: 'x86-64'}

def elf_kind(b):
    if len(b) < 20 or b[:4] != b'\x7fELF':
        raise BadImage('the payload is not an ELF file (first bytes %s)' % b[:8].hex())
    cls = {1: 'ELF32', 2: 'ELF64'}.get(b[4], 'ELF?')
    if b[5] != 1:
        raise BadImage('the payload ELF is not little-endian')
    machine = struct.unpack_from('<H', b, 18)[0]
    return cls, ELF_MACHINES.get(machine, 'machine %d' % machine)

def main(argv):
    try:
        if len(argv) >= 2 and argv[0] == 'info':
            as_json = argv[1] == '--json'
            path = argv[2] if as_json else argv[1]
            h = header(open(path, 'rb').read())
            if as_json:
                print(json.dumps(h, indent=1))
            else:
                for k, v in info_lines(h):
                    print('%-20s %s' % (k + ':', v))
            return 0
        if len(argv) == 3 and argv[0] == 'vmlinux':
            kind, vmlinux = payload(open(argv[1], 'rb').read())
            cls, machine = elf_kind(vmlinux)
            with open(argv[2], 'wb') as f:
                f.write(vmlinux)
            print('%s: %s payload -> %s (%d bytes, %s %s)' % (argv[1], kind, argv[2], len(vmlinux), cls, machine))
            return 0
    except (OSError, BadImage, lzma.LZMAError, zlib.error, EOFError) as e:
        print('bzimage: %s' % e, file=sys.stderr)
        return 1
    print(__doc__.split('\n\n')[1], file=sys.stderr)
    return 2

if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
