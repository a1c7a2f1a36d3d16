/* vata.h - a virtual ATA (IDE) channel with up to two PIO disks: primary at 0x1F0-0x1F7/0x3F6 (IRQ
 * 14), secondary at 0x170-0x177/0x376 (IRQ 15). IDENTIFY DEVICE, READ/WRITE SECTORS and MULTIPLE
 * (LBA28 and CHS), SET MULTIPLE MODE, nIEN, software reset, status/alternate status. A disk's bytes
 * come from a struct blkcow: reads see the module, writes go to the VM's private copy. */
#ifndef ARCH_VATA_H
#define ARCH_VATA_H
#include <stdint.h>
#include <stdbool.h>
#include "../../../mm/blkcow.h"

struct vata_drive {
	struct blkcow *disk;    /* 0: no drive in this slot */
	uint8_t multiple;       /* sectors per block for READ/WRITE MULTIPLE (0: not set) */
};

struct vata {
	uint16_t cmd_base, ctl_port;
	unsigned irq;
	struct vata_drive drive[2];
	uint8_t feature, count, lba0, lba1, lba2, dev, status, error, ctl;
	uint8_t cmd;                    /* command in progress */
	uint8_t buf[512 * 16];          /* data of the current block */
	unsigned buf_pos, buf_len;
	uint32_t remaining;             /* sectors left in the command */
	uint64_t lba;                   /* next sector */
	bool irq_level;
	uint64_t unimplemented_reported;/* bit per command byte class reported once */
};

/* A channel with no drives (cmd_base 0x1F0/ctl 0x3F6/irq 14, or 0x170/0x376/15). */
void vata_init(struct vata *a, uint16_t cmd_base, uint16_t ctl_port, unsigned irq);
/* Put a disk in slot 0 (master) or 1 (slave). */
void vata_attach(struct vata *a, unsigned slot, struct blkcow *disk);
/* Byte-wide register access, and 16/32-bit access to the data register: 1 if claimed. */
int vata_io(struct vata *a, uint16_t port, unsigned size, bool write, uint32_t *val);

#endif
