/* timer.c - real and virtual CP0 timers (see timer.h). */
#include "timer.h"
#include "mips.h"

extern struct vm *vms[MAX_VMS];
extern int nvms;
static uint32_t slice_end;

void timer_slice_start(void) { slice_end = mfc0(CP0_COUNT, 0) + cfg.slice; }
int timer_slice_over(void) { return (int32_t)(mfc0(CP0_COUNT, 0) - slice_end) >= 0; }

void timer_program(void)
{
	uint32_t now = mfc0(CP0_COUNT, 0), next = slice_end;
	for (int i = 0; i < nvms; i++) {
		struct vm *v = vms[i];
		if (v->timer_armed && (v->s.state == VM_RUNNABLE || v->s.state == VM_WAITING) &&
		    (int32_t)(v->c.compare - next) < 0)
			next = v->c.compare;
	}
	if ((int32_t)(next - now) < 200)
		next = now + 200;
	mtc0(CP0_COMPARE, 0, next);   /* also acknowledges the real timer interrupt */
	/* The interrupt comes when Count equals Compare: if Count has passed it already (this CPU
	 * was held up since `now`, e.g. QEMU's thread on a busy host), the next would come only
	 * when Count wraps. Ask again a little later. */
	while ((int32_t)(mfc0(CP0_COUNT, 0) - next) >= 0) {
		next = mfc0(CP0_COUNT, 0) + 200;
		mtc0(CP0_COMPARE, 0, next);
	}
}

void timer_check(struct vm *vm)
{
	if (vm->timer_armed && (int32_t)(mfc0(CP0_COUNT, 0) - vm->c.compare) >= 0) {
		vm->c.cause |= CA_IP7 | CA_TI;
		vm->timer_armed = 0;
		vm->st.timer_irqs++;
	}
	if (vm->s.state == VM_WAITING && (vm->c.cause & vm->c.status & CA_IP))
		vm->s.state = VM_RUNNABLE;
}

int timer_deliverable(const struct vm *vm)
{
	const struct vcp0 *c = &vm->c;
	return (c->cause & c->status & CA_IP) && (c->status & ST_IE) &&
	       !(c->status & (ST_EXL | ST_ERL));
}

void timer_wait(struct vm *vm)
{
	vm->st.waits++;
	timer_check(vm);
	if (!(vm->c.cause & vm->c.status & CA_IP))
		vm->s.state = VM_WAITING;
}
