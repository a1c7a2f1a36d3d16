/* overcommit.c - memory overcommit on x86 (seed B.5, with ESX's three ways to run VMs whose RAM
 * adds up to more than the machine has): the hooks through which mm/ shares and pages out a VM's
 * frames, the reclaim the VMM runs on its timer tick, and the balloon targets.
 *
 * Once per tick (overcommit_tick, from vm_resume: between traps, where the VMM holds no pointer
 * into a guest's memory that a moved frame could leave dangling):
 *  1. sharing (boot option share=N): each VM's scanner hashes its next N frames, and merges the
 *     equal ones copy-on-write (mm/share.c);
 *  2. below the low mark of free machine frames, the balloons grow: every VM whose guest runs a
 *     balloon driver (HC_BALLOON) is asked for a step more, up to half its RAM, and its driver
 *     hands frames back with HC_FRAME_FREE -- the guest chooses which, so it gives what it does
 *     not use (the information gap closed from the inside). Above four times the mark they
 *     shrink again, down to what the operator set (balloon=, or `balloon N SIZE`);
 *  3. below half the low mark, the VMM pages out on its own: frames of the VM with the most
 *     frames go compressed into the store (mm/zstore.c, bound zstore=), a step per tick. It
 *     cannot know which frames the guest will need (the gap again): a clock passes over the
 *     frames its shadow entries show used since its last pass (their Accessed bits) and takes
 *     the others -- except in an emergency, when it takes what it finds.
 * When even that does not find a frame for a trap, shadow_fault tries overcommit_emergency once;
 * failing that the VM is stopped with the reason (overcommit_why) and the VMM and other VMs go on.
 *
 * Which frames may move (pinned): not those the VMM itself relies on staying put -- the guest's
 * traced page tables, its descriptor tables, code it has scanned and patched, the BIOS area, the
 * page directory in CR3. Every other mapping of a moved frame is dropped first (unmap): the
 * shadow entries made from it and the guarded-write cache's record of it. */
#include "overcommit.h"
#include "traced.h"
#include "../cpu/vm.h"
#include "../boot.h"
#include "../../../guest/x86/include/hypercall.h"
#include "../../../mm/share.h"
#include "../../../mm/zstore.h"
#include "../../../lib/format.h"
#include "../../../lib/kstring.h"
#include "../../../lib/log.h"
#include "../../../lib/options.h"

#define BALLOON_STEP 256          /* frames a balloon target moves per step (1 MiB) */
#define PAGEOUT_STEP 32           /* frames paged out per tick at most */

static unsigned share_rate;       /* frames each VM's scanner hashes per tick; 0: no sharing */
static uint64_t low_mark;         /* free frames below which the VMM reclaims */
static uint64_t ticks_seen;
static uint64_t balloon_floor[MAX_VMS];   /* the operator's targets, in frames */
static uint64_t peak_saved, low_free = ~0ull;   /* most frames sharing saved at once; fewest free */

/* ---- the hooks mm/ calls ---- */

static int pinned(void *ctx, uint64_t gfn)
{
	struct vm *vm = ctx;
	uint32_t g = (uint32_t)gfn;
	return gfn >= GUEST_MAX_FRAMES || gpa_is_rom(g << 12) || patch_scanned(vm, g) || seg_traced(vm, g) ||
	       (vm->sh.tr && traced_is_table(vm, g)) || (vm->cr3 >> 12) == g;
}

static void unmap(void *ctx, uint64_t gfn, mfn_t m)
{
	struct vm *vm = ctx;
	if (vm->sh.tr)
		traced_drop_gfn(vm, (uint32_t)gfn);
	else
		shadow_unmap_frame(&vm->sh, m);
	for (unsigned i = 0; i < GUARD_SLOTS; i++)
		if (vm->guard[i].gpage == gfn)
			vm->guard[i].lpage = ~0u;
}

/* The shadow entries' Accessed bits: the hardware's own record of which frames the guest uses. */
static int young(void *ctx, uint64_t gfn, mfn_t m)
{
	struct vm *vm = ctx;
	return vm->sh.tr ? traced_young(vm, (uint32_t)gfn) : shadow_frame_young(&vm->sh, m);
}

static const struct pmap_ops x86_ops = { pinned, unmap, young };

void overcommit_attach(struct vm *vm)
{
	vm->pmap.ops = &x86_ops;
	vm->pmap.ctx = vm;
}

/* ---- boot options ---- */

void overcommit_setup(void)
{
	struct option *o_share = boot_option("share"), *o_z = boot_option("zstore"), *o_b = boot_option("balloon");
	struct frame_stats fs;
	frame_get_stats(&fs);
	low_mark = fs.managed / 32 > 256 ? fs.managed / 32 : 256;
	if (o_share->set) {
		if (o_share->num <= 4096)
			share_rate = (unsigned)o_share->num;
		else
			log_warn("boot", "share=%llu: frames hashed per VM per tick must be 0..4096; no sharing", o_share->num);
	}
	/* The table: an entry per frame the machine has, at most 2^20. */
	if (share_rate && share_init(fs.managed < (1u << 20) ? fs.managed : (1u << 20)) < 0) {
		log_warn("vmm", "share=%u: no room for the sharing table; no sharing", share_rate);
		share_rate = 0;
	}
	uint64_t z = fs.managed / 8;      /* default: an eighth of the machine */
	if (o_z->set) {
		if (o_z->num <= (uint64_t)ZSTORE_MAX_FRAMES << 12)
			z = o_z->num >> 12;
		else
			log_warn("boot", "zstore=%llu: the bound must be 0..256M; using an eighth of machine memory", o_z->num);
	}
	zstore_set_bound(z);
	if (o_b->set) {
		/* One size per VM in turn, comma-separated: vm1's, vm2's, ... */
		const char *w = o_b->str;
		for (int i = 0; i < MAX_VMS && *w; i++) {
			int len = 0;
			while (w[len] && w[len] != ',')
				len++;
			unsigned long long v;
			if (parse_size(w, (size_t)len, &v) < 0 || v > (1ull << 32)) {
				log_warn("boot", "balloon=%s: each word is a size (e.g. 16M); vm%d and later get none", o_b->str, i + 1);
				break;
			}
			balloon_floor[i] = v >> 12;
			w += len + (w[len] == ',');
		}
	}
	log_info("vmm", "overcommit: sharing %s, compressed store up to %lu KiB, reclaim below %lu free frames",
		 share_rate ? "on" : "off", z * 4, low_mark);
}

/* ---- balloons ---- */

static uint64_t target(const struct vm *vm)
{
	uint64_t t = vm->balloon_auto > balloon_floor[vm->s.id - 1] ? vm->balloon_auto : balloon_floor[vm->s.id - 1];
	return t > vm->pmap.nframes / 2 ? vm->pmap.nframes / 2 : t;
}

int32_t balloon_call(struct vm *vm, uint32_t now)
{
	if (now > vm->pmap.nframes)
		return HC_EINVAL;
	vm->balloon_driver = 1;
	vm->balloon_now = now;
	if (now > vm->balloon_max)
		vm->balloon_max = now;
	return (int32_t)target(vm);
}

void balloon_set(struct vm *vm, uint64_t frames)
{
	balloon_floor[vm->s.id - 1] = frames;
}

/* ---- reclaim ---- */

static int live(const struct vm *vm)
{
	return (vm->s.state == VM_RUNNABLE || vm->s.state == VM_WAITING) && vm->pmap.p2m;
}

/* Page out up to n frames of the VM with the most frames of its own (looking at up to `look`). */
static unsigned page_out(unsigned n, unsigned look, int second_chance)
{
	struct vm *big = 0;
	for (int i = 0; i < vm_total(); i++) {
		struct vm *vm = vm_at(i);
		if (live(vm) && (!big || vm->pmap.backed > big->pmap.backed))
			big = vm;
	}
	return big ? pmap_page_out(&big->pmap, n, look, second_chance) : 0;
}

void overcommit_tick(void)
{
	ticks_seen++;
	for (int i = 0; share_rate && i < vm_total(); i++)
		if (live(vm_at(i)))
			share_scan(&vm_at(i)->pmap, share_rate);
	uint64_t nfree = frame_nfree();
	struct share_stats ss;
	share_get_stats(&ss);
	if (ss.refs - ss.frames > peak_saved)
		peak_saved = ss.refs - ss.frames;
	if (nfree < low_free)
		low_free = nfree;
	if (ticks_seen % 10 == 0 && (nfree < low_mark || nfree > 4 * low_mark)) {
		for (int i = 0; i < vm_total(); i++) {
			struct vm *vm = vm_at(i);
			if (!live(vm) || !vm->balloon_driver)
				continue;
			if (nfree < low_mark && vm->balloon_auto < vm->pmap.nframes / 2)
				vm->balloon_auto += BALLOON_STEP;
			else if (nfree > 4 * low_mark && vm->balloon_auto)
				vm->balloon_auto -= vm->balloon_auto < BALLOON_STEP ? vm->balloon_auto : BALLOON_STEP;
		}
	}
	if (nfree < low_mark / 2)
		page_out(PAGEOUT_STEP, 64 * PAGEOUT_STEP, 1);
}

unsigned overcommit_emergency(void)
{
	return page_out(PAGEOUT_STEP, 16 * PAGEOUT_STEP, 0);
}

void overcommit_summary(void)
{
	struct share_stats ss;
	struct zstore_stats z;
	share_get_stats(&ss);
	zstore_get_stats(&z);
	log_info("vmm", "overcommit: sharing saved %lu frames at most (%lu frames scanned, %lu merges, %lu copy-on-write breaks); "
		 "compressed store: %lu pages put, %lu taken back, %lu rejected (compress badly), %lu refused (full), "
		 "%lu frames at most; fewest free machine frames %lu",
		 peak_saved, ss.scanned, ss.merged, ss.broken, z.puts, z.gets, z.rejected, z.full, z.frames,
		 low_free == ~0ull ? frame_nfree() : low_free);
}

int overcommit_machine(char *buf, unsigned size)
{
	struct frame_stats fs;
	struct share_stats ss;
	struct zstore_stats z;
	frame_get_stats(&fs);
	share_get_stats(&ss);
	zstore_get_stats(&z);
	if (fs.free < low_free)         /* (the ticks sample it; so does this line) */
		low_free = fs.free;
	return snprintf_(buf, size, "free %lu of %lu frames, fewest %lu; vmm %lu; shared %lu frames for %lu; "
			 "store %lu pages in %lu/%lu frames (put %lu, taken back %lu, refused %lu)",
			 fs.free, fs.managed, low_free, fs.owned[FRAME_VMM], ss.frames,
			 ss.refs, z.pages, z.frames, z.bound, z.puts, z.gets, z.full);
}

const char *overcommit_why(void)
{
	static char why[120];
	struct zstore_stats z;
	zstore_get_stats(&z);
	snprintf_(why, sizeof why, "store: %lu pages in %lu/%lu frames", z.pages, z.frames, z.bound);
	return why;
}

int overcommit_report(const struct vm *vm, char *buf, unsigned size)
{
	const struct pmap *pm = &vm->pmap;
	return snprintf_(buf, size, "memory: %lu frames backed now, %lu shared, %lu paged out; %lu zeroed by the VMM to back them, "
			 "%lu given back by the guest (HC_FRAME_FREE); copy-on-write breaks %lu, paged out %lu, in %lu; "
			 "balloon %lu now, %lu at most, target %lu",
			 pm->backed, pm->shared, pm->out, pm->zeroed, pm->released, pm->cow_breaks, pm->paged_out,
			 pm->paged_in, vm->balloon_now, vm->balloon_max, target(vm));
}
