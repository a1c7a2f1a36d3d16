/* test_traced.c - the traced shadows (arch/x86_64/mmu/traced.c) against a reference walk.
 *
 * Random sequences of what a guest does to its translations -- page-table and directory writes
 * (4 KiB and 4 MiB entries, tables pointing at tables and at themselves, entries beyond RAM,
 * Accessed/Dirty bits cleared, whole pages rewritten), accesses (each miss filled as vtlb.c fills
 * a hidden fault, writes to traced tables done as the VMM emulates them), CR3 loads among several
 * address spaces, invlpg, CR0.WP, CR0.PG and CR4.PSE changes, the VMM dropping a frame -- with a
 * bound small enough that tables are reclaimed and roots evicted. After every step, every leaf of
 * every cached shadow (not only the one in use) must be what a walk of the guest's tables, as they
 * are now, allows: the right machine frame of this VM, Accessed (and for a writable leaf Dirty)
 * set in the guest's entries, no more rights than the walk gives, and never writable if the frame
 * is a traced table. And an access the guest's tables allow must not fault again after its fill. */
#define TEST_TRACED
#include <stdlib.h>
#include <string.h>
#include "ktap.h"
#include "fakemem.h"
#include "../../arch/x86_64/cpu/vm.h"
#include "../../arch/x86_64/mmu/traced.h"
#include "shadowstubs.h"

int shadow_have_nx = 1;
uint64_t *paging_pml4(void)
{
	static uint64_t vmm_half[512];
	return vmm_half;
}
void mmio_phys(struct vm *v, uint32_t gpa, void *buf, uint32_t n, int write)
{
	(void)v, (void)gpa;
	if (!write)
		memset(buf, 0xFF, n);
}
int seg_traced_bytes(const struct vm *v, uint32_t gfn, unsigned off, unsigned len)
{
	(void)v, (void)gfn, (void)off, (void)len;
	return 0;
}
void shadow_code_written(struct vm *v, uint32_t gfn) { (void)v, (void)gfn; }
int shadow_group_plain(struct vm *v, uint32_t gfn0) { (void)v, (void)gfn0; return 1; }
/* vtlb.c's policy as far as this test's guest has it (no code, no descriptor tables, no BIOS area
 * in its RAM): writable once dirty, user as the walk says. traced.c's prefetch asks it. */
void shadow_rights(struct vm *v, uint32_t gpa, uint32_t flags, int write, int exec_unscanned, int *w, int *u, int *nx)
{
	(void)v, (void)gpa, (void)exec_unscanned;
	int wbit = (flags & 2) != 0;
	*u = (flags & 4) != 0;
	if (write && !wbit)
		wbit = 1, *u = 0;
	*w = wbit && (write || (flags & SHADOW_DIRTY));
	*nx = 0;
}

#define G_P 1u
#define G_W 2u
#define G_U 4u
#define G_A 0x20u
#define G_D 0x40u
#define G_PS 0x80u
#define ADDR 0x000FFFFFFFFFF000ULL
#define RAM (8u << 20)          /* 2048 guest frames */
#define TBASE 0x10u             /* guest frames TBASE.. hold the tables */
#define TABLES 24u
#define NPD 4u                  /* the first NPD of them are the address spaces CR3 names */

static struct vm vm;
static uint64_t rng;
static unsigned bad;            /* leaf checks failed in this run (printed, then CHECKed) */
static uint64_t demotions;      /* 2 MiB entries taken out, over the runs of a test */
static struct { unsigned hits, fills, true_faults, beyond, table_writes, cr3, resets; } n;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

/* A guest store of 4 bytes at gpa, as it reaches memory: straight through a writable shadow
 * mapping, or (the frame is a traced table, mapped read-only everywhere) faulting and done by
 * the VMM's emulation, whose store gmem.c reports to traced_written. */
static void guest_store(uint32_t gpa, uint32_t val)
{
	*(uint32_t *)gpa_ptr(&vm, gpa) = val;
	if (traced_is_table(&vm, gpa >> 12))
		traced_written(&vm, gpa >> 12, gpa & 0xFFF, 4);
}

static uint32_t rand_entry(void)
{
	uint32_t f = (rnd() % 8 ? G_P : 0) | (rnd() % 4 ? G_W : 0) | (rnd() % 4 ? G_U : 0) |
		     (rnd() % 4 ? G_A : 0) | (rnd() % 2 ? G_D : 0);
	switch (rnd() % 11) {
	case 0: return 0;
	case 6: return ((0x400u + rnd() % 4) << 12) | f;               /* 4-6 MiB: mapped 2 MiB at a time, till one is a table */
	case 1:
	case 2:
	case 3: return ((TBASE + rnd() % TABLES) << 12) | f;           /* a table (a PDE's, or a self-map) */
	case 4: return ((rnd() % 4) << 22) | G_PS | f;                 /* 4 MiB: 0-8 MiB is RAM, 8-16 MiB is not */
	case 5: return ((0x800u + rnd() % 16) << 12) | f;              /* past the end of RAM */
	default: return ((0x100u + rnd() % 64) << 12) | f;             /* a data page */
	}
}

/* A linear address where things happen: the first 16 MiB, 16 pages of each 4 MiB (a few more
 * now and then, in the upper 2 MiB too), and the top 4 MiB. */
static uint32_t rand_la(void)
{
	uint32_t pdi = rnd() % 8 ? rnd() % 4 : 1023;
	return pdi << 22 | (rnd() % 8 ? rnd() % 8 : rnd() % 1024) << 12 | (rnd() & 0xFFC);
}

static uint64_t shadow_lookup(uint32_t la)
{
	uint64_t e = vm.sh.pml4[0];
	for (int shift = 30; shift >= 12; shift -= 9) {
		if (!(e & 1))
			return 0;
		e = ((uint64_t *)frame_to_virt((e & ADDR) >> 12))[(la >> shift) & 511];
		if (shift == 21 && (e & 0x81) == 0x81)   /* 2 MiB: the 4 KiB page of it, as a leaf */
			return (e & ~(0x80ULL | 0x7FFULL << 52)) + (la & 0x1FF000);
	}
	return e;
}

/* What the walk of directory `root` gives for la: 0 not mapped, else 1 with *gpa, the rights and
 * whether the entries' A and D bits are set. */
static int ref_walk(uint32_t root, uint32_t la, uint32_t *gpa, uint32_t *both, int *acc, int *dirty)
{
	if (root == 0xFFFFFFFFu) {
		*gpa = la, *both = G_W | G_U, *acc = *dirty = 1;
		return 1;
	}
	uint32_t pde = ((uint32_t *)gpa_ptr(&vm, root << 12))[la >> 22];
	if (!(pde & G_P))
		return 0;
	if ((pde & G_PS) && (vm.cr4 & CR4_PSE)) {
		*gpa = (pde & 0xFFC00000u) | (la & 0x3FFFFFu), *both = pde, *acc = !!(pde & G_A), *dirty = !!(pde & G_D);
		return 1;
	}
	if ((pde >> 12) >= vm.pmap.nframes)
		return 0;
	uint32_t pte = ((uint32_t *)gpa_ptr(&vm, pde & ~0xFFFu))[(la >> 12) & 1023];
	if (!(pte & G_P))
		return 0;
	*gpa = (pte & ~0xFFFu) | (la & 0xFFF), *both = pde & pte;
	*acc = (pde & G_A) && (pte & G_A), *dirty = !!(pte & G_D);
	return 1;
}

static void check_leaf(void *ctx, uint32_t root, uint32_t la, uint64_t leaf)
{
	(void)ctx;
	uint32_t gpa, both;
	int acc, dirty, ok;
	mfn_t m = (leaf & ADDR) >> 12;
	if (!ref_walk(root, la, &gpa, &both, &acc, &dirty) || !acc) {
		ok = 0;                        /* a leaf the guest's tables no longer give */
	} else {
		int wp = (vm.cr0 & CR0_WP) != 0;
		ok = (gpa >> 12) < vm.pmap.nframes && m == pmap_peek(&vm.pmap, gpa >> 12) &&
		     frame_owner(m) == vm.pmap.vm && (!(leaf & 4) || (both & G_U));
		if (leaf & 2)
			ok = ok && dirty && !traced_is_table(&vm, gpa >> 12) &&
			     ((both & G_W) || (!wp && !(leaf & 4)));
	}
	if (!ok && bad++ < 5)
		printf("    # root %x la %08x leaf %016llx: not what the guest's tables give\n", root, la,
		       (unsigned long long)leaf);
}

/* The guest touches la: the MMU through the shadow; a miss is vtlb.c's shadow_fault in short. */
static void access(uint32_t la, int write, int user)
{
	uint64_t e = shadow_lookup(la);
	if ((e & 1) && (!write || (e & 2)) && (!user || (e & 4))) {
		n.hits++;
		return;
	}
	uint32_t gpa, flags, err;
	if (guest_walk(&vm, la, write, user, &gpa, &flags, &err) < 0) {
		n.true_faults++;                /* reflected to the guest */
		return;
	}
	uint32_t gfn = gpa >> 12;
	if (gfn >= vm.pmap.nframes) {
		n.beyond++;                     /* device memory: never mapped */
		return;
	}
	mfn_t m;
	if (pmap_lookup(&vm.pmap, gfn, &m) < 0)
		abort();
	int u = (flags & G_U) != 0, wbit = (flags & G_W) != 0;
	if (write && !wbit)
		wbit = 1, u = 0;                /* CR0.WP clear: kernel-only writable (as vtlb.c) */
	CHECK(traced_fill(&vm, la & ~0xFFFu, gfn, m, wbit && (write || (flags & SHADOW_DIRTY)), u, 0) == 0);
	n.fills++;
	if (write && traced_is_table(&vm, gfn)) {
		n.table_writes++;               /* the retry faults on a traced table: emulated */
		guest_store(gpa & ~3u, rand_entry());
		return;
	}
	e = shadow_lookup(la);              /* the guest's retry must not fault (but on a table) */
	if (!((e & 1) && (!user || (e & 4)) && (!write || (e & 2) || traced_is_table(&vm, gfn)))) {
		if (bad++ < 5)
			printf("    # la %08x %s %s: still faults after its fill (leaf %016llx)\n", la,
			       write ? "write" : "read", user ? "user" : "kernel", (unsigned long long)e);
	}
}

static void run(uint64_t seed, unsigned steps, uint64_t budget)
{
	const char *why;
	fake_machine();
	memset(&vm, 0, sizeof vm);
	memset(&n, 0, sizeof n);
	if (pmap_create(&vm.pmap, 1, RAM, &why) < 0)
		abort();
	vm.pmap.groups = 1;                 /* 2 MiB runs: 2 MiB shadow entries where all is plain */
	vm.cr0 = CR0_PE | CR0_PG | CR0_WP;
	vm.cr4 = CR4_PSE;
	vm.cr3 = TBASE << 12;
	/* A sane start that the steps then garble: each address space maps 16 MiB through its own
	 * tables (some shared) and a 4 MiB kernel page at the top; each table maps 16 data pages. */
	rng = seed;
	for (uint32_t t = 0; t < TABLES; t++) {
		uint32_t *x = gpa_ptr(&vm, (TBASE + t) << 12);
		memset(x, 0, 4096);
		for (uint32_t i = 0; t < NPD && i < 4; i++)
			x[i] = ((TBASE + NPD + (t * 3 + i) % (TABLES - NPD)) << 12) | G_P | G_W | G_U | G_A;
		if (t < NPD) {
			x[1023] = G_PS | G_P | G_W | G_A | G_D;
			x[2] = 0x00400000u | G_PS | G_P | G_W | G_U | G_A | G_D;   /* 4-8 MiB: plain RAM */
		}
		for (uint32_t i = 0; t >= NPD && i < 16; i++)
			x[i] = ((0x100u + rnd() % 64) << 12) | G_P | G_W | G_U | G_A | (rnd() % 2 ? G_D : 0);
	}
	CHECK(traced_init(&vm, budget) == 0);
	bad = 0;
	for (unsigned s = 0; s < steps && bad == 0; s++) {
		unsigned op = rnd() % 1000;
		if (op < 640) {
			access(rand_la(), rnd() % 3 == 0, rnd() % 4 != 0);
		} else if (op < 790) {
			/* a table entry: a directory's (the first 16 MiB, or the top) or a table's */
			uint32_t t = TBASE + rnd() % TABLES, i = rnd() % 4 ? rnd() % 16 : rnd() % 2 ? 1023 : rnd() % 1024;
			guest_store(t << 12 | i * 4, rand_entry());
		} else if (op < 840) {
			uint32_t t = TBASE + rnd() % TABLES, i = rnd() % 16;    /* clear A or D */
			uint32_t *x = (uint32_t *)gpa_ptr(&vm, t << 12 | i * 4);
			guest_store(t << 12 | i * 4, *x & ~(rnd() % 2 ? G_A : G_D));
		} else if (op < 870) {
			/* a burst of writes to one table (a fork write-protecting a parent's table) */
			uint32_t t = TBASE + rnd() % TABLES, i0 = rnd() % 16;
			for (uint32_t i = i0; i < i0 + 8; i++) {
				uint32_t *x = (uint32_t *)gpa_ptr(&vm, t << 12 | i * 4);
				guest_store(t << 12 | i * 4, *x & ~G_W);
			}
		} else if (op < 920) {
			vm.cr3 = (TBASE + (rnd() % 16 ? rnd() % NPD : rnd() % TABLES)) << 12;
			CHECK(traced_switch(&vm) == 0);
			n.cr3++;
		} else if (op < 950) {
			traced_invlpg(&vm, rand_la(), rnd() % 2);          /* (no TLB here: must change nothing) */
		} else if (op < 970) {
			/* a whole table rewritten at once (rep stos): traced_written over 4096 bytes */
			uint32_t t = TBASE + rnd() % TABLES;
			memset(gpa_ptr(&vm, t << 12), 0, 4096);
			if (traced_is_table(&vm, t))
				traced_written(&vm, t, 0, 4096);
		} else if (op < 975) {
			vm.cr0 ^= CR0_WP;
			CHECK(traced_reset(&vm) == 0);
			n.resets++;
		} else if (op < 980) {
			vm.cr4 ^= CR4_PSE;
			CHECK(traced_reset(&vm) == 0);
			n.resets++;
		} else if (op < 985) {
			vm.cr0 ^= CR0_PG;
			CHECK(traced_switch(&vm) == 0);
		} else {
			traced_drop_gfn(&vm, rnd() % 2 ? 0x100u + rnd() % 64 : 0x400u + rnd() % 4);   /* scanned code, say */
		}
		traced_each_leaf(&vm, check_leaf, 0);
		if (bad)
			printf("    # seed %llu: first bad state after step %u (op %u)\n", (unsigned long long)seed, s, op);
	}
	struct traced_stats st;
	traced_get_stats(&vm, &st);
	printf("    # seed %llu, %u steps, bound %llu: %u hits, %u fills, %u true faults, %u beyond RAM, "
	       "%u writes to traced tables, %u CR3 loads (%llu cached), %llu traced writes, %llu unshadowed, "
	       "%llu reclaimed, %llu evicted, %llu 2 MiB entries (%llu taken out), %llu prefetched at a write\n",
	       (unsigned long long)seed, steps,
	       (unsigned long long)budget,
	       n.hits, n.fills, n.true_faults, n.beyond, n.table_writes, n.cr3, (unsigned long long)st.root_hits,
	       (unsigned long long)st.traced_writes, (unsigned long long)st.flood_unshadows,
	       (unsigned long long)st.reclaimed, (unsigned long long)st.evicted, (unsigned long long)st.large,
	       (unsigned long long)st.demotions, (unsigned long long)st.prefetches);
	CHECK(bad == 0);
	/* The run exercised what it claims to: without these it would prove little. */
	CHECK(n.hits > steps / 50 && n.fills > steps / 20 && n.true_faults && n.beyond && st.root_hits);
	CHECK(st.traced_writes > steps / 100 && st.flood_unshadows && st.large);
	demotions += st.demotions;
	traced_destroy(&vm);
	pmap_destroy(&vm.pmap);
}

static void random_sequences_ample_bound(void)
{
	demotions = 0;
	for (uint64_t seed = 1; seed <= 4; seed++)
		run(seed * 0x9E3779B97F4A7C15ull, 20000, 1024);
	CHECK(demotions > 0);
}

static void random_sequences_small_bound(void)
{
	struct traced_stats st;
	demotions = 0;
	for (uint64_t seed = 11; seed <= 14; seed++)
		run(seed * 0x9E3779B97F4A7C15ull, 20000, 80);       /* 2 roots, 34 tables */
	CHECK(demotions > 0);
	/* (the last run's counters are gone with it; one more, kept, for the bound's effect) */
	const char *why;
	fake_machine();
	memset(&vm, 0, sizeof vm);
	if (pmap_create(&vm.pmap, 1, RAM, &why) < 0)
		abort();
	vm.cr0 = CR0_PE | CR0_PG | CR0_WP;
	vm.cr4 = CR4_PSE;
	/* each address space maps the same 16 tables (64 MiB of data pages): 32 tpages to share */
	for (uint32_t t = 0; t < NPD + 16; t++)
		for (uint32_t i = 0; i < (t < NPD ? 16u : 1024u); i++)
			((uint32_t *)gpa_ptr(&vm, (TBASE + t) << 12))[i] =
				t < NPD ? ((TBASE + NPD + i) << 12) | 7 : ((0x100u + i % 64) << 12) | 7;
	vm.cr3 = TBASE << 12;
	CHECK(traced_init(&vm, 64) == 0);           /* 2 roots, 26 tables */
	rng = 99;
	for (unsigned s = 0; s < 2000; s++) {
		if (s % 50 == 0) {
			vm.cr3 = (TBASE + rnd() % NPD) << 12;
			CHECK(traced_switch(&vm) == 0);
		}
		access((rnd() % 16) << 22 | (rnd() % 1024) << 12, 0, 0);
	}
	traced_get_stats(&vm, &st);
	printf("    # bound 64 frames, 4 address spaces of 32 tables: %u tables at most, %llu reclaimed, %llu roots evicted\n", st.tpages_max,
	       (unsigned long long)st.reclaimed, (unsigned long long)st.evicted);
	CHECK(st.tpages <= st.tpages_max && st.reclaimed > 0 && st.evicted > 0);
	traced_destroy(&vm);
	pmap_destroy(&vm.pmap);
}

/* Two address spaces map the same 4 MiB page, one directory entry dirty and one not: a write
 * through the first must not leave the page writable through the second (whose guest entry must
 * get its own D bit from the MMU first), though both share the same guest frames. */
static void large_page_dirty_per_directory(void)
{
	const char *why;
	fake_machine();
	memset(&vm, 0, sizeof vm);
	bad = 0;
	if (pmap_create(&vm.pmap, 1, RAM, &why) < 0)
		abort();
	vm.cr0 = CR0_PE | CR0_PG | CR0_WP;
	vm.cr4 = CR4_PSE;
	((uint32_t *)gpa_ptr(&vm, TBASE << 12))[1] = 0x400000u | G_PS | G_P | G_W | G_U | G_A | G_D;
	((uint32_t *)gpa_ptr(&vm, (TBASE + 1) << 12))[1] = 0x400000u | G_PS | G_P | G_W | G_U | G_A;
	vm.cr3 = TBASE << 12;
	CHECK(traced_init(&vm, 1024) == 0);
	access(0x00401000, 1, 1);                  /* dirty already: the leaf may be writable */
	CHECK(shadow_lookup(0x00401000) & 2);
	vm.cr3 = (TBASE + 1) << 12;
	CHECK(traced_switch(&vm) == 0);
	access(0x00402000, 0, 1);                  /* a read next to it: nothing writable here */
	CHECK(!(shadow_lookup(0x00401000) & 2) && !(shadow_lookup(0x00402000) & 2));
	traced_each_leaf(&vm, check_leaf, 0);
	access(0x00401000, 1, 1);                  /* the write sets D in this directory's entry */
	CHECK(((uint32_t *)gpa_ptr(&vm, (TBASE + 1) << 12))[1] & G_D);
	traced_each_leaf(&vm, check_leaf, 0);
	CHECK(bad == 0);
	traced_destroy(&vm);
	pmap_destroy(&vm.pmap);
}

int main(void)
{
	KTAP_BEGIN(3);
	RUN(random_sequences_ample_bound);
	RUN(random_sequences_small_bound);
	RUN(large_page_dirty_per_directory);
	KTAP_END();
}
