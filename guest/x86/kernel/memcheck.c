/* memcheck.c - a kernel test that keeps pages of known contents and checksums all of them, again
 * and again, while time passes: under a VMM that overcommits memory (seed B.5) the frames may be
 * shared copy-on-write with other frames and other VMs, paged out to the VMM's compressed store
 * and back, or lent to the balloon next to them -- none of which may change a byte the guest sees.
 *
 * MC_FRAMES frames (fewer if memory is short) are filled with four kinds of contents, by index:
 *   0: zeroes;  1: one pattern, the same in every frame and every VM (sharable);
 *   2: records naming the frame and the round (compressible, unique);  3: pseudo-random (unique).
 * Each frame's checksum is kept (in frames of its own). Then for each round: wait a few ticks
 * (idle: the VMM scans and reclaims meanwhile), check every frame against its checksum, and rewrite
 * an eighth of them with new contents (writes to shared frames: copy-on-write breaks). The boot
 * word memcheck=N sets the rounds (default 3), for the overcommit tests that want it to last; with
 * the boot word soak it runs again before every further pass of the user suite (proc.c). */
#include "kernel.h"
#include "x86.h"

#define MC_FRAMES 2048
#define MC_WAIT 5                /* ticks between rounds */

unsigned memcheck_rounds = 3;
unsigned memcheck_checked, memcheck_bad;

static uint32_t *slot(uint32_t *const lists[], unsigned i) { return &lists[i / 1024][i % 1024]; }

static void fill(uint32_t pa, unsigned i, unsigned round)
{
	uint32_t *w = (uint32_t *)pa, x = (i * 2654435761u) ^ (round * 40503u) ^ 0x5EEDu;
	for (unsigned k = 0; k < PAGE / 4; k++) {
		switch (i % 4) {
		case 0: w[k] = 0; break;
		case 1: w[k] = 0xC0DE0000u | (k & 0xFF); break;
		case 2: w[k] = (k % 16 == 0) ? (i << 16 | round) : (k % 16) * 0x01010101u; break;
		default:
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			w[k] = x;
		}
	}
}

static uint32_t sum(uint32_t pa)
{
	const uint32_t *w = (const uint32_t *)pa;
	uint32_t h = 2166136261u;
	for (unsigned k = 0; k < PAGE / 4; k++)
		h = (h ^ w[k]) * 16777619u;
	return h;
}

static void wait_ticks(unsigned n)
{
	uint32_t t0 = ticks;
	while (ticks - t0 < n) {
		if (pv_active) {
			pv_block();
		} else {
			sti();
			hlt();
		}
		cli();
	}
}

int memcheck_run(void)
{
	uint32_t *pages[MC_FRAMES / 1024], *sums[MC_FRAMES / 1024];
	unsigned n = frames_free() / 4 < MC_FRAMES ? frames_free() / 4 & ~1023u : MC_FRAMES, bad = 0, checked = 0;
	memcheck_checked = memcheck_bad = 0;
	if (n < 1024)
		return 0;
	for (unsigned j = 0; j < n / 1024; j++)
		if (!(pages[j] = (uint32_t *)frame_alloc()) || !(sums[j] = (uint32_t *)frame_alloc()))
			return 0;
	for (unsigned i = 0; i < n; i++) {
		uint32_t pa = frame_alloc();
		if (!pa)
			return 0;
		*slot(pages, i) = pa;
		fill(pa, i, 0);
		*slot(sums, i) = sum(pa);
	}
	for (unsigned r = 1; r <= memcheck_rounds; r++) {
		wait_ticks(MC_WAIT);
		for (unsigned i = 0; i < n; i++, checked++)
			if (sum(*slot(pages, i)) != *slot(sums, i) && bad++ < 4)
				klog("memcheck: round %u: frame %u (%#x, kind %u) changed under us\n", r, i,
				     *slot(pages, i), i % 4);
		for (unsigned i = r % 8; i < n; i += 8) {
			fill(*slot(pages, i), i, r);
			*slot(sums, i) = sum(*slot(pages, i));
		}
	}
	for (unsigned i = 0; i < n; i++)
		frame_put(*slot(pages, i));
	for (unsigned j = 0; j < n / 1024; j++) {
		frame_put((uint32_t)pages[j]);
		frame_put((uint32_t)sums[j]);
	}
	memcheck_checked = checked, memcheck_bad = bad;
	klog("memcheck: %u frames, %u rounds, %u checksums checked, %u wrong\n", n, memcheck_rounds, checked, bad);
	return bad == 0;
}
