/* traced.c - shadow page tables proper, cached and kept coherent by tracing (see traced.h).
 *
 * A walk through what happens:
 *  - The guest loads CR3 (traced_switch): the root of that page directory is looked up among the
 *    cached ones (a hit: nothing else to do but load it) or made empty (a miss). The directory's
 *    frame becomes traced: read-only in every shadow.
 *  - The guest touches an address the shadow lacks: a hidden fault (vtlb.c walks the guest's
 *    tables, sets its A/D bits, picks the permissions) ends in traced_fill, which finds the tpage
 *    for the guest directory entry -- the one every other address space using the same guest page
 *    table already has, or a new one, whose guest frame becomes traced -- and sets one entry.
 *  - The guest writes a traced frame: the write faults, vtlb.c emulates it (gmem.c does the store),
 *    and traced_written clears the shadow entries made from the guest entries it overwrote. The
 *    real TLB keeps what it had until the guest's own invlpg or CR3 write, as on a real CPU: the
 *    guest owes the flush, not the VMM. A table written again and again with no fault through it in
 *    between (a page-table page freed and reused as data, or a parent's table during fork) is
 *    unshadowed after FLOOD writes, KVM's write-flood rule: its tpages go, and it is a plain page.
 *  - The VMM changes what a frame may be mapped as (a new traced table, scanned code): every
 *    mapping of it is found through the reverse map and changed at once, with a TLB flush, and a
 *    2 MiB root entry over it (a 4 MiB guest page whose frames were all plain) is taken out.
 * Invariant: a shadow entry exists only where the guest's tables, as they are now, allow the access
 * with nothing left to do (A set; writable only if D is set and the frame is neither a traced table
 * nor scanned code), and it maps a frame of this VM. */
#include "traced.h"
#include "shadow.h"
#include "../cpu/vm.h"
#include "../cpu.h"
#include "../boot.h"
#include "../../../mm/assert.h"
#include "../../../lib/kstring.h"

#define P 1ULL
#define W 2ULL
#define U 4ULL
#define NX (1ULL << 63)
#define PS 0x80ULL                    /* a root entry that maps 2 MiB itself */
#define A 0x20ULL                     /* Accessed: the MMU sets it in the shadow entry it uses */
#define GROUP 512u                    /* guest frames under one 2 MiB entry (PMAP_GROUP) */
#define G_P 1u
#define G_W 2u
#define G_U 4u
#define G_A 0x20u
#define G_D 0x40u
#define G_PS 0x80u

/* A tpage's role: which half of the guest table, the guest directory entry's W and U bits; LARGE
 * for 2 MiB of a 4 MiB guest page (its gfn is then the first frame of those 2 MiB), with D. */
#define R_HALF 1u
#define R_W 2u
#define R_U 4u
#define R_LARGE 8u
#define R_D 16u

#define TROOTS 32
#define THASH_BITS 10
#define TPAGES_MAX 16384      /* the index fits the 14 ignored bits of a directory entry */
#define PAR_N 4
#define PAR_MANY 0xFF
#define FLOOD 4               /* traced writes with no fill in between: unshadow the table */
#define NOPAGING 0xFFFFFFFFu  /* the root used while the guest's paging is off */
#define UNUSED 0xFFFFFFFEu    /* a root slot with no address space */

struct tpage {
	uint32_t gfn;
	uint8_t role, ref, npar, flood;   /* ref: used since the reclaim hand passed (CLOCK) */
	uint16_t par[PAR_N];              /* root directory entries pointing here: root << 11 | j */
	uint32_t hnext;                   /* hash chain (free list when free): index + 1 */
	uint32_t live;                    /* in use (else on the free list) */
	mfn_t m;                          /* the table, then its reverse-map records (0: none yet);
	                                   * a slot keeps its frames until the VM ends */
};

/* Reverse map: one record per entry of every tpage (link i * 512 + e + 1 names entry e of tpage
 * i), chained from the mapped guest frame's head. */
struct rrec {
	uint32_t next, gfn;
};

struct troot {
	uint32_t gfn;                     /* the guest page directory, NOPAGING, or UNUSED */
	uint32_t flood;
	uint64_t stamp;
	mfn_t m;                          /* PML4, PDPT, four page directories; 0: none yet */
	uint64_t live[32];                /* which of the 2048 directory entries are present */
};

struct traced {
	mfn_t meta;
	uint64_t meta_frames, nframes;
	uint64_t budget, used;            /* shadow frames allowed and held (6 a root, 2 a tpage) */
	unsigned max, inuse, hand, cur;   /* tpage slots, live ones, CLOCK hand, the root in use */
	unsigned nroots;                  /* root slots (up to TROOTS: an eighth of the bound) */
	uint32_t freelist;
	int flush;                        /* a mapping lost permissions: flush the TLB before the guest runs */
	uint64_t clock;
	struct tpage *pg;
	uint64_t *gi;                     /* per guest frame: rmap head (bits 0-31), tables using it (32-63) */
	uint16_t *lg;                     /* per group of GROUP guest frames: root entries mapping it large */
	uint32_t hash[1u << THASH_BITS];
	struct troot root[TROOTS];
	struct traced_stats st;
};

static struct traced *T(const struct vm *vm) { return vm->sh.tr; }
static uint64_t *table(const struct tpage *t) { return frame_to_virt(t->m); }
static struct rrec *recs(const struct tpage *t) { return frame_to_virt(t->m + 1); }
static uint64_t *root_pd(const struct troot *r) { return frame_to_virt(r->m + 2); }   /* 2048 entries */
static unsigned bucket(uint32_t gfn) { return (gfn * 2654435761u) >> (32 - THASH_BITS); }
static unsigned ntables(const struct traced *tr, uint32_t gfn) { return (unsigned)(tr->gi[gfn] >> 32); }

/* A root's directory entry names its tpage in bits the MMU ignores (52-62 and 9-11); one that maps
 * 2 MiB itself (PS) names its group of guest frames in bits 52-62. */
static uint64_t pde_make(const struct tpage *t, unsigned i)
{
	return (t->m << FRAME_SHIFT) | P | W | U | ((uint64_t)(i & 0x7FF) << 52) | ((uint64_t)(i >> 11) << 9);
}
static unsigned pde_index(uint64_t e) { return (unsigned)((e >> 52) & 0x7FF) | (unsigned)(((e >> 9) & 7) << 11); }
static unsigned pde_group(uint64_t e) { return (unsigned)((e >> 52) & 0x7FF); }

/* Before the guest runs again: a mapping that lost permission must not stay in the TLB. */
static void finish(struct vm *vm, struct traced *tr)
{
	if (tr->flush && shadow_is_active(&vm->sh))
		WRITE_CR(3, READ_CR(3));
	tr->flush = 0;
}

/* ---- the reverse map ---- */

static struct rrec *rec(struct traced *tr, uint32_t link) { return &recs(&tr->pg[(link - 1) >> 9])[(link - 1) & 511]; }
static uint64_t *entry(struct traced *tr, uint32_t link) { return &table(&tr->pg[(link - 1) >> 9])[(link - 1) & 511]; }

static void rmap_add(struct traced *tr, uint32_t gfn, uint32_t link)
{
	struct rrec *r = rec(tr, link);
	r->gfn = gfn;
	r->next = (uint32_t)tr->gi[gfn];
	tr->gi[gfn] = (tr->gi[gfn] & ~0xFFFFFFFFull) | link;
}

static void rmap_del(struct traced *tr, uint32_t link)
{
	struct rrec *r = rec(tr, link);
	uint32_t l = (uint32_t)tr->gi[r->gfn];
	if (l == link) {
		tr->gi[r->gfn] = (tr->gi[r->gfn] & ~0xFFFFFFFFull) | r->next;
		return;
	}
	for (; l; l = rec(tr, l)->next)
		if (rec(tr, l)->next == link) {
			rec(tr, l)->next = r->next;
			return;
		}
	assert(0);   /* every present entry has its record */
}

/* 1 if it was present (a mapping dropped), 0 if there was nothing to clear. */
static int leaf_clear(struct traced *tr, unsigned i, unsigned e)
{
	uint64_t *x = &table(&tr->pg[i])[e];
	if (!(*x & P))
		return 0;
	rmap_del(tr, i * 512 + e + 1);
	*x = 0;
	return 1;
}

static int pde_clear(struct traced *tr, unsigned r, unsigned j);
static unsigned pde_next(const struct troot *rt, unsigned j);

/* Frame gfn may no longer be mapped as part of a 2 MiB entry (it became a table, or scanned code):
 * every root entry that maps its group large goes; the next access decides again. */
static void demote(struct traced *tr, uint32_t gfn)
{
	unsigned g = gfn / GROUP;
	for (unsigned r = 0; tr->lg[g] && r < TROOTS; r++) {
		if (tr->root[r].gfn == UNUSED)
			continue;
		const uint64_t *pd = root_pd(&tr->root[r]);
		for (unsigned j = pde_next(&tr->root[r], 0); j < 2048; j = pde_next(&tr->root[r], j + 1))
			if ((pd[j] & PS) && pde_group(pd[j]) == g) {
				pde_clear(tr, r, j);
				tr->flush = 1;
				tr->st.demotions++;
			}
	}
}

/* Frame gfn is (delta > 0) or is no longer (delta < 0) a table some shadow depends on. When it
 * becomes one, every writable mapping of it is made read-only: from now on its writes are traced. */
static void mark_table(struct traced *tr, uint32_t gfn, int delta)
{
	if (gfn >= tr->nframes)
		return;
	tr->gi[gfn] += (uint64_t)(int64_t)delta << 32;
	guard_gen++;
	if (delta < 0 || ntables(tr, gfn) != 1)
		return;
	demote(tr, gfn);
	for (uint32_t l = (uint32_t)tr->gi[gfn]; l; l = rec(tr, l)->next) {
		uint64_t *x = entry(tr, l);
		if (*x & W) {
			*x &= ~W;
			tr->flush = 1;
			tr->st.wprotects++;
		}
	}
}

/* ---- tpages ---- */

static void par_add(struct tpage *t, uint16_t p)
{
	if (t->npar == PAR_MANY)
		return;
	if (t->npar == PAR_N)
		t->npar = PAR_MANY;   /* from now on, freeing it searches every root */
	else
		t->par[t->npar++] = p;
}

static void par_del(struct tpage *t, uint16_t p)
{
	if (t->npar == PAR_MANY)
		return;
	for (unsigned k = 0; k < t->npar; k++)
		if (t->par[k] == p) {
			t->par[k] = t->par[--t->npar];
			return;
		}
}

/* Root directory entry j of root r no longer points at its tpage. */
static int pde_clear(struct traced *tr, unsigned r, unsigned j)
{
	uint64_t *pd = root_pd(&tr->root[r]);
	if (!(pd[j] & P))
		return 0;
	if (pd[j] & PS)
		tr->lg[pde_group(pd[j])]--;
	else
		par_del(&tr->pg[pde_index(pd[j])], (uint16_t)(r << 11 | j));
	pd[j] = 0;
	tr->root[r].live[j >> 6] &= ~(1ULL << (j & 63));
	return 1;
}

/* The next present directory entry of root r from j on (2048: none). */
static unsigned pde_next(const struct troot *rt, unsigned j)
{
	for (; j < 2048; j = (j | 63) + 1) {
		uint64_t w = rt->live[j >> 6] >> (j & 63);
		if (w)
			return j + (unsigned)__builtin_ctzll(w);
	}
	return 2048;
}

static void tpage_free(struct vm *vm, struct traced *tr, unsigned i)
{
	struct tpage *t = &tr->pg[i];
	uint64_t *tb = table(t);
	for (unsigned e = 0; e < 512; e++)
		if (tb[e] & P)
			rmap_del(tr, i * 512 + e + 1);
	/* Its parents: the root entries that point here (all of them searched when it had too many to
	 * keep a list). */
	if (t->npar == PAR_MANY) {
		for (unsigned r = 0; r < TROOTS; r++) {
			if (tr->root[r].gfn == UNUSED)
				continue;
			uint64_t *pd = root_pd(&tr->root[r]);
			for (unsigned j = pde_next(&tr->root[r], 0); j < 2048; j = pde_next(&tr->root[r], j + 1))
				if (!(pd[j] & PS) && pde_index(pd[j]) == i)
					pde_clear(tr, r, j);
		}
	}
	for (unsigned k = t->npar == PAR_MANY ? 0 : t->npar; k--;)
		pde_clear(tr, t->par[k] >> 11, t->par[k] & 2047);   /* (takes par[k] off the list) */
	uint32_t *link = &tr->hash[bucket(t->gfn)];
	while (*link != i + 1)
		link = &tr->pg[*link - 1].hnext;
	*link = t->hnext;
	if (!(t->role & R_LARGE))
		mark_table(tr, t->gfn, -1);
	t->live = 0;
	t->hnext = tr->freelist;     /* first on the free list: its frames are reused next */
	tr->freelist = i + 1;
	tr->inuse--;
	tr->flush = 1;               /* no TLB may keep what it mapped */
	vm->sh.gen++;
}

/* The CLOCK hand: free `want` tpages not used since it last passed. */
static void reclaim(struct vm *vm, struct traced *tr, unsigned want)
{
	unsigned freed = 0;
	for (unsigned n = 0; n < 2 * tr->max && freed < want && tr->inuse; n++) {
		unsigned i = tr->hand;
		tr->hand = (tr->hand + 1) % tr->max;
		struct tpage *t = &tr->pg[i];
		if (!t->live)
			continue;
		if (t->ref) {
			t->ref = 0;
			continue;
		}
		tpage_free(vm, tr, i);
		freed++;
	}
	tr->st.reclaimed += freed;
}

static int tpage_new(struct vm *vm, struct traced *tr, uint32_t gfn, unsigned role, unsigned *out)
{
	if (!tr->freelist)
		reclaim(vm, tr, tr->inuse / 4 + 1);      /* every slot is live: the bound is reached */
	if (!tr->freelist)
		return -1;
	struct tpage *t = &tr->pg[tr->freelist - 1];
	if (!t->m) {
		/* A slot never used: its frames now (the slots were sized to fit the bound). When the
		 * machine is short, reclaim puts slots that have frames first on the free list. */
		if (frame_alloc_run(FRAME_VMM, 2, 1, &t->m) < 0) {
			t->m = 0;
			reclaim(vm, tr, tr->inuse / 4 + 1);
			t = &tr->pg[tr->freelist - 1];
			if (!t->m)
				return -1;
		} else {
			tr->used += 2;
		}
	}
	unsigned i = (unsigned)(t - tr->pg);
	tr->freelist = t->hnext;
	mfn_t m = t->m;
	memset(frame_to_virt(m), 0, FRAME_SIZE);
	*t = (struct tpage){ .gfn = gfn, .role = (uint8_t)role, .ref = 1, .live = 1, .m = m };
	t->hnext = tr->hash[bucket(gfn)];
	tr->hash[bucket(gfn)] = i + 1;
	tr->inuse++;
	if (!(role & R_LARGE))
		mark_table(tr, gfn, +1);
	*out = i;
	return 0;
}

/* Can the 2 MiB of guest frames from gfn0 (a 4 MiB guest page's half, role LARGE) be mapped by one
 * root entry? Only if every frame is RAM the VM has, backed by one aligned machine run, and plain
 * (no traced table here, no scanned code, descriptor table or BIOS area: vtlb.c), and if the entry
 * allows what the page asked for (w, u, nx) -- the guest kernel's pages are no-execute until
 * scanned, so a 2 MiB one is no-execute for it. *val: the entry. */
static int large_ok(struct vm *vm, struct traced *tr, uint32_t gfn0, unsigned role, int w, int u, int nx,
		    uint64_t *val)
{
	int lw = (role & R_W) && (role & R_D), lu = (role & R_U) != 0;
	int lnx = (!lu || tr->root[tr->cur].gfn == NOPAGING) && shadow_have_nx;
	if (!(role & R_LARGE) || gfn0 + GROUP > tr->nframes || (w && !lw) || (u && !lu) || (lnx && !nx))
		return 0;
	mfn_t m0 = pmap_peek(&vm->pmap, gfn0);
	if (m0 == PMAP_NONE || (m0 & (GROUP - 1)))
		return 0;
	for (unsigned i = 0; i < GROUP; i++)
		if (pmap_peek(&vm->pmap, gfn0 + i) != m0 + i || ntables(tr, gfn0 + i))
			return 0;
	if (!shadow_group_plain(vm, gfn0))
		return 0;
	assert(frame_owner(m0) == vm->pmap.vm);     /* 2 MiB of this VM's frames, never the VMM's */
	*val = (m0 << FRAME_SHIFT) | P | PS | (lw ? W : 0) | (lu ? U : 0) | (lnx ? NX : 0) |
	       ((uint64_t)(gfn0 / GROUP) << 52);
	return 1;
}

/* The root entry for la in the root in use, made if needed from what the guest's directory entry
 * names: 1, its tpage in *out; 2, it maps 2 MiB itself (large_ok, for the page asked for with w, u,
 * nx); 0, out of memory. */
static int pde_table(struct vm *vm, struct traced *tr, uint32_t la, int w, int u, int nx, unsigned *out)
{
	struct troot *rt = &tr->root[tr->cur];
	unsigned j = la >> 21, role;
	uint32_t gfn;
	if (rt->gfn == NOPAGING) {
		gfn = j << 9;                          /* identity: 2 MiB of guest-physical */
		role = R_LARGE | R_D | R_W | R_U;
	} else {
		const uint32_t *pd = gpa_ptr(vm, rt->gfn << 12);
		uint32_t pde = pd ? pd[la >> 22] : 0;
		if (!(pde & G_P))
			return 0;                      /* (the walk that led here found it present) */
		if ((pde & G_PS) && (vm->cr4 & CR4_PSE)) {
			gfn = ((pde >> 12) & ~1023u) + (j & 1) * 512;
			role = R_LARGE | ((pde & G_D) ? R_D : 0);
		} else {
			gfn = pde >> 12;
			role = j & 1 ? R_HALF : 0;
		}
		role |= ((pde & G_W) ? R_W : 0) | ((pde & G_U) ? R_U : 0);
	}
	uint64_t *spd = root_pd(rt), val;
	if (spd[j] & P) {
		unsigned i = pde_index(spd[j]);
		if (!(spd[j] & PS) && tr->pg[i].gfn == gfn && tr->pg[i].role == role) {
			*out = i;
			return 1;
		}
		/* It named another tpage (a large page's D changed), or it maps 2 MiB and the access
		 * still faulted (D changed, or it allows too little): decide again. */
		pde_clear(tr, tr->cur, j);
	}
	if (large_ok(vm, tr, gfn, role, w, u, nx, &val)) {
		spd[j] = val;
		rt->live[j >> 6] |= 1ULL << (j & 63);
		tr->lg[gfn / GROUP]++;
		tr->st.large++;
		return 2;
	}
	unsigned i = 0;
	uint32_t l;
	for (l = tr->hash[bucket(gfn)]; l; l = tr->pg[l - 1].hnext)
		if (tr->pg[l - 1].gfn == gfn && tr->pg[l - 1].role == role)
			break;
	if (l)
		i = l - 1;                             /* another address space made it: shared */
	else if (tpage_new(vm, tr, gfn, role, &i) < 0)
		return 0;
	par_add(&tr->pg[i], (uint16_t)(tr->cur << 11 | j));
	spd[j] = pde_make(&tr->pg[i], i);
	rt->live[j >> 6] |= 1ULL << (j & 63);
	*out = i;
	return 1;
}

int traced_fill(struct vm *vm, uint32_t la, uint32_t gfn, mfn_t m, int w, int u, int nx)
{
	struct traced *tr = T(vm);
	unsigned i;
	int k = pde_table(vm, tr, la, w, u, nx, &i);   /* (a table's group is never mapped 2 MiB) */
	if (k != 1) {
		if (k == 2 && shadow_is_active(&vm->sh))
			invlpg(la);
		finish(vm, tr);
		return k ? 0 : -1;
	}
	struct tpage *t = &tr->pg[i];
	t->ref = 1;
	t->flood = 0;                               /* in use as a table: not a flood */
	if (ntables(tr, gfn))
		w = 0;                                  /* a traced table: its writes must fault */
	unsigned e = (la >> 12) & 511;
	uint64_t val = (m << FRAME_SHIFT) | P | (w ? W : 0) | (u ? U : 0) | (nx && shadow_have_nx ? NX : 0);
	uint64_t *x = &table(t)[e];
	if (*x != val) {
		/* Never a VMM frame, never another VM's; a frame shared copy-on-write (mm/share.c) only
		 * read-only. */
		assert(frame_owner(m) == vm->pmap.vm || (frame_owner(m) == FRAME_SHARED && !w));
		if (*x & P)
			rmap_del(tr, i * 512 + e + 1);
		*x = val;
		rmap_add(tr, gfn, i * 512 + e + 1);
		tr->st.fills++;
		if (shadow_is_active(&vm->sh))
			invlpg(la);
	}
	finish(vm, tr);
	return 0;
}

int traced_is_table(const struct vm *vm, uint32_t gfn)
{
	const struct traced *tr = T(vm);
	return gfn < tr->nframes && ntables(tr, gfn);
}

/* ---- roots ---- */

static void root_clear(struct traced *tr, unsigned r)
{
	struct troot *rt = &tr->root[r];
	for (unsigned j = pde_next(rt, 0); j < 2048; j = pde_next(rt, j + 1))
		pde_clear(tr, r, j);
	if (rt->gfn != NOPAGING)
		mark_table(tr, rt->gfn, -1);
	rt->gfn = UNUSED;
	tr->flush = 1;
}

/* A root slot for `key`: an unused one with frames, a new one, or the least recently used. */
static int root_new(struct traced *tr, uint32_t key, unsigned *out)
{
	unsigned r = TROOTS, empty = TROOTS, lru = TROOTS;
	for (unsigned k = 0; k < tr->nroots; k++) {
		struct troot *rt = &tr->root[k];
		if (rt->gfn == UNUSED && rt->m && r == TROOTS)
			r = k;
		else if (!rt->m && empty == TROOTS)
			empty = k;
		else if (rt->gfn != UNUSED && (lru == TROOTS || rt->stamp < tr->root[lru].stamp))
			lru = k;
	}
	mfn_t m;
	if (r == TROOTS && empty < TROOTS && frame_alloc_run(FRAME_VMM, 6, 1, &m) == 0) {
		memset(frame_to_virt(m), 0, 6 * FRAME_SIZE);
		uint64_t *pml4 = frame_to_virt(m), *pdpt = frame_to_virt(m + 1), *vmm = paging_pml4();
		for (int k = 256; k < 512; k++)
			pml4[k] = vmm[k];
		pml4[0] = ((m + 1) << FRAME_SHIFT) | P | W | U;
		for (int k = 0; k < 4; k++)
			pdpt[k] = ((m + 2 + (uint64_t)k) << FRAME_SHIFT) | P | W | U;
		tr->root[empty] = (struct troot){ .gfn = UNUSED, .m = m };   /* (live: none) */
		tr->used += 6;
		r = empty;
	}
	if (r == TROOTS) {
		if (lru == TROOTS)
			return -1;
		root_clear(tr, lru);                   /* evict the least recently used address space */
		tr->st.evicted++;
		r = lru;
	}
	struct troot *rt = &tr->root[r];
	rt->gfn = key;
	if (key != NOPAGING)
		mark_table(tr, key, +1);
	*out = r;
	return 0;
}

int traced_switch(struct vm *vm)
{
	struct traced *tr = T(vm);
	int on = shadow_is_active(&vm->sh);
	uint32_t key = (vm->cr0 & CR0_PG) ? vm->cr3 >> 12 : NOPAGING;
	unsigned r;
	tr->st.cr3_switches++;
	for (r = 0; r < TROOTS; r++)
		if (tr->root[r].gfn == key)
			break;
	if (r < TROOTS) {
		tr->st.root_hits++;
	} else {
		tr->st.root_misses++;
		if (root_new(tr, key, &r) < 0)
			return -1;
		vm->sh.gen++;      /* a root (re)built: what its tables map may have changed untraced */
	}
	struct troot *rt = &tr->root[r];
	rt->stamp = ++tr->clock;
	rt->flood = 0;
	tr->cur = r;
	vm->sh.root = rt->m;
	vm->sh.pml4 = frame_to_virt(rt->m);
	if (on)
		WRITE_CR(3, rt->m << FRAME_SHIFT);     /* the guest's CR3 write flushes its TLB: so does this */
	tr->flush = 0;
	return 0;
}

int traced_reset(struct vm *vm)
{
	struct traced *tr = T(vm);
	tr->st.resets++;
	for (unsigned i = 0; i < tr->max; i++)
		if (tr->pg[i].live)
			tpage_free(vm, tr, i);
	for (unsigned r = 0; r < TROOTS; r++)
		if (tr->root[r].gfn != UNUSED)
			root_clear(tr, r);
	return traced_switch(vm);                      /* (loads CR3: the flush) */
}

/* ---- tracing ---- */

/* KVM's prefetch: the guest has just written entry e of the table tpage i shadows, and the new
 * entry is present and already Accessed -- the guest (Linux does: its PTEs are made with A set)
 * says the page is in use. Make now the leaf the next access's hidden fault would make, with the
 * same permissions (shadow_rights: read-only until D is set, and so on), instead of leaving the
 * entry empty for a fault to fill. Only when the target frame is backed already (a prefetch does
 * not allocate) and is RAM; nothing is set in the guest's entry (A is set, D is not touched). */
static void prefetch(struct vm *vm, struct traced *tr, unsigned i, unsigned e, uint32_t pte)
{
	uint32_t tgfn = pte >> 12;
	mfn_t m;
	if ((pte & (G_P | G_A)) != (G_P | G_A) || tgfn >= tr->nframes || (m = pmap_peek(&vm->pmap, tgfn)) == PMAP_NONE)
		return;
	unsigned role = tr->pg[i].role;
	/* (the walk's flags keep U and W at the entries' bit positions, as the #PF error code does) */
	uint32_t flags = ((pte & G_U) && (role & R_U) ? G_U : 0) | ((pte & G_W) && (role & R_W) ? G_W : 0) |
			 (pte & G_D ? SHADOW_DIRTY : 0);
	int w, u, nx;
	shadow_rights(vm, tgfn << 12, flags, 0, 0, &w, &u, &nx);
	if (ntables(tr, tgfn))
		w = 0;                                  /* a traced table: its writes must fault */
	uint64_t *x = &table(&tr->pg[i])[e];
	assert(!(*x & P));                              /* (traced_written cleared it) */
	assert(frame_owner(m) == vm->pmap.vm);          /* never a VMM frame, never another VM's */
	*x = (m << FRAME_SHIFT) | P | (w ? W : 0) | (u ? U : 0) | (nx && shadow_have_nx ? NX : 0);
	rmap_add(tr, tgfn, i * 512 + e + 1);
	tr->st.prefetches++;
}

void traced_written(struct vm *vm, uint32_t gfn, unsigned off, unsigned len)
{
	struct traced *tr = T(vm);
	unsigned k0 = off >> 2, k1 = (off + len - 1) >> 2;
	tr->st.traced_writes++;
	/* The guest's table as it is now (backed: the guest has just written it). */
	mfn_t gm = pmap_peek(&vm->pmap, gfn);
	assert(gm != PMAP_NONE);
	const uint32_t *g = frame_to_virt(gm);
	/* The frame is a table for ntables() shadows: tpages (as a page table) and roots (as a page
	 * directory). Those that are not tpages are roots; when there are none, the 32 root slots
	 * need no look (most writes: a page table's). */
	unsigned roots = ntables(tr, gfn);
	int dropped = 0;            /* a present shadow entry went (most writes fill an empty one) */
	/* As a page table: the entries of its tpages made from the guest entries written. */
	for (uint32_t l = tr->hash[bucket(gfn)], next; l; l = next) {
		unsigned i = l - 1;
		struct tpage *t = &tr->pg[i];
		next = t->hnext;
		if (t->gfn != gfn || (t->role & R_LARGE))
			continue;
		roots--;
		for (unsigned k = k0; k <= k1; k++)
			if ((k >> 9) == (t->role & R_HALF)) {
				dropped |= leaf_clear(tr, i, k & 511);
				if ((g[k] & (G_P | G_A)) == (G_P | G_A))
					prefetch(vm, tr, i, k & 511, g[k]);
			}
		if (++t->flood >= FLOOD) {
			tpage_free(vm, tr, i);
			tr->st.flood_unshadows++;
		}
	}
	/* As a page directory: the root entries (two of 2 MiB for each guest entry of 4 MiB). */
	for (unsigned r = 0; roots && r < TROOTS; r++) {
		if (tr->root[r].gfn != gfn)
			continue;
		roots--;
		for (unsigned k = k0; k <= k1; k++) {
			dropped |= pde_clear(tr, r, 2 * k);
			dropped |= pde_clear(tr, r, 2 * k + 1);
		}
		if (r != tr->cur && ++tr->root[r].flood >= FLOOD) {
			root_clear(tr, r);             /* a directory no longer in use, written as data */
			tr->st.flood_unshadows++;
			dropped = 1;
		}
	}
	/* Only a dropped mapping can make a guest-linear page map elsewhere (what sh.gen tells the
	 * caches keyed by it, vm.h patch_at); a write into an empty entry (a new page) cannot.
	 * (tpage_free counts its own.) */
	if (dropped)
		vm->sh.gen++;
	finish(vm, tr);
}

int traced_unshadow(struct vm *vm, uint32_t gfn)
{
	struct traced *tr = T(vm);
	if (tr->root[tr->cur].gfn == gfn)
		return -1;
	tr->st.emul_unshadows++;
	for (uint32_t l = tr->hash[bucket(gfn)], next; l; l = next) {
		next = tr->pg[l - 1].hnext;
		if (tr->pg[l - 1].gfn == gfn && !(tr->pg[l - 1].role & R_LARGE))
			tpage_free(vm, tr, l - 1);
	}
	for (unsigned r = 0; r < TROOTS; r++)
		if (tr->root[r].gfn == gfn)
			root_clear(tr, r);
	finish(vm, tr);
	return 0;
}

void traced_drop_gfn(struct vm *vm, uint32_t gfn)
{
	struct traced *tr = T(vm);
	if (gfn >= tr->nframes)
		return;
	tr->st.frame_drops++;
	demote(tr, gfn);
	for (uint32_t l; (l = (uint32_t)tr->gi[gfn]);) {
		leaf_clear(tr, (l - 1) >> 9, (l - 1) & 511);
		tr->flush = 1;
	}
	vm->sh.gen++;
	finish(vm, tr);
}

int traced_young(struct vm *vm, uint32_t gfn)
{
	struct traced *tr = T(vm);
	int young = 0;
	for (uint32_t l = gfn < tr->nframes ? (uint32_t)tr->gi[gfn] : 0; l; l = rec(tr, l)->next) {
		uint64_t *x = entry(tr, l);
		young |= (*x & A) != 0;
		*x &= ~A;
	}
	return young;
}

void traced_invlpg(struct vm *vm, uint32_t la, int large)
{
	if (!shadow_is_active(&vm->sh))
		return;
	if (large)
		WRITE_CR(3, READ_CR(3));
	else
		invlpg(la);
}

/* ---- life ---- */

int traced_init(struct vm *vm, uint64_t budget)
{
	/* The bound: an eighth for roots (at least two), the rest for tpages. */
	uint64_t nframes = vm->pmap.nframes, nroots = budget / 48 < 2 ? 2 : budget / 48 > TROOTS ? TROOTS : budget / 48;
	uint64_t max = budget < 6 * nroots + 8 ? 0 : (budget - 6 * nroots) / 2;
	if (max > TPAGES_MAX)
		max = TPAGES_MAX;
	uint64_t bytes = sizeof(struct traced) + max * sizeof(struct tpage) + nframes * 8 + (nframes / GROUP + 1) * 2;
	uint64_t frames = (bytes + FRAME_SIZE - 1) / FRAME_SIZE;
	mfn_t m;
	if (!max || frame_alloc_run(FRAME_VMM, frames, 1, &m) < 0)
		return -1;
	memset(frame_to_virt(m), 0, frames * FRAME_SIZE);
	struct traced *tr = frame_to_virt(m);
	tr->meta = m;
	tr->meta_frames = frames;
	tr->nframes = nframes;
	tr->budget = budget;
	tr->max = (unsigned)max;
	tr->nroots = (unsigned)nroots;
	tr->pg = (struct tpage *)(tr + 1);
	tr->gi = (uint64_t *)(tr->pg + max);
	tr->lg = (uint16_t *)(tr->gi + nframes);
	for (unsigned i = 0; i < tr->max; i++)
		tr->pg[i].hnext = i + 2 <= tr->max ? i + 2 : 0;
	tr->freelist = tr->max ? 1 : 0;
	for (unsigned r = 0; r < TROOTS; r++)
		tr->root[r].gfn = UNUSED;
	vm->sh.tr = tr;
	if (traced_switch(vm) < 0) {
		traced_destroy(vm);
		return -1;
	}
	return 0;
}

void traced_destroy(struct vm *vm)
{
	struct traced *tr = T(vm);
	if (!tr)
		return;
	for (unsigned i = 0; i < tr->max; i++)
		if (tr->pg[i].m)
			frame_free_run(FRAME_VMM, tr->pg[i].m, 2);
	for (unsigned r = 0; r < TROOTS; r++)
		if (tr->root[r].m)
			frame_free_run(FRAME_VMM, tr->root[r].m, 6);
	vm->sh.tr = 0;
	vm->sh.pml4 = 0;
	frame_free_run(FRAME_VMM, tr->meta, tr->meta_frames);
}

void traced_get_stats(const struct vm *vm, struct traced_stats *st)
{
	const struct traced *tr = T(vm);
	*st = tr->st;
	st->tpages = tr->inuse;
	st->tpages_max = tr->max;
	st->budget = (unsigned)tr->budget;
	st->held = (unsigned)tr->used;
	st->roots = 0;
	for (unsigned r = 0; r < TROOTS; r++)
		st->roots += tr->root[r].gfn != UNUSED;
}

void traced_each_leaf(const struct vm *vm, void (*fn)(void *ctx, uint32_t root_gfn, uint32_t la, uint64_t leaf),
		      void *ctx)
{
	const struct traced *tr = T(vm);
	for (unsigned r = 0; r < TROOTS; r++) {
		const struct troot *rt = &tr->root[r];
		if (rt->gfn == UNUSED)
			continue;
		const uint64_t *pd = root_pd(rt);
		for (unsigned j = pde_next(rt, 0); j < 2048; j = pde_next(rt, j + 1)) {
			if (pd[j] & PS) {                /* 2 MiB: as its 512 pages */
				for (unsigned e = 0; e < 512; e++)
					fn(ctx, rt->gfn, j << 21 | e << 12, (pd[j] & ~(PS | 0x7FFULL << 52)) + ((uint64_t)e << 12));
				continue;
			}
			const uint64_t *tb = table(&tr->pg[pde_index(pd[j])]);
			for (unsigned e = 0; e < 512; e++)
				if (tb[e] & P)
					fn(ctx, rt->gfn, j << 21 | e << 12, tb[e]);
		}
	}
}
