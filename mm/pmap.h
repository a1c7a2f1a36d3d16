/* pmap.h - a VM's physical-to-machine map (P2M): guest-physical frame -> machine frame.
 *
 * Each VM has one pmap, bounded by the RAM it was configured with. Frames are backed on demand:
 * the first lookup of a guest frame takes a zeroed machine frame owned by the VM. The shadow page
 * tables (x86) and the TLB refill path (MIPS) translate every guest-physical address through here,
 * so a guest can never name a machine frame it does not own.
 *
 * With memory overcommitted (seed B.5) an entry is in one of four states:
 *   PMAP_NONE              not backed: the next lookup backs it with a zeroed frame;
 *   mfn                    the VM's own machine frame (frame_owner(mfn) == the VM);
 *   PMAP_SHARED | mfn      a frame shared copy-on-write with other guest frames (share.c): it may
 *                          be mapped, but only read-only;
 *   PMAP_OUT | handle      paged out into the compressed store (zstore.c).
 * pmap_peek sees only the second state; pmap_lookup turns any state into the second (backs,
 * copies a shared frame, brings a paged-out one back); pmap_lookup_ro also accepts a shared frame.
 * Whenever a backed guest frame's machine frame changes or becomes read-only, pmap calls the arch's
 * unmap hook first, so no mapping of the old frame survives. */
#ifndef MM_PMAP_H
#define MM_PMAP_H
#include "frame.h"

#define PMAP_NONE (~(mfn_t)0)
#define PMAP_SHARED (1ULL << 62)
#define PMAP_OUT (1ULL << 61)
#define PMAP_MFN(e) ((e) & ((1ULL << 52) - 1))

/* What pmap needs from the arch (x86: vm.c; unset: the VM takes no part in sharing or paging). */
struct pmap_ops {
	/* Does the VMM rely on guest frame gfn's machine frame staying where it is and writable (a
	 * traced page table, a descriptor table, patched code)? Such frames are never shared or
	 * paged out. */
	int (*pinned)(void *ctx, uint64_t gfn);
	/* Drop every mapping of guest frame gfn (machine frame m) the arch has made: its machine
	 * frame is about to change, go, or become read-only. */
	void (*unmap)(void *ctx, uint64_t gfn, mfn_t m);
	/* Has the guest used guest frame gfn (machine frame m) since the last look? (The answer
	 * resets: the clock of pmap_page_out gives each used frame a second chance.) 0 if unknown. */
	int (*young)(void *ctx, uint64_t gfn, mfn_t m);
};

struct pmap {
	unsigned vm;        /* owner id in the frame table */
	uint64_t nframes;   /* guest RAM size in frames: valid gfns are [0, nframes) */
	mfn_t *p2m;         /* p2m[gfn]: one of the four states above */
	mfn_t table;        /* first machine frame of the p2m array (owned by the VMM) */
	uint64_t table_frames;
	uint64_t backed;    /* guest frames in the VM's own machine frames now */
	uint64_t shared;    /* ... mapped to shared frames now */
	uint64_t out;       /* ... in the compressed store now */
	uint64_t zeroed;    /* machine frames zeroed to back guest frames (the VMM's share of zeroing) */
	uint64_t released;  /* guest frames given back (pmap_release) */
	uint64_t cow_breaks, paged_out, paged_in;
	const struct pmap_ops *ops;
	void *ctx;
	uint64_t share_hand, page_hand;     /* where share_scan and pmap_page_out look next */
	/* Back a whole aligned group of PMAP_GROUP guest frames with one aligned machine run when its
	 * first frame is needed (so a shadow can map it with one large page: x86's 2 MiB), while the
	 * machine has such runs; a group already begun, or no run free, goes frame by frame. */
	int groups;
	uint8_t *begun;     /* per group: some frame of it is backed */
};
#define PMAP_GROUP 512

/* Returns 0, or -1 with *why set (bad size, out of memory). */
int pmap_create(struct pmap *pm, unsigned vm, uint64_t ram_bytes, const char **why);
/* Translate gfn to a machine frame of the VM's own, for any access: back it with a fresh zeroed
 * frame, copy a shared one, or bring it back from the store, as needed. -1: gfn outside the VM's
 * RAM or machine memory exhausted (the caller stops the VM with a reason). */
int pmap_lookup(struct pmap *pm, uint64_t gfn, mfn_t *out);
/* The same for reading only: a shared frame is returned as it is (map it read-only). */
int pmap_lookup_ro(struct pmap *pm, uint64_t gfn, mfn_t *out);
/* Translate without backing: PMAP_NONE unless gfn is in the VM's own frame. (Every entry was
 * checked to be the VM's own frame when pmap_lookup backed it.) */
static inline mfn_t pmap_peek(const struct pmap *pm, uint64_t gfn)
{
	return gfn < pm->nframes && pm->p2m[gfn] < PMAP_OUT ? pm->p2m[gfn] : PMAP_NONE;
}
static inline int pmap_is_shared(const struct pmap *pm, uint64_t gfn)
{
	return gfn < pm->nframes && pm->p2m[gfn] != PMAP_NONE && (pm->p2m[gfn] & PMAP_SHARED);
}
/* The guest no longer needs gfn's contents (it said so: a hypercall): its machine frame goes
 * back to the machine (or its share, or its place in the store), and the next pmap_lookup backs
 * it with a zeroed one. The caller has removed every mapping of the frame first. */
void pmap_release(struct pmap *pm, uint64_t gfn);
/* Page out up to `want` frames of pm into the compressed store, looking at most at `look` of its own
 * frames (a clock hand; pinned and poorly compressible frames are passed over, and with
 * second_chance those used since the hand last passed: ops->young). How many went. */
unsigned pmap_page_out(struct pmap *pm, unsigned want, unsigned look, int second_chance);
/* Give all the VM's frames and the table back. */
void pmap_destroy(struct pmap *pm);

#endif
