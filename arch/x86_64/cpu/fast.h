/* fast.h - what the fast paths (fastpath.c, reflect_fast in reflect.c) check and how they touch
 * guest memory: segments that are flat (the case they take), and loads and stores through the
 * VM's active shadow (gcopy.asm) that give up where the software walk would be needed. */
#ifndef ARCH_FAST_H
#define ARCH_FAST_H
#include "vm.h"

/* The guest's stack and code segments must be what nearly every OS uses: flat 4 GiB, 32-bit,
 * base 0, from the GDT. The descriptor is the ring-compressed copy the CPU runs on. */
#define D_FLAT_MASK   0xFFEF98FFFFFFFFFFULL   /* base, limit, G, D/B, L, P, S, the code bit */
#define D_FLAT_CODE   0x00CF98000000FFFFULL   /* base 0, G, D, P, S, code, limit 0xFFFFF */
#define D_FLAT_DATA   0x00CF90000000FFFFULL   /* ... data */
#define D_WRITABLE    (1ULL << 41)
#define D_CODE        (1ULL << 43)
#define D_PRESENT     (1ULL << 47)
#define D_DPL(d)      (((d) >> 45) & 3)

static inline uint64_t gdt_desc(const struct vm *vm, uint16_t sel)
{
	unsigned idx = sel >> 3;
	return (sel & 4) || idx == 0 || idx >= vm->gdt_n ? 0 : vm->gdt[idx];
}

/* A flat data segment the guest can use as its stack at guest ring `cpl` (0 means real ring 1). */
static inline int flat_stack(const struct vm *vm, uint16_t sel, unsigned cpl)
{
	uint64_t d = gdt_desc(vm, sel);
	return (d & D_FLAT_MASK) == D_FLAT_DATA && (d & D_WRITABLE) && D_DPL(d) == (cpl ? cpl : 1);
}

static inline int flat_code(const struct vm *vm, uint16_t sel, unsigned cpl)
{
	uint64_t d = gdt_desc(vm, sel);
	return (d & D_FLAT_MASK) == D_FLAT_CODE && D_DPL(d) == (cpl ? cpl : 1);
}

/* A guest-kernel CS:SS pair (real selectors, RPL 1) that is flat, as fast paths need. The last
 * pair found so is remembered until the real tables change (seg_gen). */
static inline int flat_kernel_pair(struct vm *vm, uint16_t cs, uint16_t ss)
{
	if (cs == vm->flat_cs && ss == vm->flat_ss && vm->flat_gen == vm->seg_gen)
		return 1;
	if ((cs & 3) != 1 || (ss & 3) != 1 || !flat_code(vm, cs, 0) || !flat_stack(vm, ss, 0))
		return 0;
	vm->flat_cs = cs;
	vm->flat_ss = ss;
	vm->flat_gen = vm->seg_gen;
	return 1;
}

/* The guest kernel runs on a flat CS and SS. */
static inline int flat_kernel(struct vm *vm, const struct trapframe *tf)
{
	return flat_kernel_pair(vm, (uint16_t)tf->cs, (uint16_t)tf->ss);
}

/* The same for a process's CS:SS pair (RPL 3). */
static inline int flat_user_pair(struct vm *vm, uint16_t cs, uint16_t ss)
{
	if (cs == vm->flat_ucs && ss == vm->flat_uss && vm->flat_ugen == vm->seg_gen)
		return 1;
	if ((cs & 3) != 3 || (ss & 3) != 3 || !flat_code(vm, cs, 3) || !flat_stack(vm, ss, 3))
		return 0;
	vm->flat_ucs = cs;
	vm->flat_uss = ss;
	vm->flat_ugen = vm->seg_gen;
	return 1;
}

/* n bytes at guest-linear la, through the shadow: 1 done, 0 not mapped so (give up). */
static inline int gread(uint32_t la, void *buf, uint32_t n)
{
	return (uint64_t)la + n <= (1ULL << 32) && gcopy(buf, (const void *)(uintptr_t)la, n) == 0;
}

static inline int gwrite(uint32_t la, const void *buf, uint32_t n)
{
	return (uint64_t)la + n <= (1ULL << 32) && gcopy((void *)(uintptr_t)la, buf, n) == 0;
}

#endif
