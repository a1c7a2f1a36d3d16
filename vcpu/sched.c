/* sched.c - round-robin choice among VMs and stopping a VM with a reason (see sched.h). */
#include "sched.h"
#include "../lib/format.h"

int sched_pick(struct vm_sched *const *vms, int n, int cur)
{
	for (int k = 1; k <= n; k++) {
		int i = ((cur < 0 ? -1 : cur) + k) % n;
		if (i < 0)
			i += n;
		if (vms[i]->state == VM_RUNNABLE)
			return i;
	}
	return -1;
}

int sched_live(struct vm_sched *const *vms, int n)
{
	int k = 0;
	for (int i = 0; i < n; i++)
		k += vms[i]->state == VM_RUNNABLE || vms[i]->state == VM_WAITING;
	return k;
}

void vm_vstop(struct vm_sched *vm, void (*print)(const char *line), const char *fmt, va_list ap)
{
	char line[160];
	if (vm->state == VM_STOPPED)
		return;
	vsnprintf_(vm->reason, sizeof vm->reason, fmt, ap);
	vm->state = VM_STOPPED;
	snprintf_(line, sizeof line, "vm%u: stopped: %s", vm->id, vm->reason);
	print(line);
}

void vm_stop(struct vm_sched *vm, void (*print)(const char *line), const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vm_vstop(vm, print, fmt, ap);
	va_end(ap);
}
