/* frame.c - physical page frames: a free list threaded through the free frames themselves (they
 * are all reachable through the kernel's direct map; a frame given back to the VMM, see below,
 * keeps its link in an array instead) and a reference count per frame, which copy-on-write fork
 * uses to share pages.
 *
 * Para-virtualized (pv.c), a frame whose last reference goes is given back to the VMM
 * (HC_FRAME_FREE, seed B.5): the VMM takes its memory and backs it again, zeroed, when it is next
 * touched -- so frame_alloc_zero need not zero it a second time (the double zeroing the seed
 * describes). Natively every frame is zeroed by the kernel. */
#include "kernel.h"
#include "x86.h"
#include "../include/hypercall.h"

uint32_t direct_map_top;	/* frames below this are mapped 1:1 in every address space */
static uint32_t free_head;	/* physical address of the first free frame, 0 = none */
static unsigned nfree;
static uint16_t *refcnt;	/* one counter per frame below direct_map_top */
static uint32_t *next_free;	/* per free frame given back: the next one (0 = none) */
static uint8_t *known_zero;	/* per frame: given back to the VMM while free, so it reads zero */
/* Counts, kept with the arrays after the kernel image rather than in .bss: this file's .bss
 * shares a page with the GDT, where every write is a trap under the VMM. */
static struct { unsigned long zeroed_here, given_back; } *count;

void page_zero(uint32_t pa)
{
	uint32_t d = pa, n = PAGE / 4;
	__asm__ volatile("rep stosl" : "+D"(d), "+c"(n) : "a"(0) : "memory");
	count->zeroed_here++;
}

void page_copy(uint32_t dst, uint32_t src)
{
	uint32_t n = PAGE / 4;
	__asm__ volatile("rep movsl" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}

/* ranges: pairs [start, end) of usable RAM from the multiboot information. */
void frames_init(uint32_t kernel_end, uint32_t ram_top, const uint32_t *ranges, int nranges)
{
	uint32_t nframes = ram_top / PAGE, first, pa;
	int i;

	direct_map_top = ram_top;
	refcnt = (uint16_t *)kernel_end;	/* the counters sit right after the kernel image */
	memset(refcnt, 0, nframes * sizeof(uint16_t));
	first = (kernel_end + nframes * sizeof(uint16_t) + PAGE - 1) & ~(PAGE - 1);
	/* The rest at the top of RAM (so that the frames handed out are the same ones as before they
	 * existed: the VMM's shadow cost depends on where page tables land). */
	uint32_t hi = 0, top;
	for (i = 0; i < nranges; i++) {
		uint32_t e = ranges[2 * i + 1] < ram_top ? ranges[2 * i + 1] & ~(PAGE - 1) : ram_top;
		if (e > hi)
			hi = e;
	}
	top = (hi - nframes * (sizeof *next_free + 1) - sizeof *count) & ~(PAGE - 1);
	if (top < first)
		panic("no room for the frame tables (RAM ends at %#x)", hi);
	next_free = (uint32_t *)top;
	known_zero = (uint8_t *)(next_free + nframes);
	count = (void *)(known_zero + nframes);
	memset(known_zero, 0, nframes);
	count->zeroed_here = count->given_back = 0;
	ram_top = top;            /* (no free frame from here on) */

	for (i = nranges - 1; i >= 0; i--) {	/* push high to low: allocation starts low */
		uint32_t s = (ranges[2 * i] + PAGE - 1) & ~(PAGE - 1);
		uint32_t e = ranges[2 * i + 1] & ~(PAGE - 1);
		if (e > ram_top)
			e = ram_top;
		if (s < first)
			s = first;
		for (pa = e; pa > s; pa -= PAGE) {
			*(uint32_t *)(pa - PAGE) = free_head;
			free_head = pa - PAGE;
			nfree++;
		}
	}
}

/* A free frame (0: none); *zero says whether it is known to read zero. */
static uint32_t take(int *zero)
{
	uint32_t f = irq_save(), pa = free_head;
	*zero = 0;
	if (!pa && (pa = balloon_take())) {
		/* Out of free frames: one comes back from the balloon (given back: it reads zero). */
		refcnt[pa / PAGE] = 1;
		*zero = 1;
	} else if (pa) {
		free_head = known_zero[pa / PAGE] ? next_free[pa / PAGE] : *(uint32_t *)pa;
		nfree--;
		refcnt[pa / PAGE] = 1;
		*zero = known_zero[pa / PAGE];
		known_zero[pa / PAGE] = 0;
	}
	irq_restore(f);
	return pa;
}

uint32_t frame_alloc(void)
{
	int zero;
	return take(&zero);
}

uint32_t frame_alloc_zero(void)
{
	int zero;
	uint32_t pa = take(&zero);
	if (pa && !zero)
		page_zero(pa);
	return pa;
}

void frame_get(uint32_t pa)
{
	refcnt[pa / PAGE]++;
}

void frame_put(uint32_t pa)
{
	uint32_t f = irq_save();
	if (refcnt[pa / PAGE] == 0)
		panic("frame_put of free frame %#x", pa);
	if (--refcnt[pa / PAGE] == 0) {
		if (pv_active && hcall(HC_FRAME_FREE, pa / PAGE, 0, 0, 0) == 0) {
			known_zero[pa / PAGE] = 1;      /* (its contents are gone: the link goes here) */
			next_free[pa / PAGE] = free_head;
			count->given_back++;
		} else {
			*(uint32_t *)pa = free_head;
		}
		free_head = pa;
		nfree++;
	}
	irq_restore(f);
}

unsigned frame_refs(uint32_t pa)
{
	return refcnt[pa / PAGE];
}

unsigned frames_free(void)
{
	return nfree + balloon_frames();
}

uint32_t *frame_link(uint32_t pa)
{
	return &next_free[pa / PAGE];
}

void frames_report(void)
{
	klog("guest-x86: memory: %lu pages zeroed by the kernel, %lu frames given back to the VMM\n",
	     count->zeroed_here, count->given_back);
	balloon_report();
}
