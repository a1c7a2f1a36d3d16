/* frame.c - physical page frames: a free list threaded through the free frames themselves
 * (they are all reachable through the kernel's direct map) and a reference count per frame,
 * which copy-on-write fork uses to share pages. */
#include "kernel.h"
#include "x86.h"

uint32_t direct_map_top;	/* frames below this are mapped 1:1 in every address space */
static uint32_t free_head;	/* physical address of the first free frame, 0 = none */
static unsigned nfree;
static uint16_t *refcnt;	/* one counter per frame below direct_map_top */

void page_zero(uint32_t pa)
{
	uint32_t d = pa, n = PAGE / 4;
	__asm__ volatile("rep stosl" : "+D"(d), "+c"(n) : "a"(0) : "memory");
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

uint32_t frame_alloc(void)
{
	uint32_t f = irq_save(), pa = free_head;
	if (pa) {
		free_head = *(uint32_t *)pa;
		nfree--;
		refcnt[pa / PAGE] = 1;
	}
	irq_restore(f);
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
		*(uint32_t *)pa = free_head;
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
	return nfree;
}
