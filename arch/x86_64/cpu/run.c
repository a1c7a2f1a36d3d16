/* run.c - the vCPU: start VMs, take their traps, give them virtual interrupts, switch machines.
 *
 * Every trap from a guest (ring 1 or 3) arrives in vm_trap() with the guest's registers in the
 * trap frame on the VMM's stack -- unless a fast path (fastpath.c, fast_entry) finished it first. The VMM handles it -- emulates, reflects, or fixes a shadow
 * entry -- and then vm_resume() decides what runs next: the same guest (with a virtual interrupt
 * delivered first if one is pending and the guest's IF is set), or another VM (a machine switch:
 * the whole frame, FPU/SSE state, GDT, IDT gate DPLs and shadow root are exchanged), or nobody
 * (every guest is in hlt: the VMM halts the real CPU until the next interrupt). */
#include <stdarg.h>
#include "vm.h"
#include "direct.h"
#include "fast.h"
#include "../cpu.h"
#include "../boot.h"
#include "../pic.h"
#include "../multiboot.h"
#include "../load/load.h"
#include "../console.h"
#include "../rtc.h"
#include "../load/multiboot1.h"
#include "../pc/firmware.h"
#include "../mmu/overcommit.h"
#include "../../../vcpu/trace.h"
#include "../../../vcpu/vmconfig.h"
#include "../../../lib/format.h"
#include "../../../lib/kstring.h"
#include "../../../lib/log.h"
#include "../../../lib/calendar.h"

static struct vm vms[MAX_VMS];
static int nvms;
static int not_started;                   /* VMs the configuration asked for that could not start */
struct vm *cur;
static uint64_t slice_end, slice_tsc;
static uint64_t idle_tsc;                 /* time the real CPU spent halted: every guest was idle */
static uint64_t rtc_epoch, rtc_ns;        /* the machine's RTC (seconds since 1970) read at now_ns() = rtc_ns */
extern int (*trap_guest_hook)(struct trapframe *tf);
extern void (*trap_resume_hook)(struct trapframe *tf);
_Noreturn void vcpu_enter(struct trapframe *tf);

uint64_t now_ns(void)
{
	uint64_t t = rdtsc();
	return t / tsc_khz * 1000000 + (t % tsc_khz) * 1000000 / tsc_khz;
}

static void print_line(const char *line)
{
	kprintf("%s\n", line);
}

void vm_fail(struct vm *vm, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vconsole_flush(&vm->con, print_line);     /* the guest's last words first */
	vm_vstop(&vm->s, print_line, fmt, ap);
	va_end(ap);
}

void vm_check_power(struct vm *vm)
{
	if (vm->s.state != VM_RUNNABLE && vm->s.state != VM_WAITING)
		return;
	if (vm->io.exit_requested) {
		vm->exit_code = (int)vm->io.exit_code;
		vm->s.state = VM_OFF;
	} else if (vm->io.reset_requested) {
		vm_fail(vm, "the guest reset its machine (%s)", vm->io.reset_how ? vm->io.reset_how : "?");
	}
}

void vm_console_putc(struct vm *vm, char c)
{
	vconsole_putc(&vm->con, c, print_line);
	vm->con_tsc = vm_time_used(vm);
}

static void uart_out(void *ctx, char c)
{
	vm_console_putc(ctx, c);
}

/* ---- the machine switch ---- */

static uint64_t cur_since;                /* when cur got the CPU */

uint64_t vm_time_used(const struct vm *vm)
{
	return vm->run_tsc + (vm == cur ? rdtsc() - cur_since : 0);
}

int vm_total(void)
{
	return nvms;
}

struct vm *vm_at(int i)
{
	return &vms[i];
}

void vm_yield(void)
{
	slice_end = 0;
}

static void switch_to(struct vm *next, struct trapframe *tf)
{
	uint64_t now = rdtsc();
	slice_end = now + slice_tsc;             /* a new slice, for it or (picked again) for the same VM */
	if (next == cur)
		return;
	if (cur)
		cur->run_tsc += now - cur_since;
	cur_since = now;
	if (trace_begin(TRACE_SWITCH))
		kprintf("trace: machine switch %s -> %s (eip %08lx -> %08lx)\n", cur ? cur->name : "-", next->name,
			cur ? tf->rip : 0, next->tf.rip);
	trace_end(TRACE_SWITCH);
	if (cur) {
		cur->tf = *tf;                   /* every register, real and (in struct vm) virtual */
		xfeat_save(cur);                 /* FPU/SSE/AVX */
	}
	cur = next;
	cur->s.switches_in++;
	*tf = cur->tf;
	xfeat_load(cur);                         /* its CR4 bits, XCR0, FPU/SSE/AVX */
	dr_load(cur);                            /* its breakpoints */
	seg_install(cur);
	shadow_activate(&cur->sh);
}

/* ---- the real console's input: to the VM with the focus; Ctrl-] opens the operator's console ---- */

static int focus;

int vm_focus(int i)
{
	if (i >= 0 && i < nvms) {
		focus = i;
		kprintf("[vmm] console focus: %s\n", vms[focus].name);
	}
	return focus;
}

static void console_poll(void)
{
	int c;
	while ((c = console_getc()) >= 0) {
		if (operator_key(c))
			continue;
		if (nvms && !vio_input(&vms[focus].io, (char)c, now_ns()))
			log_warn("vmm", "%s: console input overrun", vms[focus].name);
		vms[focus].intr_known = 0;
	}
}

/* ---- virtual time and interrupts ---- */

static uint64_t ns_to_tsc(uint64_t ns)
{
	return ns == UINT64_MAX ? UINT64_MAX : ns / 1000000 * tsc_khz + ns % 1000000 * tsc_khz / 1000000;
}

static void poll_devices(struct vm *vm)
{
	/* The guest's PIT runs on real time: edges since the last look raise IRQ0 (several coalesce,
	 * as the 8259's IRR holds one); a rising COM1 interrupt line raises IRQ4. Then: when the
	 * next of its timers is due, so that until then (and until the guest touches a device or
	 * the real timer ticks) the VMM need not look again. */
	vio_sync(&vm->io, now_ns());
	vm_check_power(vm);
	vm->next_event_tsc = ns_to_tsc(vio_next_event_ns(&vm->io));
	vm->io_touched = 0;
	vm->intr_known = 0;
}

/* A line the guest has begun but not ended is shown once the VM has gone quiet: halted (a shell's
 * prompt, waiting for input), or after a second of its own CPU time without another byte (a guest
 * that hangs in the middle of a line). Its next bytes begin another "vmN: " line. */
static void console_idle(struct vm *vm)
{
	if (vm->halted || vm->s.state != VM_RUNNABLE || vm_time_used(vm) - vm->con_tsc > ns_to_tsc(1000000000))
		vconsole_flush(&vm->con, print_line);
}

/* What the VM's interrupt controllers offer the vCPU now (-1: nothing). Their state moves only
 * when the devices are polled, touched by the guest or acknowledged, so the answer is kept until
 * one of those happens (scanning the LAPIC's and the 8259s' registers costs ~200 instructions). */
static int intr_pending(struct vm *vm)
{
	if (vm->io_touched || !vm->intr_known) {
		vm->intr_vec = vio_intr_pending(&vm->io);
		vm->intr_known = !vm->io_touched;
	}
	return vm->intr_vec;
}

/* Has anything of this VM's devices moved since poll_devices looked? Not before its next timer
 * event is due, unless the guest touched a device (port I/O, device memory) meanwhile. */
static int devices_quiet(const struct vm *vm, uint64_t tsc)
{
	return !vm->io_touched && tsc < vm->next_event_tsc;
}

static uint64_t polled;                   /* the timer tick at which all VMs were last polled */

/* The common case of every return: no real timer tick since the last look, the VM is the current
 * one and can still run, its slice is not over, none of its devices may have moved. It keeps the
 * CPU and nothing needs polling. */
static int keeps_cpu(const struct vm *vm)
{
	uint64_t tsc = rdtsc();
	return vm == cur && ticks == polled && vm->s.state == VM_RUNNABLE && !vm->halted && tsc < slice_end &&
	       devices_quiet(vm, tsc);
}

static int wants_cpu(struct vm *vm)
{
	if ((vm->s.state != VM_RUNNABLE && vm->s.state != VM_WAITING) || vm->paused)
		return 0;
	if (!vm->halted)
		return 1;
	return vm->vif && intr_pending(vm) >= 0;
}

/* One line of a device's exit report (what the guest asked for that the device refused). */
static void report_line(void *ctx, const char *s)
{
	const struct vm *vm = ctx;
	log_info("vmm", "%s: %s", vm->name, s);
}

static void unclaimed_line(void *ctx, const char *ports)
{
	log_info("vmm", "%s touched unclaimed ports (port:accesses):%s", ((struct vm *)ctx)->name, ports);
}

/* Give back what vm_create took: the disks' private copies, the shadow, the VM's frames. */
static void vm_unmake(struct vm *vm)
{
	for (unsigned s = 0; s < VMC_DISKS; s++)
		if (vm->disk_mask & (1u << s))
			blkcow_destroy(&vm->disk[s]);
	vm->disk_mask = 0;
	shadow_teardown(vm);
	patch_destroy(vm);
	pmap_destroy(&vm->pmap);
}

/* One line: what made the VMM take control of this VM so far, by kind. */
static void vm_print_exits(const struct vm *vm)
{
	log_info("vmm", "%s exits: priv %lu patched %lu syscall/softint %lu exceptions %lu hidden-pf %lu "
		 "true-pf %lu irqs %lu io %lu hlt %lu mmio %lu pt-write %lu dt-write %lu hypercall %lu; fast paths %lu, direct %lu; code scans %lu rescans %lu (writes to running code emulated %lu, stepped %lu)",
		 vm->name, vm->exits[EXIT_PRIV], vm->exits[EXIT_PATCH], vm->exits[EXIT_SYSCALL], vm->exits[EXIT_EXCEPTION],
		 vm->exits[EXIT_HIDDEN_PF], vm->exits[EXIT_TRUE_PF], vm->exits[EXIT_IRQ], vm->exits[EXIT_IO],
		 vm->exits[EXIT_HLT], vm->exits[EXIT_MMIO], vm->exits[EXIT_PTWRITE], vm->exits[EXIT_DTWRITE], vm->exits[EXIT_HYPERCALL], vm->fast_exits,
		 vm->direct_exits,
		 vm->scans, vm->rescans, vm->code_writes_emulated, vm->code_writes_stepped);
	static const char *const kind[EXIT_COUNT] = { "priv", "patched", "syscall/softint", "exceptions",
		"hidden-pf", "true-pf", "irqs", "io", "hlt", "mmio", "pt-write", "dt-write", "hypercall" };
	char prof[400];
	int n = 0;
	for (int k = 0; k < EXIT_COUNT; k++)
		if (vm->prof_n[k])
			n += snprintf_(prof + n, sizeof prof - (size_t)n, " %s %lu x %lu", kind[k], vm->prof_n[k],
				       vm->prof_cycles[k] / vm->prof_n[k]);
	log_info("vmm", "%s profile (traps x VMM cycles each, trap to guest; instructions under -icount):%s", vm->name,
		 n ? prof : " none");
	char sh[400];
	shadow_report(vm, sh, sizeof sh);
	log_info("vmm", "%s %s", vm->name, sh);
	overcommit_report(vm, sh, sizeof sh);
	log_info("vmm", "%s %s", vm->name, sh);
	log_info("vmm", "%s control registers at the end: CR0 %08x CR4 %08x XCR0 %llx", vm->name, vm->cr0, vm->cr4,
		 (unsigned long long)vm->xcr0);
}

static void vm_finished(struct vm *vm)
{
	vconsole_flush(&vm->con, print_line);
	vm->end_tsc = rdtsc();
	uint64_t ms = (vm->end_tsc - vm->start_tsc) / tsc_khz;
	if (vm->s.state == VM_OFF)
		log_info("vmm", "%s off: exit code %d after %lu ms", vm->name, vm->exit_code, ms);
	vio_report_unknown(&vm->io, unclaimed_line, vm);
	if (vm == cur)
		WRITE_CR(3, virt_to_phys(paging_pml4()));   /* off its shadow before freeing it */
	vm_print_exits(vm);
	vlapic_report_unimplemented(&vm->io.lapic, report_line, vm);
	vioapic_report_unimplemented(&vm->io.ioapic, report_line, vm);
	vata_report_unimplemented(vm->io.ide, 2, report_line, vm);
	vm_unmake(vm);
}

static _Noreturn void all_done(void)
{
	int code = not_started > 0;
	for (int i = 0; i < nvms; i++)
		if (vms[i].s.state != VM_OFF || vms[i].exit_code != 0)
			code = 1;
	char ns[48] = "";
	if (not_started)
		snprintf_(ns, sizeof ns, " (and %d not started)", not_started);
	log_info("vmm", "all VMs have ended%s; %s; the CPU was idle (every guest in hlt) for %lu ms", ns,
		 code ? "at least one failed, was stopped or did not start" : "all passed", idle_tsc / tsc_khz);
	overcommit_summary();
	vmm_exit(code);
}

/* Pick what runs next and make it so: called on the way back to a guest, after every trap. */
static uint64_t stats_ticks, stats_next;     /* stats=N: print every VM's exits every N seconds */

/* The frame as the trap brought it in: its selectors had been loaded by the CPU from the real
 * GDT/LDT, so if neither they nor those tables (seg_gen) have changed when the VMM returns, the
 * frame is as usable as it was and seg_frame_ok need not look at it again. Not so for the frame
 * trap.c makes of a trap from virtual-8086 mode (a null CS and SS): that one is always checked. */
static struct { const struct vm *vm; uint64_t gen; uint64_t sel[6]; } entry;

static void note_entry(const struct trapframe *tf)
{
	entry.vm = (tf->cs & ~3ull) ? cur : 0;
	entry.gen = cur ? cur->seg_gen : 0;
	entry.sel[0] = tf->cs, entry.sel[1] = tf->ss, entry.sel[2] = tf->ds;
	entry.sel[3] = tf->es, entry.sel[4] = tf->fs, entry.sel[5] = tf->gs;
}

/* A GDT selector past what the VMM copies of a guest's GDT (desc.h GUEST_GDT_MAX): a limit of
 * the VMM, not the guest's fault -- said so when it stops the VM. */
#define GDT_MAX_STR "512"
_Static_assert(GUEST_GDT_MAX == 512, "GDT_MAX_STR");
static int beyond_gdt_copy(uint64_t sel)
{
	return !(sel & 4) && (sel >> 3) >= GUEST_GDT_MAX;
}

/* Why a frame's CS or SS cannot be loaded, when it is not the guest's doing alone: past the GDT
 * copy, or an LDT selector while the guest has no LDT (sysexit loads CS and SS from SYSENTER_CS
 * without reading a table; a CPU runs on, the VMM needs a real descriptor: tests/fuzz 19:7097). */
static const char *unusable_why(const struct vm *vm, const struct trapframe *tf)
{
	if (beyond_gdt_copy(tf->cs) || beyond_gdt_copy(tf->ss))
		return " (beyond the " GDT_MAX_STR " GDT entries the VMM copies)";
	if (((tf->cs | tf->ss) & 4) && !(vm->ldtr & ~3u))
		return " (an LDT selector, and no LDT is loaded)";
	return "";
}

static int frame_as_it_came(const struct trapframe *tf)
{
	return entry.vm == cur && entry.gen == cur->seg_gen && entry.sel[0] == tf->cs && entry.sel[1] == tf->ss &&
	       entry.sel[2] == tf->ds && entry.sel[3] == tf->es && entry.sel[4] == tf->fs && entry.sel[5] == tf->gs;
}

/* The direct paths (direct.asm, direct.h) until the next trap that is not theirs: armed only when
 * the VM leaves vm_resume with nothing pending at all -- what fast_leave checks, and, whatever the
 * guest's IF, no interrupt waiting (a direct popf or iret may set it) -- and only until its slice
 * ends or its next timer event falls due. What they need about the guest's tables is taken from
 * the caches the C paths keep (flat pairs at this seg_gen, the IDT's gate for int 0x80). */
struct direct direct;
int direct_paths = 1;

static void direct_arm(struct vm *vm)
{
	struct direct *d = &direct;
	d->until = 0;
	if (!fast_paths || !direct_paths || vm->trace_pending || vm->trace_esp ||
	    trace_left(TRACE_SYSCALL | TRACE_TRAP) || vm != cur || vm->s.state != VM_RUNNABLE || vm->halted ||
	    vm->io_touched || vm->tables_open || vm->tables_dirty || vm->nstale || intr_pending(vm) >= 0)
		return;
	/* The flat pairs the C paths found last, checked again if the tables changed since. */
	if (!flat_pair(vm, &vm->kflat, vm->kflat.cs, vm->kflat.ss, 0))
		return;
	d->vm = vm;
	d->seg_gen = vm->seg_gen;
	d->kcs = vm->kflat.cs;
	d->kss = vm->kflat.ss;
	int user = flat_pair(vm, &vm->uflat, vm->uflat.cs, vm->uflat.ss, 3);
	d->ucs = user ? vm->uflat.cs : 0;
	d->uss = user ? vm->uflat.ss : 0;
	/* int 0x80 as reflect_fast would deliver it: a gate to the flat kernel CS (the guest wrote DPL
	 * 0 for it), a TSS whose esp0/ss0 lie below 4 GiB. */
	uint16_t sel = vm->gate[0x80].sel;
	d->sys_ok = vm->gate[0x80].type && (vm->pv_kstack[1] || (vm->tr && (uint64_t)vm->tr_base + 12 <= (1ULL << 32))) &&
		    ((sel & ~3u) | 1) == d->kcs && vm->gdt_dpl[sel >> 3] == 0;
	d->sys_eip = vm->gate[0x80].off;
	d->sys_vif = vm->gate[0x80].type == 0x0E ? 0 : ~0u;
	d->kstack = vm->pv_kstack[1] ? (uintptr_t)vm->pv_kstack : vm->tr_base + 4;
	d->until = slice_end < vm->next_event_tsc ? slice_end : vm->next_event_tsc;
}

static void vm_resume(struct trapframe *tf)
{
	if (stats_ticks && ticks >= stats_next) {
		stats_next = ticks + stats_ticks;
		for (int i = 0; i < nvms; i++)
			if (vms[i].s.state == VM_RUNNABLE || vms[i].s.state == VM_WAITING)
				vm_print_exits(&vms[i]);
	}
	for (;;) {
		/* (inside the loop: with every VM paused the CPU idles here, and `resume` must run) */
		if (operator_ready())
			operator_run(tf);
		if (cur && keeps_cpu(cur))
			break;
		/* Virtual time moves for every VM once per real timer tick (1 ms); between ticks only
		 * the current VM can have changed (it trapped), so only it is looked at again, and only
		 * if one of its devices may have moved. */
		int tick = ticks != polled, all = tick || !cur || cur->s.state != VM_RUNNABLE || cur->halted;
		if (tick)
			overcommit_tick();           /* sharing, balloons, paging out (mmu/overcommit.c) */
		polled = ticks;
		for (int i = 0; i < nvms; i++) {
			struct vm *vm = &vms[i];
			if (tick && vm->con.len)
				console_idle(vm);
			if (!all && (vm != cur || devices_quiet(vm, rdtsc())))
				continue;
			if (vm->s.state == VM_RUNNABLE || vm->s.state == VM_WAITING) {
				int was = vm->s.state;
				poll_devices(vm);            /* may turn it off or stop it */
				if (vm->s.state == VM_RUNNABLE || vm->s.state == VM_WAITING)
					vm->s.state = wants_cpu(vm) ? VM_RUNNABLE : VM_WAITING;
				/* A VM woken by an interrupt need not wait for the current slice to end:
				 * the scheduler picks again at once. */
				if (was == VM_WAITING && vm->s.state == VM_RUNNABLE && vm != cur)
					slice_end = 0;
			}
			if (vm->s.state != VM_RUNNABLE && vm->s.state != VM_WAITING && vm->end_tsc == 0)
				vm_finished(vm);
		}
		/* Stay with the current VM until its slice is over, unless it cannot run: the rest of
		 * its slice, not a new one (a new one at every pass starved the other VMs). */
		if (cur && cur->s.state == VM_RUNNABLE && !cur->halted && rdtsc() < slice_end)
			break;
		struct vm_sched *list[MAX_VMS];
		for (int i = 0; i < nvms; i++)
			list[i] = &vms[i].s;
		int k = sched_pick(list, nvms, cur ? (int)(cur - vms) : nvms - 1);
		if (k >= 0) {
			switch_to(&vms[k], tf);
			break;
		}
		int live = 0;
		for (int i = 0; i < nvms; i++)
			live += vms[i].s.state == VM_RUNNABLE || vms[i].s.state == VM_WAITING;
		if (!live)
			all_done();
		/* B.5: every guest is idle. Halt the real CPU until the next real interrupt. */
		uint64_t t0 = rdtsc();
		__asm__ volatile("sti; hlt; cli" ::: "memory");
		idle_tsc += rdtsc() - t0;
	}
	/* A descriptor-table page left writable for an instruction the emulator lacks: the guest has
	 * run (and written) since, so read the tables again and protect the pages once more. Not on
	 * the way back from that very fault (tables_open 2), or the write would never happen. */
	if (cur->tables_open == 1)
		seg_tables_protect(cur, tf);
	else if (cur->tables_open == 2)
		cur->tables_open = 1;
	if (cur->tables_dirty) {                 /* the VMM wrote to them for the guest */
		seg_tables_written(cur, tf, cur->tables_dirty);
		cur->tables_dirty = 0;
	}
	/* Deliver a pending virtual interrupt if the guest has interrupts enabled -- but not right
	 * after a mov ss or pop ss the VMM emulated: the CPU holds interrupts back until the
	 * instruction after it is done (SDM 6.8.3: `mov ss; mov esp` switches stacks with nothing in
	 * between). The hold lasts while the guest is still before that instruction: a real
	 * interrupt that came while the VMM emulated is taken as soon as the guest resumes, before it
	 * has done anything, and under a loaded TCG host many can come so (the guest test
	 * mov_ss_interrupt_shadow saw 1 in 20 get through with three VMs and a cap of 3 or 8
	 * entries). So when an interrupt waits, the VMM single-steps the guest over the instruction
	 * -- TF, as a hardware "interrupt window" would -- and vm_trap sees the step's #DB: the
	 * instruction is done, the interrupt goes in. Not when the guest steps itself (its own #DB
	 * comes after the instruction) or selfmod.c steps: then the EIP moving on ends the hold, and
	 * a cap on the entries keeps `jmp .` from holding interrupts out for good. (A machine
	 * switch in between: the hold waits for this VM's turn.) */
	enum { IRQ_HOLD_MAX = 64 };
	int hold = 0;
	if (cur->irq_hold) {
		if (cur->irq_hold == 1)
			cur->hold_eip = (uint32_t)tf->rip;
		hold = cur->irq_hold <= IRQ_HOLD_MAX && (uint32_t)tf->rip == cur->hold_eip;
		cur->irq_hold = hold ? (uint8_t)(cur->irq_hold + 1) : 0;
	}
	if (hold && cur->vif && !cur->hold_step && !cur->step.on && !(tf->rflags & FL_TF) && intr_pending(cur) >= 0) {
		tf->rflags |= FL_TF;
		cur->hold_step = 1;
	}
	if (cur->vif && !hold && intr_pending(cur) >= 0) {
		int vec = vio_intr_ack(&cur->io);
		cur->intr_known = 0;
		cur->halted = 0;
		vm_count(cur, EXIT_IRQ);
		reflect(cur, tf, (unsigned)vec, REFLECT_IRQ, 0);
	}
	if (cur->s.state == VM_RUNNABLE && !frame_as_it_came(tf) && !seg_frame_ok(cur, tf))
		vm_fail(cur, "cannot resume at %04lx:%08lx: CS or SS is not usable%s", tf->cs, tf->rip,
			unusable_why(cur, tf));
	if (cur->s.state != VM_RUNNABLE) /* delivery failed and stopped it: look again */
		vm_resume(tf);
	else if (cur->step.on)
		selfmod_leave(cur, tf);          /* one instruction on its own code page, stepped */
	direct_arm(cur);
}

/* ---- traps from guests ---- */

/* Figure B.3, step 1, for the first few events of a traced flow (trace=syscall, trace=trap). */
void trace_step1(struct vm *vm, struct trapframe *tf, unsigned flow, const char *what, unsigned back)
{
	if (!trace_left(flow))
		return;           /* (the common case: no trace asked for, no event of this flow open) */
	if (vm->trace_esp || vm->trace_pending || !trace_begin(flow)) {
		trace_end(flow);
		return;
	}
	trace_end(flow);
	kprintf("trace: %s: 1. %s trapped: %s (vector %lu) at %04x:%08lx -> VMM\n", vm->name,
		guest_cpl(tf) == 3 ? "the process" : "the guest kernel", what, tf->vector, sel_to_guest((uint16_t)tf->cs),
		tf->rip - back);
	vm->trace_pending = 1;
}

/* After a fast path (fastpath.c): can the guest go straight back? Only when vm_resume would find
 * nothing to do: it is still the VM's slice, no timer tick since the last look, no device moved,
 * no descriptor-table business, no interrupt to deliver, no single step to arm (a #PF that began
 * one: selfmod.c -- without it the page ran unscanned: tests/fuzz 18:905). (A fast path touches neither the data
 * selectors nor the real tables, and checks the CS and SS it loads: seg_frame_ok is not needed.)
 * keeps_cpu and more, in one function, with the trap's profile (t0: when it came in): it runs on
 * every fast trap. 1: straight back, the trap charged; 0: vm_resume must run (fast_finish). */
int fast_leave(struct vm *vm, uint64_t t0)
{
	uint64_t tsc = rdtsc();
	if (tsc >= slice_end || tsc >= vm->next_event_tsc || ticks != polled || vm != cur ||
	    vm->s.state != VM_RUNNABLE || (vm->halted | vm->io_touched | vm->tables_open | vm->tables_dirty | vm->step.on) ||
	    vm->nstale || (vm->vif && intr_pending(vm) >= 0)) {
		vm->fast_t0 = t0;
		return 0;
	}
	if (vm->trap_kind < EXIT_COUNT) {
		vm->prof_n[vm->trap_kind]++;
		vm->prof_cycles[vm->trap_kind] += tsc - t0;
	}
	return 1;
}

/* A #GP from `int n` (or int3) through a real gate the VMM keeps closed (segments.c: the vectors of
 * exceptions with error codes, and the VMM's own IRQ vectors), or from a guest process through a
 * gate its guest closed: the guest's own gate decides, as the CPU would have -- the #GP(n*8+2)
 * stands if its DPL is below the CPL (checked first, as on the CPU), #NP(n*8+2) if it is not
 * present, else the software interrupt n goes through it (returning after the instruction).
 * (The real CPU's error code names the gate in the VMM's 16-byte-gate IDT: n*8+2 on hardware,
 * n*16+2 under QEMU's TCG; the guest gets n*8+2, its IDT's, either way.) 1: done here. */
static int soft_int(struct vm *vm, struct trapframe *tf)
{
	uint8_t b[16];
	struct x86_insn in;
	uint32_t cpl = guest_cpl(tf);
	if ((tf->error & 3) != 2)
		return 0;
	if (fetch_insn(vm, tf, (uint32_t)tf->rip, &in, b, 0) < 0)
		return 1;                            /* (a fault was reflected instead) */
	if (in.map != X86_MAP_1BYTE || (in.opcode != 0xCD && in.opcode != 0xCC))
		return 0;
	/* (prefixes change nothing, but the length: 66 cd 2d is int 0x2d too, 1:1953) */
	unsigned n = in.opcode == 0xCC ? 3 : (uint8_t)in.imm, len = in.length, g = vm->gate[n].present;
	if (tf->error != n * 8 + 2 && tf->error != n * 16 + 2)
		return 0;
	vm_count(vm, (g & 3) >= cpl && (g & 0x80) ? EXIT_SYSCALL : EXIT_EXCEPTION);
	if ((g & 3) < cpl)
		reflect(vm, tf, 13, REFLECT_EXC_ERR, n * 8 + 2);
	else if (!(g & 0x80))
		reflect(vm, tf, 11, REFLECT_EXC_ERR, n * 8 + 2);
	else {
		tf->rip = (uint32_t)tf->rip + len;
		vm->int_len = (uint8_t)len;
		reflect(vm, tf, n, REFLECT_SOFT, 0);
	}
	return 1;
}

/* The general path: every trap a fast path did not take. */
static void vm_trap_general(struct vm *vm, struct trapframe *tf)
{
	unsigned v = (unsigned)tf->vector;
	switch (v) {
	case 13:
		if (soft_int(vm, tf))
			break;
		if (guest_cpl(tf) == 0 ? emulate_privileged(vm, tf) : emulate_umip(vm, tf))
			break;
		if (emulate_sysenter(vm, tf))
			break;
		vm_count(vm, EXIT_EXCEPTION);
		trace_step1(vm, tf, TRACE_TRAP, "#GP", 0);
		reflect(vm, tf, 13, REFLECT_EXC_ERR, (uint32_t)tf->error);
		break;
	case 14:
		shadow_fault(vm, tf, (uint32_t)READ_CR(2), (uint32_t)tf->error);
		break;
	case 3: {
		/* The patch table knows the int3 by its address: CS:EIP as a linear address. */
		const struct patch *p = guest_cpl(tf) == 0 ?
			patch_at(vm, seg_base(vm, tf, X86_SEG_CS) + (uint32_t)tf->rip - 1) : 0;
		if (p) {
			vm_count(vm, EXIT_PATCH);
			tf->rip = (uint32_t)tf->rip - 1;
			emulate_patched(vm, tf, p);
		} else {
			vm_count(vm, EXIT_EXCEPTION);           /* the guest's own int3 */
			trace_step1(vm, tf, TRACE_TRAP, "int3 (the guest's own)", 1);
			reflect(vm, tf, 3, REFLECT_EXC, 0);
		}
		break;
	}
	case 2:
		break;                                         /* NMI: nothing to do */
	case 8:
	case 18:
		/* From guest mode these are the guest's doing (or a real machine check that hit while it
		 * ran): the VM cannot go on, the VMM can. */
		vm_fail(vm, "%s at %08lx", v == 8 ? "double fault" : "machine check (or int 18)", tf->rip);
		break;
	default:
		if (v == 0x82 && hypercall(vm, tf)) {
			/* a para-virtual call (hypercall.c) */
		} else if (v >= 32) {                          /* int n the guest's gate allowed */
			vm_count(vm, EXIT_SYSCALL);
			if (v == 0x80)
				trace_step1(vm, tf, TRACE_SYSCALL, "int 0x80", 2);
			reflect(vm, tf, v, REFLECT_SOFT, 0);
		} else if (v == 6 && emulate_sysenter(vm, tf)) {
			/* sysenter in compatibility mode is #UD on AMD: done as the guest's MSRs ask */
		} else if (v == 6 && guest_cpl(tf) == 0 && emulate_ud(vm, tf)) {
			/* stac/clac of a guest kernel with SMAP */
		} else {
			vm_count(vm, EXIT_EXCEPTION);
			if (v == 1)
				dr_guest_db(vm);               /* a breakpoint or single step: its DR6 */
			trace_step1(vm, tf, TRACE_TRAP, "an exception", 0);
			int err = v == 10 || v == 11 || v == 12 || v == 17;
			reflect(vm, tf, v, err ? REFLECT_EXC_ERR : REFLECT_EXC, (uint32_t)tf->error);
		}
	}
}

/* The guest single-steps (TF) over an instruction the VMM completed for it -- a privileged or
 * patched one emulated, a store to a guarded page or a device done: the CPU would raise its #DB
 * after it, so the VMM does (DR6.BS), unless the trap gave the guest an exception of its own, or
 * left the instruction to run again (a shadow fill: the CPU traps after it then). Left out: hlt
 * (the #DB would wait for the wake-up). The fast and direct paths decline a trap with TF set, so
 * all of them come here. (tests/fuzz 1:9159: the step came one instruction late.) After mov ss
 * or pop ss the CPU holds the trap back until the next instruction is done (SDM 6.8.3): the
 * real TF, set as the guest resumes, gives it there (26:9802). */
static void step_trap(struct vm *vm, struct trapframe *tf, uint64_t fl0, uint64_t rip0, uint64_t cs0, uint32_t r0)
{
	unsigned v = (unsigned)tf->vector;
	int shadow = vm->ss_shadow;
	vm->ss_shadow = 0;
	if (shadow || !(fl0 & FL_TF) || vm->reflects != r0 || vm->s.state != VM_RUNNABLE || vm->halted ||
	    !(v == 3 || v == 6 || v == 13 || v == 14))
		return;
	if (v == 3 ? vm->trap_kind != EXIT_PATCH : tf->rip == rip0 && tf->cs == cs0)
		return;
	dr_single_step(vm, tf);
}

/* A frame with VM set, which trap.c shows with CS 3: QEMU's virtual-8086 mode, entered by a guest
 * iret with VM set that the VMM did not emulate (an emulated one stops the VM in reflect.c) -- at
 * ring 1 where the VMM's scan decoded over it, or at ring 3, where a CPU ignores VM and QEMU does
 * not -- or a VM bit TCG's lazy flags made up (tests/fuzz 10:2067). Either way the guest is in no
 * state a CPU can give: nothing sound to reflect or resume, so the VM stops (1). */
static int v86_frame(struct vm *vm, struct trapframe *tf)
{
	if (tf->cs != 3)
		return 0;
	vm_fail(vm, "virtual-8086 frame at eip %08lx: VM set in long mode, which only QEMU's TCG gives "
		"(v8086 is not supported)", tf->rip);
	vm_resume(tf);
	return 1;
}

/* The general way: trap() calls it for every trap from a guest that the short way below did not
 * take (and for all of them with fast=off). */
static int vm_trap(struct trapframe *tf)
{
	struct vm *vm = cur;
	if (!vm)
		return 0;
	if (v86_frame(vm, tf))
		return 1;
	/* vm_resume's step over the instruction after an emulated mov ss (above): the TF was the
	 * VMM's, never the guest's -- gone before anything looks at the frame. Its #DB says that
	 * the instruction is done: the held interrupt goes in now (another trap first: the
	 * instruction faulted, or the VMM completes it, and EIP decides as before). */
	int held = vm->hold_step;
	if (held) {
		vm->hold_step = 0;
		tf->rflags &= ~(uint64_t)FL_TF;
	}
	if (vm->step.on && selfmod_entry(vm, tf)) {
		note_entry(tf);
		vm_resume(tf);                          /* (the single step selfmod.c took: done) */
		return 1;
	}
	if (held && tf->vector == 1) {
		int own = dr_own_step(vm, 0);
		if (own)
			vm->irq_hold = 0;
		if (own == 1) {
			note_entry(tf);
			vm_resume(tf);
			return 1;
		}
	}
	uint64_t t0 = rdtsc(), fl0 = tf->rflags, rip0 = tf->rip, cs0 = tf->cs;
	uint32_t r0 = vm->reflects;
	vm->trap_kind = EXIT_COUNT;
	note_entry(tf);
	unsigned v = (unsigned)tf->vector;
	vm_trap_general(vm, tf);
	/* An instruction the VMM completed for the guest (EIP moved on, no fault given): the CPU
	 * clears RF once an instruction is done, so the VMM does -- an iret (patched: #BP) loads it
	 * instead. (6:600: iret set RF and TF, rdmsr was emulated, and its single-step #DB frame
	 * had RF set; natively clear.) */
	if (v != 3 && vm->reflects == r0 && (tf->rip != rip0 || tf->cs != cs0))
		tf->rflags &= ~(uint64_t)FL_RF;
	step_trap(vm, tf, fl0, rip0, cs0, r0);
	vm_resume(tf);
	vm_profile(vm, t0);
	return 1;
}

/* After a fast path that fast_leave said no to (fastpath.c, fast_entry): the frame is whole now. */
void fast_finish(struct trapframe *tf)
{
	struct vm *vm = cur;
	note_entry(tf);        /* (as the fast path left it: a good frame, its CS and SS checked) */
	vm_resume(tf);
	vm_profile(vm, vm->fast_t0);
}

/* An interrupt (the real timer, the real UART) arrived while a guest ran. */
static void irq_from_guest(struct trapframe *tf)
{
	if (cur) {
		if (cur->step.on)
			selfmod_entry(cur, tf);         /* (an interrupt: never the step's #DB) */
		note_entry(tf);
		if (!v86_frame(cur, tf))
			vm_resume(tf);
	}
}

/* ---- creating VMs ---- */

extern struct boot_info boot;

/* A VM that cannot start: one line with the reason, its resources back; it counts as a failure. */
static int refuse(struct vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refuse(struct vm *vm, const char *fmt, ...)
{
	char reason[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf_(reason, sizeof reason, fmt, ap);
	va_end(ap);
	kprintf("%s: not started: %s\n", vm->name, reason);
	vm_unmake(vm);
	return -1;
}

/* The firmware builder's window on guest memory: one page at a time, backed on demand. */
static void *fw_mem(void *ctx, uint32_t gpa, uint32_t len)
{
	if ((gpa & 0xFFF) + len > 4096)
		return 0;
	return gpa_ptr(ctx, gpa);
}

/* Each VM's shadow (boot options shadow= and shadow_mem=): traced (the default) or a virtual TLB,
 * and its bound in frames (0: a thirty-second of its RAM, at least 256 frames). */
static int shadow_vtlb[MAX_VMS];            /* 1: that VM's shadow is the virtual TLB */
static uint64_t shadow_budget;

static int vm_create(struct vm *vm, unsigned id, const struct vmc_group *g, uint64_t ram)
{
	const struct mb_module *mod = &boot.mod[g->kernel];
	const char *why = "out of machine memory for its shadow page tables";
	char lwhy[200];
	memset(vm, 0, sizeof *vm);
	vm->s.id = id;
	vm->s.state = VM_RUNNABLE;
	snprintf_(vm->name, sizeof vm->name, "vm%u", id);
	vm->cmdline = mod->cmdline;
	vm->con.id = id;
	uint64_t budget = shadow_budget ? shadow_budget : (ram >> 12) / 32 > 256 ? (ram >> 12) / 32 : 256;
	if (pmap_create(&vm->pmap, id, ram, &why) < 0 || shadow_setup(vm, !shadow_vtlb[id - 1], budget) < 0)
		return refuse(vm, "%s", why);
	overcommit_attach(vm);
	uint64_t t = now_ns();
	vio_init(&vm->io, t, rtc_epoch + (t - rtc_ns) / 1000000000, ram, uart_out, vm);
	msr_reset(&vm->msr);

	/* Its disks: a private copy-on-write view of each module, owned by this VM. */
	char disks[64] = "";
	int dl = 0;
	for (int s = 0; s < VMC_DISKS; s++) {
		if (g->disk[s] < 0)
			continue;
		const struct mb_module *d = &boot.mod[g->disk[s]];
		if (blkcow_init(&vm->disk[s], phys_to_virt(d->start), d->end - d->start, vm->pmap.vm, &why) < 0)
			return refuse(vm, "disk %s (module %d '%s'): %s", vmc_slot_name(s), g->disk[s], d->cmdline, why);
		vm->disk_mask |= 1u << s;
		vata_attach(&vm->io.ide[s / 2], (unsigned)s % 2, &vm->disk[s]);
		dl += snprintf_(disks + dl, sizeof disks - (size_t)dl, " %s=module %d", vmc_slot_name(s), g->disk[s]);
	}

	/* What the BIOS leaves in memory (BDA, MP and ACPI tables), then the kernel and its initrd. */
	uint32_t id1[4];
	cpuid(1, 0, id1);
	struct fw_config fc = { .ncpus = 1, .ndisks = (unsigned)g->ndisks, .cpu_signature = id1[0],
				.cpu_features = id1[3] };
	if (fw_build(&fc, fw_mem, vm, &why) < 0)
		return refuse(vm, "%s", why);
	struct boot_cpu cpu = { 0 };
	struct mb1_image kernel = { phys_to_virt(mod->start), mod->end - mod->start, mod->cmdline }, initrd = { 0, 0, 0 };
	if (g->initrd >= 0) {
		const struct mb_module *m = &boot.mod[g->initrd];
		initrd = (struct mb1_image){ phys_to_virt(m->start), m->end - m->start, m->cmdline };
	}
	if (is_bzimage(kernel.bytes, kernel.size)) {
		/* A Linux kernel: the boot protocol's loader (load/linux.c). It decompresses and patches
		 * its own code at run time, and the VMM finds that code by its first execution, which
		 * only a no-execute shadow entry can catch: without NX (absent, or Intel's XD turned
		 * off in the firmware setup) its pushf/popf/cli would run unpatched and it would fail
		 * in obscure ways. (A multiboot ELF kernel's code is scanned at load: it runs.) */
		if (!shadow_have_nx)
			return refuse(vm, "module %d '%s': a Linux kernel needs NX (execute disable) to be caught running "
				      "new code, and this CPU has it off or lacks it (turn XD/NX on in the firmware setup)",
				      g->kernel, mod->cmdline);
		struct boot_module k = { kernel.bytes, kernel.size, kernel.cmdline }, rd = { initrd.bytes, initrd.size, initrd.cmdline }, vml;
		if (g->vmlinux >= 0) {
			const struct mb_module *m = &boot.mod[g->vmlinux];
			vml = (struct boot_module){ phys_to_virt(m->start), m->end - m->start, m->cmdline };
		}
		if (load_linux(vm, &k, g->initrd >= 0 ? &rd : 0, g->vmlinux >= 0 ? &vml : 0, &cpu, &why) < 0)
			return refuse(vm, "module %d '%s': %s", g->kernel, mod->cmdline, why);
	} else {
		if (load_guest(vm, &kernel, g->initrd >= 0 ? &initrd : 0, &cpu.eip, &cpu.ebx, lwhy, sizeof lwhy) < 0)
			return refuse(vm, "module %d '%s': %s", g->kernel, mod->cmdline, lwhy);
		/* The CPU as a multiboot1 loader leaves it. */
		cpu.eax = 0x2BADB002;
		cpu.esp = 0x7FF0;
		cpu.cs = 0x08;
		cpu.ds = 0x10;
	}

	/* Protected mode, paging off, flat segments at the selectors the loader names. Until the guest
	 * loads its own GDT it runs on two flat descriptors of ours (ring 1). */
	vm->cr0 = CR0_PE | 0x10;
	dr_reset(vm);
	vm->gdt[cpu.cs >> 3] = 0x00CFBA000000FFFFULL;     /* 32-bit code, DPL 1 */
	vm->gdt[cpu.ds >> 3] = 0x00CFB2000000FFFFULL;     /* data, DPL 1 */
	vm->gdt_n = (unsigned)((cpu.cs > cpu.ds ? cpu.cs : cpu.ds) >> 3) + 1;
	vm->idt_dpl[3] = 1;
	vm->tf.rip = cpu.eip;
	vm->tf.cs = cpu.cs | 1;
	vm->tf.ss = vm->tf.ds = vm->tf.es = vm->tf.fs = vm->tf.gs = cpu.ds | 1;
	vm->tf.rflags = 0x202;                  /* real IF on; the guest's IF is virtual (off) */
	vm->tf.rax = cpu.eax;
	vm->tf.rbx = cpu.ebx;
	vm->tf.rsi = cpu.esi;
	vm->tf.rsp = cpu.esp;
	xfeat_reset(vm);
	vm->start_tsc = rdtsc();

	char kinds[256];
	int k = 0;
	for (int i = 0; i < X86_K_COUNT; i++)
		if (vm->patched_kinds[i])
			k += snprintf_(kinds + k, sizeof kinds - (size_t)k, " %s=%lu", x86_kind_name(i), vm->patched_kinds[i]);
	char extra[128] = "";
	int el = 0;
	if (g->initrd >= 0)
		el = snprintf_(extra, sizeof extra, ", initrd: module %d (%lu KiB)", g->initrd,
			       (initrd.size + 1023) >> 10);
	if (dl)
		snprintf_(extra + el, sizeof extra - (size_t)el, ", disks:%s", disks);
	log_info("vmm", "%s: '%s', %lu MiB, entry %08x, %u instructions patched:%s%s", vm->name, mod->cmdline,
		 ram >> 20, cpu.eip, vm->pt.n, k ? kinds : " none", extra);
	return 0;
}

void vmm_start_guests(void)
{
	struct option *o_vms = boot_option("vms"), *o_mem = boot_option("mem"), *o_trace = boot_option("trace");
	struct option *o_stats = boot_option("stats"), *o_fast = boot_option("fast");
	struct option *o_shadow = boot_option("shadow"), *o_shmem = boot_option("shadow_mem");
	if (o_shadow->set) {
		/* One word, or one per VM in turn (the last one for the rest). */
		const char *w = o_shadow->str;
		for (int i = 0; i < MAX_VMS; i++) {
			int len = 0;
			while (w[len] && w[len] != ',')
				len++;
			if (len == 5 && !strncmp(w, "trace", 5)) {
				shadow_vtlb[i] = 0;
			} else if (len == 4 && !strncmp(w, "vtlb", 4)) {
				shadow_vtlb[i] = 1;
			} else {
				log_warn("boot", "shadow=%s: each word is trace or vtlb; vm%d and later get trace", o_shadow->str, i + 1);
				for (; i < MAX_VMS; i++)
					shadow_vtlb[i] = 0;
				break;
			}
			if (w[len] == ',')
				w += len + 1;
		}
	}
	if (o_shmem->set) {
		if (o_shmem->num >= (64u << 12) && o_shmem->num <= (1ull << 30))
			shadow_budget = o_shmem->num >> 12;
		else
			log_warn("boot", "shadow_mem=%llu: the bound must be 256K..1G; using a thirty-second of each VM's RAM",
				 o_shmem->num);
	}
	if (o_fast->set) {
		if (!strcmp(o_fast->str, "off"))
			fast_paths = 0;
		else if (!strcmp(o_fast->str, "c"))
			direct_paths = 0;
		else if (strcmp(o_fast->str, "on"))
			log_warn("boot", "fast=%s: on, c (no direct paths) or off; the fast paths stay on", o_fast->str);
	}
	if (o_stats->set) {
		if (o_stats->num >= 1 && o_stats->num <= 3600)
			stats_ticks = o_stats->num * timer_hz;
		else
			log_warn("boot", "stats=%llu: the interval must be 1..3600 seconds; no periodic stats", o_stats->num);
	}
	overcommit_setup();
	/* Which modules make up which VM (vcpu/vmconfig.c). */
	struct vmc_module mods[MB_MAX_MODULES];
	for (int i = 0; i < boot.nmod; i++)
		mods[i] = (struct vmc_module){ boot.mod[i].cmdline, boot.mod[i].end - boot.mod[i].start };
	static struct vmc cfg;
	vmconfig_build(mods, boot.nmod, &cfg);
	for (int i = 0; i < cfg.nignored; i++)
		log_warn("vmm", "%s", cfg.ignored[i]);
	int ng = cfg.ngroups;
	if (ng == 0) {
		log_warn("vmm", "no guest modules: nothing to run");
		return;
	}
	if (o_trace->set) {
		const char *bad;
		if (trace_parse(o_trace->str, 16, &bad) < 0)   /* (the first 16 of each flow) */
			log_warn("boot", "trace=%s: unknown flow at '%s' (syscall, trap, switch)", o_trace->str, bad);
	}
	uint64_t ram = o_mem->set ? o_mem->num : 64ULL << 20;
	if (ram > (uint64_t)GUEST_MAX_FRAMES << 12 || ram < (4ULL << 20) || (ram & 0xFFF)) {
		log_warn("boot", "mem=%llu: a VM's RAM must be 4M..1G in whole pages; using 64M", o_mem->num);
		ram = 64ULL << 20;
	}
	/* The real date, once: each VM's CMOS clock starts from it plus the time since. */
	rtc_epoch = rtc_read_epoch();
	rtc_ns = now_ns();
	if (rtc_epoch) {
		struct cal_time d;
		cal_from_epoch((int64_t)rtc_epoch, &d);
		log_info("vmm", "real-time clock: %04ld-%02u-%02u %02u:%02u:%02u UTC", (long)d.year, d.month, d.day,
			 d.hour, d.min, d.sec);
	} else {
		log_warn("vmm", "the real-time clock gives no valid date: the guests' clocks start at 1970-01-01");
	}
	int want = o_vms->set ? (int)o_vms->num : ng;
	if (o_vms->set && (want < 1 || want > MAX_VMS)) {
		want = ng < MAX_VMS ? ng : MAX_VMS;
		log_warn("boot", "vms=%llu out of range 1..%d; using %d", o_vms->num, MAX_VMS, want);
	} else if (want > MAX_VMS) {
		log_err("vmm", "%d VMs configured; only the first %d are started", want, MAX_VMS);
		not_started += want - MAX_VMS;
		want = MAX_VMS;
	}
	/* CR4.OSFXSR so fxsave/fxrstor keep the guests' SSE state; the VMM itself never uses it. */
	WRITE_CR(4, READ_CR(4) | (1 << 9) | (1 << 10));
	WRITE_CR(0, (READ_CR(0) & ~4ULL) | 2);   /* EM off, MP on */
	xfeat_init();
	/* With vms=N the groups are used round-robin; each VM gets its own copy of everything. */
	for (int i = 0; i < want; i++) {
		const struct vmc_group *g = &cfg.group[i % ng];
		struct vm *vm = &vms[nvms];
		if (g->error[0]) {
			kprintf("vm%d: not started: %s\n", i + 1, g->error);
			not_started++;
		} else if (vm_create(vm, (unsigned)i + 1, g, ram) == 0) {
			nvms++;
		} else {
			not_started++;
		}
	}
	if (nvms == 0) {
		log_err("vmm", "no VM could be started");
		vmm_exit(1);
	}
	slice_tsc = tsc_khz * 3;                 /* 3 ms time slices: short against a guest's 10 ms tick,
	                                          * so its own scheduler sees time pass smoothly */
	timer_add_hook(console_poll);
	log_info("vmm", "console input goes to vm1; Ctrl-] opens the operator's console (help lists its commands)");
	trap_guest_hook = vm_trap;
	trap_resume_hook = irq_from_guest;
	/* Enter the first guest: build its frame on the VMM stack and return into it. */
	static struct trapframe first;
	cur = 0;
	switch_to(&vms[0], &first);
	vcpu_enter(&first);
}
