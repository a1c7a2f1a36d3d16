/* shadowstubs.h - for host tests of code that reaches guest memory (gmem.c): no shadow is ever on
 * the CPU here, so every access takes the software walk (the fast way through the shadow,
 * gcopy.asm, is exercised by the guests running under the VMM). */
#ifndef TESTS_SHADOWSTUBS_H
#define TESTS_SHADOWSTUBS_H
#include "../../arch/x86_64/mmu/shadow.h"
struct vm;

int fast_paths = 1;   /* reflect_fast is tried as in the VMM; with no shadow it reads and writes
                        * guest memory through the software walk (or gives up) */
int shadow_is_active(const struct shadow *sh) { (void)sh; return 0; }
uint64_t guard_gen;   /* (vtlb.c's: bumped by traced.c, segments.c and patch.c) */
void shadow_fill(struct vm *vm, uint32_t la, uint32_t gpa, mfn_t m, uint32_t flags, int write, int exec_unscanned)
{
	(void)vm, (void)la, (void)gpa, (void)m, (void)flags, (void)write, (void)exec_unscanned;
}
#ifndef TEST_TRACED
/* No traced shadow either (vm->sh.tr stays 0). */
int traced_is_table(const struct vm *vm, uint32_t gfn) { (void)vm, (void)gfn; return 0; }
void traced_written(struct vm *vm, uint32_t gfn, unsigned off, unsigned len) { (void)vm, (void)gfn, (void)off, (void)len; }
#endif
int gcopy(void *dst, const void *src, uint64_t n) { (void)dst, (void)src, (void)n; return -1; }

#endif
