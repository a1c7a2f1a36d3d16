/* zstore.c - compressed page store; see zstore.h.
 *
 * Chunk k (k >= 1) lives in store frame (k - 1) / 64 at slot (k - 1) % 64. Its first four bytes
 * link to the next chunk of the same page (0: last), the other 60 hold data; the first chunk's
 * data begins with the compressed length (2 bytes). Free chunks are linked the same way. */
#include "zstore.h"
#include "lz.h"
#include "assert.h"
#include "../lib/kstring.h"

#define PER_FRAME (FRAME_SIZE / ZSTORE_CHUNK)
#define DATA (ZSTORE_CHUNK - 4)

static mfn_t frames[ZSTORE_MAX_FRAMES];
static uint32_t free_head;               /* chunk number, 0: none */
static uint64_t free_chunks;
static struct zstore_stats st;
static uint8_t stage[LZ_PAGE / 2];
static unsigned staged;

static uint8_t *chunk(uint32_t k)
{
	assert(k >= 1 && (k - 1) / PER_FRAME < st.frames);
	return (uint8_t *)frame_to_virt(frames[(k - 1) / PER_FRAME]) + ((k - 1) % PER_FRAME) * ZSTORE_CHUNK;
}
static uint32_t next_of(uint32_t k) { uint32_t n; memcpy(&n, chunk(k), 4); return n; }
static void set_next(uint32_t k, uint32_t n) { memcpy(chunk(k), &n, 4); }

static unsigned chunks_for(unsigned size) { return (size + 2 + DATA - 1) / DATA; }

void zstore_set_bound(uint64_t n)
{
	st.bound = n > ZSTORE_MAX_FRAMES ? ZSTORE_MAX_FRAMES : n;
}

unsigned zstore_stage(const void *page)
{
	staged = lz_compress(page, stage, sizeof stage);
	if (!staged)
		st.rejected++;
	return staged;
}

int zstore_room(unsigned size, int one_frame_coming)
{
	if (chunks_for(size) <= free_chunks)
		return 1;
	return st.frames < st.bound && (one_frame_coming || frame_nfree() > 0);
}

/* One more frame of chunks, all free. */
static int grow(void)
{
	mfn_t m;
	if (st.frames >= st.bound || frame_alloc(FRAME_VMM, &m) < 0)
		return -1;
	frames[st.frames++] = m;
	for (uint32_t i = 0; i < PER_FRAME; i++) {
		uint32_t k = (uint32_t)((st.frames - 1) * PER_FRAME + i + 1);
		set_next(k, free_head);
		free_head = k;
	}
	free_chunks += PER_FRAME;
	return 0;
}

uint64_t zstore_commit(void)
{
	assert(staged);
	unsigned need = chunks_for(staged);
	while (free_chunks < need)
		if (grow() < 0) {
			st.full++;
			return 0;
		}
	/* Take `need` chunks off the free list, in order, and fill them. */
	uint32_t first = free_head, k = first;
	uint8_t hdr[2] = { (uint8_t)staged, (uint8_t)(staged >> 8) };
	unsigned done = 0;
	for (unsigned c = 0; c < need; c++) {
		uint8_t *d = chunk(k) + 4;
		unsigned room = DATA, at = 0;
		if (c == 0) {
			memcpy(d, hdr, 2);
			at = 2;
		}
		unsigned n = staged - done < room - at ? staged - done : room - at;
		memcpy(d + at, stage + done, n);
		done += n;
		uint32_t nx = next_of(k);
		if (c == need - 1) {
			free_head = nx;
			set_next(k, 0);
		}
		k = nx;
	}
	free_chunks -= need;
	st.pages++;
	st.bytes += staged;
	st.puts++;
	staged = 0;
	return first;
}

static void release(uint32_t k)
{
	while (k) {
		uint32_t nx = next_of(k);
		set_next(k, free_head);
		free_head = k;
		free_chunks++;
		k = nx;
	}
}

int zstore_take(uint64_t handle, void *page)
{
	static uint8_t buf[LZ_PAGE / 2];
	uint32_t k = (uint32_t)handle;
	const uint8_t *d = chunk(k) + 4;
	unsigned size = d[0] | (unsigned)d[1] << 8, done = 0;
	if (size > sizeof buf)
		return -1;
	for (unsigned at = 2; k && done < size; at = 0, k = next_of(k)) {
		d = chunk(k) + 4;
		unsigned n = size - done < DATA - at ? size - done : DATA - at;
		memcpy(buf + done, d + at, n);
		done += n;
	}
	if (done != size || lz_expand(buf, size, page) < 0)
		return -1;
	zstore_drop(handle);
	st.gets++;
	return 0;
}

void zstore_drop(uint64_t handle)
{
	const uint8_t *d = chunk((uint32_t)handle) + 4;
	st.bytes -= d[0] | (unsigned)d[1] << 8;
	st.pages--;
	release((uint32_t)handle);
}

void zstore_get_stats(struct zstore_stats *out)
{
	*out = st;
}

void zstore_reset(void)
{
	memset(&st, 0, sizeof st);
	free_head = 0;
	free_chunks = 0;
	staged = 0;
}
