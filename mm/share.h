/* share.h - content-based page sharing (ESX's idea, seed B.5): the VMM finds guest frames with the
 * same bytes -- in one VM or across VMs -- and keeps one machine copy of them, copy-on-write.
 *
 * A scanner walks each VM's frames a few at a time (share_scan, on the VMM's timer tick). Each
 * frame's bytes are hashed and looked up in one table for the whole machine:
 *   - a shared frame with that hash and the same bytes: the guest frame is mapped to it
 *     (read-only in every shadow: pmap's PMAP_SHARED) and its own machine frame is freed;
 *   - a hint (an unshared frame seen earlier with that hash): if it still holds those bytes, it
 *     becomes the shared frame (owner FRAME_SHARED) and the scanned frame joins it;
 *   - nothing: the frame is remembered as a hint, and stays writable.
 * A write to a shared frame faults; pmap_lookup gives the writer a private copy (pmap.c) and
 * share_put drops its reference; the last reference frees the shared frame. Frames the VMM relies
 * on (traced page tables, descriptor tables, patched code: pmap_ops.pinned) are never shared. */
#ifndef MM_SHARE_H
#define MM_SHARE_H
#include <stdint.h>
#include "frame.h"

struct pmap;

struct share_stats {
	uint64_t frames;         /* machine frames holding shared contents now */
	uint64_t refs;           /* guest frames mapped to them now (saved: refs - frames) */
	uint64_t scanned, merged, broken;   /* since boot: frames hashed, merges, copy-on-write breaks */
	uint64_t hints;          /* hint entries now */
};

/* Room for `nodes` table entries (shared frames and hints), from VMM frames. 0, or -1. */
int share_init(uint64_t nodes);
int share_on(void);
/* Look at the next n frames of pm (a clock hand over its guest frames). */
void share_scan(struct pmap *pm, unsigned n);
/* One guest frame no longer maps shared frame m (cow: a copy-on-write break; else a frame given
 * back, or its VM ended). The last one frees m. */
void share_put(mfn_t m, int cow);
/* pm's VM ends: its hints go. */
void share_forget(const struct pmap *pm);
void share_get_stats(struct share_stats *st);
uint64_t share_hash(const void *page);
void share_reset(void);      /* host tests */

#endif
