/* stats.h - median/min/max of repeated benchmark runs (shared by kernel and user benches). */
#ifndef GUEST_STATS_H
#define GUEST_STATS_H
#include <stdint.h>

#define BENCH_RUNS 11

struct bench_result {
	uint64_t median, min, max;	/* cycles per iteration */
};

/* samples[] holds total cycles of each run; it is sorted in place. */
struct bench_result bench_summarize(uint64_t *samples, int runs, uint32_t iters);

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}
#endif
