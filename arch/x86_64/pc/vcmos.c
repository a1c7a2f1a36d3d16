/* vcmos.c - STUB: replaced by the CMOS/RTC model (see vcmos.h). */
#include "vcmos.h"
#include "../../../lib/kstring.h"
void vcmos_init(struct vcmos *c, uint64_t epoch_s, uint64_t ram_bytes, uint64_t now_ns)
{
	memset(c, 0, sizeof *c);
	c->epoch_s = epoch_s;
	c->base_ns = now_ns;
	(void)ram_bytes;
}
int vcmos_io(struct vcmos *c, uint16_t port, bool write, uint8_t *val, uint64_t now_ns)
{
	(void)c, (void)port, (void)write, (void)val, (void)now_ns;
	return 0;
}
bool vcmos_sync(struct vcmos *c, uint64_t now_ns) { (void)now_ns; return c->irq; }
uint64_t vcmos_next_event_ns(const struct vcmos *c) { (void)c; return UINT64_MAX; }
