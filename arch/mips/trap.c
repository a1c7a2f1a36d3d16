/* trap.c - every trap from a guest comes through vmm_trap(): dispatch by cause, then decide which
 * VM runs next (machine switch on the timer, on wait, on a stopped VM) and prepare its return:
 * interpret any kseg0 code it is about to run, deliver virtual interrupts, set the real mode
 * (supervisor for the guest kernel, user for its processes) and the machine ASID. With the special
 * page (pv=on), the guest kernel's stores to it are taken in first thing and the virtual CP0 is
 * written back to it last thing when the guest kernel resumes (cp0page.c). */
#include "vm.h"
#include "tlb_refill.h"
#include "cp0_emul.h"
#include "mmio.h"
#include "reflect.h"
#include "kseg_interp.h"
#include "timer.h"
#include "asid.h"
#include "mips.h"
#include "console.h"
#include "cp0page.h"
#include "../../vcpu/trace.h"

extern struct vm *vms[MAX_VMS];
extern struct vm_sched *scheds[MAX_VMS];
extern int nvms;
struct vm *cur;
static int switch_due;

void vmm_finish(void);

static int unmapped(uint32_t a) { return a >= KSEG0 && a < KSEG2; }

static void timer_tick(void)
{
	for (int i = 0; i < nvms; i++)
		timer_check(vms[i]);
	if (timer_slice_over())
		switch_due = 1;
	timer_program();
}

static void dispatch(struct vm *vm, struct regs *f, unsigned vec)
{
	unsigned exc = (f->cause & CA_EXC) >> CA_EXC_SHIFT;
	int bd = (f->cause & CA_BD) != 0;

	if (vec == VEC_REFILL) {
		tlb_refill(vm, f->badvaddr);
		return;
	}
	switch (exc) {
	case EXC_INT:
		return;   /* the timer is looked at below, for every trap */
	case EXC_CPU:
		if ((f->cause & CA_CE) == 0 && guest_kernel(vm)) {
			cp0_trap(vm);
			return;
		}
		vm->c.cause = (vm->c.cause & ~CA_CE) | (f->cause & CA_CE);
		reflect(vm, exc, 0x180, bd, 0);
		return;
	case EXC_ADEL:
	case EXC_ADES:
		if (guest_kernel(vm) && unmapped(f->badvaddr)) {
			if (exc == EXC_ADEL && f->badvaddr == f->pc)
				return;   /* a jump into kseg0/1: interpreted below */
			mmio_trap(vm);
			return;
		}
		reflect(vm, exc, 0x180, bd, f->badvaddr);
		return;
	default:
		reflect(vm, exc, 0x180, bd, f->badvaddr);
	}
}

/* Get `vm` ready to run: returns 0 if it is, -1 if it stopped or now waits. */
static int prepare(struct vm *vm)
{
	for (int k = 0; k < 4; k++) {
		if (unmapped(vm->f.pc))
			kseg_interp(vm);
		if (vm->s.state != VM_RUNNABLE)
			return -1;
		timer_check(vm);
		if (!timer_deliverable(vm))
			break;
		vm->c.cause &= ~CA_BD;
		reflect(vm, EXC_INT, 0x180, 0, 0);
	}
	if (vm->s.state != VM_RUNNABLE)
		return -1;
	vm->f.status = ST_EXL | ST_IE | ST_IM7 | (guest_kernel(vm) ? ST_KSU_SUP : ST_KSU_USER);
	asid_apply(vm);
	if (vm->cp0page && guest_kernel(vm))
		cp0page_push(vm);   /* its kernel runs next: its CP0 goes back on its page */
	return 0;
}

static int index_of(struct vm *vm)
{
	for (int i = 0; i < nvms; i++)
		if (vms[i] == vm)
			return i;
	return -1;
}

struct regs *vmm_schedule(void)
{
	for (;;) {
		if (cur && cur->s.state == VM_RUNNABLE && !switch_due && prepare(cur) == 0)
			return &cur->f;
		int next = sched_pick(scheds, nvms, cur ? index_of(cur) : -1);
		if (next < 0) {
			if (sched_live(scheds, nvms) == 0)
				vmm_finish();
			while (!(mfc0(CP0_CAUSE, 0) & CA_IP7))
				;   /* every VM waits: idle until the timer */
			timer_tick();
			switch_due = 0;
			continue;
		}
		if (vms[next] != cur && trace_begin(TRACE_SWITCH)) {
			kprintf("vmm: trace switch: machine switch vm%u -> vm%u at count %u\n",
				cur ? cur->s.id : 0, vms[next]->s.id, mfc0(CP0_COUNT, 0));
			trace_end(TRACE_SWITCH);
		}
		if (vms[next] != cur)
			vms[next]->s.switches_in++;
		cur = vms[next];
		switch_due = 0;
		timer_slice_start();
		timer_program();
	}
}

static int in_vmm;

struct regs *vmm_trap(struct regs *f, unsigned vec)
{
	struct vm *vm = cur;
	if (in_vmm || f != &vm->f)
		panic("exception inside the VMM: vec %u cause 0x%08x epc 0x%08x badvaddr 0x%08x",
		      vec, f->cause, f->pc, f->badvaddr);
	in_vmm = 1;
	vm->st.traps++;
	if (vm->cp0page)
		cp0page_pull(vm);   /* what the guest stored to its special page, before anything else */
	dispatch(vm, f, vec);
	if (mfc0(CP0_CAUSE, 0) & CA_IP7)
		timer_tick();
	if (vm->s.state == VM_WAITING)
		switch_due = 1;
	struct regs *next = vmm_schedule();
	in_vmm = 0;
	return next;
}
