/* patch.h - binary patching of the x86 instructions that are sensitive but do not trap at ring 1
 * (pushf, popf, iret, sgdt, sidt, sldt, str, smsw, reads of CS/SS, lar, lsl, verr, verw).
 * Each is replaced by int3 (0xCC, one byte, so any instruction can hold it); the table remembers
 * where and what was there, and the int3 handler emulates the original against the vCPU. */
#ifndef ARCH_PATCH_H
#define ARCH_PATCH_H
#include <stdint.h>
#include "decode.h"
#include "../../../mm/frame.h"

#define PATCH_MAX 4096

struct patch {
	uint32_t addr;          /* guest-physical address of the instruction */
	uint8_t orig;           /* its first byte, now 0xCC in guest memory */
	uint8_t len;
	uint8_t kind;           /* enum x86_kind */
};

/* Guest code whose instruction boundaries are known because it was swept from a known start (an
 * ELF's text sections): a later scan of one of its pages -- code run for the first time, or
 * rescanned after the guest rewrote it -- starts at the page's first instruction, not at the
 * address that happened to be fetched first. */
#define PATCH_CODE_RANGES 8
struct code_range {
	uint32_t start, end;    /* guest-physical */
	uint16_t *first;        /* per page: offset of its first instruction, 0xFFFF if none */
	mfn_t frames[8];        /* where first[] lives (contiguous) */
	unsigned nframes;
};

#define PATCH_CACHE 64
struct patch_hit { uint32_t addr, idx, gen; };
struct patch_lhit { uint32_t la, idx, gen; uint64_t sgen, root; };

struct patch_table {
	struct patch p[PATCH_MAX];
	unsigned n;             /* sorted by addr */
	int sorted;
	uint32_t gen;           /* bumped at every change of p[]: older cache entries are void */
	struct patch_hit cache[PATCH_CACHE];   /* recent lookups (patch_find) */
	struct patch_lhit lcache[PATCH_CACHE]; /* ... and by guest-linear address (patch_at) */
	struct code_range ranges[PATCH_CODE_RANGES];
	unsigned nranges;
	uint64_t undecodable;   /* bytes a scan skipped because they did not decode */
};

struct vm;
/* Scan guest-physical [start, start+len) and patch; the frames it covers count as scanned. */
unsigned patch_scan(struct vm *vm, uint32_t start, uint32_t len);
const struct patch *patch_find(struct patch_table *pt, uint32_t addr);
/* The guest writes to a scanned frame: put its original bytes back and forget its patches; the
 * frame is scanned again when code on it next runs. Returns the number of patches removed. */
unsigned patch_unscan(struct vm *vm, uint32_t gfn);
int patch_scanned(const struct vm *vm, uint32_t gfn);
/* Sweep [start, start+len) from its start (an instruction boundary), patch it, and remember its
 * instruction boundaries page by page. 0 (and *patched), or -1 (out of ranges or memory). */
int patch_code_range(struct vm *vm, uint32_t start, uint32_t len, unsigned *patched);
/* Where a scan of the page holding gpa, first entered at gpa, must start. */
uint32_t patch_scan_from(struct vm *vm, uint32_t gpa);
void patch_destroy(struct vm *vm);      /* the VM ends: free the boundary tables */

#endif
