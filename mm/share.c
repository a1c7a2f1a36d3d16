/* share.c - content-based page sharing; see share.h.
 *
 * The table: `nodes` entries in frames the VMM owns, chained from 4096-ish hash buckets. An entry
 * is either a shared frame (pm == 0: key is its machine frame, refs how many guest frames map it)
 * or a hint (pm and key: which VM's guest frame had this hash when it was scanned). When the
 * entries run out, hints are recycled in turn (a clock over the entries); a shared frame's entry
 * stays as long as the frame. */
#include "share.h"
#include "pmap.h"
#include "assert.h"
#include "../lib/kstring.h"

struct snode {
	uint64_t hash;
	const struct pmap *pm;   /* 0: a shared frame; else a hint */
	uint64_t key;            /* the shared frame's mfn, or the hinted guest frame */
	uint32_t refs;
	uint32_t next;           /* next entry in the bucket, index + 1; 0: none */
};

static struct snode *node;
static uint32_t *bucket_head;
static uint64_t nnodes, nbuckets, used, clock_hand;
static uint32_t free_head;
static struct share_stats st;

int share_on(void) { return node != 0; }

int share_init(uint64_t n)
{
	nbuckets = 1;
	while (nbuckets < n / 2)
		nbuckets <<= 1;
	uint64_t bytes = n * sizeof *node + nbuckets * sizeof *bucket_head;
	mfn_t m;
	if (frame_alloc_run(FRAME_VMM, (bytes + FRAME_SIZE - 1) >> FRAME_SHIFT, 1, &m) < 0)
		return -1;
	node = frame_to_virt(m);
	bucket_head = (uint32_t *)(node + n);
	memset(node, 0, bytes);
	nnodes = n;
	free_head = 0;
	for (uint64_t i = n; i-- > 0;) {
		node[i].next = free_head;
		free_head = (uint32_t)(i + 1);
	}
	return 0;
}

uint64_t share_hash(const void *page)
{
	const uint64_t *w = page;
	uint64_t h = 0x9E3779B97F4A7C15ull;
	for (unsigned i = 0; i < FRAME_SIZE / 8; i++) {
		h = (h ^ w[i]) * 0xFF51AFD7ED558CCDull;
		h ^= h >> 29;
	}
	return h;
}

static uint32_t *bucket(uint64_t hash) { return &bucket_head[hash & (nbuckets - 1)]; }

static void unlink(uint32_t i)
{
	uint32_t *l = bucket(node[i].hash);
	while (*l != i + 1)
		l = &node[*l - 1].next;
	*l = node[i].next;
	node[i].next = free_head;
	node[i].pm = 0;
	node[i].refs = 0;
	free_head = i + 1;
	used--;
}

/* A free entry, recycling a hint if there is none: its index, or -1. */
static int64_t alloc_node(void)
{
	for (uint64_t tries = 0; !free_head && tries < nnodes; tries++) {
		uint64_t i = clock_hand++ % nnodes;
		if (node[i].pm) {
			unlink((uint32_t)i);
			st.hints--;
		}
	}
	if (!free_head)
		return -1;
	uint32_t i = free_head - 1;
	free_head = node[i].next;
	used++;
	return i;
}

static void insert(uint32_t i, uint64_t hash, const struct pmap *pm, uint64_t key, uint32_t refs)
{
	node[i] = (struct snode){ hash, pm, key, refs, *bucket(hash) };
	*bucket(hash) = i + 1;
}

/* Guest frame gfn of pm, now mapped to its own frame `old`, maps the shared frame s instead. */
static void join(struct pmap *pm, uint64_t gfn, uint32_t s)
{
	mfn_t old = pm->p2m[gfn];
	pm->ops->unmap(pm->ctx, gfn, old);
	pm->p2m[gfn] = node[s].key | PMAP_SHARED;
	frame_free(pm->vm, old);
	pm->backed--;
	pm->shared++;
	node[s].refs++;
	st.refs++;
	st.merged++;
}

/* Is the hinted frame still what it was, plain, and equal to `page`? */
static int hint_holds(const struct snode *h, const void *page)
{
	const struct pmap *hp = h->pm;
	mfn_t m = pmap_peek(hp, h->key);
	if (m == PMAP_NONE || hp->ops->pinned(hp->ctx, h->key))
		return 0;
	return share_hash(frame_to_virt(m)) == h->hash && memcmp(frame_to_virt(m), page, FRAME_SIZE) == 0;
}

static void scan_one(struct pmap *pm, uint64_t gfn)
{
	mfn_t m = pmap_peek(pm, gfn);
	if (m == PMAP_NONE || pm->ops->pinned(pm->ctx, gfn))
		return;
	const void *page = frame_to_virt(m);
	uint64_t h = share_hash(page);
	st.scanned++;
	for (uint32_t l = *bucket(h); l; l = node[l - 1].next) {
		uint32_t i = l - 1;
		if (node[i].hash != h)
			continue;
		if (!node[i].pm) {
			if (memcmp(frame_to_virt(node[i].key), page, FRAME_SIZE) == 0) {
				join(pm, gfn, i);
				return;
			}
			continue;
		}
		if (node[i].pm == pm && node[i].key == gfn)
			return;                           /* itself, unchanged since: still a hint */
		if (!hint_holds(&node[i], page)) {
			unlink(i);                        /* stale: it changed, went, or is pinned now */
			st.hints--;
			break;
		}
		/* The hinted frame becomes the shared one; this one joins it. */
		struct pmap *hp = (struct pmap *)node[i].pm;
		uint64_t hg = node[i].key;
		mfn_t hm = hp->p2m[hg];
		hp->ops->unmap(hp->ctx, hg, hm);
		frame_give(hm, hp->vm, FRAME_SHARED);
		hp->p2m[hg] = hm | PMAP_SHARED;
		hp->backed--;
		hp->shared++;
		node[i].pm = 0;
		node[i].key = hm;
		node[i].refs = 1;
		st.hints--;
		st.frames++;
		st.refs++;
		join(pm, gfn, i);
		return;
	}
	int64_t i = alloc_node();
	if (i >= 0) {
		insert((uint32_t)i, h, pm, gfn, 0);
		st.hints++;
	}
}

void share_scan(struct pmap *pm, unsigned n)
{
	if (!node || !pm->ops)
		return;
	for (unsigned k = 0; k < n; k++) {
		scan_one(pm, pm->share_hand);
		if (++pm->share_hand >= pm->nframes)
			pm->share_hand = 0;
	}
}

void share_put(mfn_t m, int cow)
{
	st.broken += cow != 0;
	uint64_t h = share_hash(frame_to_virt(m));
	for (uint32_t l = *bucket(h); l; l = node[l - 1].next) {
		uint32_t i = l - 1;
		if (node[i].pm || node[i].key != m)
			continue;
		st.refs--;
		if (--node[i].refs == 0) {
			unlink(i);
			st.frames--;
			frame_free(FRAME_SHARED, m);
		}
		return;
	}
	assert(!"share_put: not a shared frame");
}

void share_forget(const struct pmap *pm)
{
	for (uint64_t i = 0; node && i < nnodes; i++)
		if (node[i].pm == pm) {
			unlink((uint32_t)i);
			st.hints--;
		}
}

void share_get_stats(struct share_stats *out)
{
	*out = st;
}

void share_reset(void)
{
	node = 0;
	bucket_head = 0;
	nnodes = nbuckets = used = clock_hand = 0;
	free_head = 0;
	memset(&st, 0, sizeof st);
}
