#!/bin/sh
# linux-fetch.sh OUTDIR - get the Linux guest's binaries from Debian's i386 packages:
#   OUTDIR/vmlinuz   the bzImage of the kernel that linux-image-686:i386 depends on (non-PAE, 2-level)
#   OUTDIR/vmlinux   the ELF32 i386 kernel unpacked from that bzImage (tools/bzimage.py)
#   OUTDIR/busybox   the static i386 busybox of busybox-static:i386
#   OUTDIR/VERSIONS  the package names and versions fetched
# On Debian as root it adds the i386 architecture when needed, runs apt-get update only when the i386
# packages are not known yet, then `apt-get download` and `dpkg-deb -x`. Elsewhere (or not root on a
# machine that does not know the i386 packages yet) it says what to get and exits 1.
# Does nothing when the files are already there.
set -eu
OUT=${1:?usage: linux-fetch.sh OUTDIR}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-python3}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

if [ -s "$OUT/vmlinuz" ] && [ -s "$OUT/busybox" ] && [ -s "$OUT/vmlinux" ]; then
	exit 0
fi

need() {   # the manual way, then fail
	cat >&2 <<EOF
linux-fetch: error: $1
linux-fetch: the Linux guest needs two Debian 12 (bookworm) i386 packages:
  - the kernel that linux-image-686:i386 depends on (linux-image-6.1.0-N-686:i386): its
    /boot/vmlinuz-6.1.0-N-686 goes to $OUT/vmlinuz
  - busybox-static:i386: its /bin/busybox goes to $OUT/busybox
  On Debian, as root:  dpkg --add-architecture i386 && apt-get update
                       apt-get download linux-image-686:i386 busybox-static:i386 (and the image it depends on)
                       dpkg-deb -x PACKAGE.deb DIR
  (or run this script as root: tools/linux-fetch.sh $OUT)
  Then: tools/bzimage.py vmlinux $OUT/vmlinuz $OUT/vmlinux
EOF
	exit 1
}

command -v dpkg >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && command -v apt-cache >/dev/null 2>&1 ||
	need "this is not a Debian system (no dpkg/apt-get)"

known() { apt-cache show linux-image-686:i386 >/dev/null 2>&1 && apt-cache show busybox-static:i386 >/dev/null 2>&1; }

if ! known; then
	[ "$(id -u)" = 0 ] || need "the i386 packages are not known to apt and this is not root"
	if ! dpkg --print-foreign-architectures | grep -qx i386; then
		echo "linux-fetch: dpkg --add-architecture i386"
		dpkg --add-architecture i386
	fi
	echo "linux-fetch: apt-get update (the i386 packages are not known yet)"
	# A partial failure (one mirror in sync) can still leave the packages known: judge by that.
	apt-get update -qq || echo "linux-fetch: apt-get update reported errors (above); going on if the packages are known"
	known || need "apt does not know linux-image-686:i386 / busybox-static:i386 after apt-get update (no network?)"
fi

# The exact image the metapackage depends on, e.g. linux-image-6.1.0-50-686.
resolve() {
	IMG=$(apt-cache depends linux-image-686:i386 2>/dev/null |
		sed -n 's/^ *Depends: *<*\(linux-image-[0-9][^:>]*-686\)\(:i386\)*>*$/\1/p' | head -n 1)
	[ -n "$IMG" ] || need "cannot resolve the kernel package linux-image-686:i386 depends on"
}
resolve

# apt-get download runs as the _apt user: give it a directory it can write.
TMP=$(mktemp -d "${TMPDIR:-/tmp}/linux-fetch.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
chmod 777 "$TMP"
download() {
	echo "linux-fetch: apt-get download $IMG:i386 busybox-static:i386"
	rm -f "$TMP"/*.deb
	(cd "$TMP" && apt-get download -q "$IMG:i386" busybox-static:i386 >"$TMP/download.log" 2>&1) && return 0
	cat "$TMP/download.log" >&2
	return 1
}
if ! download; then
	[ "$(id -u)" = 0 ] || need "apt-get download $IMG:i386 busybox-static:i386 failed (no network?)"
	# Stale package lists can name a version the mirror no longer has: update once, try again.
	echo "linux-fetch: apt-get update, then again"
	apt-get update -qq || true
	resolve
	download || need "apt-get download $IMG:i386 busybox-static:i386 failed (no network?)"
fi

mkdir -p "$TMP/x"
for deb in "$TMP"/*.deb; do
	dpkg-deb -x "$deb" "$TMP/x"
done
K=$(ls "$TMP"/x/boot/vmlinuz-* 2>/dev/null | head -n 1)
[ -n "$K" ] || need "no /boot/vmlinuz-* in the kernel package"
[ -f "$TMP/x/bin/busybox" ] || need "no /bin/busybox in busybox-static:i386"

"$PY" "$ROOT/tools/bzimage.py" vmlinux "$K" "$TMP/vmlinux" || need "cannot unpack vmlinux from $K"
# ELF32 (class 1), little-endian, e_machine 3 (EM_386): tools/bzimage.py checks it, check again.
"$PY" - "$TMP/vmlinux" <<'EOF' || need "vmlinux from the bzImage is not an ELF32 i386 file"
import struct, sys
h = open(sys.argv[1], 'rb').read(20)
sys.exit(0 if h[:4] == b'\x7fELF' and h[4] == 1 and h[5] == 1 and struct.unpack_from('<H', h, 18)[0] == 3 else 1)
EOF

for deb in "$TMP"/*.deb; do
	dpkg-deb --showformat='${Package}:${Architecture} ${Version}\n' -W "$deb"
done > "$TMP/VERSIONS"
cp "$K" "$OUT/vmlinuz"
cp "$TMP/x/bin/busybox" "$OUT/busybox"
chmod 755 "$OUT/busybox"
cp "$TMP/vmlinux" "$OUT/vmlinux"
cp "$TMP/VERSIONS" "$OUT/VERSIONS"
echo "linux-fetch: $OUT: vmlinuz ($(basename "$K")), vmlinux, busybox"
sed 's/^/linux-fetch:   /' "$OUT/VERSIONS"
