/* utest.c - test mode, user half: the KTAP tests of system calls, fork/wait trees, copy-on-write,
 * demand paging under memory pressure, preemption fairness, accessed/dirty bits and the
 * kill-on-fault cases. The kernel printed the header and tests 1..K; the argument is K+1.
 * Exit status: number of failed tests (the kernel turns it into the isa-debug-exit code). */
#include "ulib.h"
#include "../include/ktest.h"

#define PG 4096

/* Wait for one specific child; others reaped on the way are remembered for their own turn. */
static struct {
	int pid, status;
} reaped[16];
static int waitpid(int pid)
{
	int st, r, i;
	for (i = 0; i < 16; i++)
		if (reaped[i].pid == pid) {
			reaped[i].pid = 0;
			return reaped[i].status;
		}
	while ((r = wait(&st)) > 0) {
		if (r == pid)
			return st;
		for (i = 0; i < 16; i++)
			if (!reaped[i].pid) {
				reaped[i].pid = r;
				reaped[i].status = st;
				break;
			}
	}
	return -99999;
}

/* Fork a child that runs fn() and exits with its result; return the exit status. */
static int in_child(int (*fn)(void))
{
	int pid = fork();
	if (pid == 0)
		exit(fn());
	return pid < 0 ? -99998 : waitpid(pid);
}

static struct ufaults fc(void)
{
	struct ufaults f;
	faults(&f);
	return f;
}

/* ---- system calls ---- */
static int t_getpid(void) { return getpid() > 0 && getpid() == getpid(); }
static int t_write(void) { return write(1, "# write test\n", 13) == 13; }
static int t_tickrate(void) { return tickrate() >= 19 && tickrate() <= 10000; }
static int t_yield(void) { return yield() == 0 && yield() == 0; }
static int t_sleep_uptime(void)
{
	unsigned t0 = uptime();
	sleep(5);
	return uptime() - t0 >= 5;
}
static int t_wait_no_children(void)
{
	int st;
	return wait(&st) == -1;
}

/* ---- memory: sbrk, demand-zero, stack growth, accessed/dirty bits ---- */
static int t_sbrk_demand_zero(void)
{
	struct ufaults f0 = fc(), f1;
	char *p = sbrk(16 * PG);
	int i, ok = p != (char *)-1 && sbrk(0) == p + 16 * PG;
	for (i = 0; ok && i < 16 * PG; i += 512)
		ok = p[i] == 0;
	for (i = 0; ok && i < 16; i++)
		p[i * PG + 7] = (char)i;
	f1 = fc();
	for (i = 0; ok && i < 16; i++)
		ok = p[i * PG + 7] == (char)i;
	return ok && f1.demand_zero - f0.demand_zero == 16;
}
static int t_sbrk_shrink(void)
{
	unsigned m0 = meminfo();
	char *p = sbrk(8 * PG);
	int i, ok;
	for (i = 0; i < 8; i++)
		p[i * PG] = 1;
	ok = meminfo() < m0;
	sbrk(-8 * PG);
	ok = ok && meminfo() >= m0 && sbrk(0) == p;
	p = sbrk(PG);	/* grow again: the old contents are gone */
	ok = ok && p[0] == 0;
	sbrk(-PG);
	return ok;
}
static int t_sbrk_limits(void)
{
	return sbrk(0x7FFFFFFF) == (void *)-1 && sbrk(-0x10000000) == (void *)-1;
}
static int recurse(int n)
{
	volatile char buf[3000];
	buf[0] = (char)n;
	buf[2999] = 1;
	return n ? recurse(n - 1) + buf[0] - n + buf[2999] - 1 : 0;
}
static int t_stack_growth(void)
{
	struct ufaults f0 = fc();
	int r = recurse(60);	/* about 180 KiB of stack */
	return r == 0 && fc().demand_zero - f0.demand_zero >= 40;
}
static int t_accessed_dirty(void)
{
	volatile char *p = sbrk(PG);
	int ok, f;
	p[0] = 1;
	f = pgstat((void *)p, 0);
	ok = f >= 0 && (f & PG_A) && (f & PG_D) && (f & PG_U) && (f & PG_W);
	pgstat((void *)p, 1);	/* clear A and D (the kernel does invlpg) */
	f = pgstat((void *)p, 0);
	ok = ok && !(f & (PG_A | PG_D));
	(void)p[0];
	f = pgstat((void *)p, 0);
	ok = ok && (f & PG_A) && !(f & PG_D);
	p[0] = 2;
	f = pgstat((void *)p, 0);
	ok = ok && (f & PG_D);
	pgstat((void *)p, 1);
	p[1] = 3;	/* a write after clearing sets both again */
	f = pgstat((void *)p, 0);
	return ok && (f & PG_A) && (f & PG_D) && pgstat((void *)0x1000, 0) == -1;
}
static int t_faults_counters(void)
{
	struct ufaults f = fc();
	return f.total >= f.demand_zero + f.cow && f.demand_zero > 0;
}

/* ---- processes ---- */
static int t_fork_wait(void)
{
	int st, pid = fork();
	if (pid == 0)
		exit(42);
	return pid > 0 && wait(&st) == pid && st == 42;
}
static int count_tree(int depth)
{
	int i, sum = 1, pids[2];
	if (depth == 0)
		return 1;
	for (i = 0; i < 2; i++)
		if ((pids[i] = fork()) == 0)
			exit(count_tree(depth - 1));
	for (i = 0; i < 2; i++)
		sum += waitpid(pids[i]);
	return sum;
}
static int t_fork_tree(void)
{
	return count_tree(4) == 31;	/* 1 + 2 + 4 + 8 + 16 processes */
}
static int t_fork_many(void)
{
	int i, ok = 1;
	for (i = 0; i < 100 && ok; i++) {
		int pid = fork();
		if (pid == 0)
			exit(i & 0xFF);
		ok = pid > 0 && waitpid(pid) == (i & 0xFF);
	}
	return ok;
}
static int t_orphan(void)
{
	int st, pid = fork(), r;
	if (pid == 0) {
		if (fork() == 0) {
			sleep(3);
			exit(7);
		}
		exit(1);
	}
	if (waitpid(pid) != 1)
		return 0;
	r = wait(&st);	/* the grandchild was handed to us (pid 1) */
	return r > pid && st == 7;
}
static int t_sleep_order(void)
{
	static const int d[3] = { 30, 4, 17 };	/* wide gaps: robust under slow VMMs */
	int i, st, order[3];
	for (i = 0; i < 3; i++)
		if (fork() == 0) {
			sleep(d[i]);
			exit(d[i]);
		}
	for (i = 0; i < 3; i++) {
		wait(&st);
		order[i] = st;
	}
	return order[0] == 4 && order[1] == 17 && order[2] == 30;
}
static int t_exec_hello(void)
{
	int pid = fork();
	if (pid == 0) {
		exec("hello", "four");
		exit(99);
	}
	return waitpid(pid) == 4;
}
static int t_exec_unknown(void)
{
	return exec("no-such-program", "") == -1 && exec((char *)0x10, "") == -1;
}
static int t_preempt_fairness(void)
{
	unsigned hz = tickrate(), deadline = uptime() + hz / 3 + 2;
	int i, pids[2], n[2];
	for (i = 0; i < 2; i++)
		if ((pids[i] = fork()) == 0) {
			int count = 0;
			while (uptime() < deadline)	/* CPU bound: never sleeps or yields */
				count++;
			exit(count);
		}
	n[0] = waitpid(pids[0]);
	n[1] = waitpid(pids[1]);
	printf("# fairness: %d and %d loop iterations\n", n[0], n[1]);
	return n[0] > 0 && n[1] > 0 && n[0] * 4 >= n[1] && n[1] * 4 >= n[0];
}

/* ---- copy-on-write ---- */
static volatile int cow_var = 1;
static int t_cow_parent_write(void)
{
	int pid = fork();
	if (pid == 0) {
		sleep(2);	/* let the parent write first */
		exit(cow_var);
	}
	cow_var = 2;
	return waitpid(pid) == 1 && cow_var == 2;
}
static int child_writes(void)
{
	struct ufaults f0 = fc();
	cow_var = 3;
	return cow_var == 3 && fc().cow == f0.cow + 1 ? 0 : 1;
}
static int t_cow_child_write(void)
{
	cow_var = 5;
	return in_child(child_writes) == 0 && cow_var == 5;
}
static unsigned *cow_buf;
static int cow_child(void)
{
	int i, bad = 0;
	for (i = 0; i < 64 * 1024; i += 2048)	/* every other page */
		cow_buf[i] = 0xDEAD0000u + i;
	for (i = 0; i < 64 * 1024; i += 1024)
		bad += cow_buf[i] != ((i & 2047) ? (unsigned)i : 0xDEAD0000u + i);
	return bad;
}
static int t_cow_many_pages(void)
{
	int i, bad = 0;
	cow_buf = sbrk(64 * PG);
	for (i = 0; i < 64 * 1024; i += 1024)
		cow_buf[i] = i;
	if (in_child(cow_child) != 0)
		return 0;
	for (i = 0; i < 64 * 1024; i += 1024)
		bad += cow_buf[i] != (unsigned)i;
	return bad == 0;
}
static int t_cow_last_sharer(void)
{
	struct ufaults f0;
	unsigned m0;
	cow_buf[0] = 1;
	in_child(child_writes);	/* shares and then releases every page */
	f0 = fc();
	m0 = meminfo();
	cow_buf[1024] = 9;	/* still marked COW, but we are the only user: no copy */
	return fc().cow == f0.cow + 1 && meminfo() == m0 && cow_buf[1024] == 9;
}

/* ---- demand paging under memory pressure ---- */
static unsigned pressure_pages;
static int pressure_child(void)
{
	unsigned i, w, bad = 0;
	unsigned *p = sbrk((int)(pressure_pages * PG));
	if (p == (unsigned *)-1)
		return 1;
	for (i = 0; i < pressure_pages; i++)
		for (w = 0; w < 1024; w += 8)
			p[i * 1024 + w] = i * 2654435761u + w;
	for (i = 0; i < pressure_pages; i++) {	/* checksum every page */
		unsigned sum = 0, want = 0;
		for (w = 0; w < 1024; w++) {
			sum += p[i * 1024 + w];
			if (!(w & 7))
				want += i * 2654435761u + w;
		}
		bad += sum != want;
	}
	return bad ? 2 : 0;
}
static int t_memory_pressure(void)
{
	unsigned m0 = meminfo();
	int st;
	pressure_pages = m0 - 512;	/* most of free memory: leave room for page tables */
	printf("# pressure: %u of %u free pages\n", pressure_pages, m0);
	st = in_child(pressure_child);
	return st == 0;
}
static int t_memory_returned(void)
{
	unsigned m0 = meminfo();
	in_child(pressure_child);
	return meminfo() == m0;
}

/* ---- misbehaving programs are killed; we go on ---- */
static int run_bad(const char *how, int vec)
{
	int pid = fork();
	if (pid == 0) {
		exec("badprog", how);
		exit(99);
	}
	return waitpid(pid) == WSTATUS_KILLED(vec);
}
static int t_kill_cli(void) { return run_bad("cli", 13); }
static int t_kill_hlt(void) { return run_bad("hlt", 13); }
static int t_kill_outb(void) { return run_bad("outb", 13); }
static int t_kill_cr3(void) { return run_bad("cr3", 13); }
static int t_kill_lidt(void) { return run_bad("lidt", 13); }
static int t_kill_null_read(void) { return run_bad("null", 14); }
static int t_kill_null_write(void) { return run_bad("nullwrite", 14); }
static int t_kill_kernel_read(void) { return run_bad("kernel", 14); }
static int t_kill_text_write(void) { return run_bad("text", 14); }
static int t_kill_int3(void) { return run_bad("int3", 3); }
static int t_kill_ud2(void) { return run_bad("ud2", 6); }
static int t_kill_div0(void) { return run_bad("div0", 0); }
static int t_kill_bad_syscall_ptr(void) { return run_bad("badptr", 14); }

/* sgdt, sidt and str are unprivileged: at ring 3 they show the kernel's GDT (KERNEL_GDT_ENTRIES), IDT (256
 * gates) and TR (0x28). A VMM must not let its own show through (Popek and Goldberg's sensitive
 * unprivileged instructions): it can only catch them where the CPU has UMIP, so without UMIP this
 * is skipped. (The kernel leaves CR4.UMIP clear here: its own UMIP test turns it off again.) */
#define SKIP 2
static int t_system_reads(void)
{
	uint32_t a, b, c, d;
	struct __attribute__((packed)) { uint16_t limit; uint32_t base; } g, i;
	uint16_t tr;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
	if (a < 7)
		return SKIP;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
	if (!(c & (1u << 2)))
		return SKIP;
	__asm__ volatile("sgdt %0\n\tsidt %1\n\tstr %2" : "=m"(g), "=m"(i), "=r"(tr));
	printf("# ring 3: sgdt limit %x, sidt limit %x, str %x\n", g.limit, i.limit, tr);
	return g.limit == KERNEL_GDT_ENTRIES * 8 - 1 && i.limit == 256 * 8 - 1 && tr == 0x28;
}

static const struct {
	int (*fn)(void);
	const char *name;
} tests[] = {
	{ t_getpid, "syscall_getpid" },
	{ t_write, "syscall_write" },
	{ t_tickrate, "syscall_tickrate" },
	{ t_yield, "syscall_yield" },
	{ t_sleep_uptime, "syscall_sleep_uptime" },
	{ t_wait_no_children, "wait_without_children" },
	{ t_sbrk_demand_zero, "sbrk_demand_zero" },
	{ t_sbrk_shrink, "sbrk_shrink_frees" },
	{ t_sbrk_limits, "sbrk_limits" },
	{ t_stack_growth, "stack_demand_growth" },
	{ t_accessed_dirty, "pte_accessed_dirty" },
	{ t_faults_counters, "syscall_faults" },
	{ t_fork_wait, "fork_wait_status" },
	{ t_fork_tree, "fork_tree_depth4" },
	{ t_fork_many, "fork_100_sequential" },
	{ t_orphan, "orphan_reparented" },
	{ t_sleep_order, "sleep_wakeup_order" },
	{ t_exec_hello, "exec_builtin_elf" },
	{ t_exec_unknown, "exec_unknown_fails" },
	{ t_preempt_fairness, "preempt_fairness" },
	{ t_cow_parent_write, "cow_parent_write" },
	{ t_cow_child_write, "cow_child_write" },
	{ t_cow_many_pages, "cow_many_pages" },
	{ t_cow_last_sharer, "cow_last_sharer_no_copy" },
	{ t_memory_pressure, "demand_paging_pressure" },
	{ t_memory_returned, "memory_returned_after_exit" },
	{ t_kill_cli, "kill_cli" },
	{ t_kill_hlt, "kill_hlt" },
	{ t_kill_outb, "kill_outb" },
	{ t_kill_cr3, "kill_mov_cr3" },
	{ t_kill_lidt, "kill_lidt" },
	{ t_kill_null_read, "kill_null_read" },
	{ t_kill_null_write, "kill_null_write" },
	{ t_kill_kernel_read, "kill_kernel_read" },
	{ t_kill_text_write, "kill_text_write" },
	{ t_kill_int3, "kill_int3" },
	{ t_kill_ud2, "kill_ud2" },
	{ t_kill_div0, "kill_div0" },
	{ t_kill_bad_syscall_ptr, "kill_bad_syscall_pointer" },
	{ t_system_reads, "ring3_sgdt_sidt_str" },
};
#define NTESTS (int)(sizeof(tests) / sizeof(tests[0]))
_Static_assert(sizeof(tests) / sizeof(tests[0]) == KTEST_USER_COUNT, "update KTEST_USER_COUNT");

int main(const char *arg)
{
	int i, failed = 0, first = atoi(arg);

	for (i = 0; i < NTESTS; i++) {
		int ok = tests[i].fn();
		if (ok == SKIP) {
			printf("ok %d %s # SKIP no UMIP on this CPU\n", first + i, tests[i].name);
			continue;
		}
		printf("%sok %d %s\n", ok ? "" : "not ", first + i, tests[i].name);
		failed += !ok;
	}
	return failed;
}
