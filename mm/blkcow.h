/* blkcow.h - a virtual disk's bytes: reads come from the module GRUB loaded (never written), the
 * VM's writes go to private copies of the 4 KiB chunks they touch, in machine frames owned by the
 * VM. So a module given to several VMs stays the same for each of them. */
#ifndef MM_BLKCOW_H
#define MM_BLKCOW_H
#include <stdint.h>
#include "frame.h"

struct blkcow {
	const uint8_t *base;            /* the module's bytes */
	uint64_t size;                  /* a multiple of 512 */
	unsigned owner;                 /* frame owner of the copies */
	mfn_t *dir;                     /* copies, per chunk (0: none); in frames of `owner` */
	mfn_t dir_frames[64];
	unsigned ndir;
	uint64_t copied;                /* chunks copied so far */
};

/* 0, or -1 with *why (size not a multiple of 512, too large, out of memory). */
int blkcow_init(struct blkcow *b, const void *base, uint64_t size, unsigned owner, const char **why);
int blkcow_read(struct blkcow *b, uint64_t off, void *buf, uint32_t n);          /* 0 or -1 */
int blkcow_write(struct blkcow *b, uint64_t off, const void *buf, uint32_t n);   /* -1: out of memory/range */
void blkcow_destroy(struct blkcow *b);

#endif
