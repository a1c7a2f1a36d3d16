/* blkcow.h - a virtual disk's bytes: reads come from the module GRUB loaded (never written), the
 * VM's writes go to private copies of the 4 KiB chunks they touch, in machine frames owned by the
 * VM. So a module given to several VMs stays the same for each of them.
 *
 * The chunk directory lives in frames of the VM too, allocated on the first write under them:
 * top[t] -> a page of 512 leaf mfns -> a leaf page of 512 copy mfns -> the 4 KiB copy. One leaf
 * covers 2 MiB of disk, one top page 1 GiB, so a disk can be up to BLKCOW_TOP GiB. mfn 0 means
 * "none" (frame 0 is never handed out: the arch reserves the first MiB).
 *
 * Invariants (asserted where a frame is reached): every frame in the directory (top pages, leaf
 * pages, copies) is owned by `owner`; the module is only ever read. */
#ifndef MM_BLKCOW_H
#define MM_BLKCOW_H
#include <stdint.h>
#include "frame.h"

#define BLKCOW_CHUNK 4096u
#define BLKCOW_TOP 16                   /* top pages: 16 GiB of disk at most */
#define BLKCOW_MAX_SIZE ((uint64_t)BLKCOW_TOP << 30)

struct blkcow {
	const uint8_t *base;            /* the module's bytes (never written) */
	uint64_t size;                  /* a multiple of 512, > 0, <= BLKCOW_MAX_SIZE */
	unsigned owner;                 /* frame owner of the copies and the directory: a VM id */
	mfn_t top[BLKCOW_TOP];          /* pages of leaf mfns (0: none yet) */
	uint64_t copied;                /* chunks copied so far */
	uint64_t frames;                /* frames held (copies + directory pages) */
};

/* 0, or -1 with *why (size 0 or not a multiple of 512, too large, owner not a VM id). Allocates
 * nothing: the directory grows with the writes. */
int blkcow_init(struct blkcow *b, const void *base, uint64_t size, unsigned owner, const char **why);
/* Any byte range inside the disk. 0, or -1 when [off, off + n) is not inside the disk. */
int blkcow_read(struct blkcow *b, uint64_t off, void *buf, uint32_t n);
/* 0, or -1 when out of range or out of machine memory. All or nothing for the data: the frames
 * are found (or allocated) for every chunk before any byte is written. */
int blkcow_write(struct blkcow *b, uint64_t off, const void *buf, uint32_t n);
/* Give back every frame (copies and directory); the disk then reads as the module again. Call it
 * before frame_free_all(owner) takes the VM's frames (it asserts it still owns them), or not at
 * all when frame_free_all is how the VM's memory goes back. */
void blkcow_destroy(struct blkcow *b);

#endif
