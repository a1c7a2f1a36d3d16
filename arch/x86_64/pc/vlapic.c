/* vlapic.c - STUB: replaced by the local APIC model (see vlapic.h). */
#include "vlapic.h"
#include "../../../lib/kstring.h"
void vlapic_init(struct vlapic *l, uint64_t now_ns) { memset(l, 0, sizeof *l); (void)now_ns; }
int vlapic_msr(struct vlapic *l, bool write, uint64_t *val) { (void)l, (void)write, (void)val; return -1; }
bool vlapic_claims(const struct vlapic *l, uint32_t gpa) { (void)l, (void)gpa; return false; }
void vlapic_mmio(struct vlapic *l, uint32_t off, unsigned size, bool write, uint32_t *val, uint64_t now_ns)
{
	(void)l, (void)off, (void)size, (void)write, (void)now_ns;
	if (!write)
		*val = 0xFFFFFFFFu;
}
void vlapic_deliver(struct vlapic *l, uint8_t vector, bool level) { (void)l, (void)vector, (void)level; }
void vlapic_sync(struct vlapic *l, uint64_t now_ns) { (void)l, (void)now_ns; }
bool vlapic_accepts_pic(const struct vlapic *l) { (void)l; return true; }
int vlapic_pending(const struct vlapic *l) { (void)l; return -1; }
int vlapic_ack(struct vlapic *l) { (void)l; return -1; }
int vlapic_take_level_eoi(struct vlapic *l) { (void)l; return -1; }
uint64_t vlapic_next_event_ns(const struct vlapic *l) { (void)l; return UINT64_MAX; }
