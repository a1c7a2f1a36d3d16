/* l2tlb.c - the L2 software TLB (see l2tlb.h): a direct-mapped hash of (ASID, VPN2). */
#include "l2tlb.h"

static uint32_t next_stamp = 1;

static unsigned slot(uint32_t vpn2, unsigned asid)
{
	return ((vpn2 >> 13) ^ (asid * 0x9e37u)) & (L2TLB_SIZE - 1);
}

void l2tlb_init(struct l2tlb *t)
{
	for (int i = 0; i < L2TLB_SIZE; i++)
		t->e[i].stamp = 0;
	l2tlb_flush_all(t);
	t->lookups = t->hits = t->inserts = 0;
}

static struct l2tlb_entry *find(struct l2tlb *t, uint32_t vpn2, unsigned asid)
{
	struct l2tlb_entry *e = &t->e[slot(vpn2, asid)];
	if (e->vpn2 == vpn2 && e->asid == asid && e->stamp == t->gen[asid])
		return e;
	return 0;
}

int l2tlb_lookup(struct l2tlb *t, uint32_t vpn2, unsigned asid, uint32_t *lo0, uint32_t *lo1)
{
	struct l2tlb_entry *e;
	t->lookups++;
	if (!(e = find(t, vpn2, asid)) && !(e = find(t, vpn2, L2TLB_GLOBAL)))
		return 0;
	t->hits++;
	*lo0 = e->lo0;
	*lo1 = e->lo1;
	return 1;
}

void l2tlb_insert(struct l2tlb *t, uint32_t vpn2, unsigned asid, uint32_t lo0, uint32_t lo1)
{
	struct l2tlb_entry *e = &t->e[slot(vpn2, asid)];
	e->vpn2 = vpn2;
	e->asid = (uint16_t)asid;
	e->stamp = t->gen[asid];
	e->lo0 = lo0;
	e->lo1 = lo1;
	t->inserts++;
}

void l2tlb_drop(struct l2tlb *t, uint32_t vpn2, unsigned asid)
{
	struct l2tlb_entry *e = find(t, vpn2, asid);
	if (e)
		e->stamp = 0;
}

void l2tlb_flush_asid(struct l2tlb *t, unsigned asid) { t->gen[asid] = next_stamp++; }

void l2tlb_flush_all(struct l2tlb *t)
{
	for (int a = 0; a <= L2TLB_GLOBAL; a++)
		l2tlb_flush_asid(t, a);
}
