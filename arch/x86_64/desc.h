/* desc.h - the VMM's segment descriptors, TSS and IDT (64-bit long mode). */
#ifndef ARCH_DESC_H
#define ARCH_DESC_H
#include <stdint.h>

/* One real GDT serves the VMM and the running guest. A guest names its descriptors by their index in
 * its own GDT, so the low indices belong to the guest (ring-compressed copies, installed on each
 * machine switch), and the VMM keeps its few descriptors at the very top, where no guest looks.
 * A guest GDT may use indices 0..GUEST_GDT_MAX-1. */
#define GDT_ENTRIES 8192
#define SEL_KCODE ((GDT_ENTRIES - 4) * 8)   /* 0xFFE0: 64-bit code, ring 0 */
#define SEL_KDATA ((GDT_ENTRIES - 3) * 8)   /* 0xFFE8: data, ring 0 */
#define SEL_TSS   ((GDT_ENTRIES - 2) * 8)   /* 0xFFF0: 16-byte TSS descriptor (two slots) */
#define SEL_LDT   ((GDT_ENTRIES - 6) * 8)   /* 0xFFD0: 16-byte LDT descriptor: the running VM's LDT */
#define GUEST_GDT_MAX 512
#define GUEST_LDT_MAX 1024                  /* entries of a guest LDT the VMM copies */

struct __attribute__((packed)) tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];        /* IST1..IST7: ist[n - 1] */
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
};

#define IST_DOUBLE_FAULT 1
#define IST_NMI 2
#define IST_MCE 3

void gdt_init(void);
void tss_set_rsp0(uint64_t rsp0);
/* Point the real LDTR at `bytes` bytes of descriptors at `base` (a VM's ring-compressed LDT), or
 * make it null when bytes is 0. */
void ldt_load(const void *base, unsigned bytes);
extern uint64_t gdt[GDT_ENTRIES];

void idt_init(void);
/* Set the DPL of vector v's gate (guest-visible software interrupts: int 0x80, int3, ...). */
void idt_set_dpl(unsigned v, unsigned dpl);

#endif
