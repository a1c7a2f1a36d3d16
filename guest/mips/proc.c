/* proc.c - processes: each has its own page table (useg) and ASID, one kernel-stack page holding
 * its trapframe, and a parent. Switching is just resuming another trapframe. fork copies the
 * address space; exit frees it and wakes a waiting parent; ASIDs are handed out in generations
 * (a TLB flush when they wrap). */
#include "kernel.h"
#include "cp0.h"
#include "syscall.h"
#include "../../lib/kstring.h"

#define NPROC 32
#define USER_BASE 0x00400000u
#define STACK_TOP 0x80000000u
#define HEAP_BASE 0x10000000u

static struct proc procs[NPROC], idle;
struct proc *curp;
uint32_t *cur_pgdir;
uint32_t cur_kstack_top;
static unsigned asid_next = 1, asid_gen = 1;
static int next_pid = 1;
extern char user_image[], user_image_end[];
extern char idle_loop[];

struct tf *proc_tf(struct proc *p) { return (struct tf *)(p->kstack + 4096 - TF_SIZE); }

static void switch_to(struct proc *p)
{
	curp = p;
	cur_pgdir = p->pgdir;
	cur_kstack_top = (uint32_t)(uintptr_t)p->kstack + 4096;
	if (p->asid_gen != asid_gen) {
		if (asid_next > 255) {
			tlb_flush_all();
			asid_gen++;
			asid_next = 1;
		}
		p->asid = asid_next++;
		p->asid_gen = asid_gen;
	}
	/* The ASID by mtc0 even when the special page could take it: a store there would take
	 * effect only at the eret, so the rest of this kernel entry would run (and fill the TLB with
	 * the kernel's pages) under the old ASID, and the new process's next trap would miss on all
	 * of them again. Measured (icount): 2.7 more refills per yield, ~150 more instructions per
	 * switch than the one trap of the mtc0. */
	mtc0(C0_ENTRYHI, 0, p->asid);
}

struct tf *schedule(void)
{
	int start = curp && curp != &idle ? (int)(curp - procs) : NPROC - 1;
	for (int k = 1; k <= NPROC; k++) {
		struct proc *p = &procs[(start + k) % NPROC];
		if (p->state == P_RUNNABLE) {
			switch_to(p);
			return proc_tf(p);
		}
	}
	switch_to(&idle);
	return proc_tf(&idle);
}

void proc_init(void)
{
	idle.kstack = page_alloc();
	idle.pgdir = pgdir_new();
	idle.state = P_RUNNABLE;
	struct tf *tf = proc_tf(&idle);
	tf->epc = (uint32_t)(uintptr_t)idle_loop;
	tf->status = ST_EXL | ST_IE | ST_IM7;
}

static struct proc *proc_alloc(void)
{
	for (int i = 0; i < NPROC; i++)
		if (procs[i].state == P_FREE) {
			struct proc *p = &procs[i];
			memset(p, 0, sizeof *p);
			p->kstack = page_alloc();
			p->pgdir = pgdir_new();
			if (!p->kstack || !p->pgdir)
				return 0;
			p->pid = next_pid++;
			return p;
		}
	return 0;
}

struct proc *proc_spawn_init(void)
{
	struct proc *p = proc_alloc();
	if (!p)
		kpanic("no memory for init");
	uint32_t len = (uint32_t)(user_image_end - user_image);
	for (uint32_t off = 0; off < len + 4096 * 8; off += 4096) {   /* image + bss room */
		void *pg = page_alloc();
		if (!pg || map_page(p->pgdir, USER_BASE + off, pg, 1) < 0)
			kpanic("no memory for init");
		if (off < len)
			memcpy(pg, user_image + off, len - off < 4096 ? len - off : 4096);
	}
	char *top = 0;
	for (uint32_t va = STACK_TOP - 2 * 4096; va < STACK_TOP; va += 4096)
		if (map_page(p->pgdir, va, top = page_alloc(), 1) < 0)
			kpanic("no memory for init");
	/* init's argument (a0): the kernel command line, copied to the top of its stack. */
	extern const char *kcmdline;
	size_t n = strlen(kcmdline) < 127 ? strlen(kcmdline) : 127;
	memcpy(top + 4096 - 128, kcmdline, n);
	struct tf *tf = proc_tf(p);
	memset(tf, 0, sizeof *tf);
	tf->epc = USER_BASE;
	tf->r[4] = STACK_TOP - 128;
	tf->r[29] = STACK_TOP - 144;
	tf->status = ST_EXL | ST_IE | ST_IM7 | ST_KSU_USER;
	p->heap_end = HEAP_BASE;
	p->state = P_RUNNABLE;
	return p;
}

static void reap(struct proc *parent, struct proc *child)
{
	struct tf *tf = proc_tf(parent);
	tf->r[2] = (uint32_t)child->pid;
	if (tf->r[4])
		copy_to_user(parent->pgdir, tf->r[4], &child->exit_status, 4);
	page_free(child->kstack);
	child->state = P_FREE;
}

static struct tf *do_exit(int status)
{
	struct proc *p = curp;
	if (p->pid == 1) {
		kprintf("# guest: init exited with status %d, %u pages free\n", status, pages_free());
		kprintf("# guest: done\n");
		power_off();
	}
	pgdir_free(p->pgdir);
	p->pgdir = 0;
	p->exit_status = status;
	p->state = P_ZOMBIE;
	for (int i = 0; i < NPROC; i++)
		if (procs[i].parent == p->pid && procs[i].state != P_FREE) {
			procs[i].parent = 0;
			if (procs[i].state == P_ZOMBIE) {
				page_free(procs[i].kstack);
				procs[i].state = P_FREE;
			}
		}
	struct proc *par = 0;
	for (int i = 0; i < NPROC; i++)
		if (procs[i].pid == p->parent && procs[i].state != P_FREE)
			par = &procs[i];
	if (!par) {
		page_free(p->kstack);   /* still our stack: nothing allocates before we leave */
		p->state = P_FREE;
	} else if (par->state == P_WAITING) {
		par->state = P_RUNNABLE;
		reap(par, p);
	}
	return schedule();
}

struct tf *kill_current(const char *why)
{
	kprintf("# guest: pid %d killed: %s\n", curp->pid, why);
	return do_exit(-1);
}

static struct tf *do_fork(struct tf *tf)
{
	struct proc *c = proc_alloc();
	if (!c || pgdir_copy(c->pgdir, curp->pgdir) < 0) {
		if (c) {
			pgdir_free(c->pgdir);
			page_free(c->kstack);
			c->state = P_FREE;
		}
		tf->r[2] = (uint32_t)-1;
		return tf;
	}
	*proc_tf(c) = *tf;
	proc_tf(c)->r[2] = 0;
	c->parent = curp->pid;
	c->heap_end = curp->heap_end;
	c->state = P_RUNNABLE;
	tf->r[2] = (uint32_t)c->pid;
	return tf;
}

static struct tf *do_wait(struct tf *tf)
{
	int children = 0;
	for (int i = 0; i < NPROC; i++) {
		struct proc *c = &procs[i];
		if (c->state == P_FREE || c->parent != curp->pid)
			continue;
		children++;
		if (c->state == P_ZOMBIE) {
			reap(curp, c);
			return tf;
		}
	}
	if (!children) {
		tf->r[2] = (uint32_t)-1;
		return tf;
	}
	curp->state = P_WAITING;
	return schedule();
}

struct tf *do_syscall(struct tf *tf)
{
	uint32_t a0 = tf->r[4], a1 = tf->r[5], a2 = tf->r[6];
	tf->epc += 4;
	switch (tf->r[2]) {
	case SYS_EXIT:
		return do_exit((int)a0);
	case SYS_FORK:
		return do_fork(tf);
	case SYS_WAIT:
		return do_wait(tf);
	case SYS_GETPID:
		tf->r[2] = (uint32_t)curp->pid;
		return tf;
	case SYS_WRITE: {
		char buf[64];
		uint32_t done = 0;
		(void)a0;
		while (done < a2) {
			uint32_t n = a2 - done < sizeof buf ? a2 - done : sizeof buf;
			if (copy_from_user(curp->pgdir, buf, a1 + done, n) < 0)
				break;
			for (uint32_t k = 0; k < n; k++)
				kputc(buf[k]);
			done += n;
		}
		tf->r[2] = done;
		return tf;
	}
	case SYS_YIELD:
		tf->r[2] = 0;
		return schedule();
	case SYS_SBRK: {
		uint32_t old = curp->heap_end;
		for (uint32_t k = 0; k < a0; k++) {
			void *pg = page_alloc();
			if (!pg || map_page(curp->pgdir, curp->heap_end, pg, 1) < 0) {
				tf->r[2] = 0;
				return tf;
			}
			curp->heap_end += 4096;
		}
		tf->r[2] = old;
		return tf;
	}
	case SYS_TICKS:
		tf->r[2] = ticks;
		return tf;
	}
	tf->r[2] = (uint32_t)-1;
	return tf;
}
