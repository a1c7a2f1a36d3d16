/* vga.c - the VGA text screen (80x25 at 0xB8000) when GRUB left us in text mode (BIOS boots). */
#include "cpu.h"
#include "console.h"
#include "../../lib/kstring.h"

static volatile uint16_t *screen;
static unsigned cols, rows, col, row;

void vga_init(uint64_t phys, unsigned c, unsigned r, unsigned pitch)
{
	(void)pitch;
	screen = phys_to_virt(phys);
	cols = c;
	rows = r;
	col = row = 0;
	for (unsigned i = 0; i < cols * rows; i++)
		screen[i] = 0x0700 | ' ';
}

static void scroll(void)
{
	for (unsigned i = 0; i < cols * (rows - 1); i++)
		screen[i] = screen[i + cols];
	for (unsigned i = 0; i < cols; i++)
		screen[cols * (rows - 1) + i] = 0x0700 | ' ';
	row = rows - 1;
}

void vga_putc(char c)
{
	if (!screen)
		return;
	if (c == '\n') {
		col = 0;
		if (++row == rows)
			scroll();
		return;
	}
	if (c == '\r') {
		col = 0;
		return;
	}
	screen[row * cols + col] = 0x0700 | (uint8_t)c;
	if (++col == cols) {
		col = 0;
		if (++row == rows)
			scroll();
	}
}
