/* frame.c - the machine-frame allocator: who owns each 4 KiB frame of machine memory.
 *
 * Boot code describes memory (usable regions, reserved ranges); frame_init() then builds a flat
 * owner table, one 16-bit entry per frame between the lowest and highest usable address, and
 * places that table in usable memory it reserves for itself. Allocation is next-fit over the
 * table; contiguous runs are searched at the requested alignment (2 MiB runs for large pages).
 * The table is the single source of truth for ownership, so the invariant "a frame is owned by
 * exactly one VM or the VMM" holds by construction; frame_free() asserts the caller owns it. */
#include "frame.h"
#include "assert.h"

struct range {
	uint64_t base, end; /* [base, end) in bytes */
};

static struct range usable[FRAME_MAX_REGIONS], reserved[FRAME_MAX_REGIONS];
static int nusable, nreserved;

static uint16_t *owner;      /* owner[mfn - first] */
static mfn_t first, limit;   /* managed frames are [first, limit) */
static mfn_t hint;           /* next-fit cursor */
static struct frame_stats st;
uintptr_t frame_physmap;

static void add(struct range *r, int *n, uint64_t base, uint64_t len)
{
	if (len == 0 || *n == FRAME_MAX_REGIONS)
		return;
	r[*n].base = base;
	r[*n].end = base + len < base ? ~0ULL : base + len;
	(*n)++;
}

void frame_add_usable(uint64_t base, uint64_t len) { add(usable, &nusable, base, len); }
void frame_add_reserved(uint64_t base, uint64_t len) { add(reserved, &nreserved, base, len); }

void frame_reset(void)
{
	nusable = nreserved = 0;
	owner = 0;
	first = limit = hint = 0;
	st = (struct frame_stats){ 0 };
}

static int is_reserved(uint64_t a, uint64_t b)
{
	for (int i = 0; i < nreserved; i++)
		if (a < reserved[i].end && reserved[i].base < b)
			return 1;
	return 0;
}

int frame_init(uintptr_t physmap, const char **why)
{
	/* 1. The span of whole frames inside usable memory. */
	mfn_t lo = ~0ULL, hi = 0;
	for (int i = 0; i < nusable; i++) {
		mfn_t a = (usable[i].base + FRAME_SIZE - 1) >> FRAME_SHIFT;
		mfn_t b = usable[i].end >> FRAME_SHIFT;
		if (a >= b)
			continue;
		if (a < lo) lo = a;
		if (b > hi) hi = b;
	}
	if (hi == 0) {
		*why = "no usable memory in the memory map";
		return -1;
	}

	/* 2. Find room for the owner table: a frame-aligned, unreserved piece of one usable region. */
	uint64_t need = ((hi - lo) * sizeof(uint16_t) + FRAME_SIZE - 1) & ~(FRAME_SIZE - 1);
	uint64_t at = 0;
	int found = 0;
	for (int i = 0; i < nusable && !found; i++) {
		uint64_t a = (usable[i].base + FRAME_SIZE - 1) & ~(FRAME_SIZE - 1);
		for (; a + need <= usable[i].end && a + need > a; a += FRAME_SIZE) {
			if (a == 0)
				continue; /* never put it at machine address 0 */
			if (!is_reserved(a, a + need)) {
				at = a;
				found = 1;
				break;
			}
		}
	}
	if (!found) {
		*why = "no room for the frame owner table";
		return -1;
	}
	frame_add_reserved(at, need);
	frame_physmap = physmap;
	owner = (void *)(physmap + at);
	first = lo;
	limit = hi;
	hint = lo;

	/* 3. Everything starts reserved; usable frames become free unless a reserved range covers them. */
	for (mfn_t m = lo; m < hi; m++)
		owner[m - lo] = FRAME_RESERVED;
	for (int i = 0; i < nusable; i++) {
		mfn_t a = (usable[i].base + FRAME_SIZE - 1) >> FRAME_SHIFT;
		mfn_t b = usable[i].end >> FRAME_SHIFT;
		for (mfn_t m = a; m < b; m++) {
			if (owner[m - lo] != FRAME_RESERVED)
				continue; /* overlapping usable regions: count once */
			st.managed++;
			uint64_t pa = m << FRAME_SHIFT;
			if (is_reserved(pa, pa + FRAME_SIZE)) {
				owner[m - lo] = FRAME_VMM;
				st.reserved++;
			} else {
				owner[m - lo] = FRAME_FREE;
				st.free++;
			}
		}
	}
	/* Reserved-but-usable frames count as owned by the VMM: they hold its image, tables, modules. */
	st.owned[FRAME_VMM] = st.reserved;
	return 0;
}

unsigned frame_owner(mfn_t mfn)
{
	if (!owner || mfn < first || mfn >= limit)
		return FRAME_RESERVED;
	return owner[mfn - first];
}

static void take(unsigned who, mfn_t m)
{
	assert(owner[m - first] == FRAME_FREE);
	owner[m - first] = (uint16_t)who;
	st.owned[who]++;
	st.free--;
	st.allocs++;
}

int frame_alloc(unsigned who, mfn_t *out)
{
	return frame_alloc_run(who, 1, 1, out);
}

int frame_alloc_run(unsigned who, uint64_t count, uint64_t align, mfn_t *out)
{
	assert(who <= FRAME_MAX_OWNER);
	if (!owner || count == 0 || count > st.free)
		return -1;
	if (align == 0)
		align = 1;
	/* Two passes of next-fit: from the hint to the end, then from the start. */
	for (int pass = 0; pass < 2; pass++) {
		mfn_t m = pass ? first : hint;
		m = (m + align - 1) / align * align;
		while (m + count <= limit) {
			uint64_t k = 0;
			while (k < count && owner[m + k - first] == FRAME_FREE)
				k++;
			if (k == count) {
				for (k = 0; k < count; k++)
					take(who, m + k);
				hint = m + count;
				*out = m;
				return 0;
			}
			/* Skip past the frame that was not free, keeping alignment. */
			m = (m + k + 1 + align - 1) / align * align;
		}
	}
	return -1;
}

void frame_free(unsigned who, mfn_t m)
{
	assert(m >= first && m < limit);
	assert(owner[m - first] == who); /* only the owner may free a frame */
	owner[m - first] = FRAME_FREE;
	st.owned[who]--;
	st.free++;
	st.frees++;
}

void frame_give(mfn_t m, unsigned from, unsigned to)
{
	assert(m >= first && m < limit && to <= FRAME_MAX_OWNER);
	assert(owner[m - first] == from); /* only the owner may give a frame away */
	owner[m - first] = (uint16_t)to;
	st.owned[from]--;
	st.owned[to]++;
}

uint64_t frame_nfree(void)
{
	return st.free;
}

void frame_free_run(unsigned who, mfn_t m, uint64_t count)
{
	for (uint64_t k = 0; k < count; k++)
		frame_free(who, m + k);
}

uint64_t frame_free_all(unsigned who)
{
	uint64_t n = 0;
	assert(who != FRAME_VMM);
	for (mfn_t m = first; m < limit; m++)
		if (owner[m - first] == who) {
			frame_free(who, m);
			n++;
		}
	return n;
}

void frame_get_stats(struct frame_stats *out)
{
	*out = st;
}
