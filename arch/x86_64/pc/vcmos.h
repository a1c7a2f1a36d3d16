/* vcmos.h - the virtual MC146818 CMOS/RTC (ports 0x70/0x71): the date and time from the machine's
 * RTC at VMM start plus elapsed virtual time, registers A-D, the periodic, update-ended and alarm
 * interrupts on IRQ 8, the memory size bytes a BIOS leaves, the NMI mask bit, the other bytes as
 * storage. No hardware. */
#ifndef ARCH_VCMOS_H
#define ARCH_VCMOS_H
#include <stdint.h>
#include <stdbool.h>

/* CMOS indexes */
#define VCMOS_SEC      0x00
#define VCMOS_SEC_ALM  0x01
#define VCMOS_MIN      0x02
#define VCMOS_MIN_ALM  0x03
#define VCMOS_HOUR     0x04
#define VCMOS_HOUR_ALM 0x05
#define VCMOS_WDAY     0x06
#define VCMOS_MDAY     0x07
#define VCMOS_MONTH    0x08
#define VCMOS_YEAR     0x09
#define VCMOS_REG_A    0x0A
#define VCMOS_REG_B    0x0B
#define VCMOS_REG_C    0x0C
#define VCMOS_REG_D    0x0D
#define VCMOS_CENTURY  0x32

/* register A */
#define VCMOS_A_UIP  0x80
/* register B */
#define VCMOS_B_SET  0x80
#define VCMOS_B_PIE  0x40
#define VCMOS_B_AIE  0x20
#define VCMOS_B_UIE  0x10
#define VCMOS_B_SQWE 0x08
#define VCMOS_B_DM   0x04       /* 1: binary, 0: BCD */
#define VCMOS_B_24H  0x02
#define VCMOS_B_DSE  0x01
/* register C */
#define VCMOS_C_IRQF 0x80
#define VCMOS_C_PF   0x40
#define VCMOS_C_AF   0x20
#define VCMOS_C_UF   0x10

struct vcmos {
	uint8_t index;          /* last index written to 0x70, without bit 7 */
	bool nmi_masked;        /* bit 7 of that write (kept; it masks nothing: the VM has no NMI source) */
	uint8_t ram[128];       /* registers and storage; the time bytes are used while SET freezes them */
	uint64_t epoch_s;       /* seconds since 1970 at base_ns */
	uint64_t base_ns;       /* the divider chain's origin: seconds turn over at base_ns + k s */
	int64_t offset_s;       /* added by the guest's writes of the time */
	uint64_t pf_seen;       /* periodic ticks since base_ns already flagged (at the current rate) */
	uint64_t sec_seen;      /* second boundaries since base_ns already processed */
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
