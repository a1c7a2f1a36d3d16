/* blkcow.c - STUB: replaced by the copy-on-write disk store (see blkcow.h). */
#include "blkcow.h"
#include "../lib/kstring.h"
int blkcow_init(struct blkcow *b, const void *base, uint64_t size, unsigned owner, const char **why)
{
	memset(b, 0, sizeof *b);
	(void)base, (void)size, (void)owner;
	*why = "disks are not implemented yet";
	return -1;
}
int blkcow_read(struct blkcow *b, uint64_t off, void *buf, uint32_t n) { (void)b, (void)off, (void)buf, (void)n; return -1; }
int blkcow_write(struct blkcow *b, uint64_t off, const void *buf, uint32_t n) { (void)b, (void)off, (void)buf, (void)n; return -1; }
void blkcow_destroy(struct blkcow *b) { (void)b; }
