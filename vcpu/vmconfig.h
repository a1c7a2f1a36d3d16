/* vmconfig.h - which boot modules make up which VM (arch-neutral).
 *
 * The boot loader hands the VMM a list of modules, each with a command line. A VM is a kernel
 * module followed by the modules that belong to it, up to the next kernel module. The first word
 * of a module's command line says what it is:
 *   initrd             that VM's initial ramdisk (one at most);
 *   vmlinux            the ELF of the Linux kernel in that VM's bzImage (one at most): the VMM loads
 *                      the kernel from it and sweeps its text sections (load/linux.c);
 *   disk=hda|hdb|hdc|hdd  an ATA disk of that VM: primary master/slave, secondary master/slave;
 *                      its size must be a whole, non-zero number of 512-byte sectors;
 *   anything else      a kernel: it starts a new VM, and its command line is the guest's.
 * A disk or initrd before any kernel belongs to no VM: it is reported by name and ignored. Any
 * other mistake (two disks in one slot, a bad disk size, two initrds, an unknown disk= value) marks
 * that VM with a one-line reason naming the module: the VMM does not start it, and the others run.
 *
 * Interface: the arch fills an array of struct vmc_module (command line, size) in boot order and
 * calls vmconfig_build(); it then creates one VM per group (or round-robin over the groups for
 * vms=N). Nothing here touches memory or hardware: the host tests run it as it is. */
#ifndef VCPU_VMCONFIG_H
#define VCPU_VMCONFIG_H
#include <stdint.h>

#define VMC_MAX_MODULES 16
#define VMC_DISKS 4               /* hda hdb hdc hdd: ATA channel slot / 2, drive slot % 2 */
#define VMC_REASON 160

enum vmc_kind { VMC_KERNEL, VMC_INITRD, VMC_DISK, VMC_VMLINUX };

struct vmc_module {
	const char *cmdline;
	uint64_t size;            /* bytes */
};

struct vmc_group {
	int kernel;               /* index of the kernel module */
	const char *cmdline;      /* the kernel's command line: the guest's */
	int initrd;               /* index of the initrd module, -1: none */
	int vmlinux;              /* index of the vmlinux module, -1: none */
	int disk[VMC_DISKS];      /* index of the disk module in each slot, -1: empty */
	int ndisks;
	char error[VMC_REASON];   /* "" for a good VM; else why it is not started (names the module) */
};

struct vmc {
	struct vmc_group group[VMC_MAX_MODULES];
	int ngroups;
	char ignored[VMC_MAX_MODULES + 1][VMC_REASON];   /* modules that belong to no VM, and why */
	int nignored;
};

/* What a module is, from the first word of its command line. For VMC_DISK, *slot is 0..3 (hda..hdd)
 * or -1 when the word names no slot (e.g. "disk=hde"). */
enum vmc_kind vmc_classify(const char *cmdline, int *slot);
/* "hda".."hdd". */
const char *vmc_slot_name(int slot);
/* Group n modules (at most VMC_MAX_MODULES; more are reported in ignored[]) into VMs. */
void vmconfig_build(const struct vmc_module *mods, int n, struct vmc *out);

#endif
