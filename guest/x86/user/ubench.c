/* ubench.c - bench mode, user half: rdtsc nanobenchmarks, each run BENCH_RUNS times, one line
 * each: `bench <name> cycles=<median per iteration> min=<..> max=<..> iters=<per run>`. */
#include "ulib.h"
#include "../common/stats.h"

#define PG 4096
static uint64_t samples[BENCH_RUNS];

static void report(const char *name, uint32_t iters)
{
	struct bench_result r = bench_summarize(samples, BENCH_RUNS, iters);
	printf("bench %s cycles=%llu min=%llu max=%llu iters=%u\n", name, (unsigned long long)r.median,
	       (unsigned long long)r.min, (unsigned long long)r.max, (unsigned)iters);
}

static void null_syscall(void)
{
	enum { N = 10000 };
	int run, i;
	for (run = 0; run < BENCH_RUNS; run++) {
		uint64_t t0 = rdtsc();
		for (i = 0; i < N; i++)
			getpid();
		samples[run] = rdtsc() - t0;
	}
	report("null_syscall", N);
}

static void pagefault_demand_zero(void)
{
	enum { N = 256 };
	int run, i;
	for (run = 0; run < BENCH_RUNS; run++) {
		volatile char *p = sbrk(N * PG);
		uint64_t t0 = rdtsc();
		for (i = 0; i < N; i++)
			p[i * PG] = 1;	/* each write takes a not-present fault */
		samples[run] = rdtsc() - t0;
		sbrk(-N * PG);
	}
	report("pagefault_demand_zero", N);
}

static void ctxswitch_yield(void)
{
	enum { N = 2000 };
	int run, i, pid, st;
	for (run = 0; run < BENCH_RUNS; run++) {
		if ((pid = fork()) == 0) {
			for (i = 0; i < N; i++)
				yield();
			exit(0);
		}
		yield();	/* let the child start */
		uint64_t t0 = rdtsc();
		for (i = 0; i < N; i++)
			yield();	/* parent and child alternate: two switches per round */
		samples[run] = rdtsc() - t0;
		wait(&st);
	}
	report("ctxswitch_yield", 2 * N);
}

static void forkwait(void)
{
	enum { N = 1000 };
	int run, i, st;
	for (run = 0; run < BENCH_RUNS; run++) {
		uint64_t t0 = rdtsc();
		for (i = 0; i < N; i++) {
			if (fork() == 0)
				exit(0);
			wait(&st);
		}
		samples[run] = rdtsc() - t0;
	}
	report("forkwait", N);
}

static void cpu_loop(void)
{
	enum { N = 1000000 };
	int run, i;
	for (run = 0; run < BENCH_RUNS; run++) {
		uint32_t x = 1;
		uint64_t t0 = rdtsc();
		for (i = 0; i < N; i++)
			x = x * 1103515245u + 12345u;
		__asm__ volatile("" : : "r"(x));
		samples[run] = rdtsc() - t0;
	}
	report("cpu_loop", N);
}

static void memwalk_64m(void)
{
	enum { SIZE = 64 << 20, STRIDE = 64, N = SIZE / STRIDE };
	volatile char *p;
	uint32_t sum = 0;
	int run, i;

	if (meminfo() < SIZE / PG + 1024 || (p = sbrk(SIZE)) == (char *)-1) {
		printf("bench memwalk_64M skipped\n");
		return;
	}
	for (i = 0; i < SIZE; i += PG)	/* fault everything in first: the walk measures the TLB */
		p[i] = 1;
	for (run = 0; run < BENCH_RUNS; run++) {
		uint64_t t0 = rdtsc();
		for (i = 0; i < SIZE; i += STRIDE)
			sum += p[i];
		samples[run] = rdtsc() - t0;
	}
	__asm__ volatile("" : : "r"(sum));
	report("memwalk_64M", N);
	sbrk(-SIZE);
}

/* arg: "" runs every benchmark; a name (boot word bench=NAME) only that one; "none" none (the
 * baseline make bench subtracts to get the VMM exits per operation). */
int main(const char *arg)
{
	static const struct { const char *name; void (*run)(void); } all[] = {
		{ "null_syscall", null_syscall }, { "pagefault_demand_zero", pagefault_demand_zero },
		{ "ctxswitch_yield", ctxswitch_yield }, { "forkwait", forkwait }, { "cpu_loop", cpu_loop },
		{ "memwalk_64M", memwalk_64m },
	};
	for (unsigned i = 0; i < sizeof all / sizeof all[0]; i++)
		if (!arg[0] || !strcmp(arg, all[i].name))
			all[i].run();
	return 0;
}
