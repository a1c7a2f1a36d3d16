/* lz.c - a greedy LZ77 for one page (format: lz.h).
 *
 * The compressor walks the page once. At each position it hashes the next four bytes, looks up
 * where that hash was last seen (a 4096-entry table of positions), and if the bytes there match
 * for at least 3, emits a match as long as it goes (up to 130); otherwise the byte joins the
 * pending literal run. Greedy, no lazy evaluation: guest pages are mostly zeroes, repeated words
 * and short records, where this already finds nearly everything. */
#include "lz.h"

#define HBITS 12
#define MIN_MATCH 3
#define MAX_MATCH 130
#define MAX_LIT 128

static uint16_t last[1u << HBITS];     /* position + 1 where each hash was seen; 0: never */

static unsigned hash4(const uint8_t *p)
{
	uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	return (v * 2654435761u) >> (32 - HBITS);
}

/* Emit the literal run [from, to) of src at out[o]. Returns the new output length, or -1 if out of room. */
static int literals(const uint8_t *src, unsigned from, unsigned to, uint8_t *out, unsigned o, unsigned room)
{
	while (from < to) {
		unsigned n = to - from > MAX_LIT ? MAX_LIT : to - from;
		if (o + 1 + n > room)
			return -1;
		out[o++] = (uint8_t)(n - 1);
		for (unsigned i = 0; i < n; i++)
			out[o++] = src[from + i];
		from += n;
	}
	return (int)o;
}

unsigned lz_compress(const void *page, uint8_t *out, unsigned room)
{
	const uint8_t *s = page;
	unsigned o = 0, lit = 0, i = 0;     /* lit: where the pending literal run began */
	for (unsigned k = 0; k < (1u << HBITS); k++)
		last[k] = 0;
	while (i + 4 <= LZ_PAGE) {
		unsigned h = hash4(s + i), cand = last[h];
		last[h] = (uint16_t)(i + 1);
		unsigned len = 0;
		if (cand) {
			unsigned c = cand - 1;
			while (i + len < LZ_PAGE && len < MAX_MATCH && s[c + len] == s[i + len])
				len++;
		}
		/* (a run of one byte: the previous position matches at offset 1 even if the hash table
		 * remembered an older one) */
		if (len < MIN_MATCH && i > 0) {
			unsigned run = 0;
			while (i + run < LZ_PAGE && run < MAX_MATCH && s[i - 1 + run] == s[i + run])
				run++;
			if (run >= MIN_MATCH) {
				len = run;
				cand = i;          /* offset 1 */
			}
		}
		if (len < MIN_MATCH) {
			i++;
			continue;
		}
		unsigned off = i - (cand - 1);
		int r = literals(s, lit, i, out, o, room);
		if (r < 0 || (o = (unsigned)r) + 3 > room)
			return 0;
		out[o++] = (uint8_t)(0x80 | (len - MIN_MATCH));
		out[o++] = (uint8_t)off;
		out[o++] = (uint8_t)(off >> 8);
		for (unsigned k = 1; k < len && i + k + 4 <= LZ_PAGE; k++)
			last[hash4(s + i + k)] = (uint16_t)(i + k + 1);
		i += len;
		lit = i;
	}
	int r = literals(s, lit, LZ_PAGE, out, o, room);
	return r < 0 ? 0 : (unsigned)r;
}

int lz_expand(const uint8_t *in, unsigned n, void *page)
{
	uint8_t *d = page;
	unsigned o = 0, i = 0;
	while (i < n) {
		unsigned c = in[i++];
		if (c < 0x80) {
			unsigned len = c + 1;
			if (i + len > n || o + len > LZ_PAGE)
				return -1;
			for (unsigned k = 0; k < len; k++)
				d[o++] = in[i++];
		} else {
			unsigned len = (c & 0x7F) + MIN_MATCH;
			if (i + 2 > n)
				return -1;
			unsigned off = in[i] | (unsigned)in[i + 1] << 8;
			i += 2;
			if (off == 0 || off > o || o + len > LZ_PAGE)
				return -1;
			for (unsigned k = 0; k < len; k++, o++)
				d[o] = d[o - off];
		}
	}
	return o == LZ_PAGE ? 0 : -1;
}
