/* shadowstubs.h - for host tests of code that reaches guest memory (gmem.c): no shadow is ever on
 * the CPU here, so every access takes the software walk (the fast way through the shadow,
 * gcopy.asm, is exercised by the guests running under the VMM). */
#ifndef TESTS_SHADOWSTUBS_H
#define TESTS_SHADOWSTUBS_H
#include "../../arch/x86_64/mmu/shadow.h"

int shadow_is_active(const struct shadow *sh) { (void)sh; return 0; }
int gcopy(void *dst, const void *src, uint64_t n) { (void)dst, (void)src, (void)n; return -1; }

#endif
