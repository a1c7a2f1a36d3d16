/* kbench.c - bench mode, kernel half: the one benchmark user code cannot run itself.
 * pte_modify_invlpg: rewrite a kernel PTE, invlpg it, touch the page (a TLB refill). */
#include "kernel.h"
#include "x86.h"
#include "../common/stats.h"

void kbench_run(void)
{
	enum { ITERS = 10000 };
	uint64_t samples[BENCH_RUNS];
	uint32_t a = frame_alloc(), b = frame_alloc(), *pte = scratch_pte(), sum = 0;
	volatile uint32_t *w = (volatile uint32_t *)SCRATCH_VA;
	struct bench_result r;
	int run, i;

	for (run = 0; run < BENCH_RUNS; run++) {
		uint64_t t0 = rdtsc();
		for (i = 0; i < ITERS; i++) {
			*pte = ((i & 1) ? b : a) | PTE_W | PTE_P;
			invlpg(SCRATCH_VA);
			sum += *w;
		}
		samples[run] = rdtsc() - t0;
	}
	r = bench_summarize(samples, BENCH_RUNS, ITERS);
	kprintf("bench pte_modify_invlpg cycles=%llu min=%llu max=%llu iters=%u\n",
		(unsigned long long)r.median, (unsigned long long)r.min, (unsigned long long)r.max,
		(unsigned)ITERS);
	(void)sum;
	frame_put(a);
	frame_put(b);
}
