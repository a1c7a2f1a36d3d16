/* vga.c - the VGA text screen (80x25 at 0xB8000) when GRUB left us in text mode (BIOS boots).
 *
 * Writes to VGA memory are emulated device accesses under a hypervisor (each one a VM exit), so
 * the console never reads the screen and never moves it cell by cell: it scrolls by moving the
 * CRTC start address through the 32 KiB of text memory, and only when that window is used up
 * does it copy the visible page back to the top (from a RAM copy), once every ~180 lines. */
#include "cpu.h"
#include "console.h"
#include "../../lib/kstring.h"

#define VGA_WORDS 16384                 /* 32 KiB of text memory */
static volatile uint16_t *vram;
static uint16_t copy[VGA_WORDS];        /* what we wrote, so we never read VRAM back */
static unsigned cols, rows, col, row, top, lines;

static void set_start(unsigned cell)
{
	outb(0x3D4, 0x0C);
	outb(0x3D5, (uint8_t)(cell >> 8));
	outb(0x3D4, 0x0D);
	outb(0x3D5, (uint8_t)cell);
}

static void put_cell(unsigned line, unsigned c, uint16_t v)
{
	copy[line * cols + c] = v;
	vram[line * cols + c] = v;
}

void vga_init(uint64_t phys, unsigned c, unsigned r, unsigned pitch)
{
	(void)pitch;
	vram = phys_to_virt(phys);
	cols = c;
	rows = r;
	lines = VGA_WORDS / cols;
	col = row = top = 0;
	for (unsigned i = 0; i < cols * rows; i++)
		put_cell(0, i, 0x0700 | ' ');
	set_start(0);
}

static void newline(void)
{
	col = 0;
	row++;
	if (row + 1 > lines) {
		/* Out of text memory: bring the visible page (minus its first line) back to the top. */
		for (unsigned i = 0; i < cols * (rows - 1); i++) {
			uint16_t v = copy[(top + 1) * cols + i];
			copy[i] = v;
			vram[i] = v;
		}
		top = 0;
		row = rows - 1;
	} else if (row >= top + rows) {
		top++;
	} else {
		goto clear;
	}
	set_start(top * cols);
clear:
	for (unsigned i = 0; i < cols; i++)
		put_cell(row, i, 0x0700 | ' ');
}

void vga_putc(char c)
{
	if (!vram)
		return;
	if (c == '\n') {
		newline();
		return;
	}
	if (c == '\r') {
		col = 0;
		return;
	}
	put_cell(row, col, 0x0700 | (uint8_t)c);
	if (++col == cols)
		newline();
}
