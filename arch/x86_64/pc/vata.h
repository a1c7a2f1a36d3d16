/* vata.h - a virtual ATA (IDE) channel with up to two PIO disks: primary at 0x1F0-0x1F7/0x3F6 (IRQ
 * 14), secondary at 0x170-0x177/0x376 (IRQ 15). A disk's bytes come from a struct blkcow: reads
 * see the module, writes go to the VM's private copy.
 *
 * What a guest sees (QEMU's IDE disk is the model for register behaviour):
 * - Command block: data (16-bit; a 32-bit access is two words, low first; byte reads give 0xFF,
 *   byte writes are dropped), error/features, sector count, LBA low/mid/high (sector number,
 *   cylinder low/high in CHS), device/head (bit 4 drive, bit 6 LBA; reads back with bits 7 and 5
 *   set), status/command. Control block: alternate status (read), device control (write: nIEN,
 *   SRST). Register writes go to both drives, and are ignored while the selected drive has BSY or
 *   DRQ set; a command written then is ignored too (SRST is the way out).
 * - Software reset: while SRST is set the drives show BSY; when it clears, each drive shows DRDY|DSC,
 *   error 0x01 (diagnostic passed) and the ATA disk signature (count 1, LBA low 1, mid/high 0).
 *   The selected drive stays selected (as in QEMU); no interrupt.
 * - Commands: IDENTIFY DEVICE; READ/WRITE SECTORS (with and without retries), READ/WRITE MULTIPLE,
 *   SET MULTIPLE MODE (0, 1, 2, 4, 8, 16; 0 turns it off as in QEMU; power-on setting 16, as in
 *   QEMU), READ VERIFY, INITIALIZE DEVICE PARAMETERS (sets the CHS translation), EXECUTE DEVICE
 *   DIAGNOSTIC, RECALIBRATE and SEEK, FLUSH CACHE, the IDLE/STANDBY/SLEEP/CHECK POWER MODE family,
 *   SET FEATURES (write cache, look-ahead, revert to defaults, PIO transfer modes). 28-bit LBA and
 *   CHS only: no LBA48 (IDENTIFY does not claim it, and the EXT commands are refused), no DMA, no
 *   ATAPI (IDENTIFY PACKET DEVICE, PACKET and DEVICE RESET are aborted as an ATA disk does).
 *   A sector count of 0 means 256. Transfers complete at once: BSY is never seen after a command.
 * - PIO protocol: data-in commands raise INTRQ with DRQ before each block; data-out commands set
 *   DRQ for the first block without an interrupt and raise INTRQ after each block is written. INTRQ
 *   is cleared by reading the status register (not the alternate status) or writing a command;
 *   nIEN masks it. irq_level is what vio_sync puts on the IRQ line.
 * - Errors: a sector past the end (or a CHS address outside the geometry) -> ERR, IDNF, with the
 *   address registers naming the first bad sector; a write the VMM has no memory for -> ERR|DF,
 *   ABRT; any other command -> ERR, ABRT, and the command byte is remembered so the VMM can say
 *   once per VM "ATA command 0x.. not implemented" (vata_report_unimplemented).
 * - An absent drive next to a present one: its registers read 0 (the device register reads what
 *   was written) and it ignores commands. A channel without drives claims no port: the bus floats
 *   (0xFF), as vio makes unclaimed ports. */
#ifndef ARCH_VATA_H
#define ARCH_VATA_H
#include <stdint.h>
#include <stdbool.h>
#include "../../../mm/blkcow.h"

#define VATA_MAX_MULTIPLE 16

enum vata_xfer { VATA_XFER_NONE, VATA_XFER_IDENTIFY, VATA_XFER_READ, VATA_XFER_WRITE };

struct vata_drive {
	struct blkcow *disk;    /* 0: no drive in this slot */
	uint32_t sectors;       /* capacity in 512-byte sectors (LBA28: at most 0x0FFFFFFF) */
	uint16_t cyls, heads, spt;              /* default CHS geometry (IDENTIFY words 1, 3, 6) */
	uint16_t cur_cyls, cur_heads, cur_spt;  /* current translation (words 54-56) */
	uint8_t multiple;       /* sectors per block for READ/WRITE MULTIPLE (0: off) */
	/* this drive's task file (writes from the host go to both drives; commands change their own) */
	uint8_t error, count, lba0, lba1, lba2, status;
	/* the PIO transfer in progress */
	enum vata_xfer xfer;
	bool chs;               /* the command addressed sectors in CHS */
	uint32_t lba;           /* first sector of the current block */
	uint32_t remaining;     /* sectors of the command not yet done, the current block included */
	unsigned block;         /* sectors per block of this command */
	unsigned buf_pos, buf_len;
	uint8_t buf[512 * VATA_MAX_MULTIPLE];   /* the current block */
};

struct vata {
	uint16_t cmd_base, ctl_port;
	unsigned irq;
	struct vata_drive drive[2];
	uint8_t feature, dev, ctl;      /* features, device/head, device control (both drives) */
	bool intrq;                     /* an interrupt is pending (before nIEN) */
	bool irq_level;                 /* the IRQ line: intrq and not nIEN */
	uint64_t unimpl[4];             /* command bytes refused as unknown (bitmap of 256) */
	uint64_t unimpl_reported[4];    /* ... already reported */
	bool report_pending;            /* unimpl has bytes not yet reported */
};

/* A channel with no drives (cmd_base 0x1F0/ctl 0x3F6/irq 14, or 0x170/0x376/15). */
void vata_init(struct vata *a, uint16_t cmd_base, uint16_t ctl_port, unsigned irq);
/* Put a disk in slot 0 (master) or 1 (slave), as at power-on (disk 0: empty the slot). The
 * blkcow must stay valid while attached. Default geometry: 16 heads, 63 sectors per track,
 * cylinders = sectors / (16 * 63), at least 1 and at most 16383. */
void vata_attach(struct vata *a, unsigned slot, struct blkcow *disk);
/* Byte-wide register access, and 16/32-bit access to the data register: 1 if claimed. Accesses
 * of other sizes to other ports are not claimed (vio then splits them into bytes). */
int vata_io(struct vata *a, uint16_t port, unsigned size, bool write, uint32_t *val);
/* One line "ATA command 0x.. not implemented" for every command byte refused as unknown on any
 * of the n channels (a VM's vio->ide, 2) and not reported before: once per VM and byte. Call it
 * when any channel's report_pending is set (after port I/O) or at the VM's exit (the VMM does it
 * at exit). */
void vata_report_unimplemented(struct vata *chan, unsigned n, void (*line)(void *ctx, const char *s), void *ctx);

#endif
