/* vata.c - STUB: replaced by the ATA PIO model (see vata.h). */
#include "vata.h"
#include "../../../lib/kstring.h"
void vata_init(struct vata *a, uint16_t cmd_base, uint16_t ctl_port, unsigned irq)
{
	memset(a, 0, sizeof *a);
	a->cmd_base = cmd_base, a->ctl_port = ctl_port, a->irq = irq;
}
void vata_attach(struct vata *a, unsigned slot, struct blkcow *disk) { a->drive[slot & 1].disk = disk; }
int vata_io(struct vata *a, uint16_t port, unsigned size, bool write, uint32_t *val)
{
	(void)a, (void)port, (void)size, (void)write, (void)val;
	return 0;
}
