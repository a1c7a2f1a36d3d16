/* zstore.h - the VMM's compressed store for guest frames it pages out (seed B.5; there is no disk
 * for the VMM, so "swap" is memory: zswap and ESX's memory compression are the models).
 *
 * A page goes in compressed (lz.c) as a chain of 64-byte chunks carved from frames the VMM owns;
 * it comes out expanded into a frame, and its chunks are free again. The store grows a frame at a
 * time up to a bound (boot option zstore=), and only takes a page that compresses to at most half
 * a frame: paging out anything bigger would not be worth its cost. */
#ifndef MM_ZSTORE_H
#define MM_ZSTORE_H
#include <stdint.h>
#include "frame.h"

#define ZSTORE_CHUNK 64u
#define ZSTORE_MAX_FRAMES 65536u     /* the bound cannot go past 256 MiB */

struct zstore_stats {
	uint64_t pages;                  /* pages in the store now */
	uint64_t bytes;                  /* their compressed size */
	uint64_t frames, bound;          /* frames the store holds now; at most */
	uint64_t puts, gets, rejected;   /* since boot: stored, taken back, too big to be worth it */
	uint64_t full;                   /* refused: the store was at its bound */
};

/* The bound, in frames (0 turns the store off). */
void zstore_set_bound(uint64_t frames);
/* Compress `page` into the static staging buffer: its compressed size, or 0 if it is not worth
 * storing (more than half a frame). Then zstore_commit() stores the staged page. */
unsigned zstore_stage(const void *page);
/* Is there room for the staged page, counting one frame the caller is about to free? */
int zstore_room(unsigned size, int one_frame_coming);
/* Store the staged page: its handle (> 0), or 0 when out of room. */
uint64_t zstore_commit(void);
/* Expand the page `handle` into `page` and free its chunks. -1 if the handle is bad (an assert in
 * the VMM: the store's own data is the VMM's). */
int zstore_take(uint64_t handle, void *page);
/* Free a stored page without expanding it (its VM is gone, or gave the frame back). */
void zstore_drop(uint64_t handle);
void zstore_get_stats(struct zstore_stats *st);
void zstore_reset(void);             /* host tests */

#endif
