/* boot.h - what kmain() calls in the rest of the x86-64 VMM. */
#ifndef ARCH_BOOT_H
#define ARCH_BOOT_H
#include <stdint.h>
#include "../../lib/options.h"

void paging_drop_identity(void);
void paging_extend_physmap(uint64_t top);
uint64_t *paging_pml4(void);
void paging_espfix(void);               /* the alias returns to guests go through (trapentry.asm) */

int selftest_run(void);                 /* returns 0 when every self test passed */
void selftest_crash(void);              /* a deliberate page fault in the VMM */
void vmm_start_guests(void);
_Noreturn void vmm_exit(int code);      /* isa-debug-exit in QEMU; otherwise halt */

extern struct option boot_options[];
extern const unsigned n_boot_options;
struct option *boot_option(const char *key);

#endif
