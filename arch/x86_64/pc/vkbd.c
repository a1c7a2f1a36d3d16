/* vkbd.c - STUB: replaced by the i8042 model (see vkbd.h). */
#include "vkbd.h"
#include "../../../lib/kstring.h"
void vkbd_init(struct vkbd *k) { memset(k, 0, sizeof *k); }
int vkbd_io(struct vkbd *k, uint16_t port, bool write, uint8_t *val)
{
	(void)k, (void)port, (void)write, (void)val;
	return 0;
}
bool vkbd_input(struct vkbd *k, char c) { (void)k, (void)c; return false; }
