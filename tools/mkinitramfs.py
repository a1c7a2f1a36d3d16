#!/usr/bin/env python3
"""mkinitramfs.py - write the Linux guest's initramfs: a gzip'd "newc" cpio archive, made here in
Python (no cpio program, no root: device nodes are just archive entries).

Usage: mkinitramfs.py OUT.gz BUSYBOX INIT [SRC:DEST]...

Contents: /init (INIT), /bin/busybox (BUSYBOX), /bin/sh -> busybox, the directories /bin /sbin
/usr/bin /usr/sbin /dev /proc /sys /tmp /mnt /root /etc, and the device nodes /dev/console (5,1)
and /dev/null (1,3) (the kernel opens /dev/console for init before init mounts devtmpfs on /dev).
Extra files (mode 0755): SRC:DEST. The other busybox links are made at boot (`busybox --install -s` in init).
Every entry has owner 0:0 and time 0, and gzip's header time is 0: the same inputs give the
same bytes.

newc: each entry is the ASCII magic "070701", 13 fields of 8 hex digits (ino, mode, uid, gid,
nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize with its NUL, check 0),
the name and its NUL padded to a multiple of 4 bytes (counting the 110-byte header), then the
data padded to 4. The archive ends with an entry named "TRAILER!!!".
"""
import gzip, io, stat, sys

class Cpio:
    def __init__(self):
        self.out = io.BytesIO()
        self.ino = 1

    def _pad(self):
        self.out.write(b'\0' * (-self.out.tell() % 4))

    def entry(self, name, mode, data=b'', rdev=(0, 0), nlink=1):
        name_b = name.encode() + b'\0'
        fields = [self.ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev[0], rdev[1], len(name_b), 0]
        self.ino += 1
        self.out.write(b'070701' + b''.join(b'%08X' % f for f in fields))
        self.out.write(name_b)
        self._pad()
        self.out.write(data)
        self._pad()

    def dir(self, name):
        self.entry(name, stat.S_IFDIR | 0o755, nlink=2)

    def file(self, name, data, perm=0o755):
        self.entry(name, stat.S_IFREG | perm, data)

    def symlink(self, name, target):
        self.entry(name, stat.S_IFLNK | 0o777, target.encode())

    def chardev(self, name, major, minor, perm=0o600):
        self.entry(name, stat.S_IFCHR | perm, rdev=(major, minor))

    def finish(self):
        self.entry('TRAILER!!!', 0, nlink=1)
        return self.out.getvalue()

def main(argv):
    if len(argv) < 3:
        print(__doc__.split('\n\n')[1], file=sys.stderr)
        return 2
    out, busybox, init, extra = argv[0], argv[1], argv[2], argv[3:]
    c = Cpio()
    for d in ('bin', 'sbin', 'usr', 'usr/bin', 'usr/sbin', 'dev', 'proc', 'sys', 'tmp', 'mnt',
              'root', 'etc'):
        c.dir(d)
    c.chardev('dev/console', 5, 1)
    c.chardev('dev/null', 1, 3, 0o666)
    c.file('bin/busybox', open(busybox, 'rb').read())
    c.symlink('bin/sh', 'busybox')
    c.file('init', open(init, 'rb').read())
    for e in extra:
        src, dest = e.split(':', 1)
        c.file(dest.lstrip('/'), open(src, 'rb').read(), 0o755)
    raw = c.finish()
    with open(out, 'wb') as f:
        with gzip.GzipFile(filename='', mode='wb', fileobj=f, mtime=0, compresslevel=9) as g:
            g.write(raw)
        size = f.tell()
    print('%s: %d entries, %d bytes (cpio %d bytes)' % (out, c.ino - 1, size, len(raw)))
    return 0

if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
