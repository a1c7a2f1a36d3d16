/* vcmos.h - the virtual MC146818 CMOS/RTC (ports 0x70/0x71): the date and time from the machine's
 * RTC at VMM start plus elapsed virtual time, registers A-D, the periodic interrupt on IRQ 8, the
 * memory size bytes a BIOS leaves, the NMI mask bit, the other bytes as storage. No hardware. */
#ifndef ARCH_VCMOS_H
#define ARCH_VCMOS_H
#include <stdint.h>
#include <stdbool.h>

struct vcmos {
	uint8_t index;          /* last index written to 0x70 (bit 7: NMI disabled) */
	uint8_t ram[128];       /* registers and storage */
	uint64_t epoch_s;       /* seconds since 1970 at base_ns */
	uint64_t base_ns;
	uint64_t next_periodic_ns;
	bool irq;               /* IRQ 8 output level (register C bit 7) */
};

/* epoch_s: the wall-clock time (seconds since 1970-01-01 00:00 UTC) at now_ns. ram_bytes: the VM's
 * RAM, for the memory size bytes. */
void vcmos_init(struct vcmos *c, uint64_t epoch_s, uint64_t ram_bytes, uint64_t now_ns);
/* Ports 0x70/0x71: 1 if claimed. */
int vcmos_io(struct vcmos *c, uint16_t port, bool write, uint8_t *val, uint64_t now_ns);
/* Advance the periodic/alarm/update interrupt flags to now_ns; returns the IRQ 8 level. */
bool vcmos_sync(struct vcmos *c, uint64_t now_ns);
/* When the next interrupt is due (UINT64_MAX: none enabled). */
uint64_t vcmos_next_event_ns(const struct vcmos *c);

#endif
