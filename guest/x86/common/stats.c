/* stats.c - reduce repeated benchmark runs to median, min and max cycles per iteration. */
#include "stats.h"

struct bench_result bench_summarize(uint64_t *s, int runs, uint32_t iters)
{
	struct bench_result r;
	int i, j;

	for (i = 1; i < runs; i++)	/* insertion sort: runs is tiny */
		for (j = i; j > 0 && s[j - 1] > s[j]; j--) {
			uint64_t t = s[j];
			s[j] = s[j - 1];
			s[j - 1] = t;
		}
	if (iters == 0)
		iters = 1;
	r.min = s[0] / iters;
	r.max = s[runs - 1] / iters;
	r.median = s[runs / 2] / iters;
	return r;
}
