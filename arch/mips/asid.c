/* asid.c - machine ASID allocation for guest address spaces (see asid.h). */
#include "asid.h"
#include "hwtlb.h"
#include "mips.h"
#include "../../lib/kstring.h"

static unsigned next_masid = 1;
static uint32_t epoch = 1;

unsigned asid_machine(struct vm *vm, unsigned gasid)
{
	if (vm->masid_epoch != epoch) {
		memset(vm->masid, 0, sizeof vm->masid);
		vm->masid_epoch = epoch;
	}
	if (!vm->masid[gasid]) {
		if (next_masid > 255) {
			/* Pool exhausted: nobody's old entries may survive a reuse. */
			hwtlb_flush_all();
			epoch++;
			next_masid = 1;
			memset(vm->masid, 0, sizeof vm->masid);
			vm->masid_epoch = epoch;
		}
		vm->masid[gasid] = (uint8_t)next_masid++;
	}
	return vm->masid[gasid];
}

void asid_retire_all(struct vm *vm)
{
	memset(vm->masid, 0, sizeof vm->masid);
}

void asid_apply(struct vm *vm)
{
	mtc0(CP0_ENTRYHI, 0, asid_machine(vm, vm->c.entryhi & EHI_ASID));
}
