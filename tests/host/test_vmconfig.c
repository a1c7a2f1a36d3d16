/* test_vmconfig.c - host unit tests of vcpu/vmconfig.c: which boot modules make up which VM, and
 * the one-line reasons for the configurations the VMM refuses. KTAP output. */
#include <string.h>
#include "ktap.h"
#include "../../vcpu/vmconfig.h"

static struct vmc c;

#define M(cmd, size) { cmd, size }
#define BUILD(...) do { static const struct vmc_module m[] = { __VA_ARGS__ }; \
	vmconfig_build(m, (int)(sizeof m / sizeof m[0]), &c); } while (0)

static int has(const char *s, const char *part)
{
	return strstr(s, part) != 0;
}

static void no_disks(const struct vmc_group *g)
{
	for (int s = 0; s < VMC_DISKS; s++)
		CHECK(g->disk[s] == -1);
	CHECK(g->ndisks == 0);
}

static void classify_words(void)
{
	int slot;
	CHECK(vmc_classify("initrd", &slot) == VMC_INITRD && slot == -1);
	CHECK(vmc_classify("  initrd rootfs.cpio", &slot) == VMC_INITRD);
	CHECK(vmc_classify("initrdx", &slot) == VMC_KERNEL);
	CHECK(vmc_classify("guest-x86 initrd", &slot) == VMC_KERNEL);      /* only the first word counts */
	CHECK(vmc_classify("disk=hda", &slot) == VMC_DISK && slot == 0);
	CHECK(vmc_classify("disk=hdb", &slot) == VMC_DISK && slot == 1);
	CHECK(vmc_classify("disk=hdc", &slot) == VMC_DISK && slot == 2);
	CHECK(vmc_classify("disk=hdd extra words", &slot) == VMC_DISK && slot == 3);
	CHECK(vmc_classify("disk=hde", &slot) == VMC_DISK && slot == -1);
	CHECK(vmc_classify("disk=hdaa", &slot) == VMC_DISK && slot == -1);
	CHECK(vmc_classify("disk=", &slot) == VMC_DISK && slot == -1);
	CHECK(vmc_classify("disk", &slot) == VMC_KERNEL);
	CHECK(vmc_classify("", &slot) == VMC_KERNEL);
	CHECK(vmc_classify(0, &slot) == VMC_KERNEL);
	CHECK(strcmp(vmc_slot_name(0), "hda") == 0 && strcmp(vmc_slot_name(3), "hdd") == 0);
}

static void kernels_only(void)
{
	BUILD(M("guest-x86 test", 1000), M("hostile hlt", 500));
	CHECK(c.ngroups == 2 && c.nignored == 0);
	CHECK(c.group[0].kernel == 0 && strcmp(c.group[0].cmdline, "guest-x86 test") == 0);
	CHECK(c.group[1].kernel == 1 && strcmp(c.group[1].cmdline, "hostile hlt") == 0);
	for (int i = 0; i < 2; i++) {
		CHECK(c.group[i].initrd == -1 && c.group[i].error[0] == 0);
		no_disks(&c.group[i]);
	}
}

static void nothing(void)
{
	vmconfig_build(0, 0, &c);
	CHECK(c.ngroups == 0 && c.nignored == 0);
}

static void groups_up_to_next_kernel(void)
{
	BUILD(M("k1", 4096), M("initrd", 100), M("disk=hda", 1024), M("disk=hdd", 512),
	      M("k2 quiet", 4096), M("disk=hdb", 2048), M("k3", 10), M("initrd two", 3));
	CHECK(c.ngroups == 3 && c.nignored == 0);
	struct vmc_group *a = &c.group[0], *b = &c.group[1], *d = &c.group[2];
	CHECK(a->kernel == 0 && a->initrd == 1 && a->disk[0] == 2 && a->disk[1] == -1 && a->disk[2] == -1 &&
	      a->disk[3] == 3 && a->ndisks == 2 && !a->error[0]);
	CHECK(b->kernel == 4 && strcmp(b->cmdline, "k2 quiet") == 0 && b->initrd == -1 && b->disk[1] == 5 &&
	      b->ndisks == 1 && !b->error[0]);
	CHECK(d->kernel == 6 && d->initrd == 7 && !d->error[0]);
	no_disks(d);
}

static void disk_before_kernel_is_ignored(void)
{
	BUILD(M("disk=hda", 512), M("initrd", 5), M("k1", 100), M("disk=hda", 512));
	CHECK(c.nignored == 2);
	CHECK(has(c.ignored[0], "module 0 'disk=hda'") && has(c.ignored[0], "a disk before any kernel module"));
	CHECK(has(c.ignored[1], "module 1 'initrd'") && has(c.ignored[1], "an initrd before any kernel module"));
	CHECK(has(c.ignored[0], "ignored"));
	CHECK(c.ngroups == 1 && !c.group[0].error[0] && c.group[0].disk[0] == 3 && c.group[0].initrd == -1);
}

static void two_disks_in_one_slot(void)
{
	BUILD(M("k1", 100), M("disk=hdc", 512), M("disk=hdc", 1024), M("k2", 100), M("disk=hdc", 512));
	CHECK(c.ngroups == 2);
	CHECK(has(c.group[0].error, "module 2 'disk=hdc': slot hdc already holds module 1"));
	CHECK(!c.group[1].error[0] && c.group[1].disk[2] == 4);   /* the next VM is not affected */
}

static void disk_size(void)
{
	BUILD(M("k1", 100), M("disk=hda", 1000), M("k2", 100), M("disk=hdb", 0), M("k3", 1),
	      M("disk=hdb", 512 * 3));
	CHECK(c.ngroups == 3);
	CHECK(has(c.group[0].error, "module 1 'disk=hda': a disk of 1000 bytes is not a whole number of 512-byte sectors"));
	CHECK(has(c.group[1].error, "module 3 'disk=hdb': the disk is empty"));
	CHECK(!c.group[2].error[0] && c.group[2].disk[1] == 5);
}

static void two_initrds(void)
{
	BUILD(M("k1", 100), M("initrd a", 10), M("initrd b", 10));
	CHECK(c.ngroups == 1);
	CHECK(has(c.group[0].error, "module 2 'initrd b': a second initrd (module 1 is this VM's initrd)"));
}

static void unknown_disk(void)
{
	BUILD(M("k1", 100), M("disk=hde rest", 512));
	CHECK(c.ngroups == 1);
	CHECK(has(c.group[0].error, "module 1 'disk=hde rest': unknown disk 'hde' (hda, hdb, hdc or hdd)"));
	BUILD(M("k1", 100), M("disk=", 512));
	CHECK(has(c.group[0].error, "unknown disk ''"));
}

static void first_mistake_is_the_reason(void)
{
	BUILD(M("k1", 100), M("disk=hda", 513), M("disk=hdx", 512), M("initrd", 1), M("initrd", 1));
	CHECK(has(c.group[0].error, "module 1 'disk=hda'") && has(c.group[0].error, "513 bytes"));
	CHECK(!has(c.group[0].error, "hdx"));
}

static void too_many_modules(void)
{
	struct vmc_module m[VMC_MAX_MODULES + 3];
	for (int i = 0; i < VMC_MAX_MODULES + 3; i++)
		m[i] = (struct vmc_module){ "disk=hda", 512 };   /* all orphans: the worst case for ignored[] */
	vmconfig_build(m, VMC_MAX_MODULES + 3, &c);
	CHECK(c.ngroups == 0);
	CHECK(c.nignored == VMC_MAX_MODULES + 1);
	CHECK(has(c.ignored[VMC_MAX_MODULES], "modules 16-18") && has(c.ignored[VMC_MAX_MODULES], "more than 16"));
}

static void long_command_lines_are_cut(void)
{
	char big[400];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = 0;
	memcpy(big, "disk=hdq", 8);
	struct vmc_module m[2] = { { "k", 1 }, { big, 512 } };
	vmconfig_build(m, 2, &c);
	CHECK(strlen(c.group[0].error) < VMC_REASON);
	CHECK(has(c.group[0].error, "unknown disk"));
}

int main(void)
{
	KTAP_BEGIN(12);
	RUN(classify_words);
	RUN(kernels_only);
	RUN(nothing);
	RUN(groups_up_to_next_kernel);
	RUN(disk_before_kernel_is_ignored);
	RUN(two_disks_in_one_slot);
	RUN(disk_size);
	RUN(two_initrds);
	RUN(unknown_disk);
	RUN(first_mistake_is_the_reason);
	RUN(too_many_modules);
	RUN(long_command_lines_are_cut);
	KTAP_END();
}
