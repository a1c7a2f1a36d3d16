/* operator.c - the operator's console, on the VMM's serial line or the PS/2 keyboard (the QEMU
 * monitor and Xen's `xl` are the models).
 *
 * Ctrl-] opens it: the VMM prints "vmm> " and collects a line (Backspace edits, Esc or Ctrl-]
 * again closes it); Enter runs the command, and what is typed goes back to the VM with the focus.
 * The VMs keep running meanwhile. Commands:
 *     list                 every VM: state, RAM, time on the CPU, exits by kind, shadow memory
 *     pause N | resume N   take VM N off the CPU until resumed (its devices keep time)
 *     mem                  machine memory: free frames, sharing, the store; each VM's frames
 *     stop N               stop VM N for good, with the reason "stopped by the operator"
 *     regs N               VM N's registers, real and virtual
 *     trace FLOWS | off    trace=FLOWS as at boot (tlb, switch, trap, syscall), 20 events each
 *     focus N              console input to VM N
 *     balloon N SIZE       VM N's balloon target (guests with a balloon driver give that much back)
 *     help
 * N is the VM's number (1 for vm1). A bad command or argument gets a one-line error. The command
 * runs on the way back to a guest (operator_run, from vm_resume), where the VMM holds the current
 * VM's live registers. */
#include "vm.h"
#include "../console.h"
#include "../pic.h"
#include "../mmu/overcommit.h"
#include "../../../vcpu/trace.h"
#include "../../../lib/format.h"
#include "../../../lib/kstring.h"
#include "../../../lib/log.h"

#define KEY_OPEN 0x1D                    /* Ctrl-] */
#define KEY_ESC 0x1B

static char line[80];
static unsigned len;
static int open, ready;

int operator_key(int c)
{
	if (ready)
		return 1;                        /* a command waits to run: typing waits too */
	if (!open) {
		if (c != KEY_OPEN)
			return 0;
		open = 1;
		len = 0;
		kprintf("\nvmm> ");
		return 1;
	}
	if (c == KEY_OPEN || c == KEY_ESC) {
		open = 0;
		kprintf(" (closed)\n");
	} else if (c == '\r' || c == '\n') {
		kprintf("\n");
		line[len] = 0;
		open = 0;
		ready = 1;
	} else if ((c == 0x7F || c == 8) && len) {
		len--;
		kprintf("\b \b");
	} else if (c >= 32 && c < 127 && len < sizeof line - 1) {
		line[len++] = (char)c;
		kprintf("%c", c);
	}
	return 1;
}

int operator_ready(void)
{
	return ready;
}

static const char *const state_name[] = { "running", "waiting", "stopped", "off" };

static void list(void)
{
	static const char *const kind[EXIT_COUNT] = { "priv", "patched", "syscall", "exceptions",
		"hidden-pf", "true-pf", "irqs", "io", "hlt", "mmio", "pt-write", "dt-write", "hypercall" };
	for (int i = 0; i < vm_total(); i++) {
		struct vm *vm = vm_at(i);
		char ex[400], sh[400];
		int n = 0;
		for (int k = 0; k < EXIT_COUNT; k++)
			if (vm->exits[k])
				n += snprintf_(ex + n, sizeof ex - (size_t)n, " %s %lu", kind[k], vm->exits[k]);
		const char *st = vm->paused ? "paused" : state_name[vm->s.state];
		if (vm->s.state == VM_WAITING && vm->halted && !vm->paused)
			st = "idle (hlt)";
		kprintf("%s %s, %lu MiB, %lu ms on the CPU, '%s'\n", vm->name, st,
			(unsigned long)(vm->pmap.nframes >> 8), vm_time_used(vm) / tsc_khz, vm->cmdline);
		kprintf("    exits:%s\n", n ? ex : " none");
		if (vm->s.state == VM_RUNNABLE || vm->s.state == VM_WAITING) {
			shadow_report(vm, sh, sizeof sh);
			kprintf("    %s\n", sh);
			overcommit_report(vm, sh, sizeof sh);
			kprintf("    %s\n", sh);
		} else if (vm->s.state == VM_STOPPED) {
			kprintf("    reason: %s\n", vm->s.reason);
		}
	}
}

/* `mem`: the machine's memory in one line, then one short line per VM (make soak samples these). */
static void mem(void)
{
	char buf[300];
	overcommit_machine(buf, sizeof buf);
	kprintf("vmm: mem: %s\n", buf);
	for (int i = 0; i < vm_total(); i++) {
		struct vm *vm = vm_at(i);
		const struct pmap *pm = &vm->pmap;
		kprintf("vmm: mem %s %s: backed %lu, shared %lu, out %lu, balloon %lu\n", vm->name,
			vm->paused ? "paused" : state_name[vm->s.state], pm->backed, pm->shared, pm->out, vm->balloon_now);
	}
}

static void regs(struct vm *vm, const struct trapframe *tf)
{
	kprintf("%s: EIP %08lx CS %04lx EFLAGS %08lx (virtual IF %u IOPL %u) ESP %08lx SS %04lx\n", vm->name,
		tf->rip, tf->cs, tf->rflags, vm->vif ? 1 : 0, vm->viopl >> 12, tf->rsp, tf->ss);
	kprintf("    EAX %08lx EBX %08lx ECX %08lx EDX %08lx ESI %08lx EDI %08lx EBP %08lx\n", tf->rax, tf->rbx,
		tf->rcx, tf->rdx, tf->rsi, tf->rdi, tf->rbp);
	kprintf("    DS %04lx ES %04lx FS %04lx GS %04lx  CR0 %08x CR2 %08x CR3 %08x CR4 %08x\n", tf->ds, tf->es,
		tf->fs, tf->gs, vm->cr0, vm->cr2, vm->cr3, vm->cr4);
	kprintf("    GDTR %08x/%04x IDTR %08x/%04x LDTR %04x TR %04x%s\n", vm->gdtr.base, vm->gdtr.limit,
		vm->idtr.base, vm->idtr.limit, vm->ldtr, vm->tr, vm->halted ? ", halted" : "");
	kprintf("    (CS and SS carry the real ring: 1 for the guest's ring 0)\n");
}

/* "N" or "vmN" -> the VM, or 0 (and the error said). */
static struct vm *vm_arg(const char *cmd, const char *a)
{
	if (a[0] == 'v' && a[1] == 'm')
		a += 2;
	unsigned n = 0, digits = 0;
	for (; *a >= '0' && *a <= '9' && digits < 4; a++, digits++)
		n = n * 10 + (unsigned)(*a - '0');
	if (!digits || *a || n < 1 || (int)n > vm_total()) {
		kprintf("vmm: %s: no such VM (1..%d)\n", cmd, vm_total());
		return 0;
	}
	return vm_at((int)n - 1);
}

static int live(const struct vm *vm, const char *cmd)
{
	if (vm->s.state == VM_RUNNABLE || vm->s.state == VM_WAITING)
		return 1;
	kprintf("vmm: %s: %s has ended (%s)\n", cmd, vm->name, state_name[vm->s.state]);
	return 0;
}

void operator_run(struct trapframe *tf)
{
	ready = 0;
	char *w[3] = { 0, 0, 0 };
	int n = 0;
	for (char *p = line; *p && n < 3;) {        /* split into at most three words */
		while (*p == ' ')
			*p++ = 0;
		if (!*p)
			break;
		w[n++] = p;
		while (*p && *p != ' ')
			p++;
	}
	if (!n)
		return;
	const char *c = w[0];
	static const char *const known[] = { "list", "help", "mem", "pause", "resume", "stop", "regs", "trace", "focus", "balloon" };
	unsigned k = 0;
	while (k < sizeof known / sizeof known[0] && strcmp(c, known[k]))
		k++;
	if (k == sizeof known / sizeof known[0]) {
		kprintf("vmm: unknown command '%s' (help lists them)\n", c);
		return;
	}
	int want = k < 3 ? 1 : k == 9 ? 3 : 2;        /* list, help and mem take no argument, balloon two */
	if (n != want) {
		kprintf("vmm: %s takes %s\n", c, want == 1 ? "no argument" : want == 2 ? "one argument" : "two arguments");
		return;
	}
	struct vm *vm;
	if (!strcmp(c, "help")) {
		kprintf("vmm: list | mem | pause N | resume N | stop N | regs N | trace FLOWS|off | focus N | balloon N SIZE | help\n");
	} else if (!strcmp(c, "list")) {
		list();
	} else if (!strcmp(c, "mem")) {
		mem();
	} else if (!strcmp(c, "trace")) {
		const char *bad = 0;
		int r = !strcmp(w[1], "off") ? trace_parse("tlb,switch,trap,syscall", 0, &bad) : trace_parse(w[1], 20, &bad);
		if (r < 0)
			kprintf("vmm: trace: unknown flow '%s' (tlb, switch, trap, syscall, or off)\n", bad);
		else
			kprintf("vmm: trace %s\n", w[1]);
	} else if (!(vm = vm_arg(c, w[1]))) {
		/* said */
	} else if (!strcmp(c, "balloon")) {
		unsigned long long v;
		if (parse_size(w[2], strlen(w[2]), &v) < 0 || v > ((uint64_t)vm->pmap.nframes << 12) / 2)
			kprintf("vmm: balloon: '%s' is not a size up to half of %s's RAM (e.g. 16M)\n", w[2], vm->name);
		else if (live(vm, c)) {
			balloon_set(vm, v >> 12);
			kprintf("vmm: %s's balloon target %llu KiB%s\n", vm->name, v >> 10,
				vm->balloon_driver ? "" : " (its guest has shown no balloon driver yet)");
		}
	} else if (!strcmp(c, "regs")) {
		regs(vm, vm == cur ? tf : &vm->tf);
	} else if (!strcmp(c, "focus")) {
		if (live(vm, c))
			vm_focus((int)(vm - vm_at(0)));
	} else if (!strcmp(c, "pause")) {
		if (live(vm, c) && vm->paused) {
			kprintf("vmm: pause: %s is paused already\n", vm->name);
		} else if (vm->s.state == VM_RUNNABLE || vm->s.state == VM_WAITING) {
			vm->paused = 1;
			vm->s.state = VM_WAITING;       /* off the CPU at the next pick */
			kprintf("vmm: %s paused\n", vm->name);
		}
	} else if (!strcmp(c, "resume")) {
		if (live(vm, c) && vm->paused) {
			vm->paused = 0;
			kprintf("vmm: %s resumed\n", vm->name);
		} else if (vm->s.state == VM_RUNNABLE || vm->s.state == VM_WAITING) {
			kprintf("vmm: resume: %s is not paused\n", vm->name);
		}
	} else if (live(vm, c)) {                  /* stop */
		vm->paused = 0;
		vm_fail(vm, "stopped by the operator");
	}
}
