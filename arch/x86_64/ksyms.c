/* ksyms.c - function names for register dumps. The build links the VMM twice: the second link
 * carries a table (ksyms_gen.asm, made by tools/gensyms.py from `nm`) of every text symbol. */
#include <stdint.h>
#include "trap.h"

extern const uint64_t ksyms_count;
extern const uint64_t ksyms_addr[];
extern const char *const ksyms_name[];

const char *ksym_lookup(uint64_t addr, uint64_t *offset)
{
	/* Binary search for the last symbol at or below addr (the table is sorted). */
	uint64_t lo = 0, hi = ksyms_count;
	if (hi == 0 || addr < ksyms_addr[0])
		return 0;
	while (hi - lo > 1) {
		uint64_t mid = (lo + hi) / 2;
		if (ksyms_addr[mid] <= addr)
			lo = mid;
		else
			hi = mid;
	}
	*offset = addr - ksyms_addr[lo];
	return ksyms_name[lo];
}
