/* lz.h - a small LZ77 compressor for one 4 KiB page, for the VMM's compressed store (zstore.c).
 *
 * The format is our own and byte-oriented: a sequence of tokens, each starting with a control
 * byte c:
 *     c <  0x80   a literal run: the next c + 1 bytes are copied as they are (1..128 bytes);
 *     c >= 0x80   a match: (c & 0x7F) + 3 bytes (3..130) copied from `off` bytes back in the
 *                 output, off in the next two bytes, little-endian (1..4096; may overlap, as in
 *                 a run of one repeated byte: off 1).
 * A page of zeroes comes to ~100 bytes, a page of random bytes to 4096 + 32 (lz_compress then
 * says it does not fit, and the caller keeps the page as it is). */
#ifndef MM_LZ_H
#define MM_LZ_H
#include <stdint.h>

#define LZ_PAGE 4096u

/* Compress one page into out (room for `room` bytes). Returns the length, or 0 if it does not
 * fit in `room`. Not reentrant (one static hash table: the VMM runs on one CPU). */
unsigned lz_compress(const void *page, uint8_t *out, unsigned room);
/* Expand n bytes of lz_compress's output into a page. 0, or -1 if they are not a valid
 * encoding of exactly one page (nothing is written outside `page`). */
int lz_expand(const uint8_t *in, unsigned n, void *page);

#endif
