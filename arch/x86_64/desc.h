/* desc.h - the VMM's segment descriptors, TSS and IDT (64-bit long mode). */
#ifndef ARCH_DESC_H
#define ARCH_DESC_H
#include <stdint.h>

/* Selectors in the VMM's GDT. Entries from GDT_GUEST_FIRST on are per-VM (ring-compressed guest
 * descriptors are installed there on a machine switch). */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_TSS   0x18      /* 16-byte system descriptor: slots 3 and 4 */
#define GDT_GUEST_FIRST 5
#define GDT_ENTRIES 8192

struct __attribute__((packed)) tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[8];        /* ist[0] unused: IST indices are 1..7 */
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
};

#define IST_DOUBLE_FAULT 1
#define IST_NMI 2
#define IST_MCE 3

void gdt_init(void);
void tss_set_rsp0(uint64_t rsp0);
extern uint64_t gdt[GDT_ENTRIES];

void idt_init(void);
/* Set the DPL of vector v's gate (guest-visible software interrupts: int 0x80, int3, ...). */
void idt_set_dpl(unsigned v, unsigned dpl);

#endif
