/* vata.c - the ATA PIO channel model (see vata.h for what a guest sees).
 *
 * Each drive keeps its own task file, status and transfer; the host's register writes go to both
 * drives (they share the cable), commands to the selected one. A command runs to completion when it
 * is written: a data-in command loads its first block, a data-out command waits for its first
 * block; each block boundary on the data port moves to the next block. The VM never sees BSY. */
#include "vata.h"
#include "../../../lib/kstring.h"
#include "../../../lib/format.h"

#define ST_ERR  0x01
#define ST_DRQ  0x08
#define ST_DSC  0x10
#define ST_DF   0x20
#define ST_DRDY 0x40
#define ST_BSY  0x80

#define ER_DIAG_OK 0x01 /* diagnostic code: device 0 passed (device 1 passed or absent) */
#define ER_ABRT 0x04
#define ER_IDNF 0x10

#define DEV_HEAD 0x0F
#define DEV_DRV  0x10
#define DEV_LBA  0x40
#define DEV_ONES 0xA0   /* obsolete bits 7 and 5: read back as 1 */

#define CTL_NIEN 0x02
#define CTL_SRST 0x04

#define LBA28_MAX 0x0FFFFFFFu
#define DEFAULT_HEADS 16
#define DEFAULT_SPT 63
#define MAX_CYLS 16383

/* ---- the channel ---- */

static bool has_drives(const struct vata *a)
{
	return a->drive[0].disk || a->drive[1].disk;
}

static struct vata_drive *selected(struct vata *a)
{
	return &a->drive[(a->dev & DEV_DRV) ? 1 : 0];
}

static void update_irq(struct vata *a)
{
	a->irq_level = a->intrq && !(a->ctl & CTL_NIEN);
}

static void raise_irq(struct vata *a)
{
	a->intrq = true;
	update_irq(a);
}

/* What a drive shows after power-on, reset or EXECUTE DEVICE DIAGNOSTIC. */
static void signature(struct vata_drive *d)
{
	d->count = 1;
	d->lba0 = 1;
	d->lba1 = d->lba2 = 0;
	d->error = ER_DIAG_OK;
}

static void stop_xfer(struct vata_drive *d)
{
	d->xfer = VATA_XFER_NONE;
	d->buf_pos = d->buf_len = 0;
	d->remaining = 0;
	d->status &= (uint8_t)~ST_DRQ;
}

void vata_init(struct vata *a, uint16_t cmd_base, uint16_t ctl_port, unsigned irq)
{
	memset(a, 0, sizeof *a);
	a->cmd_base = cmd_base, a->ctl_port = ctl_port, a->irq = irq;
	a->dev = DEV_ONES;
}

static void set_cur_geometry(struct vata_drive *d, unsigned heads, unsigned spt)
{
	uint32_t cyls = d->sectors / (heads * spt);
	d->cur_heads = (uint16_t)heads;
	d->cur_spt = (uint16_t)spt;
	d->cur_cyls = (uint16_t)(cyls > 0xFFFF ? 0xFFFF : cyls);
}

void vata_attach(struct vata *a, unsigned slot, struct blkcow *disk)
{
	struct vata_drive *d = &a->drive[slot & 1];
	memset(d, 0, sizeof *d);
	if (!disk)
		return;
	d->disk = disk;
	uint64_t n = disk->size / 512;
	d->sectors = n > LBA28_MAX ? LBA28_MAX : (uint32_t)n;
	uint32_t cyls = d->sectors / (DEFAULT_HEADS * DEFAULT_SPT);
	d->cyls = (uint16_t)(cyls == 0 ? 1 : cyls > MAX_CYLS ? MAX_CYLS : cyls);
	d->heads = DEFAULT_HEADS;
	d->spt = DEFAULT_SPT;
	d->cur_cyls = d->cyls, d->cur_heads = d->heads, d->cur_spt = d->spt;
	d->multiple = VATA_MAX_MULTIPLE;
	d->status = ST_DRDY | ST_DSC;
	signature(d);
}

/* ---- addresses ---- */

/* The first sector the command names, from the task file: 0, or -1 for a CHS address outside the
 * current translation (sector 0, head or sector too large, cylinder past the last). */
static int cmd_address(const struct vata *a, const struct vata_drive *d, uint32_t *lba)
{
	if (a->dev & DEV_LBA) {
		*lba = (uint32_t)(a->dev & DEV_HEAD) << 24 | (uint32_t)d->lba2 << 16 |
		       (uint32_t)d->lba1 << 8 | d->lba0;
		return 0;
	}
	unsigned cyl = d->lba1 | (unsigned)d->lba2 << 8, head = a->dev & DEV_HEAD, sec = d->lba0;
	if (sec == 0 || sec > d->cur_spt || head >= d->cur_heads || cyl >= d->cur_cyls)
		return -1;
	*lba = ((uint32_t)cyl * d->cur_heads + head) * d->cur_spt + sec - 1;
	return 0;
}

/* Write sector `lba` back into the address registers, in the form the command used. */
static void set_address(struct vata *a, struct vata_drive *d, uint32_t lba)
{
	uint8_t head;
	if (d->chs) {
		uint32_t track = lba / d->cur_spt;
		uint32_t cyl = track / d->cur_heads;
		head = (uint8_t)(track % d->cur_heads);
		d->lba0 = (uint8_t)(lba % d->cur_spt + 1);
		d->lba1 = (uint8_t)cyl;
		d->lba2 = (uint8_t)(cyl >> 8);
	} else {
		d->lba0 = (uint8_t)lba;
		d->lba1 = (uint8_t)(lba >> 8);
		d->lba2 = (uint8_t)(lba >> 16);
		head = (uint8_t)((lba >> 24) & DEV_HEAD);
	}
	a->dev = (uint8_t)((a->dev & ~DEV_HEAD) | head);
}

/* ---- command endings ---- */

static void complete(struct vata *a, struct vata_drive *d)
{
	stop_xfer(d);
	d->status = ST_DRDY | ST_DSC;
	raise_irq(a);
}

static void fail(struct vata *a, struct vata_drive *d, uint8_t error, uint8_t status)
{
	stop_xfer(d);
	d->error = error;
	d->status = status;
	raise_irq(a);
}

static void abort_cmd(struct vata *a, struct vata_drive *d)
{
	fail(a, d, ER_ABRT, ST_DRDY | ST_ERR);
}

/* Sector `lba` (and count: what was left) is where the command could not go on. */
static void fail_idnf(struct vata *a, struct vata_drive *d, uint32_t lba, uint32_t left)
{
	set_address(a, d, lba & LBA28_MAX);
	d->count = (uint8_t)left;
	fail(a, d, ER_IDNF, ST_DRDY | ST_ERR);
}

/* The sectors a command names (its first sector, how many): true if they are all on the disk,
 * else the command has failed with IDNF. */
static bool sectors_ok(struct vata *a, struct vata_drive *d, uint32_t *lba, uint32_t *n)
{
	*n = d->count ? d->count : 256;
	d->chs = !(a->dev & DEV_LBA);
	if (cmd_address(a, d, lba) < 0) {
		fail(a, d, ER_IDNF, ST_DRDY | ST_ERR);  /* the bad address stays in the registers */
		return false;
	}
	if (*lba >= d->sectors)
		fail_idnf(a, d, *lba, *n);
	else if (*n > d->sectors - *lba)
		fail_idnf(a, d, d->sectors, *n - (d->sectors - *lba));
	else
		return true;
	return false;
}

/* ---- IDENTIFY DEVICE ---- */

static void put16(uint8_t *buf, unsigned word, unsigned v)
{
	buf[2 * word] = (uint8_t)v;
	buf[2 * word + 1] = (uint8_t)(v >> 8);
}

/* An ATA string: the first character of each pair is the high byte of its word (so the bytes of
 * each word are swapped in memory), padded with spaces. */
static void put_string(uint8_t *buf, unsigned word, unsigned nwords, const char *s)
{
	for (unsigned i = 0; i < 2 * nwords; i++) {
		char c = *s ? *s++ : ' ';
		buf[2 * word + (i ^ 1)] = (uint8_t)c;
	}
}

static void identify(const struct vata *a, const struct vata_drive *d, uint8_t *buf)
{
	char serial[21];
	memset(buf, 0, 512);
	snprintf_(serial, sizeof serial, "VMM%04X-%u", a->cmd_base, (unsigned)(d - a->drive));
	put16(buf, 0, 0x0040);                  /* fixed disk, not removable, ATA */
	put16(buf, 1, d->cyls);
	put16(buf, 3, d->heads);
	put16(buf, 6, d->spt);
	put_string(buf, 10, 10, serial);
	put_string(buf, 23, 4, "1.0");
	put_string(buf, 27, 20, "VMM VIRTUAL ATA DISK");
	put16(buf, 47, 0x8000 | VATA_MAX_MULTIPLE);
	put16(buf, 48, 0x0001);                 /* doubleword I/O */
	put16(buf, 49, 1u << 11 | 1u << 9);     /* IORDY supported, LBA supported; no DMA */
	put16(buf, 51, 0x0200);                 /* PIO mode 2 timing */
	put16(buf, 53, 0x0003);                 /* words 54-58 and 64-70 are valid */
	put16(buf, 54, d->cur_cyls);
	put16(buf, 55, d->cur_heads);
	put16(buf, 56, d->cur_spt);
	uint32_t chs = (uint32_t)d->cur_cyls * d->cur_heads * d->cur_spt;
	put16(buf, 57, chs & 0xFFFF);
	put16(buf, 58, chs >> 16);
	put16(buf, 59, d->multiple ? 0x0100 | d->multiple : 0);
	put16(buf, 60, d->sectors & 0xFFFF);
	put16(buf, 61, d->sectors >> 16);
	put16(buf, 64, 0x0003);                 /* PIO modes 3 and 4 */
	put16(buf, 65, 120);
	put16(buf, 66, 120);
	put16(buf, 67, 120);
	put16(buf, 68, 120);
	put16(buf, 80, 0x007E);                 /* ATA-1 .. ATA/ATAPI-6 */
	put16(buf, 81, 0x0022);                 /* ATA/ATAPI-6 published, ANSI INCITS 361-2002 */
	put16(buf, 82, 1u << 14);               /* NOP (which aborts, as it must) */
	put16(buf, 83, 1u << 14 | 1u << 12);    /* FLUSH CACHE; bit 10 (48-bit addressing) clear */
	put16(buf, 84, 1u << 14);
	put16(buf, 85, 1u << 14);
	put16(buf, 86, 1u << 12);               /* FLUSH CACHE; no 48-bit addressing */
	put16(buf, 87, 1u << 14);
	uint8_t sum = 0xA5;                     /* word 255: signature, then the checksum byte */
	for (unsigned i = 0; i < 510; i++)
		sum = (uint8_t)(sum + buf[i]);
	buf[510] = 0xA5;
	buf[511] = (uint8_t)-sum;
}

/* ---- sector transfers ---- */

/* Set up the next block of the command (d->lba, d->remaining). A data-in block is read now and
 * announced with an interrupt; a data-out block waits for the host (the interrupt for it, if any,
 * was raised by the end of the previous block). */
static void next_block(struct vata *a, struct vata_drive *d)
{
	uint32_t k = d->remaining < d->block ? d->remaining : d->block;
	d->buf_pos = 0;
	d->buf_len = k * 512;
	if (d->xfer == VATA_XFER_READ &&
	    blkcow_read(d->disk, (uint64_t)d->lba * 512, d->buf, d->buf_len) < 0) {
		fail_idnf(a, d, d->lba, d->remaining);  /* cannot happen: the range was checked */
		return;
	}
	d->status = ST_DRDY | ST_DSC | ST_DRQ;
	if (d->xfer == VATA_XFER_READ)
		raise_irq(a);
}

/* READ/WRITE SECTORS and MULTIPLE: `block` sectors per DRQ block. */
static void start_rw(struct vata *a, struct vata_drive *d, bool write, unsigned block)
{
	uint32_t lba, n;
	if (!sectors_ok(a, d, &lba, &n))
		return;
	d->xfer = write ? VATA_XFER_WRITE : VATA_XFER_READ;
	d->lba = lba;
	d->remaining = n;
	d->block = block;
	next_block(a, d);
}

/* The host has read or written the whole current block. */
static void block_done(struct vata *a, struct vata_drive *d)
{
	if (d->xfer == VATA_XFER_IDENTIFY) {
		stop_xfer(d);
		d->status = ST_DRDY | ST_DSC;           /* data-in: no interrupt at the end */
		return;
	}
	uint32_t k = d->buf_len / 512;
	if (d->xfer == VATA_XFER_WRITE &&
	    blkcow_write(d->disk, (uint64_t)d->lba * 512, d->buf, d->buf_len) < 0) {
		/* the VMM has no frame for the VM's copy: the guest sees a device fault */
		set_address(a, d, d->lba);
		d->count = (uint8_t)d->remaining;
		fail(a, d, ER_ABRT, ST_DRDY | ST_DF | ST_ERR);
		return;
	}
	d->lba += k;
	d->remaining -= k;
	set_address(a, d, d->lba - 1);              /* the last sector transferred */
	d->count = (uint8_t)d->remaining;
	if (d->remaining) {
		next_block(a, d);
		if (d->xfer == VATA_XFER_WRITE)
			raise_irq(a);                   /* block written, DRQ for the next one */
		return;
	}
	bool write = d->xfer == VATA_XFER_WRITE;
	stop_xfer(d);
	d->status = ST_DRDY | ST_DSC;
	if (write)
		raise_irq(a);                           /* the last block is on the disk */
}

static uint16_t data_in(struct vata *a)
{
	struct vata_drive *d = selected(a);
	if (!d->disk || !(d->status & ST_DRQ) || d->xfer == VATA_XFER_WRITE)
		return 0;                               /* as QEMU: nothing to read gives 0 */
	uint16_t w = (uint16_t)(d->buf[d->buf_pos] | d->buf[d->buf_pos + 1] << 8);
	d->buf_pos += 2;
	if (d->buf_pos >= d->buf_len)
		block_done(a, d);
	return w;
}

static void data_out(struct vata *a, uint16_t w)
{
	struct vata_drive *d = selected(a);
	if (!d->disk || !(d->status & ST_DRQ) || d->xfer != VATA_XFER_WRITE)
		return;
	d->buf[d->buf_pos] = (uint8_t)w;
	d->buf[d->buf_pos + 1] = (uint8_t)(w >> 8);
	d->buf_pos += 2;
	if (d->buf_pos >= d->buf_len)
		block_done(a, d);
}

/* ---- commands ---- */

static void unimplemented(struct vata *a, struct vata_drive *d, uint8_t cmd)
{
	uint64_t bit = 1ULL << (cmd & 63);
	if (!(a->unimpl[cmd >> 6] & bit) && !(a->unimpl_reported[cmd >> 6] & bit)) {
		a->unimpl[cmd >> 6] |= bit;
		a->report_pending = true;
	}
	abort_cmd(a, d);
}

static void set_features(struct vata *a, struct vata_drive *d)
{
	switch (a->feature) {
	case 0x02: case 0x82:           /* write cache on/off: there is no cache to speak of */
	case 0x55: case 0xAA:           /* read look-ahead off/on */
	case 0x66: case 0xCC:           /* power-on defaults after reset: keep/revert */
		complete(a, d);
		return;
	case 0x03:                      /* transfer mode: PIO default (0, 1) or PIO mode 0-4 */
		if (d->count <= 0x01 || (d->count >= 0x08 && d->count <= 0x0C))
			complete(a, d);
		else
			abort_cmd(a, d);        /* DMA modes: there is no DMA */
		return;
	default:
		abort_cmd(a, d);
	}
}

static void diagnostic(struct vata *a)
{
	for (int i = 0; i < 2; i++) {
		struct vata_drive *d = &a->drive[i];
		if (!d->disk)
			continue;
		stop_xfer(d);
		signature(d);
		d->status = ST_DRDY | ST_DSC;
	}
	a->dev &= (uint8_t)~DEV_HEAD;
	raise_irq(a);
}

static void command(struct vata *a, uint8_t cmd)
{
	struct vata_drive *d = selected(a);
	if (!d->disk)
		return;                                 /* nobody is there to answer */
	if (d->status & (ST_BSY | ST_DRQ))
		return;                                 /* as QEMU: busy or in a transfer */
	a->intrq = false;                               /* a new command acknowledges INTRQ */
	update_irq(a);
	d->error = 0;
	d->status = ST_DRDY | ST_DSC;
	switch (cmd) {
	case 0xEC:                                      /* IDENTIFY DEVICE */
		identify(a, d, d->buf);
		d->xfer = VATA_XFER_IDENTIFY;
		d->buf_pos = 0;
		d->buf_len = 512;
		d->status = ST_DRDY | ST_DSC | ST_DRQ;
		raise_irq(a);
		break;
	case 0x20: case 0x21:                           /* READ SECTORS (with/without retries) */
		start_rw(a, d, false, 1);
		break;
	case 0x30: case 0x31:                           /* WRITE SECTORS */
		start_rw(a, d, true, 1);
		break;
	case 0xC4: case 0xC5:                           /* READ / WRITE MULTIPLE */
		if (!d->multiple)
			abort_cmd(a, d);
		else
			start_rw(a, d, cmd == 0xC5, d->multiple);
		break;
	case 0xC6:                                      /* SET MULTIPLE MODE */
		if (d->count > VATA_MAX_MULTIPLE || (d->count & (d->count - 1))) {
			abort_cmd(a, d);
		} else {
			d->multiple = d->count;
			complete(a, d);
		}
		break;
	case 0x40: case 0x41: {                         /* READ VERIFY SECTORS */
		uint32_t lba, n;
		if (sectors_ok(a, d, &lba, &n))
			complete(a, d);
		break;
	}
	case 0x91:                                      /* INITIALIZE DEVICE PARAMETERS */
		if (d->count == 0) {
			abort_cmd(a, d);
		} else {
			set_cur_geometry(d, (a->dev & DEV_HEAD) + 1u, d->count);
			complete(a, d);
		}
		break;
	case 0x90:                                      /* EXECUTE DEVICE DIAGNOSTIC */
		diagnostic(a);
		break;
	case 0xE5: case 0x98:                           /* CHECK POWER MODE: active or idle */
		d->count = 0xFF;
		complete(a, d);
		break;
	case 0xE0: case 0xE1: case 0xE2: case 0xE3:     /* STANDBY/IDLE (IMMEDIATE) */
	case 0x94: case 0x95: case 0x96: case 0x97:     /* ... their ATA-1 numbers */
	case 0xE6: case 0x99:                           /* SLEEP: we stay awake */
	case 0xE7:                                      /* FLUSH CACHE: writes are already there */
		complete(a, d);
		break;
	case 0xEF:                                      /* SET FEATURES */
		set_features(a, d);
		break;
	case 0x00:                                      /* NOP: always aborts */
	case 0x08: case 0xA0: case 0xA1:                /* ATAPI: DEVICE RESET, PACKET, IDENTIFY PACKET */
		abort_cmd(a, d);
		break;
	default:
		if ((cmd & 0xF0) == 0x10 || (cmd & 0xF0) == 0x70) {
			complete(a, d);                 /* RECALIBRATE, SEEK: nothing moves */
			break;
		}
		unimplemented(a, d, cmd);
	}
}

/* Device control: nIEN, and SRST (both drives). */
static void control(struct vata *a, uint8_t val)
{
	bool was = a->ctl & CTL_SRST, now = val & CTL_SRST;
	for (int i = 0; i < 2; i++) {
		struct vata_drive *d = &a->drive[i];
		if (!d->disk)
			continue;
		if (!was && now) {                      /* reset asserted: busy until released */
			stop_xfer(d);
			d->status = ST_BSY | ST_DSC;
			d->error = ER_DIAG_OK;
		} else if (was && !now) {               /* released: ready, with the signature */
			d->status = ST_DRDY | ST_DSC;
			signature(d);
		}
	}
	if (was != now) {
		a->intrq = false;
		a->dev &= (uint8_t)~DEV_HEAD;
	}
	a->ctl = val;
	update_irq(a);
}

/* ---- ports ---- */

int vata_io(struct vata *a, uint16_t port, unsigned size, bool write, uint32_t *val)
{
	if (!has_drives(a))
		return 0;                               /* no drive decodes these addresses */
	struct vata_drive *d = selected(a);
	bool here = d->disk != 0;
	if (port == a->ctl_port) {
		if (size != 1)
			return 0;
		if (write)
			control(a, (uint8_t)*val);
		else
			*val = here ? d->status : 0;    /* alternate status: INTRQ stays */
		return 1;
	}
	if (port < a->cmd_base || port > a->cmd_base + 7)
		return 0;
	unsigned reg = port - a->cmd_base;
	if (reg == 0) {
		if (size == 1) {                        /* 8-bit data transfers are not enabled */
			if (!write)
				*val = 0xFF;
			return 1;
		}
		if (size != 2 && size != 4)
			return 0;
		if (write) {
			data_out(a, (uint16_t)*val);
			if (size == 4)
				data_out(a, (uint16_t)(*val >> 16));
		} else {
			uint32_t v = data_in(a);
			if (size == 4)
				v |= (uint32_t)data_in(a) << 16;
			*val = v;
		}
		return 1;
	}
	if (size != 1)
		return 0;
	uint8_t b = (uint8_t)*val;
	if (write) {
		if (reg == 7) {
			command(a, b);
			return 1;
		}
		if (here && (d->status & (ST_BSY | ST_DRQ)))
			return 1;                       /* as QEMU: not while busy or transferring */
		for (int i = 0; i < 2; i++) {
			struct vata_drive *e = &a->drive[i];
			switch (reg) {
			case 2: e->count = b; break;
			case 3: e->lba0 = b; break;
			case 4: e->lba1 = b; break;
			case 5: e->lba2 = b; break;
			}
		}
		if (reg == 1)
			a->feature = b;
		if (reg == 6)
			a->dev = b | DEV_ONES;
		return 1;
	}
	switch (reg) {
	case 1: *val = here ? d->error : 0; break;
	case 2: *val = here ? d->count : 0; break;
	case 3: *val = here ? d->lba0 : 0; break;
	case 4: *val = here ? d->lba1 : 0; break;
	case 5: *val = here ? d->lba2 : 0; break;
	case 6: *val = a->dev; break;
	case 7:
		*val = here ? d->status : 0;
		a->intrq = false;                       /* reading status acknowledges INTRQ */
		update_irq(a);
		break;
	}
	return 1;
}

void vata_report_unimplemented(struct vata *chan, unsigned n, void (*line)(void *ctx, const char *s), void *ctx)
{
	for (unsigned cmd = 0; cmd < 256; cmd++) {
		uint64_t bit = 1ULL << (cmd & 63);
		bool seen = false, done = false;
		for (unsigned i = 0; i < n; i++) {
			seen |= (chan[i].unimpl[cmd >> 6] & bit) != 0;
			done |= (chan[i].unimpl_reported[cmd >> 6] & bit) != 0;
		}
		if (!seen)
			continue;
		if (!done) {
			char s[48];
			snprintf_(s, sizeof s, "ATA command 0x%02x not implemented", cmd);
			line(ctx, s);
		}
		for (unsigned i = 0; i < n; i++) {
			chan[i].unimpl[cmd >> 6] &= ~bit;
			chan[i].unimpl_reported[cmd >> 6] |= bit;
		}
	}
	for (unsigned i = 0; i < n; i++)
		chan[i].report_pending = false;
}
