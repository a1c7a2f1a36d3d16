/* sched.h - which VM runs next: arch-neutral VM states and a round-robin pick.
 *
 * Interface: the arch embeds one `struct vm_sched` in each of its VM structures and keeps an array
 * of pointers to them. On every machine-switch point (timer slice over, the running VM waits or is
 * stopped) it calls sched_pick() to learn which VM to switch to. A VM is stopped for good with
 * vm_stop(), which records and prints a one-line reason ("vm2: stopped: <reason>"); the other VMs
 * go on. sched_live() tells when no VM is left that could ever run again. */
#ifndef VCPU_SCHED_H
#define VCPU_SCHED_H
#include <stdint.h>
#include <stdarg.h>

enum vm_state {
	VM_RUNNABLE,   /* may run now */
	VM_WAITING,    /* idle (guest hlt/wait) until a virtual interrupt is pending */
	VM_STOPPED,    /* stopped by the VMM: see reason */
	VM_OFF,        /* the guest powered its machine off */
};

struct vm_sched {
	unsigned id;             /* VM id, 1.. (also its owner id in mm/frame.h) */
	enum vm_state state;
	uint64_t switches_in;    /* how many times it was switched to */
	char reason[120];
};

/* Next runnable VM after index `cur` (round robin, `cur` itself last), or -1 if none is. */
int sched_pick(struct vm_sched *const *vms, int n, int cur);
/* Number of VMs that are runnable or waiting. */
int sched_live(struct vm_sched *const *vms, int n);
/* Stop a VM: state VM_STOPPED, reason formatted, one line printed through `print`. */
void vm_stop(struct vm_sched *vm, void (*print)(const char *line), const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void vm_vstop(struct vm_sched *vm, void (*print)(const char *line), const char *fmt, va_list ap);

#endif
