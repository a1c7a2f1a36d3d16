/* debugreg.c - the guest's debug registers (DR0-DR3, DR6, DR7): its breakpoints, on the real CPU.
 *
 * mov to or from DRn is privileged: at the guest kernel's ring 1 it traps (#GP) and emulate.c
 * comes here (at the guest's ring 3 the #GP is the guest's). The values the guest wrote live in
 * struct vm and, while it runs, in the real registers too: a breakpoint address is a linear
 * address, and the guest's linear addresses are the real ones (the shadow maps them), so the real
 * CPU watches exactly what the guest asked for and raises #DB in the guest's own code. run.c hands
 * that #DB to the guest's IDT after dr_guest_db has put what the real DR6 said into the guest's.
 *
 * What the guest does not get, and why:
 *  - I/O breakpoints (R/W = 10b, defined only with CR4.DE): the guest's port I/O is emulated, the
 *    real CPU never sees it; such a slot is not armed on the real CPU, and dr_io_hit raises the
 *    #DB after an emulated in or out instead (not after ins/outs).
 *  - A store the VMM carries out for the guest (a write to a page the shadow guards: a traced
 *    page table, a descriptor table's page and what shares it) goes through the VMM's own mapping,
 *    which the real breakpoints do not see: dr_write_hit checks it against the guest's write
 *    watchpoints and raises the #DB (a trap, after the store) the CPU would have. Only the first
 *    byte is known on the general emulator's way (the fault's address); device memory is not
 *    checked.
 *  - The other way round, the VMM reading or writing guest memory at the guest's own linear
 *    addresses (gcopy.asm, the direct paths) can match a guest data breakpoint: trap.c drops
 *    such a #DB from ring 0.
 * DR7.GD (general detect) is done here: with it set, the next mov to or from a debug register
 * raises #DB (a fault, DR6.BD) instead, and GD is cleared, as the SDM says. */
#include "vm.h"

#define DR6_FIXED 0xFFFF0FF0u     /* bits that read as 1 */
#define DR6_BITS  0x0000E00Fu     /* B0-B3, BD, BS, BT: what the CPU (or the guest) sets */
#define DR6_BD    (1u << 13)
#define DR7_FIXED 0x00000400u
#define DR7_BITS  0xFFFF2BFFu     /* enables, LE/GE, GD, R/W and LEN of each slot */
#define DR7_GD    (1u << 13)
#define CR4_DE    (1u << 3)

#define WRITE_DR(n, v) __asm__ volatile("mov %0, %%db" #n : : "r"((uint64_t)(v)))
#define READ_DR(n) ({ uint64_t _v; __asm__ volatile("mov %%db" #n ", %0" : "=r"(_v)); _v; })

static int real_armed;            /* the real DR7 has enables set (some VM's) */

void dr_reset(struct vm *vm)
{
	for (int i = 0; i < 4; i++)
		vm->dr[i] = 0;
	vm->dr6 = DR6_FIXED;
	vm->dr7 = DR7_FIXED;
}

/* What of the guest's DR7 the real CPU gets: its enables, LE/GE, R/W and LEN -- not GD (the VMM's
 * own mov DR would fault) and not a slot whose R/W asks for I/O. */
static uint32_t real_dr7(const struct vm *vm)
{
	uint32_t d = vm->dr7 & 0xFFFF03FFu;
	for (int i = 0; i < 4; i++)
		if (((d >> (16 + 4 * i)) & 3) == 2)
			d &= ~(3u << (2 * i));
	return d;
}

/* Make the real registers the VM's (at a machine switch, and after the guest wrote one). */
void dr_load(const struct vm *vm)
{
	uint32_t d7 = real_dr7(vm);
	if (!(d7 & 0xFF)) {
		if (real_armed)
			WRITE_DR(7, DR7_FIXED);
		real_armed = 0;
		return;
	}
	WRITE_DR(7, DR7_FIXED);           /* (no half-loaded set armed meanwhile) */
	WRITE_DR(0, vm->dr[0]);
	WRITE_DR(1, vm->dr[1]);
	WRITE_DR(2, vm->dr[2]);
	WRITE_DR(3, vm->dr[3]);
	WRITE_DR(6, DR6_FIXED);
	WRITE_DR(7, d7);
	real_armed = 1;
}

/* mov DRn, value (write) or mov value, DRn (read) at the guest's CPL 0. Returns -1 when it
 * raises an exception instead: *vector is 1 (general detect) or 6 (DR4/DR5 with CR4.DE). */
int dr_access(struct vm *vm, unsigned n, int write, uint32_t *val, unsigned *vector)
{
	if (n == 4 || n == 5) {
		if (vm->cr4 & CR4_DE) {
			*vector = 6;
			return -1;
		}
		n += 2;                   /* without CR4.DE, DR4 and DR5 are DR6 and DR7 */
	}
	if (vm->dr7 & DR7_GD) {
		vm->dr7 &= ~DR7_GD;
		vm->dr6 |= DR6_BD;
		*vector = 1;
		return -1;
	}
	if (!write) {
		*val = n < 4 ? vm->dr[n] : n == 6 ? vm->dr6 : vm->dr7;
		return 0;
	}
	if (n < 4)
		vm->dr[n] = *val;
	else if (n == 6)
		vm->dr6 = (*val & DR6_BITS) | DR6_FIXED;
	else
		vm->dr7 = (*val & DR7_BITS) | DR7_FIXED;
	if (vm == cur)
		dr_load(vm);
	return 0;
}

/* A #DB from the guest's code: what the real DR6 says happened goes into the guest's DR6 -- the
 * breakpoints that matched replace B0-B3 (as QEMU's TCG and the CPUs do), single step and task
 * switch add BS and BT -- and the real DR6 is made clean for the next one. */
void dr_guest_db(struct vm *vm)
{
	uint32_t d6 = (uint32_t)READ_DR(6);
	if (d6 & 0xF)
		vm->dr6 = (vm->dr6 & ~0xFu) | (d6 & 0xF);
	vm->dr6 |= d6 & 0xC000u;
	WRITE_DR(6, DR6_FIXED);
}

/* A #DB came while the VMM had the guest single-step for itself (selfmod.c): 0 if it is not that
 * step (no DR6.BS); 1 if it is and the guest is owed nothing (the real DR6 is made clean); 2 if
 * the guest is owed the #DB all the same -- it had TF set itself, or one of its enabled
 * breakpoints hit too -- with BS in its DR6 only in the first case. */
int dr_own_step(struct vm *vm, int guest_tf)
{
	uint32_t d6 = (uint32_t)READ_DR(6), enabled = 0;
	if (!(d6 & (1u << 14)))
		return 0;
	for (unsigned n = 0; n < 4; n++)
		if (vm->dr7 & (3u << (2 * n)))
			enabled |= 1u << n;
	if (!guest_tf && !(d6 & enabled)) {
		WRITE_DR(6, DR6_FIXED);
		return 1;
	}
	if (!guest_tf)
		WRITE_DR(6, d6 & ~(1u << 14));
	return 2;
}

/* The single-step trap the CPU would have raised after an instruction the VMM completed for the
 * guest while its TF was set (run.c step_trap). */
void dr_single_step(struct vm *vm, struct trapframe *tf)
{
	vm->dr6 |= 1u << 14;                           /* BS */
	reflect(vm, tf, 1, REFLECT_EXC, 0);
}

/* The guest's enabled slots that watch [a, a + n): data writes (R/W 01b or 11b) on linear
 * addresses, or, with io, ports (R/W 10b, which means I/O only with CR4.DE). */
static uint32_t slots_hit(const struct vm *vm, int io, uint32_t a, unsigned n)
{
	uint32_t hit = 0;
	if (io && !(vm->cr4 & CR4_DE))
		return 0;
	for (int i = 0; i < 4; i++) {
		uint32_t rw = (vm->dr7 >> (16 + 4 * i)) & 3, size = ((vm->dr7 >> (18 + 4 * i)) & 3) + 1;
		if (!(vm->dr7 & (3u << (2 * i))) || (io ? rw != 2 : !(rw & 1)))
			continue;                 /* off, or another kind */
		if (size == 3)
			size = 8;                 /* (LEN 10b: 8 bytes) */
		uint32_t lo = (io ? vm->dr[i] & 0xFFFF : vm->dr[i]) & ~(size - 1);
		if (a < lo + size && lo < a + n)
			hit |= 1u << i;
	}
	return hit;
}

/* The #DB (a trap: the instruction is complete, tf->rip past it) for the slots that matched. */
static int db_trap(struct vm *vm, struct trapframe *tf, uint32_t hit)
{
	if (!hit)
		return 0;
	vm->dr6 = (vm->dr6 & ~0xFu) | hit;
	reflect(vm, tf, 1, REFLECT_EXC, 0);
	return 1;
}

/* A store to guest-linear [la, la + len) that the VMM did for the guest's instruction, which is
 * now complete (tf->rip past it): the #DB its write watchpoints ask for. 1 if one was raised. */
int dr_write_hit(struct vm *vm, struct trapframe *tf, uint32_t la, unsigned len)
{
	return db_trap(vm, tf, slots_hit(vm, 0, la, len));
}

/* An in or out to [port, port + size) that the VMM did for the guest (emulate.c), now complete:
 * the I/O breakpoints' #DB. (Not for ins/outs: their rep iterations are left alone.) */
int dr_io_hit(struct vm *vm, struct trapframe *tf, uint16_t port, unsigned size)
{
	return db_trap(vm, tf, slots_hit(vm, 1, port, size));
}
