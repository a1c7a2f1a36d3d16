/* patch.h - binary patching of the x86 instructions that are sensitive but do not trap at ring 1
 * (pushf, popf, iret, sgdt, sidt, sldt, str, smsw, reads of CS/SS, lar, lsl, verr, verw).
 * Each is replaced by int3 (0xCC, one byte, so any instruction can hold it); the table remembers
 * where and what was there, and the int3 handler emulates the original against the vCPU. */
#ifndef ARCH_PATCH_H
#define ARCH_PATCH_H
#include <stdint.h>
#include "decode.h"

#define PATCH_MAX 4096

struct patch {
	uint32_t addr;          /* guest-physical address of the instruction */
	uint8_t orig;           /* its first byte, now 0xCC in guest memory */
	uint8_t len;
	uint8_t kind;           /* enum x86_kind */
};

struct patch_table {
	struct patch p[PATCH_MAX];
	unsigned n;             /* sorted by addr */
	int sorted;
};

struct vm;
/* Scan guest-physical [start, start+len) and patch; the frames it covers count as scanned. */
unsigned patch_scan(struct vm *vm, uint32_t start, uint32_t len);
const struct patch *patch_find(struct patch_table *pt, uint32_t addr);
/* The guest writes to a scanned frame: put its original bytes back and forget its patches; the
 * frame is scanned again when code on it next runs. Returns the number of patches removed. */
unsigned patch_unscan(struct vm *vm, uint32_t gfn);
int patch_scanned(const struct vm *vm, uint32_t gfn);

#endif
