/* vioapic.c - STUB: replaced by the IO APIC model (see vioapic.h). */
#include "vioapic.h"
#include "../../../lib/kstring.h"
void vioapic_init(struct vioapic *io) { memset(io, 0, sizeof *io); }
bool vioapic_claims(uint32_t gpa) { (void)gpa; return false; }
void vioapic_mmio(struct vioapic *io, struct vlapic *l, uint32_t off, unsigned size, bool write, uint32_t *val)
{
	(void)io, (void)l, (void)off, (void)size, (void)write;
	if (!write)
		*val = 0xFFFFFFFFu;
}
void vioapic_set_pin(struct vioapic *io, struct vlapic *l, unsigned pin, bool level) { (void)io, (void)l, (void)pin, (void)level; }
void vioapic_eoi(struct vioapic *io, struct vlapic *l, uint8_t vector) { (void)io, (void)l, (void)vector; }
