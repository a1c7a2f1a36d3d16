/* pmap.h - a VM's physical-to-machine map (P2M): guest-physical frame -> machine frame.
 *
 * Each VM has one pmap, bounded by the RAM it was configured with. Frames are backed on demand:
 * the first lookup of a guest frame takes a zeroed machine frame owned by the VM. The shadow page
 * tables (x86) and the TLB refill path (MIPS) translate every guest-physical address through here,
 * so a guest can never name a machine frame it does not own. */
#ifndef MM_PMAP_H
#define MM_PMAP_H
#include "frame.h"

#define PMAP_NONE (~(mfn_t)0)

struct pmap {
	unsigned vm;        /* owner id in the frame table */
	uint64_t nframes;   /* guest RAM size in frames: valid gfns are [0, nframes) */
	mfn_t *p2m;         /* p2m[gfn], PMAP_NONE until backed */
	mfn_t table;        /* first machine frame of the p2m array (owned by the VMM) */
	uint64_t table_frames;
	uint64_t backed;    /* how many guest frames have a machine frame */
	uint64_t zeroed;    /* machine frames zeroed to back guest frames (the VMM's share of zeroing) */
	uint64_t released;  /* guest frames given back (pmap_release) */
	/* Back a whole aligned group of PMAP_GROUP guest frames with one aligned machine run when its
	 * first frame is needed (so a shadow can map it with one large page: x86's 2 MiB), while the
	 * machine has such runs; a group already begun, or no run free, goes frame by frame. */
	int groups;
	uint8_t *begun;     /* per group: some frame of it is backed */
};
#define PMAP_GROUP 512

/* Returns 0, or -1 with *why set (bad size, out of memory). */
int pmap_create(struct pmap *pm, unsigned vm, uint64_t ram_bytes, const char **why);
/* Translate gfn; back it with a fresh zeroed frame if needed. -1: gfn outside the VM's RAM or
 * machine memory exhausted (the caller stops the VM with a reason). */
int pmap_lookup(struct pmap *pm, uint64_t gfn, mfn_t *out);
/* Translate without backing: PMAP_NONE if not backed or out of range. (Every entry was checked
 * to be the VM's own frame when pmap_lookup backed it.) */
static inline mfn_t pmap_peek(const struct pmap *pm, uint64_t gfn)
{
	return gfn < pm->nframes ? pm->p2m[gfn] : PMAP_NONE;
}
/* The guest no longer needs gfn's contents (it said so: a hypercall): its machine frame goes
 * back to the machine, and the next pmap_lookup backs it with a zeroed one. The caller has
 * removed every mapping of the frame first. */
void pmap_release(struct pmap *pm, uint64_t gfn);
/* Give all the VM's frames and the table back. */
void pmap_destroy(struct pmap *pm);

#endif
