/* firmware.h - what a PC BIOS leaves in physical memory for an OS, built into a VM's guest-physical
 * memory when it is created: the real-mode IVT, the BIOS data area, an EBDA, a blank VGA text
 * screen, and in the BIOS area (read-only to the guest) the MP tables (spec 1.4) and the ACPI tables
 * (RSDP rev 2, RSDT, XSDT, FADT rev 4 + FACS + DSDT with \_S5, MADT). Also the memory map a BIOS
 * reports (e820), for the multiboot1 and Linux loaders.
 *
 * Guest-physical layout (see README.md, "The PC a guest sees"):
 *   0x00000-0x003FF  real-mode IVT: every vector -> F000:FF53, an iret
 *   0x00400-0x004FF  BIOS data area (COM1 at 0x400, EBDA segment at 0x40E, 639 KiB at 0x413, ...)
 *   0x9FC00-0x9FFFF  EBDA, 1 KiB (its first word: its size in KiB)          e820: reserved
 *   0xA0000-0xDFFFF  the hole (VGA text at 0xB8000 is memory the guest may write); not in the e820
 *   0xE0000-0xFFFFF  the BIOS area, read-only: the tables at FW_TABLES..   e820: reserved
 * The tables all lie in the one page at FW_TABLES; their addresses are the FW_* constants below.
 *
 * Interface: fw_build() writes through `mem`, which returns where the builder may write the
 * guest-physical bytes [gpa, gpa + len) (a range that never crosses a 4 KiB page), or 0. So the VMM
 * builds into a VM's frames and a host test into a plain buffer. */
#ifndef ARCH_FIRMWARE_H
#define ARCH_FIRMWARE_H
#include <stdint.h>

#define FW_IVT        0x00000u
#define FW_BDA        0x00400u
#define FW_EBDA       0x9FC00u
#define FW_EBDA_KIB   1
#define FW_BASE_KIB   639          /* conventional memory below the EBDA (BDA 0x413, mem_lower) */
#define FW_HOLE       0xA0000u
#define FW_VGA_TEXT   0xB8000u
#define FW_BIOS_AREA  0xE0000u
#define FW_BIOS_END   0x100000u

#define FW_TABLES     0xF0000u     /* one page holds every table */
#define FW_RSDP       (FW_TABLES + 0x000)  /* 36 bytes */
#define FW_MP_FLOAT   (FW_TABLES + 0x030)  /* 16 */
#define FW_FACS       (FW_TABLES + 0x040)  /* 64, 64-byte aligned */
#define FW_RSDT       (FW_TABLES + 0x080)  /* 36 + 4 per table */
#define FW_XSDT       (FW_TABLES + 0x0C0)  /* 36 + 8 per table */
#define FW_FADT       (FW_TABLES + 0x100)  /* 244 */
#define FW_MADT       (FW_TABLES + 0x200)  /* 82 + 8 per vCPU */
#define FW_DSDT       (FW_TABLES + 0x300)  /* 50 */
#define FW_MP_CONFIG  (FW_TABLES + 0x400)  /* 204 + 20 per vCPU */
#define FW_IRET_SEG   0xF000u
#define FW_IRET_OFF   0xFF53u      /* F000:FF53 holds 0xCF (iret), where BIOSes point unused vectors */
#define FW_IRET       (FW_IRET_SEG * 16u + FW_IRET_OFF)

#define FW_MAX_CPUS   8
#define FW_OEM_ID     "VMMPC "     /* ACPI OEM ID (6 characters) */

struct fw_config {
	unsigned ncpus;              /* vCPUs: local APIC ids 0..ncpus-1, 0 is the bootstrap processor */
	unsigned ndisks;             /* ATA disks (BDA 0x475) */
	uint32_t cpu_signature;      /* CPUID.1 EAX and EDX, for the MP processor entries */
	uint32_t cpu_features;
};

/* Build everything. 0, or -1 with *why (bad configuration, or `mem` returned 0). */
int fw_build(const struct fw_config *c, void *(*mem)(void *ctx, uint32_t gpa, uint32_t len), void *ctx,
	     const char **why);

/* The BIOS memory map (INT 15h E820) of a VM with ram_bytes of RAM: usable [0, EBDA), reserved
 * [EBDA, 640 KiB), reserved [BIOS area, 1 MiB), usable [1 MiB, RAM end). The hole 0xA0000-0xDFFFF
 * is not listed, as on a real BIOS. Returns the number of entries (at most FW_E820_MAX). */
#define FW_E820_MAX 4
#define FW_E820_RAM 1
#define FW_E820_RESERVED 2
struct fw_e820 { uint64_t base, len; uint32_t type; };
int fw_e820(uint64_t ram_bytes, struct fw_e820 map[FW_E820_MAX]);

#endif
