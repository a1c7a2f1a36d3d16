/* testdisk.h - the test disks of the device tests, shared by the image builder (tools/mkdisk.c,
 * on the host) and the guest (kernel/devtest.c): sector 0 is a text label naming the IDE slot the
 * image belongs in, every other sector i holds 128 words testdisk_word(seed, i, k). Writes by the
 * tests use seed + TESTDISK_WRITE_SEED, so a stale or misplaced write is told apart. */
#ifndef GUEST_TESTDISK_H
#define GUEST_TESTDISK_H
#include <stdint.h>

#define TESTDISK_SECTORS 2048		/* 1 MiB */
#define TESTDISK_MAGIC "GUESTX86-TESTDISK"	/* label: MAGIC slot=hda sectors=N seed=0x...\n */
#define TESTDISK_SEED(slot) (0x5EED0000u + (uint32_t)(slot))	/* slot 0 hda .. 3 hdd */
#define TESTDISK_WRITE_SEED 0x00A50000u

/* A bijection of (lba, k) for one seed, different for every seed: a sector read from the wrong
 * place, the wrong disk, or half old and half new shows. */
static inline uint32_t testdisk_word(uint32_t seed, uint32_t lba, uint32_t k)
{
	uint32_t x = (lba * 0x10001u + k) * 0x9E3779B1u;
	return (x ^ (x >> 15)) ^ (seed * 0x85EBCA77u);
}
#endif
