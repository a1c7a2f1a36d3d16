/* mkdisk.c - build one test disk image for the guest's ATA tests (host program).
 * Usage: mkdisk SLOT OUTPUT   (SLOT is hda, hdb, hdc or hdd). Layout: include/testdisk.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../include/testdisk.h"

int main(int argc, char **argv)
{
	static const char *const slots[4] = { "hda", "hdb", "hdc", "hdd" };
	unsigned char sector[512];
	int slot = -1, i;
	uint32_t lba, k;
	FILE *f;

	for (i = 0; argc == 3 && i < 4; i++)
		if (!strcmp(argv[1], slots[i]))
			slot = i;
	if (slot < 0) {
		fprintf(stderr, "usage: mkdisk hda|hdb|hdc|hdd OUTPUT\n");
		return 2;
	}
	if (!(f = fopen(argv[2], "wb"))) {
		perror(argv[2]);
		return 1;
	}
	memset(sector, 0, sizeof(sector));
	snprintf((char *)sector, sizeof(sector), "%s slot=%s sectors=%u seed=%#x\n", TESTDISK_MAGIC,
		 slots[slot], TESTDISK_SECTORS, TESTDISK_SEED(slot));
	fwrite(sector, 1, sizeof(sector), f);
	for (lba = 1; lba < TESTDISK_SECTORS; lba++) {
		for (k = 0; k < 128; k++) {
			uint32_t w = testdisk_word(TESTDISK_SEED(slot), lba, k);
			sector[4 * k] = (unsigned char)w;	/* little endian, as the guest reads it */
			sector[4 * k + 1] = (unsigned char)(w >> 8);
			sector[4 * k + 2] = (unsigned char)(w >> 16);
			sector[4 * k + 3] = (unsigned char)(w >> 24);
		}
		fwrite(sector, 1, sizeof(sector), f);
	}
	if (fclose(f) != 0) {
		perror(argv[2]);
		return 1;
	}
	return 0;
}
