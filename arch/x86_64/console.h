/* console.h - the VMM's real consoles: COM1, and the screen (VGA text or a framebuffer). */
#ifndef ARCH_CONSOLE_H
#define ARCH_CONSOLE_H
#include <stdint.h>

void serial_init(void);
void serial_putc(char c);
int serial_getc(void);
int serial_present(void);   /* COM1 answered at serial_init */
int kbd_init(void);         /* the real PS/2 keyboard (kbd.c): 1 if a controller answers */
int kbd_getc(void);         /* a key as ASCII, or -1 */
int console_getc(void);     /* the next input character, serial line first, then keyboard; -1 */

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
