/* proc.c - processes: a fixed table, one kernel stack each, round-robin scheduling with a hlt
 * idle loop, fork/exec/wait/exit/sleep and killing a process that faulted. */
#include <stdarg.h>
#include "kernel.h"
#include "x86.h"
#include "drivers.h"
#include "../include/abi.h"
#include "../../../lib/format.h"

static struct proc procs[NPROC];
static uint8_t kstacks[NPROC][KSTACK_SIZE] __attribute__((aligned(16)));
struct proc *current;
static struct proc *initproc;
static int next_pid = 1;

static uint32_t kstack_top(struct proc *p)
{
	return (uint32_t)kstacks[p - procs] + KSTACK_SIZE;
}

void proc_init(void)
{
	memset(procs, 0, sizeof(procs));
}

static struct proc *proc_alloc(void)
{
	uint32_t f = irq_save();
	struct proc *p;

	for (p = procs; p < procs + NPROC; p++)
		if (p->state == P_FREE) {
			memset(p, 0, sizeof(*p));
			p->state = P_EMBRYO;	/* reserved, not yet runnable */
			p->pid = next_pid++;
			irq_restore(f);
			return p;
		}
	irq_restore(f);
	return 0;
}

/* Lay out p's kernel stack so that the first swtch() to it returns into trap_return, which
 * "returns from the trap" described by tf, i.e. irets into user mode. */
static void proc_setup_kstack(struct proc *p, const struct trapframe *tf)
{
	struct trapframe *ktf = (struct trapframe *)(kstack_top(p) - sizeof(*ktf));
	uint32_t *sp = (uint32_t *)ktf;

	*ktf = *tf;
	*--sp = (uint32_t)trap_return;
	*--sp = 0;	/* ebp */
	*--sp = 0;	/* ebx */
	*--sp = 0;	/* esi */
	*--sp = 0;	/* edi */
	p->kesp = (uint32_t)sp;
	p->tf = ktf;
}

/* Pick the next runnable process after prev in table order (round robin); idle with hlt
 * until a timer interrupt makes one runnable. */
void schedule(void)
{
	uint32_t f = irq_save();
	struct proc *prev = current, *next = 0;
	int i, start = prev ? (int)(prev - procs) : 0;

	for (;;) {
		for (i = 1; i <= NPROC; i++) {
			struct proc *p = &procs[(start + i) % NPROC];
			if (p->state == P_RUNNABLE) {
				next = p;
				break;
			}
		}
		if (next)
			break;
		if (pv_active) {					/* idle: sleep until an interrupt */
			pv_block();
			__asm__ volatile("cli" ::: "memory");
		} else {
			__asm__ volatile("sti; hlt; cli" ::: "memory");
		}
	}
	if (next != prev) {
		current = next;
		tss_set_kstack(kstack_top(next));
		vm_switch(next->pd);
		swtch(&prev->kesp, next->kesp);
	}
	irq_restore(f);
}

void proc_yield(void)
{
	schedule();
}

void proc_sleep(uint32_t nticks)
{
	uint32_t f = irq_save();
	current->wake_tick = ticks + nticks;
	current->state = P_SLEEPING;
	schedule();
	irq_restore(f);
}

/* Timer interrupt (IF=0): wake the sleepers whose time has come. */
void proc_tick(void)
{
	struct proc *p;
	for (p = procs; p < procs + NPROC; p++)
		if (p->state == P_SLEEPING && (int32_t)(ticks - p->wake_tick) >= 0)
			p->state = P_RUNNABLE;
}

/* Build a fresh address space for program name, argument arg. On success *pd, *tf are ready. */
static int load_program(const char *name, const char *arg, uint32_t **pdp, struct trapframe *tf,
			uint32_t *heap)
{
	uint32_t size, entry, end, *pd, *pte, len, off, sp;
	const void *image = userprog_find(name, &size);
	uint8_t *page;

	if (!image || !(pd = vm_create()))
		return -1;
	if (elf_load(pd, image, size, &entry, &end) < 0 ||
	    vm_map_new(pd, USTACK_TOP - PAGE, PTE_W) < 0) {
		vm_free(pd);
		return -1;
	}
	/* The argument string goes at the top of the stack, a pointer to it just below. */
	pte = vm_pte(pd, USTACK_TOP - PAGE, 0);
	page = (uint8_t *)(*pte & ~0xFFFu);
	len = strlen(arg) + 1;
	off = PAGE - ((len + 3) & ~3u);
	memcpy(page + off, arg, len);
	*(uint32_t *)(page + off - 4) = USTACK_TOP - PAGE + off;
	sp = USTACK_TOP - PAGE + off - 4;

	memset(tf, 0, sizeof(*tf));
	tf->cs = UCODE_SEL;
	tf->ds = tf->es = tf->fs = tf->gs = tf->userss = UDATA_SEL;
	tf->eip = entry;
	tf->useresp = sp;
	tf->eflags = EFLAGS_IF | 0x2;
	*heap = (end + PAGE - 1) & ~(PAGE - 1);
	*pdp = pd;
	return 0;
}

static void set_name(struct proc *p, const char *name)
{
	size_t n = strlen(name);
	if (n >= sizeof(p->name))
		n = sizeof(p->name) - 1;
	memcpy(p->name, name, n);
	p->name[n] = 0;
}

static char init_prog[16], init_arg[16];	/* what proc_start_init started (soak starts it again) */

void proc_start_init(const char *prog, const char *arg)
{
	struct proc *p = proc_alloc();
	struct trapframe tf;
	uint32_t boot_esp;

	if (!p || load_program(prog, arg, &p->pd, &tf, &p->heap_start) < 0)
		panic("cannot start %s", prog);
	p->brk = p->heap_start;
	set_name(p, prog);
	if (prog != init_prog) {
		memcpy(init_prog, prog, strlen(prog) < sizeof(init_prog) ? strlen(prog) + 1 : sizeof(init_prog) - 1);
		memcpy(init_arg, arg, strlen(arg) < sizeof(init_arg) ? strlen(arg) + 1 : sizeof(init_arg) - 1);
	}
	proc_setup_kstack(p, &tf);
	p->state = P_RUNNABLE;
	initproc = current = p;
	tss_set_kstack(kstack_top(p));
	vm_switch(p->pd);
	swtch(&boot_esp, p->kesp);	/* leaves the boot stack for good */
	panic("back on the boot stack");
}

int proc_fork(struct trapframe *tf)
{
	struct proc *c = proc_alloc();
	struct trapframe ctf;

	if (!c)
		return -1;
	if (!(c->pd = vm_fork(current->pd))) {
		c->state = P_FREE;
		return -1;
	}
	memcpy(c->name, current->name, sizeof(c->name));
	c->heap_start = current->heap_start;
	c->brk = current->brk;
	c->parent = current;
	ctf = *tf;
	ctf.eax = 0;	/* fork() returns 0 in the child */
	proc_setup_kstack(c, &ctf);
	c->state = P_RUNNABLE;
	return c->pid;
}

int proc_exec(struct trapframe *tf, const char *name, const char *arg)
{
	uint32_t *pd, *old = current->pd, heap;
	struct trapframe ntf;

	if (load_program(name, arg, &pd, &ntf, &heap) < 0)
		return -1;
	current->pd = pd;
	vm_switch(pd);
	vm_free(old);
	current->heap_start = current->brk = heap;
	set_name(current, name);
	*tf = ntf;
	return 0;
}

int proc_wait(int *status)
{
	uint32_t f = irq_save();
	struct proc *c;

	for (;;) {
		int have = 0;
		for (c = procs; c < procs + NPROC; c++) {
			if (c->state == P_FREE || c->parent != current)
				continue;
			have = 1;
			if (c->state == P_ZOMBIE) {
				int pid = c->pid;
				*status = c->status;
				c->state = P_FREE;
				c->parent = 0;
				irq_restore(f);
				return pid;
			}
		}
		if (!have) {
			irq_restore(f);
			return -1;
		}
		current->state = P_WAITING;
		schedule();
	}
}

/* Boot word soak (make soak, tests/soak.py): instead of powering off when init ends, run memcheck
 * (its memcheck=N rounds over 2048 checksummed frames) and start init again (in test mode the user
 * suite, the same test numbers), for as long as the machine runs. After each pass one line:
 *   soak: pass P: suite F not ok; memcheck R rounds, C checksums, B wrong; totals: ...
 * The exiting init's kernel stack is the one we are on, so its slot is freed one pass later. */
static void soak_again(int status) __attribute__((noreturn));
static void soak_again(int status)
{
	static unsigned pass, suite_bad, rounds, bad, mc_failed;
	static unsigned long long checked;
	static struct proc *last;
	int ok;

	pass++;
	if (pass == 1)
		status += ktest_failed;	/* the kernel's own tests ran once, before the first pass */
	ok = memcheck_run();
	suite_bad += status != 0;
	rounds += memcheck_rounds, checked += memcheck_checked, bad += memcheck_bad;
	mc_failed += !ok && !memcheck_bad;	/* it could not even start (memory short) */
	kprintf("soak: pass %u: suite %d not ok; memcheck %u rounds, %u checksums, %u wrong%s; totals: "
		"%u passes, %u failed, %u rounds, %llu checksums, %u wrong, %u free pages\n",
		pass, status, memcheck_rounds, memcheck_checked, memcheck_bad, ok || memcheck_bad ? "" :
		" (could not start)", pass, suite_bad, rounds, checked, bad, frames_free());
	cli();
	if (last)
		last->state = P_FREE;
	last = initproc;
	last->state = P_EMBRYO;		/* neither scheduled nor reused while its stack is ours */
	proc_start_init(init_prog, init_arg);
}

static void finish(int status) __attribute__((noreturn));
static void finish(int status)
{
	frames_report();
	if (opt_soak) {
		if (boot_mode == MODE_TEST)
			kprintf("# guest-x86 test suite done: %s\n", ktest_failed + (status != 0) ? "FAIL" : "PASS");
		soak_again(status);
	}
	if (boot_mode == MODE_TEST) {
		int failed = ktest_failed + (status != 0);
		kprintf("# guest-x86 test suite done: %s\n", failed ? "FAIL" : "PASS");
		if (opt_acpioff)
			acpi_poweroff();
		poweroff(failed);
	}
	klog("init exited with status %d; powering off\n", status);
	if (opt_acpioff)
		acpi_poweroff();
	poweroff(boot_mode == MODE_BENCH ? status != 0 : 0);
}

void proc_exit(int status)
{
	struct proc *p = current, *c;

	cli();
	vm_switch(kernel_pd);
	vm_free(p->pd);
	p->pd = kernel_pd;
	p->status = status;
	if (p == initproc)
		finish(status);
	for (c = procs; c < procs + NPROC; c++)	/* orphans go to init */
		if (c->state != P_FREE && c->parent == p) {
			c->parent = initproc;
			if (c->state == P_ZOMBIE && initproc->state == P_WAITING)
				initproc->state = P_RUNNABLE;
		}
	p->state = P_ZOMBIE;
	if (p->parent && p->parent->state == P_WAITING)
		p->parent->state = P_RUNNABLE;
	schedule();
	panic("zombie %d scheduled", p->pid);
}

void proc_kill(int status, const char *fmt, ...)
{
	va_list ap;
	char why[96];

	va_start(ap, fmt);
	vsnprintf_(why, sizeof(why), fmt, ap);
	va_end(ap);
	klog("killed pid %d (%s): %s\n", current->pid, current->name, why);
	proc_exit(status);
}
