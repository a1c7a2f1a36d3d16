/* acpi.h - the machine's own ACPI tables, as far as the VMM needs them (acpi.c). */
#ifndef ARCH_ACPI_H
#define ARCH_ACPI_H
#include <stdint.h>

#define ACPI_MAX_CPUS 64

struct acpi_info {
	int found;                        /* an RSDT or XSDT was found */
	const char *why;                  /* ... and if not, why not */
	unsigned ncpus;                   /* enabled processors in the MADT (0: no MADT) */
	uint32_t apic_id[ACPI_MAX_CPUS];  /* ... their APIC IDs (the first ACPI_MAX_CPUS) */
	uint32_t pm_timer_port;           /* the FADT's PM timer I/O port, 0 if none */
	int pm_timer_32;                  /* ... 32 bits wide (else 24) */
};

/* rsdp_phys: the RSDP copy in GRUB's ACPI tag, or 0 to search the BIOS areas. */
void acpi_scan(uint64_t rsdp_phys, struct acpi_info *ai);

#endif
