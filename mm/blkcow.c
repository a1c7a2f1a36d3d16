/* blkcow.c - the copy-on-write disk store (see blkcow.h).
 *
 * Chunk c of the disk (bytes [c*4096, c*4096 + 4096)) is found at top[c >> 18], entry
 * (c >> 9) & 511 of that top page (a leaf page), entry c & 511 of the leaf (the copy). A missing
 * page or copy means "read the module". A write first makes sure every chunk it touches has its
 * copy (allocating directory pages and copy frames, and filling each new copy from the module),
 * then copies the data: running out of frames part-way leaves the disk's contents unchanged (the
 * copies made so far hold the module's bytes, so they read the same). */
#include "blkcow.h"
#include "assert.h"
#include "../lib/kstring.h"

#define PER_PAGE (FRAME_SIZE / sizeof(mfn_t))   /* 512 entries in a directory page */
#define LEAF_SHIFT 9                             /* chunks per leaf: 512 */
#define TOP_SHIFT 18                             /* chunks per top page: 512 * 512 */

int blkcow_init(struct blkcow *b, const void *base, uint64_t size, unsigned owner, const char **why)
{
	memset(b, 0, sizeof *b);
	if (size == 0 || size % 512) {
		*why = "disk size is not a non-zero multiple of 512 bytes";
		return -1;
	}
	if (size > BLKCOW_MAX_SIZE) {
		*why = "disk is larger than 16 GiB";
		return -1;
	}
	if (owner == FRAME_VMM || owner > FRAME_MAX_OWNER) {
		*why = "disk owner is not a VM id";
		return -1;
	}
	if (!base) {
		*why = "disk has no bytes (null module)";
		return -1;
	}
	b->base = base;
	b->size = size;
	b->owner = owner;
	return 0;
}

/* A directory page or copy of this disk: where the VMM reaches it. Asserts the ownership
 * invariant: only frames of the disk's VM are ever in its directory. */
static void *owned(const struct blkcow *b, mfn_t m)
{
	assert(m != 0);
	assert(frame_owner(m) == b->owner);
	return frame_to_virt(m);
}

/* The copy of chunk c, or 0. */
static mfn_t copy_of(const struct blkcow *b, uint64_t c)
{
	mfn_t t = b->top[c >> TOP_SHIFT];
	if (!t)
		return 0;
	const mfn_t *top = owned(b, t);
	mfn_t l = top[(c >> LEAF_SHIFT) & (PER_PAGE - 1)];
	if (!l)
		return 0;
	const mfn_t *leaf = owned(b, l);
	return leaf[c & (PER_PAGE - 1)];
}

/* A fresh frame of the VM: -1 when the machine has none. */
static int alloc_frame(struct blkcow *b, mfn_t *out)
{
	if (frame_alloc(b->owner, out) < 0)
		return -1;
	assert(*out != 0 && frame_owner(*out) == b->owner);
	b->frames++;
	return 0;
}

static int alloc_dir_page(struct blkcow *b, mfn_t *slot)
{
	mfn_t m;
	if (alloc_frame(b, &m) < 0)
		return -1;
	memset(frame_to_virt(m), 0, FRAME_SIZE);
	*slot = m;
	return 0;
}

/* Make sure chunk c has its copy (a copy of the module's bytes when new). 0, or -1 when out of
 * memory (whatever was allocated stays in the directory and is freed by blkcow_destroy). */
static int ensure_copy(struct blkcow *b, uint64_t c)
{
	mfn_t *ts = &b->top[c >> TOP_SHIFT];
	if (!*ts && alloc_dir_page(b, ts) < 0)
		return -1;
	mfn_t *top = owned(b, *ts);
	mfn_t *ls = &top[(c >> LEAF_SHIFT) & (PER_PAGE - 1)];
	if (!*ls && alloc_dir_page(b, ls) < 0)
		return -1;
	mfn_t *leaf = owned(b, *ls);
	mfn_t *cs = &leaf[c & (PER_PAGE - 1)];
	if (*cs)
		return 0;
	mfn_t m;
	if (alloc_frame(b, &m) < 0)
		return -1;
	uint8_t *p = frame_to_virt(m);
	uint64_t start = c * BLKCOW_CHUNK;
	uint64_t n = b->size - start < BLKCOW_CHUNK ? b->size - start : BLKCOW_CHUNK;
	memcpy(p, b->base + start, n);
	if (n < BLKCOW_CHUNK)
		memset(p + n, 0, BLKCOW_CHUNK - n);     /* past the end of the disk: never read */
	*cs = m;
	b->copied++;
	return 0;
}

static int in_range(const struct blkcow *b, uint64_t off, uint32_t n)
{
	return b->size && off <= b->size && n <= b->size - off;
}

int blkcow_read(struct blkcow *b, uint64_t off, void *buf, uint32_t n)
{
	if (!in_range(b, off, n))
		return -1;
	uint8_t *dst = buf;
	while (n) {
		uint64_t c = off / BLKCOW_CHUNK;
		uint32_t in = (uint32_t)(off % BLKCOW_CHUNK);
		uint32_t k = BLKCOW_CHUNK - in < n ? BLKCOW_CHUNK - in : n;
		mfn_t m = copy_of(b, c);
		const uint8_t *src = m ? (const uint8_t *)owned(b, m) + in : b->base + off;
		memcpy(dst, src, k);
		dst += k, off += k, n -= k;
	}
	return 0;
}

int blkcow_write(struct blkcow *b, uint64_t off, const void *buf, uint32_t n)
{
	if (!in_range(b, off, n))
		return -1;
	if (n == 0)
		return 0;
	uint64_t first = off / BLKCOW_CHUNK, last = (off + n - 1) / BLKCOW_CHUNK;
	for (uint64_t c = first; c <= last; c++)
		if (ensure_copy(b, c) < 0)
			return -1;
	const uint8_t *src = buf;
	while (n) {
		uint64_t c = off / BLKCOW_CHUNK;
		uint32_t in = (uint32_t)(off % BLKCOW_CHUNK);
		uint32_t k = BLKCOW_CHUNK - in < n ? BLKCOW_CHUNK - in : n;
		mfn_t m = copy_of(b, c);
		assert(m != 0);
		memcpy((uint8_t *)owned(b, m) + in, src, k);
		src += k, off += k, n -= k;
	}
	return 0;
}

void blkcow_destroy(struct blkcow *b)
{
	for (unsigned t = 0; t < BLKCOW_TOP; t++) {
		if (!b->top[t])
			continue;
		mfn_t *top = owned(b, b->top[t]);
		for (unsigned i = 0; i < PER_PAGE; i++) {
			if (!top[i])
				continue;
			mfn_t *leaf = owned(b, top[i]);
			for (unsigned j = 0; j < PER_PAGE; j++)
				if (leaf[j]) {
					owned(b, leaf[j]);      /* asserts the owner */
					frame_free(b->owner, leaf[j]);
					b->frames--;
				}
			frame_free(b->owner, top[i]);
			b->frames--;
		}
		frame_free(b->owner, b->top[t]);
		b->frames--;
		b->top[t] = 0;
	}
	assert(b->frames == 0);
	b->copied = 0;
}
