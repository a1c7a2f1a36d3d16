/* vmconfig.c - group boot modules into VMs (see vmconfig.h). */
#include "vmconfig.h"
#include "../lib/format.h"
#include "../lib/kstring.h"

static const char *const slot_names[VMC_DISKS] = { "hda", "hdb", "hdc", "hdd" };

const char *vmc_slot_name(int slot)
{
	return slot >= 0 && slot < VMC_DISKS ? slot_names[slot] : "?";
}

static int is_space(char c)
{
	return c == ' ' || c == '\t';
}

enum vmc_kind vmc_classify(const char *cmdline, int *slot)
{
	const char *w = cmdline ? cmdline : "";
	while (is_space(*w))
		w++;
	size_t n = 0;
	while (w[n] && !is_space(w[n]))
		n++;
	*slot = -1;
	if (n == 6 && strncmp(w, "initrd", 6) == 0)
		return VMC_INITRD;
	if (n == 7 && strncmp(w, "vmlinux", 7) == 0)
		return VMC_VMLINUX;
	if (n >= 5 && strncmp(w, "disk=", 5) == 0) {
		for (int i = 0; i < VMC_DISKS; i++)
			if (n == 8 && strncmp(w + 5, slot_names[i], 3) == 0)
				*slot = i;
		return VMC_DISK;
	}
	return VMC_KERNEL;
}

/* The value of a "disk=" word, for messages: up to the first blank (16 characters at most). */
static int word_len(const char *s)
{
	int n = 0;
	while (s[n] && !is_space(s[n]) && n < 16)
		n++;
	return n;
}

static void fail(struct vmc_group *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct vmc_group *g, const char *fmt, ...)
{
	if (g->error[0])
		return;                      /* the first mistake is the VM's reason */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf_(g->error, sizeof g->error, fmt, ap);
	va_end(ap);
}

void vmconfig_build(const struct vmc_module *mods, int n, struct vmc *out)
{
	memset(out, 0, sizeof *out);
	struct vmc_group *g = 0;
	for (int i = 0; i < n; i++) {
		const char *cl = mods[i].cmdline ? mods[i].cmdline : "";
		if (i == VMC_MAX_MODULES) {
			snprintf_(out->ignored[out->nignored++], VMC_REASON,
				  "modules %d-%d (from '%.48s' on): more than %d modules; ignored", i, n - 1, cl,
				  VMC_MAX_MODULES);
			break;
		}
		int slot;
		enum vmc_kind k = vmc_classify(cl, &slot);
		if (k == VMC_KERNEL) {
			g = &out->group[out->ngroups++];
			g->kernel = i;
			g->cmdline = cl;
			g->initrd = -1;
			g->vmlinux = -1;
			for (int s = 0; s < VMC_DISKS; s++)
				g->disk[s] = -1;
			continue;
		}
		if (!g) {
			snprintf_(out->ignored[out->nignored++], VMC_REASON,
				  "module %d '%.48s': %s before any kernel module belongs to no VM; ignored", i, cl,
				  k == VMC_DISK ? "a disk" : k == VMC_INITRD ? "an initrd" : "a vmlinux");
			continue;
		}
		if (k == VMC_INITRD) {
			if (g->initrd >= 0)
				fail(g, "module %d '%.48s': a second initrd (module %d is this VM's initrd)", i, cl,
				     g->initrd);
			else
				g->initrd = i;
			continue;
		}
		if (k == VMC_VMLINUX) {
			if (g->vmlinux >= 0)
				fail(g, "module %d '%.48s': a second vmlinux (module %d is this VM's)", i, cl, g->vmlinux);
			else
				g->vmlinux = i;
			continue;
		}
		const char *val = strchr(cl, '=') + 1;
		if (slot < 0)
			fail(g, "module %d '%.48s': unknown disk '%.*s' (hda, hdb, hdc or hdd)", i, cl, word_len(val),
			     val);
		else if (g->disk[slot] >= 0)
			fail(g, "module %d '%.48s': slot %s already holds module %d", i, cl, slot_names[slot],
			     g->disk[slot]);
		else if (mods[i].size == 0)
			fail(g, "module %d '%.48s': the disk is empty", i, cl);
		else if (mods[i].size % 512)
			fail(g, "module %d '%.48s': a disk of %llu bytes is not a whole number of 512-byte sectors",
			     i, cl, (unsigned long long)mods[i].size);
		else {
			g->disk[slot] = i;
			g->ndisks++;
		}
	}
}
