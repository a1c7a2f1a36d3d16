/* console.h - the VMM's real consoles: COM1, and the screen (VGA text or a framebuffer). */
#ifndef ARCH_CONSOLE_H
#define ARCH_CONSOLE_H
#include <stdint.h>

void serial_init(void);
void serial_putc(char c);
int serial_getc(void);
int serial_present(void);   /* COM1 answered at serial_init */

void vga_init(uint64_t phys, unsigned cols, unsigned rows, unsigned pitch);
void vga_putc(char c);

struct fb_info {
	uint64_t phys;
	uint32_t pitch, width, height;
	uint8_t bpp, type;
	uint8_t red_pos, green_pos, blue_pos;
};
int fb_init(const struct fb_info *fb);
void fb_putc(char c);

void console_putc(char c);

#endif
