/* drivers.h - the PC platform drivers (firmware tables, local and IO APIC, PIT channel 2, CMOS/RTC,
 * i8042, PCI configuration, ATA PIO disks), the interrupt routing between the 8259s and the APICs,
 * and the device self tests that use them (boot words `devtest`, `apic`, `acpioff`). */
#ifndef DRIVERS_H
#define DRIVERS_H
#include <stdint.h>

/* Boot words (main.c). */
extern int opt_devtest, opt_apic, opt_acpioff;
extern uint32_t mb_mem_upper_kib;	/* multiboot mem_upper (KiB above 1 MiB), 0 if not given */

/* Interrupt vectors. ISA IRQ n arrives at VEC_IRQ0 + n, through the 8259s or the IO APIC. */
#define VEC_IRQ0 32
#define VEC_CLOCK 0x40		/* local APIC timer as the system clock (boot word `apic`) */
#define VEC_TEST_TIMER 0x48	/* local APIC timer in the self tests */
#define VEC_TEST_IPI 0x49	/* self IPI in the self tests (priority class 4) */
#define VEC_TEST_IOAPIC 0x4A	/* IO APIC redirection in the self tests */
#define VEC_TEST_SOFT 0x50	/* 0x50 and 0x51: int n of the live IDT write self test */
#define VEC_LAPIC_ERROR 0xFE
#define VEC_LAPIC_SPURIOUS 0xFF

/* trap.c: a handler per vector, run before the end of interrupt; counts of every vector. */
typedef void (*intr_handler)(void);
void intr_set_handler(int vector, intr_handler fn);
extern volatile uint32_t intr_count[256];
void clock_tick(void);

/* irq.c: ISA IRQs go through the 8259s, or (apic_mode) through the IO APIC to the local APIC. */
extern int apic_mode;
void irq_unmask(int isa_irq);
void irq_mask(int isa_irq);
void irq_eoi(int isa_irq);
int apic_setup(void);	/* boot word `apic`: switch to APIC mode; 0 on success */

/* pic.c */
void pic_set_mask(int irq, int masked);

/* vm.c: physical memory outside the direct map, or uncached (MMIO); 0 when out of slots. */
#define MAP_UNCACHED 1
void *phys_map(uint32_t pa, uint32_t len, int flags);
static inline void *phys_ptr(uint32_t pa)	/* a pointer the compiler cannot reason about */
{
	void *p = (void *)pa;
	__asm__("" : "+r"(p));
	return p;
}
uint32_t *kernel_pte(uint32_t va);	/* the kernel PTE (or 4 MiB PDE) mapping va, 0 if none */

/* pit.c: PIT channel 2 gated through port 0x61 (mode 0, polled) as a reference clock. */
#define PIT_HZ 1193182u
void pit2_start(uint16_t count);	/* mode 0: OUT (port 0x61 bit 5) goes high after count */
int pit2_done(void);
uint16_t pit2_read(void);		/* latched current count */
int pit2_wait(uint16_t count);		/* start and poll until OUT is high; 0 on timeout */
uint32_t pit_delay_us(uint32_t us);	/* busy wait (interrupts keep their state); returns the
					 * microseconds that really passed (a late poll is measured) */

/* bda.c, mptable.c, acpi.c: what the firmware tells about the machine. */
uint16_t bda_com1(void);
uint16_t bda_base_kib(void);
uint16_t bda_ebda_seg(void);

struct mp_info {
	int found;			/* "_MP_" floating pointer found */
	uint32_t fp_pa, cfg_pa;
	int fp_checksum_ok, fp_length_ok, spec_rev, default_config;
	int cfg_found, cfg_checksum_ok, cfg_ext_ok, cfg_entries_ok;
	uint32_t lapic_pa;
	int n_cpu, n_cpu_enabled, n_bsp, n_bus, n_ioapic, n_intsrc, n_lintsrc;
	int bsp_apic_id, isa_bus, ioapic_id;
	uint32_t ioapic_pa;
	int irq0_pin, irq0_dest;	/* I/O interrupt entry for ISA IRQ0: IO APIC pin and id */
	int isa_pin[16];		/* IO APIC pin of each ISA IRQ (INT entries), -1 if none */
	uint16_t isa_flags[16];		/* their MPS INTI flags (polarity, trigger) */
};
extern struct mp_info mp;
void mp_scan(void);

struct acpi_info {
	int rsdp_found, rsdp_checksum_ok, rsdp_ext_ok, revision;
	uint32_t rsdp_pa, rsdt_pa;
	uint64_t xsdt_pa;
	int rsdt_ok, xsdt_present, xsdt_ok, n_tables;
	uint32_t madt_pa, fadt_pa, dsdt_pa;
	int madt_ok, fadt_ok, dsdt_ok;	/* found, signature and checksum right */
	/* MADT */
	uint32_t lapic_pa;
	int n_lapic, n_ioapic, n_iso, bsp_in_madt;
	int ioapic_id;
	uint32_t ioapic_pa, ioapic_gsi_base;
	uint32_t isa_gsi[16];		/* ISA IRQ -> GSI (identity unless overridden) */
	uint16_t isa_flags[16];		/* MPS INTI flags of the override, 0 = bus default */
	int iso_bad;			/* an override that makes no sense (not bus ISA, irq > 15) */
	/* FADT, DSDT */
	uint32_t pm1a_cnt, pm1b_cnt, smi_cmd;
	uint8_t acpi_enable, century;	/* century: CMOS register of the RTC's century, 0 if none */
	int s5_found, s5_typa, s5_typb;
};
extern struct acpi_info acpi;
void acpi_scan(void);
void acpi_poweroff(void);	/* returns only if the machine is still on */

/* lapic.c */
int cpu_has_apic(void);			/* CPUID.1:EDX bit 9 */
uint32_t lapic_id_from_cpuid(void);	/* CPUID.1:EBX[31:24], the initial APIC id */
int rdmsr_safe(uint32_t msr, uint64_t *v);	/* -1 if the access faulted */
int wrmsr_safe(uint32_t msr, uint64_t v);
extern uint32_t fault_eip, fault_resume, fault_after;	/* trap.c */
extern volatile uint32_t fault_at;
#define IRQ_EIP_ARMED 1u
extern volatile uint32_t irq_first_eip;	/* trap.c: set it to IRQ_EIP_ARMED, an interrupt fills it */
extern volatile int fault_caught;
extern volatile uint32_t fault_vector, fault_err, fault_cr2, fault_eflags;
/* The asm text of one kernel instruction allowed to fault: if it does, trap.c records the fault
 * and resumes after it with fault_caught set (clear fault_caught before). */
#define FAULT_OK(insn) "movl $1f, fault_eip\n\tmovl $2f, fault_resume\n1:\t" insn "\n2:\tmovl $0, fault_eip"
int lapic_init(int virtual_wire);	/* map, enable; 0 on success */
uint32_t lapic_read(uint32_t reg);
void lapic_write(uint32_t reg, uint32_t v);
void lapic_eoi(void);
uint32_t lapic_id(void);
int lapic_ready(void);
uint32_t lapic_va(void);		/* where its registers are mapped */
uint32_t lapic_measure(uint32_t div, uint16_t count, uint32_t *pit);	/* timer ticks across count PIT periods */
uint32_t lapic_calibrate(uint32_t samples[5]);	/* timer Hz at divide 16: median of 5 samples (Hz) */
extern uint32_t lapic_timer_hz;
void lapic_clock_start(unsigned hz);
#define LAPIC_ID 0x20
#define LAPIC_VER 0x30
#define LAPIC_TPR 0x80
#define LAPIC_PPR 0xA0
#define LAPIC_EOI 0xB0
#define LAPIC_SVR 0xF0
#define LAPIC_ISR 0x100
#define LAPIC_IRR 0x200
#define LAPIC_ESR 0x280
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3E0
#define LVT_MASKED 0x10000u
#define LVT_PERIODIC 0x20000u

/* ioapic.c */
int ioapic_init(void);		/* map, mask every pin; 0 on success */
int ioapic_ready(void);
uint32_t ioapic_va(void);
uint32_t ioapic_read(uint32_t reg);
void ioapic_write(uint32_t reg, uint32_t v);
int ioapic_max_redir(void);
uint64_t ioapic_get_redir(int pin);
void ioapic_set_redir(int pin, uint64_t e);
void ioapic_route_isa(int isa_irq, int vector, int masked);	/* per the MADT (or MP table) */
int ioapic_isa_pin(int isa_irq);
#define IOREDTBL_MASKED (1ull << 16)

/* rtc.c */
struct rtc_time {
	int year, month, day, hour, minute, second;
};
uint8_t cmos_read(uint8_t reg);
void cmos_write(uint8_t reg, uint8_t v);
int rtc_read(struct rtc_time *t);	/* safe read; 0 on success */
void rtc_periodic(int rate);		/* 3..15: 32768 >> (rate - 1) Hz; 0: off */

/* i8042.c */
int i8042_command(uint8_t cmd, int reply);	/* the reply byte, or -1 on timeout */
int i8042_write_config(uint8_t v);		/* 0 on success */
void i8042_flush(void);

/* pci.c */
uint32_t pci_read32(int bus, int dev, int fn, int off);
uint16_t pci_read16(int bus, int dev, int fn, int off);

/* ata.c */
#define ATA_NONE 0
#define ATA_DISK 1
#define ATA_ATAPI 2
#define ATA_UNKNOWN 3
struct ata_dev {
	int kind;
	uint16_t id[256];
	uint32_t sectors;		/* IDENTIFY words 60-61 */
	uint16_t cyls, heads, spt;	/* the current CHS geometry */
	int mult_max;			/* word 47 */
	uint8_t sig_lbam, sig_lbah;	/* signature after IDENTIFY aborted */
};
extern struct ata_dev ata_devs[4];	/* hda, hdb, hdc, hdd */
extern const char *const ata_slot_name[4];
void ata_init(void);			/* handlers for IRQ 14 and 15, unmasked */
void ata_fini(void);
int ata_reset(int channel);		/* software reset; 0 when the channel came back (or is empty) */
int ata_probe(int slot);		/* IDENTIFY DEVICE: the kind */
void ata_signature(int slot, uint8_t sig[4]);	/* count, LBA low/mid/high registers */
#define ATA_F_IRQ 1			/* wait for INTRQ (nIEN clear) instead of polling */
#define ATA_F_CHS 2			/* address by CHS (current geometry) instead of LBA28 */
#define ATA_F_MULTIPLE 4		/* READ/WRITE MULTIPLE (after ata_set_multiple) */
struct ata_result {
	uint8_t status, error;		/* final status and error registers */
	unsigned irqs;			/* interrupts seen on the channel */
	unsigned blocks;		/* DRQ data blocks transferred */
};
int ata_rw(int slot, int write, uint32_t lba, unsigned count, void *buf, int flags,
	   struct ata_result *r);	/* 0 on success */
int ata_set_multiple(int slot, int n);
int ata_command(int slot, uint8_t cmd, struct ata_result *r);	/* no-data command */
int ata_flush(int slot);
unsigned ata_irq_count(int channel);

/* devtest.c */
void devtest_run(void);
void ktest_report(int ok, const char *name);
/* Firmware tables (acpi.c, mptable.c): byte sums for checksums, little-endian fields. */
static inline uint8_t sum8(const uint8_t *p, uint32_t n)
{
	uint8_t s = 0;
	while (n--)
		s += *p++;
	return s;
}
static inline uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

#endif
