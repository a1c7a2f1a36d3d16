/* main.c - init: the user half of the KTAP suite (system calls, processes, memory, TLB, timer)
 * and the nanobenchmarks. Benchmarks print
 *   bench <name> cycles=<median> min=<min> max=<max> iters=<n>
 * with "cycles" in CP0 Count ticks read by rdhwr $2 (see arch/mips/README.md for what a tick is
 * on QEMU). */
#include "ulib.h"
#include "../ktap.h"

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
static uint32_t samples[MAXS];

static void report(const char *name, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && samples[j - 1] > samples[j]; j--) {
			uint32_t t = samples[j];
			samples[j] = samples[j - 1];
			samples[j - 1] = t;
		}
	uprintf("bench %s cycles=%u min=%u max=%u iters=%d\n", name, samples[n / 2], samples[0],
		samples[n - 1], n);
}

static int bench_tlb(void)
{
	volatile char *mem = sbrk_pages(512);
	int n = 0;
	if (!mem)
		return 1;
	for (int p = 0; p < 512; p++)
		mem[p * 4096] = 1;   /* fault everything in */
	for (int r = 0; r < 4; r++)
		for (int p = 0; p < 512; p += 2) {
			uint32_t t0 = cycles();
			(void)mem[p * 4096];
			samples[n++] = cycles() - t0;
		}
	report("tlb_refill", n);
	return 0;
}

static int spinner(void)
{
	for (int i = 0; i < 200; i++)
		yield();
	return 0;
}

static void benches(void)
{
	int st, n;
	for (n = 0; n < 200; n++)
		samples[n] = cycles(), samples[n] = cycles() - samples[n];
	report("rdhwr_overhead", n);
	run_child(bench_tlb);
	for (n = 0; n < 300; n++) {
		uint32_t t0 = cycles();
		getpid();
		samples[n] = cycles() - t0;
	}
	report("null_syscall", n);
	int pid = fork();
	if (pid == 0)
		exit(spinner());
	for (n = 0; n < 150; n++) {
		uint32_t t0 = cycles();
		yield();   /* to the spinner and back: two switches */
		samples[n] = (cycles() - t0) / 2;
	}
	wait(&st);
	report("context_switch", n);
	for (n = 0; n < 40; n++) {
		uint32_t t0 = cycles();
		if ((pid = fork()) == 0)
			exit(0);
		wait(&st);
		samples[n] = cycles() - t0;
	}
	report("forkwait", n);
}

int umain(void)
{
	tests();
	benches();
	return 0;
}
