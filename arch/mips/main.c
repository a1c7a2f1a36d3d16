/* main.c - the MIPS VMM from boot to the first guest instruction, and the summary at the end.
 *
 * Boot options (QEMU -append): l2tlb=on|off (default on), vms=N (1..4, default 1),
 * guestmem=SIZE (default 16M), slice=TICKS (Count ticks per time slice, default 1000000),
 * trace=tlb[,switch] (print the first few events of those flows), hostile=VM:KIND (VM number
 * VM boots with the guest command line "hostile=KIND", see guest/mips), pv=on|off (default off:
 * offer every guest Disco's special page for its CP0 registers, cp0page.c; off = every privileged
 * access traps), guestargs=W1,W2 (words added to every guest's command line, commas -> spaces;
 * the benchmarks use bench=NAME,iters=N). */
#include "vm.h"
#include "mips.h"
#include "console.h"
#include "hwtlb.h"
#include "timer.h"
#include "../../mm/frame.h"
#include "../../lib/kstring.h"
#include "../../lib/format.h"
#include "../../vcpu/trace.h"

struct vmm_config cfg = { .l2tlb = 1, .nvms = 1, .guest_ram = 16u << 20, .slice = 1000000 };
static struct vm vm_store[MAX_VMS];
struct vm *vms[MAX_VMS];
struct vm_sched *scheds[MAX_VMS];   /* the same VMs, as the scheduler sees them */
int nvms;
extern char __image_start[], __image_end[];
struct regs *vmm_schedule(void);
void vmm_main(int argc, char **argv, char **envp, uint32_t memsize);

static int word_is(const char *w, size_t len, const char *key, const char **val)
{
	size_t k = strlen(key);
	if (len <= k || strncmp(w, key, k) || w[k] != '=')
		return 0;
	*val = w + k + 1;
	return 1;
}

static int parse_options(const char *s)
{
	int bad = 0;
	while (*s) {
		while (*s == ' ')
			s++;
		const char *w = s, *v;
		while (*s && *s != ' ')
			s++;
		size_t len = (size_t)(s - w), vl;
		unsigned long long n;
		if (!len)
			break;
		if (word_is(w, len, "l2tlb", &v)) {
			vl = (size_t)(s - v);
			cfg.l2tlb = !(vl == 3 && !strncmp(v, "off", 3)) && !(vl == 1 && *v == '0');
		} else if (word_is(w, len, "pv", &v)) {
			vl = (size_t)(s - v);
			cfg.pv = (vl == 2 && !strncmp(v, "on", 2)) || (vl == 1 && *v == '1');
			if (!cfg.pv && !(vl == 3 && !strncmp(v, "off", 3)) && !(vl == 1 && *v == '0')) {
				kprintf("vmm: pv=%.*s: on or off\n", (int)vl, v);
				bad++;
			}
		} else if (word_is(w, len, "guestargs", &v) &&
			   (size_t)(s - v) < sizeof cfg.guestargs) {
			memcpy(cfg.guestargs, v, (size_t)(s - v));
			for (char *c = cfg.guestargs; *c; c++)
				if (*c == ',')
					*c = ' ';
		} else if (word_is(w, len, "vms", &v) && !parse_size(v, (size_t)(s - v), &n) &&
			   n >= 1 && n <= MAX_VMS) {
			cfg.nvms = (int)n;
		} else if (word_is(w, len, "guestmem", &v) && !parse_size(v, (size_t)(s - v), &n) &&
			   n >= (1u << 20) && n <= (256u << 20) && !(n & 0xfff)) {
			cfg.guest_ram = (uint32_t)n;
		} else if (word_is(w, len, "slice", &v) && !parse_size(v, (size_t)(s - v), &n) &&
			   n >= 1000) {
			cfg.slice = (uint32_t)n;
		} else if (word_is(w, len, "trace", &v)) {
			char list[64] = { 0 };
			const char *b;
			memcpy(list, v, (size_t)(s - v) < 63 ? (size_t)(s - v) : 63);
			if (trace_parse(list, 8, &b) < 0) {
				kprintf("vmm: unknown trace flow in '%s' (known: tlb, switch)\n", list);
				bad++;
			}
		} else if (word_is(w, len, "hostile", &v) && s - v > 2 && v[1] == ':' &&
			   v[0] >= '1' && v[0] <= '4' && (size_t)(s - v) - 2 < sizeof cfg.hostile) {
			cfg.hostile_vm = v[0] - '0';
			memcpy(cfg.hostile, v + 2, (size_t)(s - v) - 2);
		} else {
			kprintf("vmm: bad boot option '%.*s' (known: l2tlb=on|off vms=1..4 guestmem=SIZE "
				"slice=TICKS trace=tlb,switch hostile=VM:KIND pv=on|off guestargs=W,W)\n", (int)len, w);
			bad++;
		}
	}
	return bad;
}

static void cpu_init(void)
{
	mtc0(CP0_STATUS, 0, ST_EXL);            /* kernel, interrupts off, BEV/ERL clear */
	mtc0(15, 1, (uint32_t)(uintptr_t)vmm_vectors & 0x3ffff000u);   /* EBase */
	mtc0(CP0_CAUSE, 0, 0);
	mtc0(CP0_WIRED, 0, 0);
	mtc0(CP0_PAGEMASK, 0, 0);
	mtc0(CP0_HWRENA, 0, 0);
	hwtlb_flush_all();
}

void vmm_main(int argc, char **argv, char **envp, uint32_t memsize)
{
	const char *why;
	(void)envp;
	const char *cmdline = argc > 1 && argv[1] ? argv[1] : "";
	kprintf("vmm: MIPS VMM (Disco path), QEMU Malta, %u MiB RAM, cmdline '%s'\n",
		memsize >> 20, cmdline);
	if (parse_options(cmdline))
		panic("bad boot options");
	cpu_init();
	kprintf("vmm: exception vectors at 0x%08x (refill +0x000, general +0x180)\n",
		(uint32_t)(uintptr_t)vmm_vectors);

	uint32_t img = (uint32_t)(uintptr_t)__image_start - KSEG0;
	frame_add_usable(0, memsize);
	frame_add_reserved(0, 0x100000);        /* vectors, boot arguments */
	frame_add_reserved(img, (uint32_t)(__image_end - __image_start));
	if (frame_init((uintptr_t)kseg0(0), &why) < 0)
		panic("frame allocator: %s", why);
	struct frame_stats st;
	frame_get_stats(&st);
	kprintf("vmm: frames: %llu managed, %llu free, %llu reserved (image 0x%08x-0x%08x)\n",
		(unsigned long long)st.managed, (unsigned long long)st.free,
		(unsigned long long)st.reserved, img, img + (uint32_t)(__image_end - __image_start));

	uint32_t c0 = mfc0(CP0_COUNT, 0);
	for (volatile int i = 0; i < 10000; i++)
		;
	kprintf("vmm: CP0 timer: Count runs (+%u over a short loop), time slice %u ticks\n",
		mfc0(CP0_COUNT, 0) - c0, cfg.slice);
	kprintf("vmm: %d VM(s), %u MiB each, L2 TLB %s, %s\n", cfg.nvms, cfg.guest_ram >> 20,
		cfg.l2tlb ? "on" : "off", cfg.pv ? "pv: special page for CP0 registers offered"
						: "full: every privileged access traps");

	for (int i = 0; i < cfg.nvms; i++) {
		char gcmd[112];
		if (cfg.hostile_vm == i + 1)
			snprintf_(gcmd, sizeof gcmd, "hostile=%s%s%s", cfg.hostile,
				  cfg.guestargs[0] ? " " : "", cfg.guestargs);
		else
			snprintf_(gcmd, sizeof gcmd, "%s", cfg.guestargs);
		if (vm_create(&vm_store[i], (unsigned)i + 1, gcmd) < 0)
			panic("cannot create vm%d", i + 1);
		scheds[nvms] = &vm_store[i].s;
		vms[nvms++] = &vm_store[i];
		kprintf("vmm: vm%d: %u MiB guest RAM, entry 0x%08x, guest cmdline '%s'\n", i + 1,
			cfg.guest_ram >> 20, vm_store[i].f.pc, gcmd);
	}
	vmm_resume(vmm_schedule());
}

void vmm_finish(void)
{
	for (int i = 0; i < nvms; i++) {
		struct vm *v = vms[i];
		struct vm_stats *s = &v->st;
		vconsole_flush(&v->con, vm_print_line);
		uint64_t rate = s->l2_lookups ? s->refill_l2_hits * 1000 / s->l2_lookups : 0;
		kprintf("vmm: vm%u %s: traps=%llu cp0_emulated=%llu refills=%llu l2_hits=%llu "
			"vtlb_hits=%llu reflected_refills=%llu guest_tlbw=%llu mmio=%llu "
			"interpreted=%llu waits=%llu switches_in=%llu frames=%llu reflected=%llu\n",
			v->s.id, v->s.state == VM_OFF ? "off" : v->s.state == VM_STOPPED ? "stopped" : "??",
			s->traps, s->cp0_emul, s->refills, s->refill_l2_hits, s->refill_vtlb_hits,
			s->refill_reflected, s->guest_tlbw, s->mmio, s->interp_insns, s->waits,
			v->s.switches_in, (unsigned long long)v->pm.backed, s->reflected);
		if (v->cp0page)
			kprintf("vmm: vm%u special page: %llu CP0 register writes taken from it\n",
				v->s.id, s->page_writes);
		kprintf("vmm: vm%u l2tlb %s: lookups=%llu hits=%llu hit_rate=%llu.%llu%%\n", v->s.id,
			cfg.l2tlb ? "on" : "off", s->l2_lookups, s->refill_l2_hits, rate / 10,
			rate % 10);
	}
	kprintf("vmm: all VMs finished\n");
	machine_exit();
}
