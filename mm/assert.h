/* assert.h - invariant checks for arch-neutral code. The arch (or the host test) provides
 * mm_assert_fail(), which never returns: in the VMM it panics with file:line and the condition. */
#ifndef MM_ASSERT_H
#define MM_ASSERT_H

_Noreturn void mm_assert_fail(const char *cond, const char *file, int line);
#define assert(c) ((c) ? (void)0 : mm_assert_fail(#c, __FILE__, __LINE__))

#endif
