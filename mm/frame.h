/* frame.h - the machine-frame allocator (arch-neutral).
 *
 * Machine memory is described by the arch code as usable regions minus reserved ranges (the VMM
 * image, boot information, modules). Every frame then has exactly one owner: FRAME_FREE, the VMM
 * (FRAME_VMM) or one VM (its id, 1..FRAME_MAX_OWNER). Invariant, asserted at every boundary:
 * a frame is handed out only while free, and freed only by its owner.
 *
 * The per-frame owner table (2 bytes per frame) lives in machine memory that frame_init() carves
 * from the usable regions itself; `phys_to_virt` tells it where the caller can reach that memory. */
#ifndef MM_FRAME_H
#define MM_FRAME_H
#include <stdint.h>
#include <stddef.h>

#define FRAME_SHIFT 12
#define FRAME_SIZE (1ULL << FRAME_SHIFT)
typedef uint64_t mfn_t;           /* machine frame number: machine address >> 12 */

enum {
	FRAME_VMM = 0,            /* owned by the VMM itself */
	FRAME_MAX_OWNER = 63,     /* owners 1..FRAME_MAX_OWNER: the VMs and FRAME_SHARED */
	FRAME_SHARED = 63,        /* a frame several guest frames share copy-on-write (share.c) */
	FRAME_MAX_VM = 62,        /* VM ids are 1..FRAME_MAX_VM */
	FRAME_RESERVED = 0xfffe,  /* not memory we may hand out (holes, VMM image, modules) */
	FRAME_FREE = 0xffff,
};

#define FRAME_MAX_REGIONS 64

/* Boot-time description, in any order. Addresses are machine addresses, in bytes. */
void frame_add_usable(uint64_t base, uint64_t len);
void frame_add_reserved(uint64_t base, uint64_t len);
/* Build the owner table. Returns 0, or -1 with *why set if there is no usable memory or no room. */
int frame_init(uintptr_t physmap, const char **why);

/* Allocation. Return 0 on success, -1 when no frame (or no aligned run) is free. */
int frame_alloc(unsigned owner, mfn_t *out);
int frame_alloc_run(unsigned owner, uint64_t count, uint64_t align_frames, mfn_t *out);
void frame_free(unsigned owner, mfn_t mfn);
/* Hand frame mfn from its owner `from` to `to` (a VM's frame becomes a shared one). */
void frame_give(mfn_t mfn, unsigned from, unsigned to);
uint64_t frame_nfree(void);       /* frames free now */
void frame_free_run(unsigned owner, mfn_t first, uint64_t count);
/* Give every frame of `owner` back (when a VM is destroyed). Returns how many. */
uint64_t frame_free_all(unsigned owner);

unsigned frame_owner(mfn_t mfn);   /* FRAME_RESERVED for frames outside managed memory */
/* Where the VMM reaches machine frame `mfn`: every port maps machine memory linearly, at the
 * address given to frame_init (x86-64: its physmap; MIPS: kseg0). On every guest-memory access,
 * so inline. */
extern uintptr_t frame_physmap;
static inline void *frame_to_virt(mfn_t mfn)
{
	return (void *)(frame_physmap + (uintptr_t)(mfn << FRAME_SHIFT));
}

struct frame_stats {
	uint64_t managed;          /* frames in usable memory */
	uint64_t free;
	uint64_t reserved;         /* usable but reserved (image, modules, the owner table) */
	uint64_t owned[FRAME_MAX_OWNER + 1];
	uint64_t allocs, frees;    /* counters since boot */
};
void frame_get_stats(struct frame_stats *st);

/* Test hook: forget everything (host unit tests run frame_init many times). */
void frame_reset(void);

#endif
