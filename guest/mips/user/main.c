/* main.c - init: the user half of the KTAP suite (system calls, processes, memory, TLB, timer)
 * and the nanobenchmarks. Benchmarks print
 *   bench <name> cycles=<median> min=<min> max=<max> iters=<n> total=<sum>
 * with "cycles" in CP0 Count ticks read by rdhwr $2 (see arch/mips/README.md for what a tick is
 * on QEMU; total/iters is the mean), and first a calibration line
 *   calib insns=<N> ticks=<T>
 * for a loop of exactly N instructions (under QEMU -icount, instructions per tick).
 * init's argument is the kernel command line: "bench=NAME" runs only that benchmark and no tests
 * ("bench=none": neither), "iters=N" sets its number of operations (the VMM's trap counts of two
 * runs with N and 2N give the traps per operation; tests/mips/bench.sh). */
#include "ulib.h"
#include "../ktap.h"
#include "../../../lib/kstring.h"

static int tno = KTESTS;
static void result(int ok, const char *name) { uprintf("%sok %d %s\n", ok ? "" : "not ", ++tno, name); }

static volatile int shared = 1;

static int run_child(int (*fn)(void))
{
	int st = -2, pid = fork();
	if (pid == 0)
		exit(fn());
	if (pid < 0 || wait(&st) != pid)
		return -3;
	return st;
}

static int touch_pages(void)
{
	volatile uint32_t *mem = sbrk_pages(512);
	if (!mem)
		return 1;
	for (int r = 0; r < 2; r++)
		for (int p = 0; p < 512; p++)
			mem[p * 1024 + r] = (uint32_t)(p * 7 + r);
	for (int r = 0; r < 2; r++)
		for (int p = 0; p < 512; p++)
			if (mem[p * 1024 + r] != (uint32_t)(p * 7 + r))
				return 2;
	return 0;
}

static int pinger(void)
{
	for (int i = 0; i < 20; i++)
		yield();
	return 7;
}

static int bad_access(void)
{
	return *(volatile int *)0xC0000000u;   /* kernel space: address error, killed */
}

static void tests(void)
{
	int st;
	result(getpid() == 1, "getpid_init");
	result(sys(SYS_WRITE, 1, (uint32_t)(uintptr_t)"# hello from user space\n", 24) == 24,
	       "write_returns_length");

	int pid = fork();
	if (pid == 0)
		exit(42);
	result(pid > 1 && wait(&st) == pid && st == 42, "fork_wait_exit_status");

	int sum = 0, okw = 1;
	for (int i = 0; i < 8; i++)
		if (fork() == 0)
			exit(i + 1);
	for (int i = 0; i < 8; i++)
		okw &= wait(&st) > 1, sum += st;
	result(okw && sum == 36 && wait(&st) == -1, "fork_many_wait_all");

	pid = fork();
	if (pid == 0) {
		shared = 2;
		exit(shared);
	}
	result(wait(&st) == pid && st == 2 && shared == 1, "fork_memory_isolation");

	result(run_child(touch_pages) == 0, "tlb_walk_2mb");

	pid = fork();
	if (pid == 0)
		exit(pinger());
	for (int i = 0; i < 20; i++)
		yield();
	result(wait(&st) == pid && st == 7, "yield_pingpong");

	result(run_child(bad_access) == -1, "user_kernel_access_killed");

	uint32_t t0 = ticks(), c0 = cycles();
	while (ticks() == t0 && cycles() - c0 < 500000000u)
		;
	result(ticks() != t0, "timer_preempts_user");
}

/* --- benchmarks --- */
#define MAXS 1024
static uint32_t samples[MAXS], total;
static int nsamples;
static int iters;            /* iters=N, or 0: each benchmark's default */

static void sample(uint32_t v)
{
	if (nsamples < MAXS)
		samples[nsamples] = v;
	nsamples++;
	total += v;
}

static void report(const char *name)
{
	int n = nsamples < MAXS ? nsamples : MAXS;
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && samples[j - 1] > samples[j]; j--) {
			uint32_t t = samples[j];
			samples[j] = samples[j - 1];
			samples[j - 1] = t;
		}
	uprintf("bench %s cycles=%u min=%u max=%u iters=%d total=%u\n", name, samples[n / 2],
		samples[0], samples[n - 1], nsamples, total);
	nsamples = 0;
	total = 0;
}

static int ops(int dflt) { return iters ? iters : dflt; }

/* Exactly 3 * 100000 + 2 instructions between the two rdhwr (addiu, bnez, its delay slot). */
static void calibrate(void)
{
	uint32_t t0, t1, k = 100000;
	__asm__ volatile(".set push\n.set noreorder\n.set mips32r2\n"
			 "rdhwr %0, $2\n"
			 "1: addiu %2, %2, -1\n"
			 "bnez %2, 1b\n"
			 "nop\n"
			 "rdhwr %1, $2\n"
			 ".set pop" : "=&r"(t0), "=&r"(t1), "+r"(k));
	uprintf("calib insns=%u ticks=%u\n", 3u * 100000u + 1u, t1 - t0);
}

static int bench_tlb(void)
{
	/* 256 page pairs, one word read per pair in turn: more pairs than a 64-entry TLB holds, so
	 * nearly every read misses. */
	volatile char *mem = sbrk_pages(512);
	if (!mem)
		return 1;
	for (int p = 0; p < 512; p++)
		mem[p * 4096] = 1;   /* fault everything in */
	for (int k = 0, p = 0; k < ops(1024); k++, p = (p + 2) % 512) {
		uint32_t t0 = cycles();
		(void)mem[p * 4096];
		sample(cycles() - t0);
	}
	report("tlb_refill");
	return 0;
}

static int spin_yields;

static int spinner(void)
{
	for (int i = 0; i < spin_yields; i++)
		yield();
	return 0;
}

static void benches(const char *only)
{
	int st;
#define WANT(name) (!only || !strcmp(only, name))
	if (WANT("rdhwr_overhead")) {
		for (int n = 0; n < ops(200); n++) {
			uint32_t t0 = cycles();
			sample(cycles() - t0);
		}
		report("rdhwr_overhead");
	}
	if (WANT("tlb_refill"))
		run_child(bench_tlb);
	if (WANT("null_syscall")) {
		for (int n = 0; n < ops(300); n++) {
			uint32_t t0 = cycles();
			getpid();
			sample(cycles() - t0);
		}
		report("null_syscall");
	}
	if (WANT("context_switch")) {
		spin_yields = ops(150) + 50;
		int pid = fork();
		if (pid == 0)
			exit(spinner());
		for (int n = 0; n < ops(150); n++) {
			uint32_t t0 = cycles();
			yield();   /* to the spinner and back: two switches */
			sample((cycles() - t0) / 2);
		}
		wait(&st);
		report("context_switch");
	}
	if (WANT("forkwait")) {
		for (int n = 0; n < ops(40); n++) {
			uint32_t t0 = cycles();
			int pid = fork();
			if (pid == 0)
				exit(0);
			wait(&st);
			sample(cycles() - t0);
		}
		report("forkwait");
	}
}

int umain(const char *cmdline)
{
	const char *only = 0;
	char name[32];
	/* The words of the command line we know: bench=NAME and iters=N. */
	for (const char *w = cmdline; *w; ) {
		while (*w == ' ')
			w++;
		const char *e = w;
		while (*e && *e != ' ')
			e++;
		if (!strncmp(w, "bench=", 6) && e - w - 6 < (int)sizeof name) {
			memcpy(name, w + 6, (size_t)(e - w - 6));
			name[e - w - 6] = 0;
			only = name;
		} else if (!strncmp(w, "iters=", 6)) {
			iters = 0;
			for (const char *d = w + 6; d < e && *d >= '0' && *d <= '9'; d++)
				iters = iters * 10 + (*d - '0');
		}
		w = e;
	}
	if (!only)
		tests();
	calibrate();
	if (!only || strcmp(only, "none"))
		benches(only);
	return 0;
}
