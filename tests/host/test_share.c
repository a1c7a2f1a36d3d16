/* test_share.c - host unit tests of memory overcommit in mm/: the page compressor (lz.c), the
 * compressed store (zstore.c), content-based sharing (share.c) and paging out (pmap.c), over a
 * fake machine memory. */
#include <stdlib.h>
#include <string.h>
#include "ktap.h"
#include "../../mm/frame.h"
#include "../../mm/pmap.h"
#include "../../mm/share.h"
#include "../../mm/zstore.h"
#include "../../mm/lz.h"

#define MEM (32ULL << 20)
static unsigned char *mem;

_Noreturn void mm_assert_fail(const char *cond, const char *file, int line)
{
	printf("# unexpected assertion %s at %s:%d\n", cond, file, line);
	abort();
}

static uint32_t rnd_state = 12345;
static uint32_t rnd(void) { rnd_state = rnd_state * 1103515245u + 12345u; return rnd_state >> 8; }

/* ---- pages of several kinds ---- */
static void fill(uint8_t *p, int kind, unsigned seed)
{
	rnd_state = seed * 2654435761u + 1;
	for (unsigned i = 0; i < 4096; i++) {
		switch (kind) {
		case 0: p[i] = 0; break;                                  /* zeroes */
		case 1: p[i] = (uint8_t)((i & 63) < 4 ? seed + i / 64 : (i & 63) ^ seed); break;   /* records */
		case 2: p[i] = (uint8_t)rnd(); break;                     /* random: incompressible */
		case 3: p[i] = i < 3000 ? 0 : (uint8_t)rnd(); break;      /* mostly zero */
		default: p[i] = (uint8_t)"the quick brown fox "[rnd() % 20]; break;   /* text-ish */
		}
	}
}

static void lz_round_trips(void)
{
	static uint8_t page[4096], back[4096], out[8192];
	for (int kind = 0; kind < 5; kind++)
		for (unsigned seed = 1; seed < 20; seed++) {
			fill(page, kind, seed);
			unsigned n = lz_compress(page, out, sizeof out);
			CHECK(n > 0);
			memset(back, 0xAA, sizeof back);
			CHECK(lz_expand(out, n, back) == 0 && memcmp(page, back, 4096) == 0);
			if (kind == 0)
				CHECK(n < 128);
			if (kind == 2)
				CHECK(n > 4096);           /* (it says so honestly: no gain) */
			CHECK(lz_compress(page, out, n - 1) == 0 || n == 1);   /* one byte short: refused */
		}
	/* Bad input: a match before the start, a short page, trailing bytes, truncated token. */
	uint8_t bad1[] = { 0x80, 0x01, 0x00 };
	CHECK(lz_expand(bad1, sizeof bad1, back) == -1);
	uint8_t bad2[] = { 0x00, 0x41 };
	CHECK(lz_expand(bad2, sizeof bad2, back) == -1);
	uint8_t bad3[] = { 0x00, 0x41, 0xFF, 0x01 };
	CHECK(lz_expand(bad3, sizeof bad3, back) == -1);
	fill(page, 0, 1);
	unsigned n = lz_compress(page, out, sizeof out);
	CHECK(lz_expand(out, n - 1, back) == -1);
	out[n] = 0x00, out[n + 1] = 0x41;
	CHECK(lz_expand(out, n + 2, back) == -1);     /* past the end of the page */
}

static void setup(void)
{
	const char *why;
	frame_reset();
	zstore_reset();
	share_reset();
	frame_add_usable(1 << 20, MEM - (1 << 20));
	if (frame_init((uintptr_t)mem, &why) < 0)
		abort();
}

/* ---- a fake arch: records unmaps, pins what it is told ---- */
struct fake { int pinned[4096]; unsigned unmaps; uint64_t last_gfn; mfn_t last_m; };
static int f_pinned(void *ctx, uint64_t gfn) { return ((struct fake *)ctx)->pinned[gfn]; }
static void f_unmap(void *ctx, uint64_t gfn, mfn_t m)
{
	struct fake *f = ctx;
	f->unmaps++;
	f->last_gfn = gfn;
	f->last_m = m;
}
static const struct pmap_ops fops = { f_pinned, f_unmap, 0 };

static uint8_t *frame(struct pmap *pm, uint64_t gfn)
{
	mfn_t m;
	if (pmap_lookup(pm, gfn, &m) < 0)
		abort();
	return frame_to_virt(m);
}
static const uint8_t *frame_ro(struct pmap *pm, uint64_t gfn)
{
	mfn_t m;
	if (pmap_lookup_ro(pm, gfn, &m) < 0)
		abort();
	return frame_to_virt(m);
}

static void zstore_keeps_pages(void)
{
	setup();
	zstore_set_bound(4);
	static uint8_t page[4096], back[4096];
	uint64_t h[40];
	unsigned stored = 0;
	for (unsigned i = 0; i < 40; i++) {
		fill(page, i % 2 ? 1 : 3, i);
		unsigned n = zstore_stage(page);
		CHECK(n > 0);
		if (!zstore_room(n, 0))
			break;
		CHECK((h[stored++] = zstore_commit()) != 0);
	}
	struct zstore_stats st;
	zstore_get_stats(&st);
	CHECK(st.pages == stored && st.frames <= 4 && stored >= 8);
	for (unsigned i = 0; i < stored; i++) {
		fill(page, i % 2 ? 1 : 3, i);
		CHECK(zstore_take(h[i], back) == 0 && memcmp(page, back, 4096) == 0);
	}
	zstore_get_stats(&st);
	CHECK(st.pages == 0 && st.bytes == 0);
	fill(page, 2, 1);
	CHECK(zstore_stage(page) == 0);              /* random bytes: not taken */
}

static void sharing_merges_and_breaks(void)
{
	setup();
	CHECK(share_init(256) == 0);
	struct pmap a, b;
	static struct fake fa, fb;
	memset(&fa, 0, sizeof fa);
	memset(&fb, 0, sizeof fb);
	const char *why;
	CHECK(pmap_create(&a, 1, 4 << 20, &why) == 0 && pmap_create(&b, 2, 4 << 20, &why) == 0);
	a.ops = b.ops = &fops;
	a.ctx = &fa, b.ctx = &fb;
	/* Frames 0..9 of both VMs hold page kinds 1 with seeds 0..9 (equal across VMs); frame 10 of
	 * each is random and different; frame 11 of a equals its frame 0 (sharing within a VM). */
	for (unsigned g = 0; g < 10; g++) {
		fill(frame(&a, g), 1, g);
		fill(frame(&b, g), 1, g);
	}
	fill(frame(&a, 10), 2, 100);
	fill(frame(&b, 10), 2, 200);
	fill(frame(&a, 11), 1, 0);
	fa.pinned[5] = 1;                               /* the VMM relies on a's frame 5 */
	struct frame_stats f0, f1;
	frame_get_stats(&f0);
	share_scan(&a, 12);                             /* hints, and a's frame 11 joins frame 0 */
	share_scan(&b, 12);                             /* b's frames meet a's hints */
	struct share_stats st;
	share_get_stats(&st);
	frame_get_stats(&f1);
	/* shared: frames 0..9 except 5 (9 machine frames); refs: 9 pairs + a's frame 11 = 19 */
	CHECK(st.frames == 9 && st.refs == 19);
	CHECK(f1.free - f0.free == 10);                 /* 19 guest frames in 9 machine frames */
	CHECK(f1.owned[FRAME_SHARED] == 9);
	CHECK(pmap_is_shared(&a, 0) && pmap_is_shared(&b, 0) && pmap_is_shared(&a, 11));
	CHECK(!pmap_is_shared(&a, 5) && !pmap_is_shared(&b, 5) && !pmap_is_shared(&a, 10));
	CHECK(pmap_peek(&a, 0) == PMAP_NONE);           /* not the VM's own frame any more */
	CHECK(fa.unmaps >= 10 && fb.unmaps >= 9);       /* every merged frame was unmapped first */
	static uint8_t page[4096];
	fill(page, 1, 3);
	CHECK(memcmp(frame_ro(&b, 3), page, 4096) == 0);
	CHECK(frame_ro(&a, 3) == frame_ro(&b, 3));      /* one machine copy */
	/* A write: b gets a private copy with the same bytes; a keeps the shared one. */
	unsigned before = fb.unmaps;
	uint8_t *p = frame(&b, 3);
	CHECK(fb.unmaps == before + 1 && fb.last_gfn == 3);
	CHECK(memcmp(p, page, 4096) == 0 && p != frame_ro(&a, 3));
	p[0] ^= 0xFF;
	CHECK(memcmp(frame_ro(&a, 3), page, 4096) == 0);
	CHECK(b.cow_breaks == 1 && !pmap_is_shared(&b, 3));
	/* a breaks too: the shared frame's last reference goes, and the frame with it. */
	frame_get_stats(&f0);
	(void)frame(&a, 3);
	share_get_stats(&st);
	frame_get_stats(&f1);
	CHECK(st.frames == 8 && f1.owned[FRAME_SHARED] == 8 && f1.free == f0.free);
	/* A hint that changed is not trusted: a's frame 20 gets b's frame 20's old bytes later. */
	fill(frame(&b, 20), 1, 77);
	share_scan(&b, 30);                              /* b's 20 is a hint now */
	fill(frame(&b, 20), 1, 78);                      /* ... and changes */
	fill(frame(&a, 20), 1, 77);
	a.share_hand = 20;
	share_scan(&a, 1);
	CHECK(!pmap_is_shared(&a, 20) && !pmap_is_shared(&b, 20));
	pmap_destroy(&a);
	pmap_destroy(&b);
	frame_get_stats(&f1);
	share_get_stats(&st);
	CHECK(f1.owned[1] == 0 && f1.owned[2] == 0 && f1.owned[FRAME_SHARED] == 0 && st.frames == 0 && st.refs == 0);
}

static void paging_out_and_in(void)
{
	setup();
	zstore_set_bound(16);
	struct pmap a;
	static struct fake fa;
	memset(&fa, 0, sizeof fa);
	const char *why;
	CHECK(pmap_create(&a, 1, 4 << 20, &why) == 0);
	a.ops = &fops;
	a.ctx = &fa;
	for (unsigned g = 0; g < 64; g++)
		fill(frame(&a, g), g % 4 == 2 ? 2 : g % 4, g);   /* a quarter random */
	fa.pinned[1] = 1;
	struct frame_stats f0, f1;
	frame_get_stats(&f0);
	unsigned n = pmap_page_out(&a, 1000, 64, 0);
	frame_get_stats(&f1);
	CHECK(n == 47);                                  /* 64 - 16 random - 1 pinned */
	CHECK(a.out == 47 && a.backed == 17 && fa.unmaps == 47);
	struct zstore_stats zs;
	zstore_get_stats(&zs);
	CHECK(f1.free - f0.free == 47 - zs.frames && zs.frames <= 10);
	printf("# 47 pages in %lu store frames (%lu bytes)\n", (unsigned long)zs.frames, (unsigned long)zs.bytes);
	CHECK(pmap_peek(&a, 0) == PMAP_NONE && pmap_peek(&a, 1) != PMAP_NONE);
	static uint8_t page[4096];
	for (unsigned g = 0; g < 64; g++) {
		fill(page, g % 4 == 2 ? 2 : g % 4, g);
		CHECK(memcmp(frame_ro(&a, g), page, 4096) == 0);
	}
	CHECK(a.out == 0 && a.paged_in == 47);
	/* Given back while out: its place in the store goes. */
	a.page_hand = 0;
	CHECK(pmap_page_out(&a, 1, 64, 0) == 1);
	zstore_get_stats(&zs);
	CHECK(zs.pages == 1);
	for (unsigned g = 0; g < 64; g++)
		if (a.p2m[g] != PMAP_NONE && (a.p2m[g] & PMAP_OUT))
			pmap_release(&a, g);
	zstore_get_stats(&zs);
	CHECK(zs.pages == 0 && a.out == 0);
	/* The bound: a store of 0 frames takes nothing. */
	zstore_set_bound(0);
	zstore_reset();
	CHECK(pmap_page_out(&a, 10, 64, 0) == 0);
	pmap_destroy(&a);
}

int main(void)
{
	setvbuf(stdout, 0, _IONBF, 0);     /* (an abort must not lose what was printed) */
	mem = calloc(1, MEM);
	KTAP_BEGIN(4);
	RUN(lz_round_trips);
	RUN(zstore_keeps_pages);
	RUN(sharing_merges_and_breaks);
	RUN(paging_out_and_in);
	KTAP_END();
}
