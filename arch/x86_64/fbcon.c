/* fbcon.c - a text console drawn on the multiboot2 linear framebuffer (UEFI boots have no VGA
 * text mode). The glyphs come from a PC console font (PSF) that the build links in as a blob. */
#include "cpu.h"
#include "console.h"
#include "../../lib/kstring.h"

extern const uint8_t font_psf[];
extern const uint8_t font_psf_end[];

static struct fb_info fb;
static uint8_t *base;
static const uint8_t *glyphs;
static unsigned gw, gh, gbytes, nglyphs;
static unsigned cols, rows, col, row;

/* PSF1: 2-byte magic 36 04, mode, height; glyphs are 8 pixels wide. PSF2: 32-byte header. */
static int parse_font(void)
{
	const uint8_t *f = font_psf;
	if (font_psf_end - f < 4)
		return -1;
	if (f[0] == 0x36 && f[1] == 0x04) {
		gw = 8;
		gh = f[3];
		gbytes = gh;
		nglyphs = (f[2] & 1) ? 512 : 256;
		glyphs = f + 4;
		return 0;
	}
	if (f[0] == 0x72 && f[1] == 0xb5 && f[2] == 0x4a && f[3] == 0x86) {
		const uint32_t *h = (const uint32_t *)f;
		glyphs = f + h[2];
		nglyphs = h[4];
		gbytes = h[5];
		gh = h[6];
		gw = h[7];
		return 0;
	}
	return -1;
}

/* What the screen shows, one byte per cell: scrolling redraws from here and never reads the
 * framebuffer. (Framebuffer memory is uncached on a real PC, so reading it back is slow; and the
 * old byte-wise memmove of the whole screen per line cost QEMU TCG ~10x in real time whenever the
 * copy loop's jump happened to straddle a page boundary -- vmm-tcg/dev3 at stop 19.) */
#define GRID_COLS 256
#define GRID_ROWS 128
static unsigned char grid[GRID_ROWS][GRID_COLS];

int fb_init(const struct fb_info *info)
{
	if (info->type != 1 || (info->bpp != 32 && info->bpp != 24) || parse_font() < 0)
		return -1;
	fb = *info;
	base = phys_to_virt(fb.phys);
	cols = fb.width / gw < GRID_COLS ? fb.width / gw : GRID_COLS;
	rows = fb.height / gh < GRID_ROWS ? fb.height / gh : GRID_ROWS;
	col = row = 0;
	memset(grid, ' ', sizeof grid);
	for (uint32_t y = 0; y < fb.height; y++)
		memset(base + (uint64_t)y * fb.pitch, 0, (uint64_t)fb.width * fb.bpp / 8);
	return 0;
}

/* One glyph into cell (cx, cy): light grey on black, row by row. */
static void draw(unsigned cx, unsigned cy, unsigned char c)
{
	const uint8_t *g = glyphs + (c < nglyphs ? c : '?') * gbytes;
	unsigned stride = (gw + 7) / 8, bytes = fb.bpp / 8;
	grid[cy][cx] = c;
	for (unsigned y = 0; y < gh; y++, g += stride) {
		uint8_t *p = base + (uint64_t)(cy * gh + y) * fb.pitch + (uint64_t)cx * gw * bytes;
		for (unsigned x = 0; x < gw; x++, p += bytes) {
			uint8_t v = g[x / 8] & (0x80 >> (x % 8)) ? 0xC0 : 0;
			p[0] = p[1] = p[2] = v;
		}
	}
}

/* At the bottom the text jumps up by a quarter of the screen: each cell is redrawn only if its
 * character changes, so the cost (a few thousand glyphs at most) is shared by rows/4 lines. */
static void newline(void)
{
	col = 0;
	if (++row < rows)
		return;
	unsigned k = rows / 4 ? rows / 4 : 1;
	for (unsigned r = 0; r < rows; r++)
		for (unsigned c = 0; c < cols; c++) {
			unsigned char ch = r + k < rows ? grid[r + k][c] : ' ';
			if (grid[r][c] != ch)
				draw(c, r, ch);
		}
	row = rows - k;
}

void fb_putc(char c)
{
	if (!base)
		return;
	if (c == '\n') {
		newline();
		return;
	}
	if (c == '\r') {
		col = 0;
		return;
	}
	draw(col, row, (unsigned char)c);
	if (++col == cols)
		newline();
}
