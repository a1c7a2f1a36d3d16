/* pmap.c - per-VM physical-to-machine map; see pmap.h. */
#include "pmap.h"
#include "share.h"
#include "zstore.h"
#include "assert.h"
#include "../lib/kstring.h"

/* Frames kept free for the traps between two looks of the VMM's reclaim (vm_resume): a 2 MiB group
 * is backed as a run only with this much to spare. */
#define GROUP_SPARE (4 * PMAP_GROUP)

int pmap_create(struct pmap *pm, unsigned vm, uint64_t ram_bytes, const char **why)
{
	memset(pm, 0, sizeof *pm);
	if (vm == FRAME_VMM || vm > FRAME_MAX_VM) {
		*why = "bad VM id";
		return -1;
	}
	if (ram_bytes < (1ULL << 20) || ram_bytes > (4ULL << 30) || (ram_bytes & (FRAME_SIZE - 1))) {
		*why = "guest RAM must be a multiple of 4 KiB between 1 MiB and 4 GiB";
		return -1;
	}
	pm->vm = vm;
	pm->nframes = ram_bytes >> FRAME_SHIFT;
	uint64_t ngroups = (pm->nframes + PMAP_GROUP - 1) / PMAP_GROUP;
	pm->table_frames = (pm->nframes * sizeof(mfn_t) + ngroups + FRAME_SIZE - 1) >> FRAME_SHIFT;
	if (frame_alloc_run(FRAME_VMM, pm->table_frames, 1, &pm->table) < 0) {
		*why = "out of machine memory for the P2M table";
		return -1;
	}
	pm->p2m = frame_to_virt(pm->table);
	for (uint64_t g = 0; g < pm->nframes; g++)
		pm->p2m[g] = PMAP_NONE;
	pm->begun = (uint8_t *)(pm->p2m + pm->nframes);
	memset(pm->begun, 0, ngroups);
	return 0;
}

/* The first frame of an untouched group: back all of it with one aligned run, if there is one. */
static void back_group(struct pmap *pm, uint64_t gfn)
{
	uint64_t g0 = gfn & ~(uint64_t)(PMAP_GROUP - 1);
	mfn_t m;
	if (g0 + PMAP_GROUP > pm->nframes || frame_nfree() < PMAP_GROUP + GROUP_SPARE)
		return;                      /* the last group, not whole; or memory is short: frame by frame */
	if (frame_alloc_run(pm->vm, PMAP_GROUP, PMAP_GROUP, &m) < 0) {
		pm->groups = 0;              /* none left: stop looking (each look scans the machine) */
		return;
	}
	memset(frame_to_virt(m), 0, PMAP_GROUP * FRAME_SIZE);
	for (uint64_t i = 0; i < PMAP_GROUP; i++)
		pm->p2m[g0 + i] = m + i;
	pm->backed += PMAP_GROUP;
	pm->zeroed += PMAP_GROUP;
}

/* gfn leaves the shared or paged-out state for a frame of its own, with the same bytes. */
static int make_private(struct pmap *pm, uint64_t gfn, mfn_t *out)
{
	mfn_t e = pm->p2m[gfn], m;
	if (frame_alloc(pm->vm, &m) < 0)
		return -1;
	if (e & PMAP_SHARED) {
		/* Copy-on-write: the writer gets a copy; its read-only mappings of the shared frame go. */
		mfn_t s = PMAP_MFN(e);
		memcpy(frame_to_virt(m), frame_to_virt(s), FRAME_SIZE);
		if (pm->ops)
			pm->ops->unmap(pm->ctx, gfn, s);
		share_put(s, 1);
		pm->shared--;
		pm->cow_breaks++;
	} else {
		/* Paged out: nothing maps it; expand it from the store. */
		int r = zstore_take(PMAP_MFN(e), frame_to_virt(m));
		assert(r == 0);       /* the store is the VMM's own memory: a bad page there is a VMM bug */
		pm->out--;
		pm->paged_in++;
	}
	pm->p2m[gfn] = m;
	pm->backed++;
	*out = m;
	return 0;
}

int pmap_lookup(struct pmap *pm, uint64_t gfn, mfn_t *out)
{
	if (gfn >= pm->nframes)
		return -1;
	mfn_t m = pm->p2m[gfn];
	if (m == PMAP_NONE && pm->groups && !pm->begun[gfn / PMAP_GROUP]) {
		back_group(pm, gfn);
		m = pm->p2m[gfn];
	}
	if (m == PMAP_NONE) {
		pm->begun[gfn / PMAP_GROUP] = 1;
		if (frame_alloc(pm->vm, &m) < 0)
			return -1;
		memset(frame_to_virt(m), 0, FRAME_SIZE); /* never leak another VM's data */
		pm->p2m[gfn] = m;
		pm->backed++;
		pm->zeroed++;
	} else if (m >= PMAP_OUT && make_private(pm, gfn, &m) < 0) {
		return -1;
	}
	assert(frame_owner(m) == pm->vm); /* a VM only ever reaches its own frames */
	*out = m;
	return 0;
}

int pmap_lookup_ro(struct pmap *pm, uint64_t gfn, mfn_t *out)
{
	if (pmap_is_shared(pm, gfn)) {
		*out = PMAP_MFN(pm->p2m[gfn]);
		assert(frame_owner(*out) == FRAME_SHARED);
		return 0;
	}
	return pmap_lookup(pm, gfn, out);
}

/* Whatever backs gfn goes: its frame, its share, its place in the store. */
static void drop(struct pmap *pm, uint64_t gfn)
{
	mfn_t e = pm->p2m[gfn];
	if (e == PMAP_NONE)
		return;
	if (e < PMAP_OUT) {
		frame_free(pm->vm, e);
		pm->backed--;
	} else if (e & PMAP_SHARED) {
		share_put(PMAP_MFN(e), 0);
		pm->shared--;
	} else {
		zstore_drop(PMAP_MFN(e));
		pm->out--;
	}
	pm->p2m[gfn] = PMAP_NONE;
}

void pmap_release(struct pmap *pm, uint64_t gfn)
{
	if (gfn >= pm->nframes || pm->p2m[gfn] == PMAP_NONE)
		return;
	drop(pm, gfn);
	pm->begun[gfn / PMAP_GROUP] = 1;   /* (its group is backed frame by frame from now on) */
	pm->released++;
}

unsigned pmap_page_out(struct pmap *pm, unsigned want, unsigned look, int second_chance)
{
	unsigned done = 0;
	if (!pm->ops)
		return 0;
	/* (once round at most; only frames of its own count as looked at) */
	for (uint64_t round = 0; look && done < want && round < pm->nframes; round++) {
		uint64_t gfn = pm->page_hand;
		if (++pm->page_hand >= pm->nframes)
			pm->page_hand = 0;
		mfn_t m = pmap_peek(pm, gfn);
		if (m == PMAP_NONE)
			continue;
		look--;
		if (pm->ops->pinned(pm->ctx, gfn) || (second_chance && pm->ops->young && pm->ops->young(pm->ctx, gfn, m)))
			continue;
		unsigned size = zstore_stage(frame_to_virt(m));
		if (!size)
			continue;                        /* compresses badly: not worth it */
		if (!zstore_room(size, 1))
			break;                           /* the store is at its bound */
		/* Its mappings go first; then its frame, which the store may take for itself. */
		pm->ops->unmap(pm->ctx, gfn, m);
		frame_free(pm->vm, m);
		uint64_t h = zstore_commit();
		assert(h != 0);                      /* (zstore_room said so, counting the frame just freed) */
		pm->p2m[gfn] = PMAP_OUT | h;
		pm->backed--;
		pm->out++;
		pm->paged_out++;
		done++;
	}
	return done;
}

void pmap_destroy(struct pmap *pm)
{
	if (!pm->p2m)
		return;
	for (uint64_t g = 0; g < pm->nframes; g++)
		drop(pm, g);
	share_forget(pm);
	frame_free_run(FRAME_VMM, pm->table, pm->table_frames);
	pm->p2m = 0;
	pm->backed = 0;
}
