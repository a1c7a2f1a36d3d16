/* vmmstubs.h - what the VMM's CPU code (segments.c, reflect.c, emulate.c, ...) needs from the rest
 * of the VMM, for host tests: the real GDT as an array, no-op hardware loads, silent logs, and a
 * vm_fail that records its reason in `failed`. */
#ifndef TESTS_VMMSTUBS_H
#define TESTS_VMMSTUBS_H
#include <stdarg.h>
#include <stdio.h>
#include "../../arch/x86_64/cpu/vm.h"
#include "../../lib/log.h"
#include "shadowstubs.h"

uint64_t gdt[GDT_ENTRIES];
static const void *ldt_loaded;
static unsigned ldt_loaded_bytes;
void idt_set_dpl(unsigned v, unsigned dpl) { (void)v; (void)dpl; }
void ldt_load(const void *base, unsigned bytes) { ldt_loaded = base; ldt_loaded_bytes = bytes; }
void kprintf(const char *fmt, ...) { (void)fmt; }
void klog(enum log_level lvl, const char *subsys, const char *fmt, ...) { (void)lvl; (void)subsys; (void)fmt; }
/* xfeat.c touches the real CR4 and XCR0: here a guest CR4 write just takes, xsetbv is refused. */
int xfeat_write_cr4(struct vm *vm, uint32_t v) { vm->cr4 = v; return 0; }
int xfeat_xsetbv(struct vm *vm, uint32_t ecx, uint64_t v) { (void)vm; (void)ecx; (void)v; return -1; }
int xfeat_has_smap(void) { return 0; }
int xfeat_umip_forced(void) { return 0; }       /* (no real CR4: nothing kept on) */
void xfeat_cr0(const struct vm *vm) { (void)vm; }   /* (the real CR0's TS/EM/MP: nothing to mirror here) */
void guest_cr3_written(struct vm *v) { (void)v; }    /* (no shadow to switch) */
/* debugreg.c loads the real debug registers: here the guest's values are only kept. */
int dr_access(struct vm *vm, unsigned n, int write, uint32_t *val, unsigned *vector)
{
	(void)vector;
	if (n == 4 || n == 5)
		n += 2;
	uint32_t *r = n < 4 ? &vm->dr[n] : n == 6 ? &vm->dr6 : &vm->dr7;
	if (write)
		*r = *val;
	else
		*val = *r;
	return 0;
}
int dr_write_hit(struct vm *vm, struct trapframe *tf, uint32_t la, unsigned len)
{
	(void)vm, (void)tf, (void)la, (void)len;
	return 0;
}
int dr_io_hit(struct vm *vm, struct trapframe *tf, uint16_t port, unsigned size)
{
	(void)vm, (void)tf, (void)port, (void)size;
	return 0;
}
static char failed[160];
void vm_fail(struct vm *vm, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(failed, sizeof failed, fmt, ap);
	va_end(ap);
	vm->s.state = VM_STOPPED;
}

/* A descriptor: base, limit (20 bits), access byte, flags nibble (G D/B L AVL). */
static inline uint64_t mkdesc(uint32_t base, uint32_t limit, unsigned access, unsigned flags)
{
	return (limit & 0xFFFFULL) | ((uint64_t)(base & 0xFFFFFF) << 16) | ((uint64_t)access << 40) |
	       ((uint64_t)((limit >> 16) & 0xF) << 48) | ((uint64_t)(flags & 0xF) << 52) |
	       ((uint64_t)(base >> 24) << 56);
}
#define G_4K  0x8u
#define DB_32 0x4u

#endif
