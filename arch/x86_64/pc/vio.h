/* vio.h - one VM's virtual PC: what a chipset and a BIOS leave to an OS. Ports: the 8259 pair,
 * the 8254 (+ port 0x61), COM1 (IRQ4), CMOS/RTC (IRQ8), the i8042 (IRQ1) and port 0x92, two ATA
 * channels (IRQ14/15), the ACPI PM block (SCI on IRQ9) and reset register 0xCF9, PCI configuration
 * mechanism 1 (no devices), the POST port 0x80 and QEMU's isa-debug-exit at 0xF4. Memory: the
 * local APIC and the IO APIC pages. Interrupt lines go both to the 8259s and to the IO APIC; the
 * local APIC decides what the vCPU takes (its own IRR, or the 8259's INTR through LINT0).
 * The vCPU's in/out and MMIO emulation call vio_port/vio_mmio; its interrupt delivery calls
 * vio_sync and then vio_intr_pending/vio_intr_ack. Every device takes its VM's vio: no globals. */
#ifndef ARCH_VIO_H
#define ARCH_VIO_H
#include <stdint.h>
#include <stdbool.h>
#include "vpic.h"
#include "vpit.h"
#include "vuart.h"
#include "vcmos.h"
#include "vkbd.h"
#include "vpm.h"
#include "vata.h"
#include "vlapic.h"
#include "vioapic.h"

#define VIO_COM1      0x3F8
#define VIO_COM1_IRQ  4
#define VIO_EXIT_PORT 0xF4	/* isa-debug-exit, 4 ports wide as QEMU's iosize=4 */
#define VIO_UNKNOWN_MAX 16      /* distinct unclaimed ports remembered for the exit report */

struct vio {
	struct vpic pic;
	struct vpit pit;
	struct vuart com1;
	struct vcmos cmos;
	struct vkbd kbd;
	struct vpm pm;
	struct vata ide[2];     /* primary, secondary */
	struct vlapic lapic;
	struct vioapic ioapic;
	uint16_t lines;         /* ISA IRQ levels at the last sync, for edge detection */
	uint32_t pci_addr;      /* 0xCF8 */
	uint8_t post;		/* last byte written to 0x80 (readable, as the DMA page register is) */
	bool exit_requested;	/* the guest wrote to the debug-exit port, or powered off through ACPI */
	uint32_t exit_code;	/* the value it wrote (0 for ACPI power-off) */
	bool reset_requested;   /* i8042 0xFE, port 0x92 bit 0, or 0xCF9 */
	const char *reset_how;  /* which of them, for the VM's stop line */
	struct { uint16_t port; uint64_t n; } unknown[VIO_UNKNOWN_MAX];
	uint64_t unknown_other; /* accesses to further unclaimed ports */
};

/* Reset every device as a BIOS leaves it (PIC bases 0x08/0x70 masked, PIT channel 0 at 18.2 Hz
 * from now_ns, COM1 output to out(ctx, c), the CMOS clock at epoch_s, the APICs in virtual-wire
 * mode). Disks are attached afterwards with vata_attach. */
void vio_init(struct vio *v, uint64_t now_ns, uint64_t epoch_s, uint64_t ram_bytes,
	      void (*out)(void *ctx, char c), void *ctx);

/* Emulate in/out of size 1, 2 or 4 at port. For a write *val holds the value; for a read the
 * result is stored in *val (only the low size bytes are meaningful; the upper ones are 0).
 * Word and dword accesses are split into byte accesses on consecutive ports, low byte first
 * (outw 0x20 writes 0x20 then 0x21), except the ports that take the whole value (debug exit, the
 * ATA data registers, PCI 0xCF8/0xCFC); the bytes of one access are taken at one instant, so a
 * dword read of the PM timer is consistent. Returns 1 if a device claimed the port (any
 * byte of it), 0 if not: unclaimed bytes read as 0xFF and writes to them are dropped, as on a PC
 * with nothing decoding the address (and are counted). Interrupt lines are synced after every
 * access. */
int vio_port(struct vio *v, uint16_t port, unsigned size, bool write, uint32_t *val, uint64_t now_ns);

/* A guest-physical access outside RAM (1, 2 or 4 bytes): the APIC pages, or nothing (reads all
 * ones, writes dropped, returns 0). */
int vio_mmio(struct vio *v, uint32_t gpa, unsigned size, bool write, uint32_t *val, uint64_t now_ns);

/* Bring the devices up to date at now_ns and propagate their interrupt lines. Returns the number
 * of PIT edges (for lost-tick accounting). */
unsigned vio_sync(struct vio *v, uint64_t now_ns);

/* What the vCPU would take now if its IF were set (-1: nothing); ack takes it. */
int vio_intr_pending(const struct vio *v);
int vio_intr_ack(struct vio *v);

/* Console input for this VM: COM1 and the keyboard both get it. */
bool vio_input(struct vio *v, char c, uint64_t now_ns);

/* When a halted guest must next be woken for a timer interrupt (UINT64_MAX: never). */
uint64_t vio_next_event_ns(const struct vio *v);

/* One line per unclaimed port (and the total), for the VM's exit report. */
void vio_report_unknown(const struct vio *v, void (*line)(void *ctx, const char *s), void *ctx);

#endif
