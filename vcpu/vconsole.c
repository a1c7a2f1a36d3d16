/* vconsole.c - line-buffered, prefixed per-VM console output (see vconsole.h). */
#include "vconsole.h"
#include "../lib/format.h"

void vconsole_flush(struct vconsole *vc, void (*print)(const char *line))
{
	char line[224];
	if (vc->len == 0)
		return;
	vc->buf[vc->len] = 0;
	snprintf_(line, sizeof line, "vm%u: %s", vc->id, vc->buf);
	print(line);
	vc->len = 0;
}

void vconsole_putc(struct vconsole *vc, char c, void (*print)(const char *line))
{
	if (c == '\r')
		return;
	if (c == '\n') {
		if (vc->len == 0) {
			vc->buf[vc->len++] = ' ';
		}
		vconsole_flush(vc, print);
		return;
	}
	vc->buf[vc->len++] = c;
	if (vc->len >= (int)sizeof vc->buf - 1)
		vconsole_flush(vc, print);
}
