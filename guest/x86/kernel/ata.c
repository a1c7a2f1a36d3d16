/* ata.c - ATA disks by PIO on the two legacy IDE channels (primary 0x1F0-0x1F7 + 0x3F6 on IRQ 14,
 * secondary 0x170-0x177 + 0x376 on IRQ 15): software reset through the device control register,
 * IDENTIFY DEVICE (telling disks from packet devices and empty slots), READ/WRITE SECTORS with
 * LBA28 or CHS addresses, SET MULTIPLE MODE and READ/WRITE MULTIPLE, no-data commands, each
 * either polled (nIEN set) or driven by the channel's interrupt. Slots: 0 hda (primary master),
 * 1 hdb (primary slave), 2 hdc (secondary master), 3 hdd (secondary slave). */
#include "kernel.h"
#include "x86.h"
#include "drivers.h"

#define R_DATA 0
#define R_ERROR 1
#define R_COUNT 2
#define R_LBA0 3	/* sector number */
#define R_LBA1 4	/* cylinder low */
#define R_LBA2 5	/* cylinder high */
#define R_DEVICE 6
#define R_STATUS 7
#define R_COMMAND 7

#define ST_BSY 0x80
#define ST_DRDY 0x40
#define ST_DF 0x20
#define ST_DRQ 0x08
#define ST_ERR 0x01
#define CTL_NIEN 0x02
#define CTL_SRST 0x04

#define CMD_READ 0x20
#define CMD_WRITE 0x30
#define CMD_READ_MULTIPLE 0xC4
#define CMD_WRITE_MULTIPLE 0xC5
#define CMD_SET_MULTIPLE 0xC6
#define CMD_FLUSH_CACHE 0xE7
#define CMD_IDENTIFY 0xEC

struct ata_dev ata_devs[4];
const char *const ata_slot_name[4] = { "hda", "hdb", "hdc", "hdd" };
static const uint16_t cmd_base[2] = { 0x1F0, 0x170 }, ctl_port[2] = { 0x3F6, 0x376 };
static volatile unsigned irq_seen[2];
static volatile uint8_t irq_status[2];
static int mult[4];	/* sectors per DRQ block set by SET MULTIPLE MODE, 0 = not set */

/* ---- waiting, with PIT channel 2 as the clock so that timeouts are real time ---- */

struct deadline {
	unsigned chunks;	/* 50 ms PIT periods left */
};

static void deadline_start(struct deadline *d, unsigned ms)
{
	d->chunks = ms / 50 + 1;
	pit2_start(59659);	/* 50 ms */
}

static int deadline_passed(struct deadline *d)
{
	if (!pit2_done())
		return 0;
	if (!--d->chunks)
		return 1;
	pit2_start(59659);
	return 0;
}

static uint8_t alt_status(int ch) { return inb(ctl_port[ch]); }

static void delay400ns(int ch)
{
	int i;
	for (i = 0; i < 4; i++)	/* each alternate-status read takes at least 100 ns */
		(void)alt_status(ch);
}

/* Poll until BSY clears; the status (regular register: this also drops INTRQ), 0xFF on timeout. */
static uint8_t wait_not_busy(int ch, unsigned ms)
{
	struct deadline d;
	deadline_start(&d, ms);
	while (alt_status(ch) & ST_BSY)
		if (deadline_passed(&d))
			return 0xFF;
	return inb(cmd_base[ch] + R_STATUS);
}

/* Wait for the channel's interrupt (IF on meanwhile); the status its handler read, 0xFF if none. */
static uint8_t wait_irq(int ch, unsigned before, unsigned ms)
{
	struct deadline d;
	uint8_t st = 0xFF;

	deadline_start(&d, ms);
	sti();
	while (irq_seen[ch] == before)
		if (deadline_passed(&d))
			break;
	cli();
	if (irq_seen[ch] != before)
		st = irq_status[ch];
	return st;
}

static void ata_irq(int ch)
{
	irq_status[ch] = inb(cmd_base[ch] + R_STATUS);	/* reading the status acknowledges */
	irq_seen[ch]++;
}
static void ata_irq14(void) { ata_irq(0); }
static void ata_irq15(void) { ata_irq(1); }

unsigned ata_irq_count(int channel)
{
	return irq_seen[channel];
}

void ata_init(void)
{
	intr_set_handler(VEC_IRQ0 + 14, ata_irq14);
	intr_set_handler(VEC_IRQ0 + 15, ata_irq15);
	irq_unmask(14);
	irq_unmask(15);
}

void ata_fini(void)
{
	irq_mask(14);
	irq_mask(15);
}

/* ---- reset, select, identify ---- */

int ata_reset(int ch)
{
	uint8_t st;
	struct deadline d;

	outb(ctl_port[ch], CTL_SRST | CTL_NIEN);
	pit_delay_us(10);	/* SRST held at least 5 us */
	outb(ctl_port[ch], CTL_NIEN);
	pit_delay_us(2000);	/* devices set BSY within 400 ns; look after 2 ms */
	st = alt_status(ch);
	if (st == 0xFF)	/* nothing drives the bus */
		return 0;
	deadline_start(&d, 3000);
	while (alt_status(ch) & ST_BSY)
		if (deadline_passed(&d))
			return -1;
	return 0;
}

static void select_dev(int slot, uint8_t head_bits)
{
	int ch = slot >> 1;
	outb(cmd_base[ch] + R_DEVICE, (uint8_t)(0xA0 | (slot & 1) << 4 | head_bits));
	delay400ns(ch);
}

void ata_signature(int slot, uint8_t sig[4])
{
	int ch = slot >> 1, i;
	select_dev(slot, 0);
	for (i = 0; i < 4; i++)
		sig[i] = inb(cmd_base[ch] + R_COUNT + i);	/* count, LBA low, mid, high */
}

static void read_words(int ch, void *buf, unsigned words)
{
	uint32_t p = (uint32_t)buf;
	__asm__ volatile("rep insw" : "+D"(p), "+c"(words) : "d"(cmd_base[ch]) : "memory");
}

static void write_words(int ch, const void *buf, unsigned words)
{
	uint32_t p = (uint32_t)buf;
	__asm__ volatile("rep outsw" : "+S"(p), "+c"(words) : "d"(cmd_base[ch]) : "memory");
}

int ata_probe(int slot)
{
	struct ata_dev *d = &ata_devs[slot];
	int ch = slot >> 1, b = cmd_base[ch];
	uint8_t st;

	memset(d, 0, sizeof(*d));
	outb(ctl_port[ch], CTL_NIEN);
	select_dev(slot, 0);
	st = alt_status(ch);
	if (st == 0xFF || st == 0x7F)	/* a floating bus: no device on this channel */
		return d->kind = ATA_NONE;
	outb(b + R_COUNT, 0);
	outb(b + R_LBA0, 0);
	outb(b + R_LBA1, 0);
	outb(b + R_LBA2, 0);
	outb(b + R_COMMAND, CMD_IDENTIFY);
	delay400ns(ch);
	if (alt_status(ch) == 0)	/* nobody took the command */
		return d->kind = ATA_NONE;
	st = wait_not_busy(ch, 3000);
	d->sig_lbam = inb(b + R_LBA1);
	d->sig_lbah = inb(b + R_LBA2);
	if (st == 0xFF)
		return d->kind = ATA_UNKNOWN;
	if (st & ST_ERR) {	/* aborted: a packet device says so in the cylinder registers */
		if ((d->sig_lbam == 0x14 && d->sig_lbah == 0xEB) ||
		    (d->sig_lbam == 0x69 && d->sig_lbah == 0x96))
			return d->kind = ATA_ATAPI;
		return d->kind = ATA_NONE;
	}
	if (!(st & ST_DRQ))
		return d->kind = ATA_UNKNOWN;
	read_words(ch, d->id, 256);
	(void)wait_not_busy(ch, 1000);
	d->sectors = d->id[60] | (uint32_t)d->id[61] << 16;
	if (d->id[53] & 1) {	/* words 54-58 (current geometry) are valid */
		d->cyls = d->id[54];
		d->heads = d->id[55];
		d->spt = d->id[56];
	} else {
		d->cyls = d->id[1];
		d->heads = d->id[3];
		d->spt = d->id[6];
	}
	d->mult_max = d->id[47] & 0xFF;
	return d->kind = ATA_DISK;
}

/* ---- commands ---- */

/* Wait until the selected device can take a command: BSY clear and DRDY set. */
static int ready(int slot, int flags, uint8_t head_bits)
{
	int ch = slot >> 1;
	struct deadline d;

	outb(ctl_port[ch], (flags & ATA_F_IRQ) ? 0 : CTL_NIEN);
	select_dev(slot, head_bits);
	deadline_start(&d, 3000);
	while ((alt_status(ch) & (ST_BSY | ST_DRDY)) != ST_DRDY)
		if (deadline_passed(&d))
			return -1;
	return 0;
}

static void finish(int slot, struct ata_result *r, uint8_t st, unsigned irq0)
{
	int ch = slot >> 1;
	r->status = st;
	r->error = (st & ST_ERR) && st != 0xFF ? inb(cmd_base[ch] + R_ERROR) : 0;
	r->irqs = irq_seen[ch] - irq0;
	outb(ctl_port[ch], CTL_NIEN);
}

/* A command without data: arg goes to the count register (SET MULTIPLE MODE takes it there). */
static int no_data(int slot, uint8_t cmd, uint8_t arg, struct ata_result *r)
{
	int ch = slot >> 1;
	unsigned irq0 = irq_seen[ch];
	uint8_t st;

	memset(r, 0, sizeof(*r));
	if (ready(slot, 0, 0) < 0) {
		finish(slot, r, 0xFF, irq0);
		return -1;
	}
	outb(cmd_base[ch] + R_COUNT, arg);
	outb(cmd_base[ch] + R_COMMAND, cmd);
	delay400ns(ch);
	st = wait_not_busy(ch, 3000);
	finish(slot, r, st, irq0);
	return st == 0xFF || (st & (ST_ERR | ST_DF | ST_DRQ)) ? -1 : 0;
}

int ata_command(int slot, uint8_t cmd, struct ata_result *r)
{
	return no_data(slot, cmd, 0, r);
}

int ata_set_multiple(int slot, int n)
{
	struct ata_result r;

	if (no_data(slot, CMD_SET_MULTIPLE, (uint8_t)n, &r) < 0)
		return -1;
	mult[slot] = n;
	return 0;
}

int ata_flush(int slot)
{
	struct ata_result r;
	return ata_command(slot, CMD_FLUSH_CACHE, &r);
}

/* count sectors (1..256) from/to buf. Reads: each DRQ block is announced by an interrupt (or seen
 * by polling); writes: the first block is asked for without one, each block written is followed
 * by one. Every status is checked for BSY, DRQ, ERR and DF. */
int ata_rw(int slot, int write, uint32_t lba, unsigned count, void *buf, int flags,
	   struct ata_result *r)
{
	const struct ata_dev *d = &ata_devs[slot];
	int ch = slot >> 1, b = cmd_base[ch];
	unsigned per_block = (flags & ATA_F_MULTIPLE) ? (unsigned)mult[slot] : 1, left = count, irq0, n;
	uint8_t head_bits, st, cmd, *p = buf;

	memset(r, 0, sizeof(*r));
	irq0 = irq_seen[ch];
	if (count < 1 || count > 256 || per_block < 1) {
		finish(slot, r, 0xFF, irq0);
		return -1;
	}
	if (flags & ATA_F_CHS) {
		uint32_t per_cyl = (uint32_t)d->heads * d->spt, cyl;
		if (!per_cyl) {
			finish(slot, r, 0xFF, irq0);
			return -1;
		}
		cyl = lba / per_cyl;
		head_bits = (uint8_t)((lba / d->spt) % d->heads);
		lba = (cyl << 8 & 0xFFFF00) | (lba % d->spt + 1);	/* cylinder high:low, sector */
	} else {
		head_bits = 0x40 | ((lba >> 24) & 0x0F);	/* LBA mode */
	}
	if (ready(slot, flags, head_bits) < 0) {
		finish(slot, r, 0xFF, irq0);
		return -1;
	}
	outb(b + R_COUNT, (uint8_t)count);	/* 0 means 256 */
	outb(b + R_LBA0, (uint8_t)lba);
	outb(b + R_LBA1, (uint8_t)(lba >> 8));
	outb(b + R_LBA2, (uint8_t)(lba >> 16));
	cmd = (flags & ATA_F_MULTIPLE) ? (write ? CMD_WRITE_MULTIPLE : CMD_READ_MULTIPLE)
				       : (write ? CMD_WRITE : CMD_READ);
	outb(b + R_COMMAND, cmd);
	delay400ns(ch);

	st = 0;
	while (left) {
		n = left < per_block ? left : per_block;
		if (!write && (flags & ATA_F_IRQ))
			st = wait_irq(ch, irq_seen[ch], 3000);
		else
			st = wait_not_busy(ch, 3000);
		if (st == 0xFF || (st & (ST_BSY | ST_ERR | ST_DF)) || !(st & ST_DRQ))
			break;
		if (write)
			write_words(ch, p, n * 256);
		else
			read_words(ch, p, n * 256);
		r->blocks++;
		p += n * 512;
		left -= n;
		if (write && (flags & ATA_F_IRQ)) {	/* the block is on the disk, or the next is due */
			st = wait_irq(ch, irq_seen[ch], 3000);
			if (st == 0xFF || (st & (ST_ERR | ST_DF)))
				break;
		}
	}
	if (!left)	/* all data moved: the command must end with BSY and DRQ clear */
		st = (flags & ATA_F_IRQ) && write ? st : wait_not_busy(ch, 3000);
	finish(slot, r, st, irq0);
	return left || st == 0xFF || (st & (ST_BSY | ST_DRQ | ST_ERR | ST_DF)) ? -1 : 0;
}
