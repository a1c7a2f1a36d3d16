/* shadow.c - the shadow page tables themselves (see shadow.h for the policy).
 *
 * Layout of a shadow: a 4-level long-mode tree. PML4 entries 256..511 are copied from the VMM's
 * own PML4, so the VMM (PHYSMAP and the image, all above 4 GiB) is mapped in every shadow;
 * PML4[0] covers the guest's whole 4 GiB: one PDPT, four page directories, and page tables made
 * on demand. The invariant asserted at every fill: a shadow maps only frames the VM owns, so a
 * guest can never reach a VMM frame (or another VM's) through its low 4 GiB. */
#include "shadow.h"
#include "../cpu.h"
#include "../boot.h"
#include "../../../mm/assert.h"
#include "../../../lib/kstring.h"

#define P 1ULL
#define W 2ULL
#define U 4ULL
#define ADDR 0x000FFFFFFFFFF000ULL

static int table(struct shadow *sh, uint64_t *entry)
{
	if (*entry & P)
		return 0;
	if (sh->used == sh->allocated) {
		if (sh->allocated == SHADOW_POOL || frame_alloc(FRAME_VMM, &sh->pool[sh->allocated]) < 0)
			return -1;
		sh->allocated++;
	}
	mfn_t m = sh->pool[sh->used++];
	memset(frame_to_virt(m), 0, FRAME_SIZE);
	/* Intermediate entries allow everything; the leaf decides (the MMU ANDs the levels). */
	*entry = (m << FRAME_SHIFT) | P | W | U;
	return 0;
}

void shadow_probe(void)
{
	shadow_have_nx = (rdmsr(MSR_EFER) >> 11) & 1;
}

int shadow_init(struct shadow *sh)
{
	shadow_probe();
	memset(sh, 0, sizeof *sh);
	if (frame_alloc(FRAME_VMM, &sh->root) < 0)
		return -1;
	sh->pml4 = frame_to_virt(sh->root);
	memset(sh->pml4, 0, FRAME_SIZE);
	uint64_t *vmm = paging_pml4();
	for (int i = 256; i < 512; i++)
		sh->pml4[i] = vmm[i];
	return 0;
}

void shadow_destroy(struct shadow *sh)
{
	for (unsigned i = 0; i < sh->rmap_allocated; i++)
		frame_free(FRAME_VMM, sh->rmap_frames[i]);
	sh->rmap_allocated = 0;
	for (unsigned i = 0; i < sh->allocated; i++)
		frame_free(FRAME_VMM, sh->pool[i]);
	if (sh->pml4)
		frame_free(FRAME_VMM, sh->root);
	sh->pml4 = 0;
}

int shadow_is_active(const struct shadow *sh)
{
	return (READ_CR(3) & ADDR) == (sh->root << FRAME_SHIFT);
}
#define active shadow_is_active

/* Start over with no tables at all (they are zeroed again as they are reused). */
static void drop_tables(struct shadow *sh)
{
	sh->gen++;
	sh->pml4[0] = 0;
	sh->used = 0;
	sh->last_pt = 0;
	sh->rmap_used = 0;
	memset(sh->rmap_head, 0, sizeof sh->rmap_head);
	if (active(sh))
		WRITE_CR(3, READ_CR(3));
}

/* ... when the table frames or the reverse-map records run out. */
static void shadow_reset(struct shadow *sh)
{
	drop_tables(sh);
	sh->resets++;
}

/* The leaf entry for la (made on the way if `create`). The page table found last is kept: tables
 * stay where they are until drop_tables. */
static uint64_t *leaf(struct shadow *sh, uint32_t la, int create)
{
	if (sh->last_pt && sh->last_pt_la == (la >> 21))
		return &sh->last_pt[(la >> 12) & 511];
	uint64_t *e = &sh->pml4[0];
	for (int shift = 39; shift > 12; shift -= 9) {
		if (!(*e & P) && (!create || table(sh, e) < 0))
			return 0;
		uint64_t *t = frame_to_virt((*e & ADDR) >> FRAME_SHIFT);
		e = &t[((uint64_t)la >> (shift - 9)) & 511];
	}
	sh->last_pt = e - ((la >> 12) & 511);
	sh->last_pt_la = la >> 21;
	return e;
}

void shadow_invlpg(struct shadow *sh, uint32_t la, int large)
{
	sh->invlpgs++;
	sh->gen++;
	if (large) {
		/* The guest mapped (or maps) a 4 MiB page here: drop all 1024 shadow entries of it. */
		sh->large_drops++;
		for (uint32_t a = la & 0xFFC00000u; a < (la & 0xFFC00000u) + 0x400000u; a += 4096) {
			uint64_t *e = leaf(sh, a, 0);
			if (e)
				*e = 0;
		}
		if (active(sh))
			WRITE_CR(3, READ_CR(3));
		return;
	}
	uint64_t *e = leaf(sh, la, 0);
	if (e)
		*e = 0;
	if (active(sh))
		invlpg(la);
}

int shadow_have_nx;

/* ---- the reverse map ---- */

struct rmap_rec {
	uint64_t mfn;
	uint32_t la;
	uint32_t next;           /* record index + 1 */
};
#define RMAP_PER_FRAME (FRAME_SIZE / sizeof(struct rmap_rec))

static struct rmap_rec *rec(struct shadow *sh, uint32_t i)
{
	struct rmap_rec *f = frame_to_virt(sh->rmap_frames[i / RMAP_PER_FRAME]);
	return &f[i % RMAP_PER_FRAME];
}

static unsigned bucket(mfn_t mfn)
{
	return (unsigned)(mfn * 2654435761u) % RMAP_BUCKETS;
}

/* Remember la -> mfn; 0, or -1 when the records are used up (the caller flushes). */
static int rmap_add(struct shadow *sh, uint32_t la, mfn_t mfn)
{
	if (sh->rmap_used == sh->rmap_allocated * RMAP_PER_FRAME) {
		if (sh->rmap_allocated == RMAP_FRAMES || frame_alloc(FRAME_VMM, &sh->rmap_frames[sh->rmap_allocated]) < 0)
			return -1;
		sh->rmap_allocated++;
	}
	uint32_t i = sh->rmap_used++;
	struct rmap_rec *r = rec(sh, i);
	unsigned b = bucket(mfn);
	r->mfn = mfn;
	r->la = la & ~0xFFFu;
	r->next = sh->rmap_head[b];
	sh->rmap_head[b] = i + 1;
	return 0;
}

void shadow_unmap_frame(struct shadow *sh, mfn_t mfn)
{
	sh->frame_unmaps++;
	sh->gen++;
	/* Walk the frame's bucket, clearing its mappings and unlinking its records as we go: a page
	 * that is unmapped and filled again over and over (code the guest rewrites) must not leave
	 * an ever longer chain behind. */
	uint32_t *link = &sh->rmap_head[bucket(mfn)];
	while (*link) {
		struct rmap_rec *r = rec(sh, *link - 1);
		if (r->mfn != mfn) {
			link = &r->next;
			continue;
		}
		uint64_t *e = leaf(sh, r->la, 0);
		if (e && (*e & P) && ((*e & ADDR) >> FRAME_SHIFT) == mfn) {
			*e = 0;
			if (active(sh))
				invlpg(r->la);
		}
		*link = r->next;
	}
}

int shadow_frame_young(struct shadow *sh, mfn_t mfn)
{
	int young = 0;
	for (uint32_t l = sh->rmap_head[bucket(mfn)]; l; l = rec(sh, l - 1)->next) {
		struct rmap_rec *r = rec(sh, l - 1);
		uint64_t *e = r->mfn == mfn ? leaf(sh, r->la, 0) : 0;
		if (e && (*e & P) && ((*e & ADDR) >> FRAME_SHIFT) == mfn) {
			young |= (*e & 0x20) != 0;          /* Accessed */
			*e &= ~0x20ULL;
		}
	}
	return young;
}

/* Drop every guest translation (mov cr3, paging changes). Every entry filled since the last flush
 * has its record in the reverse map, so when there are few, exactly those are cleared and the
 * tables stay for the next fills (zeroing a table costs as much as clearing some 16 entries one
 * by one: a guest context switch refills a dozen pages in a handful of tables). After many fills
 * the tables are dropped instead. */
void shadow_flush(struct shadow *sh)
{
	sh->flushes++;
	sh->gen++;
	if (sh->rmap_used > 16 * sh->used) {
		drop_tables(sh);
		return;
	}
	for (uint32_t i = 0; i < sh->rmap_used; i++) {
		struct rmap_rec *r = rec(sh, i);
		uint64_t *e = leaf(sh, r->la, 0);
		if (e)
			*e = 0;
		sh->rmap_head[bucket(r->mfn)] = 0;
	}
	sh->rmap_used = 0;
	if (active(sh))
		WRITE_CR(3, READ_CR(3));
}

int shadow_map(struct shadow *sh, uint32_t la, mfn_t mfn, int writable, int user, int noexec)
{
	uint64_t *e = leaf(sh, la, 1);
	if (!e) {
		/* Out of table frames: start over with an empty shadow (bounded, never a crash). */
		shadow_reset(sh);
		e = leaf(sh, la, 1);
		if (!e)
			return -1;
	}
	uint64_t val = (mfn << FRAME_SHIFT) | P | (writable ? W : 0) | (user ? U : 0) |
		       (noexec && shadow_have_nx ? 1ULL << 63 : 0);
	if (*e == val)
		return 0;             /* there already (the VMM's own walk of a read-only page, gmem.c) */
	unsigned owner = frame_owner(mfn);
	assert(owner >= 1 && owner <= FRAME_MAX_OWNER);  /* never a VMM frame */
	assert(owner != FRAME_SHARED || !writable);      /* a shared frame: read-only everywhere */
	if (rmap_add(sh, la, mfn) < 0) {
		/* Out of reverse-map records: start over (bounded, never a crash). */
		shadow_reset(sh);
		e = leaf(sh, la, 1);
		if (!e || rmap_add(sh, la, mfn) < 0)
			return -1;
	}
	*e = val;
	sh->fills++;
	if (active(sh))
		invlpg(la);
	return 0;
}

void shadow_activate(struct shadow *sh)
{
	WRITE_CR(3, sh->root << FRAME_SHIFT);
}
