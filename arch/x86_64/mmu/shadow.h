/* shadow.h - shadow page tables: guest-virtual -> machine, the tables the real MMU walks while a
 * guest runs (the aside on hardware-managed TLBs in the seed chapter).
 *
 * This file's tables are the virtual-TLB flavour (shadow=vtlb): the shadow starts empty and is filled one 4 KiB entry at a time
 * on "hidden" page faults (the guest's tables allow the access; the shadow just did not have it
 * yet). Like a TLB it is dropped when the guest says its translations changed: mov cr3, invlpg,
 * and CR0/CR4 paging-bit changes. The full shadow with traced (write-protected) guest page tables
 * is traced.h (shadow=trace); vtlb.c picks one per VM. */
#ifndef ARCH_SHADOW_H
#define ARCH_SHADOW_H
#include <stdint.h>
#include "../../../mm/frame.h"

#define SHADOW_DIRTY 0x100u    /* flag from guest_walk(): the guest entry is already dirty */
#define SHADOW_LARGE 0x200u    /* flag from guest_walk(): the guest mapped a 4 MiB page */
#define SHADOW_POOL 1024       /* table frames per VM; past this the shadow is flushed */
#define RMAP_FRAMES 128        /* reverse-map records: 256 per frame (32768: a 64 MiB working set and more) */
#define RMAP_BUCKETS 1024

struct shadow {
	mfn_t root;                /* the shadow PML4 (its high half is the VMM's) */
	uint64_t *pml4;
	mfn_t pool[SHADOW_POOL];   /* frames for low-half tables, reused after a flush */
	unsigned used, allocated;
	/* The reverse map: for each fill since the last flush, which machine frame went to which
	 * guest-linear page, so every mapping of one frame can be found (a code page the guest
	 * writes, or one that was just scanned) without dropping the whole shadow. */
	mfn_t rmap_frames[RMAP_FRAMES];
	unsigned rmap_allocated, rmap_used;
	uint32_t rmap_head[RMAP_BUCKETS];      /* record index + 1; 0 = empty */
	uint64_t fills, flushes, resets, invlpgs, large_drops, frame_unmaps;
	uint64_t *last_pt;         /* the page table leaf() found last, for the 2 MiB at last_pt_la */
	uint32_t last_pt_la;       /* (la >> 21) */
	uint64_t gen;              /* bumped whenever entries are dropped (a guest-linear page may map
	                            * elsewhere from then on); fills alone do not */
	struct traced *tr;         /* shadow=trace: the cached, traced shadows (traced.c) are in use and
	                            * root/pml4 are those of the guest's address space; 0: virtual TLB */
};

int shadow_init(struct shadow *sh);
void shadow_destroy(struct shadow *sh);
void shadow_flush(struct shadow *sh);                 /* drop every guest translation */
void shadow_invlpg(struct shadow *sh, uint32_t la, int large);
/* Map one 4 KiB page. Returns 0, or -1 if out of machine memory (the VM is then stopped). */
int shadow_map(struct shadow *sh, uint32_t la, mfn_t mfn, int writable, int user, int noexec);
extern int shadow_have_nx;   /* EFER.NXE is on: the shadow can map pages no-execute */
void shadow_probe(void);     /* ... find out (shadow_init does; so must any other shadow) */
/* Drop every mapping of machine frame mfn (made since the last flush). */
void shadow_unmap_frame(struct shadow *sh, mfn_t mfn);
/* Has the MMU used a mapping of machine frame mfn since the last look (Accessed bits, then cleared)? */
int shadow_frame_young(struct shadow *sh, mfn_t mfn);
/* Make this shadow the one the MMU uses; is it? */
void shadow_activate(struct shadow *sh);
int shadow_is_active(const struct shadow *sh);
/* Copy n bytes where one side is a guest-linear address of the active shadow (gcopy.asm): 0, or -1
 * if that side faulted (not mapped, or not writable, in the shadow); then nothing is promised
 * about how much was copied. */
int gcopy(void *dst, const void *src, uint64_t n);

#endif
