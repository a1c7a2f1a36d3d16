/* pmap.c - per-VM physical-to-machine map; see pmap.h. */
#include "pmap.h"
#include "assert.h"
#include "../lib/kstring.h"

int pmap_create(struct pmap *pm, unsigned vm, uint64_t ram_bytes, const char **why)
{
	memset(pm, 0, sizeof *pm);
	if (vm == FRAME_VMM || vm > FRAME_MAX_OWNER) {
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
	if (g0 + PMAP_GROUP > pm->nframes)
		return;                      /* the last group, not whole: frame by frame */
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
	}
	assert(frame_owner(m) == pm->vm); /* a VM only ever reaches its own frames */
	*out = m;
	return 0;
}

void pmap_release(struct pmap *pm, uint64_t gfn)
{
	if (gfn >= pm->nframes || pm->p2m[gfn] == PMAP_NONE)
		return;
	frame_free(pm->vm, pm->p2m[gfn]);
	pm->p2m[gfn] = PMAP_NONE;
	pm->begun[gfn / PMAP_GROUP] = 1;   /* (its group is backed frame by frame from now on) */
	pm->backed--;
	pm->released++;
}

void pmap_destroy(struct pmap *pm)
{
	if (!pm->p2m)
		return;
	for (uint64_t g = 0; g < pm->nframes; g++)
		if (pm->p2m[g] != PMAP_NONE)
			frame_free(pm->vm, pm->p2m[g]);
	frame_free_run(FRAME_VMM, pm->table, pm->table_frames);
	pm->p2m = 0;
	pm->backed = 0;
}
