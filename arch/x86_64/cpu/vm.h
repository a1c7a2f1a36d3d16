/* vm.h - one x86 virtual machine: what the guest believes about its CPU, and what the VMM keeps
 * to make that belief true (the real registers while it is not running, its shadow page tables,
 * patch table, virtual devices). One vCPU per VM. */
#ifndef ARCH_VM_H
#define ARCH_VM_H
#include <stdint.h>
#include "../trap.h"
#include "../desc.h"
#include "../cpu.h"
#include "../mmu/shadow.h"
#include "patch.h"
#include "xfeat.h"
#include "../pc/vio.h"
#include "../../../mm/pmap.h"
#include "../../../vcpu/sched.h"
#include "../../../vcpu/vconsole.h"

#define MAX_VMS 8
#define SEG_STALE_MAX 6                  /* one per segment register (segments.c) */
#define SEG_TRACE_MAX 40                 /* traced descriptor-table pages: GDT 16, IDT 1, LDT 16 */
#define GUEST_MAX_FRAMES (1u << 18)      /* 1 GiB of guest RAM at most */

/* Guest-visible EFLAGS bits the VMM keeps virtual: the real ones stay IF=1, IOPL=0. */
#define FL_IF   (1u << 9)
#define FL_IOPL (3u << 12)
#define FL_TF   (1u << 8)
#define FL_NT   (1u << 14)
#define FL_RF   (1u << 16)
#define FL_VM   (1u << 17)
#define FL_AC   (1u << 18)
#define FL_VIF  (1u << 19)
#define FL_VIP  (1u << 20)
/* The flags a guest may change with popf/iret, apart from the virtual ones. */
#define FL_USER (0x0DD5u | FL_NT | (1u << 18) | (1u << 21))   /* CF PF AF ZF SF TF DF OF, NT, AC, ID */

#define CR0_PE 1u
#define CR0_MP (1u << 1)
#define CR0_EM (1u << 2)
#define CR0_TS (1u << 3)
#define CR0_NE (1u << 5)
#define CR0_WP (1u << 16)
#define CR0_NW (1u << 29)
#define CR0_CD (1u << 30)
#define CR0_PG (1u << 31)
#define CR4_PSE (1u << 4)
#define CR4_PGE (1u << 7)

enum exit_kind {       /* why the VMM got control, counted per VM (printed when a VM ends) */
	EXIT_PRIV,       /* privileged instruction emulated (#GP at ring 1) */
	EXIT_PATCH,      /* patched sensitive instruction emulated (int3) */
	EXIT_SYSCALL,    /* int 0x80 (or another software interrupt) reflected */
	EXIT_EXCEPTION,  /* guest exception reflected */
	EXIT_HIDDEN_PF,  /* shadow fill: fixed without the guest knowing */
	EXIT_TRUE_PF,    /* page fault reflected to the guest */
	EXIT_IRQ,        /* virtual interrupt injected */
	EXIT_IO,         /* in/out */
	EXIT_HLT,        /* hlt: the guest gave its time away */
	EXIT_MMIO,       /* an instruction that touched device memory (or wrote the BIOS area), emulated */
	EXIT_PTWRITE,    /* a write to a traced guest page table, emulated (shadow=trace) */
	EXIT_DTWRITE,    /* a write to a page that holds the guest's GDT, IDT or LDT, emulated */
	EXIT_HYPERCALL,  /* int 0x82 from a guest kernel that knows the VMM (hypercall.c) */
	EXIT_COUNT
};

/* The model-specific registers a VM keeps (msr.c). */
struct vm_msrs {
	uint64_t sysenter[3];            /* SYSENTER_CS/ESP/EIP: stored, never used by the real CPU */
	uint64_t mtrr_var[16], mtrr_fixed[11], mtrr_def, pat;
	uint64_t mcg_status, mc0[4];
	uint64_t amd_syscfg, amd_hwcr;
};

#define GUARD_SLOTS 8
struct vm {
	struct vm_sched s;               /* id, state, stop reason (vcpu/sched.h) */
	char name[16];                   /* "vm1" */
	const char *cmdline;
	struct pmap pmap;                /* guest-physical -> machine */

	/* The real registers while another VM runs (trapentry.asm's frame), and the FPU/SSE/AVX
	 * state (fxsave image, then the xsave header and extended components: xfeat.c). */
	struct trapframe tf;
	uint8_t fpu[XSAVE_AREA] __attribute__((aligned(64)));
	uint64_t xcr0;                   /* XCR0 as the guest set it with xsetbv (1 after reset) */

	/* The virtual CPU: what the guest believes. */
	uint32_t cr0, cr2, cr3, cr4;
	uint32_t dr[4], dr6, dr7;        /* its debug registers (debugreg.c) */
	uint32_t vif;                    /* EFLAGS.IF as the guest sees it (0 or FL_IF) */
	uint32_t viopl;                  /* EFLAGS.IOPL as the guest sees it */
	struct { uint32_t base; uint16_t limit; } gdtr, idtr;
	uint16_t ldtr, tr;
	uint32_t ldt_base, ldt_limit;    /* the LDT descriptor cached at lldt, as the CPU's LDTR holds it */
	uint32_t tr_base;                /* the TSS base cached at ltr, as the CPU's TR register does */
	uint32_t pv_kstack[2];           /* esp0, ss0 from HC_SET_KSTACK (hypercall.c); ss0 0: the TSS's */
	struct vm_msrs msr;              /* the MSRs the guest's CPU has (msr.c) */
	int halted;                      /* in hlt, waiting for a virtual interrupt */
	uint32_t reflects;               /* exceptions and interrupts given to it (reflect, reflect_fast) */
	uint8_t int_len;                 /* the INT n being reflected is this long (run.c, soft_int) */
	uint8_t ss_shadow;               /* it emulated mov ss or pop ss: no single-step trap yet (step_trap) */
	uint8_t irq_hold;                /* ... and no interrupt before the next instruction (vm_resume) */
	uint32_t hold_eip;               /* (where that instruction is) */
	uint8_t hold_step;               /* vm_resume set TF to see that instruction done (run.c) */
	int trace_pending;               /* trace=syscall/trap: step 1 printed, reflect() prints step 2 */
	uint32_t trace_esp;              /* ... and the traced frame, whose iret prints steps 3 and 4 */

	/* Ring-compressed copy of the guest GDT, installed in the real GDT when the VM runs, and the
	 * real IDT gate DPLs that mirror the guest's IDT. */
	uint64_t gdt[GUEST_GDT_MAX];
	uint8_t gdt_dpl[GUEST_GDT_MAX];  /* each entry's DPL as the guest wrote it (0 and 1 both give 1) */
	unsigned gdt_n;
	struct { uint16_t idx; uint8_t dpl; uint64_t guest; } stale[SEG_STALE_MAX];   /* see seg_keep_cached */
	unsigned nstale;
	uint32_t traced[SEG_TRACE_MAX];  /* guest frames holding the GDT, IDT and LDT: write-protected */
	uint8_t traced_kind[SEG_TRACE_MAX];   /* SEG_T_GDT/IDT/LDT: which table that frame holds */
	uint16_t traced_span[SEG_TRACE_MAX][2];   /* ... and which of its bytes (first, last) */
	int tables_dirty;                /* SEG_T_* the VMM wrote for the guest: read again at resume */
	unsigned ntraced;
	uint64_t table_writes;           /* guest writes to them, emulated */
	int tables_open;                 /* a write the emulator could not do goes straight to a table
	                                  * page (2: just opened, 1: the guest has run since); the
	                                  * tables are read again and protected at the next entry */
	/* The same for the guest's LDT (lldt): the real LDTR points here while the VM runs. */
	uint64_t ldt[GUEST_LDT_MAX] __attribute__((aligned(16)));
	uint8_t ldt_dpl[GUEST_LDT_MAX];
	unsigned ldt_n;
	uint64_t seg_gen;                /* counts seg_install and other changes of the real tables */
	/* A CS:SS pair found flat (fast.h flat_pair) at seg_gen gen: the guest kernel's, a process's. */
	struct flat_pair { uint16_t cs, ss; uint64_t gen; } kflat, uflat;
	uint8_t idt_dpl[256];
	/* The guest's IDT as seg_load_idt last read it (the pages are traced, so it is read again
	 * whenever the guest writes them): for each vector the handler's offset and selector, and the
	 * gate type if it is a present 32-bit interrupt (0xE) or trap (0xF) gate, else 0; present: the
	 * gate's P bit and DPL (bit 7, bits 0-1), whatever its type. */
	struct { uint32_t off; uint16_t sel; uint8_t type, present; } gate[256];

	struct shadow sh;
	/* The guest-kernel pages the last guarded writes (fastpath.c) went to, as shadow_fault found
	 * them, in GUARD_SLOTS slots by shadow root and page: while no shadow entry has been dropped since (sh.gen) under
	 * that root, and no frame's guard has changed (guard_gen), a write fault there finds the same
	 * thing again (vtlb.c) -- the same frame, still guarded for the same reasons (`seg`: it holds
	 * bytes of a descriptor table, `table`: it is a traced page table), not scanned code. */
	struct guard_hit { uint32_t lpage, gpage; mfn_t m; uint64_t sgen, root, ggen; uint8_t kind, seg, table; } guard[GUARD_SLOTS];
	struct patch_table pt;
	uint8_t scanned[GUEST_MAX_FRAMES / 8];   /* guest frames whose code has been scanned and patched */
	uint64_t scans, rescans, code_writes_emulated, code_writes_stepped;
	/* The code page one instruction is writing, single-stepped (selfmod.c): on, the guest's own
	 * TF, the page, and where the instruction is. */
	struct code_step { uint8_t on, guest_tf; uint32_t gfn, rip; uint16_t cs; } step;
	uint32_t data_start, data_end;   /* guest-physical bytes the loader knows are data, not code
	                                  * (a bzImage's compressed payload): never scanned or patched */
	struct vio io;
	int io_touched;                  /* the guest touched a device since poll_devices last looked */
	int intr_known, intr_vec;        /* vio_intr_pending's answer, while it cannot have changed */
	uint64_t next_event_tsc;         /* ... which found its next timer event due then (TSC) */
	struct blkcow disk[4];           /* the ATA disks hda..hdd: this VM's copy-on-write views of modules */
	unsigned disk_mask;              /* which of them are set up (and attached to io.ide) */
	struct vconsole con;
	uint64_t con_tsc;                /* its CPU time (vm_time_used) at its last console byte */
	int exit_code;                   /* written to isa-debug-exit */

	uint64_t exits[EXIT_COUNT];
	/* The profile: traps by the kind they turned out to be, and the VMM's cycles on them, from
	 * vm_trap or fast_entry to the return to a guest (under -icount, cycles are instructions). trap_kind is the
	 * first kind the current trap counted (EXIT_COUNT: none yet), set by vm_count. */
	uint64_t prof_n[EXIT_COUNT], prof_cycles[EXIT_COUNT];
	unsigned trap_kind;
	uint64_t fast_t0;                /* when the trap fast_finish is ending began */
	uint64_t fast_exits;             /* traps that took a fast path (fastpath.c) */
	uint64_t direct_exits;           /* ... of which the direct paths (direct.asm) did in assembly */
	uint64_t patched_kinds[X86_K_COUNT];   /* patched at load, per instruction kind */
	uint64_t start_tsc, end_tsc;
	uint64_t run_tsc;                /* time it had the CPU, up to its last switch out */
	int paused;                      /* by the operator (operator.c): not scheduled until resumed */
	/* Its balloon (mmu/overcommit.c): the guest has a driver (it made HC_BALLOON), the frames in
	 * it as the driver last said and at most, and the target the VMM's reclaim set. */
	int balloon_driver;
	uint64_t balloon_now, balloon_max, balloon_auto;
};

extern struct vm *cur;                   /* the VM whose state is on the CPU */

/* The VMs (run.c), for the operator's console (operator.c): vm_at(0 .. vm_total()-1). */
int vm_total(void);
struct vm *vm_at(int i);
int vm_focus(int i);                     /* move the console input to VM i; -1: just tell which */
uint64_t vm_time_used(const struct vm *vm);   /* TSC ticks it has had the CPU */

/* The operator's console (operator.c): operator_key takes each character of the VMM's serial
 * input first (1: it was the console's); a finished command line is run by operator_run on the
 * way back to a guest, with the current VM's frame. */
int operator_key(int c);
int operator_ready(void);
void operator_run(struct trapframe *tf);

/* Count one exit of kind k (and charge this trap's profile to it if it is the first). */
/* The profile: charge the whole path, from the trap (t0) up to the return into a guest, to the
 * first kind of exit this trap counted (a hlt's includes the time the CPU then idled). */
static inline void vm_profile(struct vm *vm, uint64_t t0)
{
	if (vm->trap_kind < EXIT_COUNT) {
		vm->prof_n[vm->trap_kind]++;
		vm->prof_cycles[vm->trap_kind] += rdtsc() - t0;
	}
}

static inline void vm_count(struct vm *vm, enum exit_kind k)
{
	vm->exits[k]++;
	if (vm->trap_kind == EXIT_COUNT)
		vm->trap_kind = k;
}

/* The guest's privilege level as it believes it: ring 1 is its ring 0. */
static inline unsigned guest_cpl(const struct trapframe *tf) { return (tf->cs & 3) == 3 ? 3 : 0; }

/* Guest memory (gmem.c). Linear addresses go through the guest's own page tables when its
 * paging is on. Return 0, or -1 with *pf_err set to the page-fault error code the guest would
 * see (and the faulting address in *pf_addr), or to 0xFFFFFFFF when the machine is out of frames
 * for its RAM. `user` means a CPL-3 access. guest_read/guest_write act as the guest's own accesses
 * would: guest-physical addresses outside RAM reach the devices (mmio_phys: the open bus reads all
 * ones and drops writes), writes to the BIOS area are dropped, and a write to scanned code takes its
 * patches out (as the guest's own write would). The loaders write RAM with gpa_ptr instead. */
void *gpa_ptr(struct vm *vm, uint32_t gpa);
int guest_walk(struct vm *vm, uint32_t la, int write, int user, uint32_t *gpa, uint32_t *flags,
	       uint32_t *pf_err);
/* The walk alone, for an address the CPU has just used (the int3 of a patch site): no permission
 * checks, no Accessed/Dirty bits, no frame backed on the way. 0, or -1 if not mapped. */
int guest_translate(struct vm *vm, uint32_t la, uint32_t *gpa);
int guest_read(struct vm *vm, uint32_t la, void *buf, uint32_t n, int user, uint32_t *pf_err, uint32_t *pf_addr);
int guest_write(struct vm *vm, uint32_t la, const void *buf, uint32_t n, int user, uint32_t *pf_err,
		uint32_t *pf_addr);
/* A store into guest RAM by guest-physical address (within one page), with what the guest's own
 * store would set off (traced tables, descriptor tables, scanned code): 0, or -1 if gpa is not
 * RAM (a device, the BIOS area, past the end) or machine memory ran out. */
int guest_phys_store(struct vm *vm, uint32_t gpa, const void *buf, uint32_t n);

/* Segments (segments.c). */
void seg_load_gdt(struct vm *vm);                 /* rebuild the compressed copy from guest memory */
/* The guest frames of the GDT, IDT and LDT are write-protected in the shadow (segments.c):
 * recompute them (at lgdt/lidt/lldt and paging on/off), ask, and take a guest write to them. */
void seg_trace_tables(struct vm *vm);
int seg_traced(const struct vm *vm, uint32_t gfn);     /* which tables (SEG_T_*) the frame holds */
/* Which tables the bytes [off, off + len) of the frame belong to (a write elsewhere on the page
 * changes nothing the CPU sees). */
int seg_traced_bytes(const struct vm *vm, uint32_t gfn, unsigned off, unsigned len);
/* The guest wrote to traced pages of these tables (seg_traced's kinds): read them again and put
 * them on the CPU. */
#define SEG_T_GDT 1
#define SEG_T_IDT 2
#define SEG_T_LDT 4
void seg_tables_written(struct vm *vm, struct trapframe *tf, int kinds);
/* After tables_open: read every table again and write-protect their pages once more. */
void seg_tables_protect(struct vm *vm, struct trapframe *tf);
/* Drop every shadow mapping of guest frame gfn (vtlb.c). */
void shadow_drop_frame(struct vm *vm, uint32_t gfn);
/* After seg_load_gdt: keep the descriptors the segment registers in tf had cached (from old[]). */
void seg_keep_cached(struct vm *vm, struct trapframe *tf, const uint64_t *old, unsigned old_n);
void seg_load_ldt(struct vm *vm);                 /* the same for the LDT named by the guest's LDTR */
int seg_lldt(struct vm *vm, uint16_t sel);        /* lldt: 0, or the vector to raise with sel (#GP, #NP) */
void seg_install(struct vm *vm);                  /* put them (and the IDT DPLs) on the real CPU */
void seg_load_idt(struct vm *vm);                 /* recompute the real gate DPLs */
int seg_check(struct vm *vm, uint16_t sel, int code, unsigned cpl); /* usable by the guest at cpl? */
int seg_guest_desc(struct vm *vm, uint16_t sel, uint64_t *desc);    /* the guest's own descriptor */
int seg_kernel_code(struct vm *vm, struct trapframe *tf, uint16_t sel);  /* far call/ret target at CPL 0 */
static inline uint16_t sel_to_guest(uint16_t real) /* RPL 1 -> 0: what the guest expects to see */
{
	return (real & 3) == 1 ? (uint16_t)(real & ~3u) : real;
}
int seg_frame_ok(struct vm *vm, struct trapframe *tf); /* can we return into this frame? */

/* A segment as the CPU holds it once a selector is loaded (the descriptor's hidden part). The
 * emulation takes it from the VMM's compressed GDT/LDT copies: exactly the descriptor the real CPU
 * loads for this selector when the VMM returns to the guest, so emulated and directly executed
 * instructions see the same segment. (A real CPU keeps the descriptor it read at the guest's last
 * segment load; the copies are refreshed at lgdt/lldt and machine switches, not when the guest
 * writes its tables: that tracing is a separate gap.) */
struct seg {
	uint32_t base;
	uint32_t lo, hi;        /* valid offsets lo..hi (expand-down: limit+1 .. 0xFFFF or 0xFFFFFFFF) */
	uint8_t type;           /* S and type bits of the access byte (0x10 | type) */
	uint8_t big;            /* D/B: 32-bit code, stack pointer ESP (not SP), 4 GiB expand-down */
};
void seg_from_desc(uint64_t desc, struct seg *s);
/* May n bytes at offset off be read (write = 0) or written through s? (type and limit checks) */
int seg_access_ok(const struct seg *s, uint32_t off, uint32_t n, int write);
/* The segment a selector names in the running VM's tables (-1: null or unusable). */
int seg_of_sel(struct vm *vm, uint16_t sel, struct seg *s);
/* The segment register r of the frame (enum x86_seg), and its base (0 if unusable). */
int seg_get(struct vm *vm, const struct trapframe *tf, unsigned r, struct seg *s);
uint32_t seg_base(struct vm *vm, const struct trapframe *tf, unsigned r);
/* Offset -> linear through segment register r, with the CPU's checks: 0, or -1 after giving the
 * guest the #GP(0) (#SS(0) for SS) a real CPU raises. */
int seg_linear(struct vm *vm, struct trapframe *tf, unsigned r, uint32_t off, uint32_t n, int write,
	       uint32_t *la);
/* n bytes at r:off on the guest's behalf, at its CPL: segment, paging, then RAM, BIOS area or
 * device. 0, or -1 after the guest got the fault a CPU raises (or the VM was stopped). */
int seg_read(struct vm *vm, struct trapframe *tf, unsigned r, uint32_t off, void *buf, uint32_t n);
int seg_write(struct vm *vm, struct trapframe *tf, unsigned r, uint32_t off, const void *buf, uint32_t n);
/* The stack: SS:ESP, or SS:SP when SS is a 16-bit stack segment (B = 0; SP wraps at 64 KiB and the
 * upper half of ESP is left alone). */
static inline uint32_t sp_add(const struct seg *ss, uint32_t esp, int32_t delta)
{
	return ss->big ? esp + (uint32_t)delta : (esp & 0xFFFF0000u) | ((esp + (uint32_t)delta) & 0xFFFFu);
}
static inline uint32_t sp_off(const struct seg *ss, uint32_t esp) { return ss->big ? esp : esp & 0xFFFFu; }
int stack_read(struct vm *vm, struct trapframe *tf, uint32_t esp, void *buf, uint32_t n); /* no pop */
int stack_push(struct vm *vm, struct trapframe *tf, const void *buf, uint32_t n);
int stack_pop(struct vm *vm, struct trapframe *tf, void *buf, uint32_t n);

/* Reflection (reflect.c): deliver `vector` through the guest's IDT (Figure B.3). */
enum { REFLECT_EXC, REFLECT_EXC_ERR, REFLECT_SOFT, REFLECT_IRQ };
int reflect(struct vm *vm, struct trapframe *tf, unsigned vector, int how, uint32_t err);
/* Its common case, the short way (fastpath.c): 1 done, 0 reflect() must do it (nothing changed). */
int reflect_fast(struct vm *vm, struct trapframe *tf, unsigned vector, int how, uint32_t err);
int emulate_iret(struct vm *vm, struct trapframe *tf, unsigned osz, unsigned len); /* osz 2: iretw */
/* An exception the VMM owes the guest: its vector, error code, and CR2 for a #PF. */
struct fault { unsigned vec; uint32_t err, cr2; };
static inline int fault_set(struct fault *f, unsigned vec, uint32_t err, uint32_t cr2)
{
	f->vec = vec;
	f->err = err;
	f->cr2 = cr2;
	return 1;
}
/* A hardware task switch to the TSS sel (task.c), for an interrupt through a task gate, a far
 * call or jmp, or an iret with NT: 0 done, 1 *f is the fault the old task takes instead, -1 the
 * VM was stopped (what it asked for is not virtualized). */
enum { TASK_INT, TASK_CALL, TASK_JMP, TASK_IRET };
int task_switch(struct vm *vm, struct trapframe *tf, uint16_t sel, int why, struct fault *f);
/* The task switch an instruction asks for (far jmp or call, iret with NT), the old task going
 * on at next; a fault before the switch is raised at the instruction. */
void task_insn(struct vm *vm, struct trapframe *tf, uint16_t sel, int why, uint32_t next);
/* A far jmp or call (why) to sel, going on at next: a task switch if sel is a TSS or task gate
 * (1: done, or its fault raised); 0 if it is not one. */
int task_far(struct vm *vm, struct trapframe *tf, uint16_t sel, int why, uint32_t next);
/* Give the guest the fault a VMM emulation owes it (#PF with its CR2; the rest with error codes). */
void raise_fault(struct vm *vm, struct trapframe *tf, const struct fault *f);
/* A guest_read/guest_write on the guest's behalf failed: give the guest the #PF a CPU would (with
 * its CR2), or stop the VM when err is 0xFFFFFFFF (the machine has no frame left to back its RAM). */
void guest_pf(struct vm *vm, struct trapframe *tf, uint32_t err, uint32_t addr);
static inline uint32_t guest_eflags(const struct vm *vm, const struct trapframe *tf)
{
	return ((uint32_t)tf->rflags & ~(FL_IF | FL_IOPL)) | vm->vif | vm->viopl;
}

/* At the guest's CPL 0 it may change IF and IOPL, which stay virtual; the real ones do not move. */
static inline void set_guest_eflags(struct vm *vm, struct trapframe *tf, uint32_t fl)
{
	vm->vif = fl & FL_IF;
	vm->viopl = fl & FL_IOPL;
	tf->rflags = (tf->rflags & ~(uint64_t)FL_USER) | (fl & FL_USER) | FL_IF;
}

/* An iret at CPL 0 (not popf) also loads RF, VIF and VIP from its image: RF because a debug
 * handler sets it to step over the instruction breakpoint it was called for (debugreg.c), VIF
 * and VIP because the SDM's IRET does at CPL 0 (they mean nothing outside virtual-8086 mode
 * with VME/PVI, but pushf and every exception frame show them, and popf never changes them).
 * They live in the real RFLAGS: the VMM's iretq loads them as the guest's iret would. */
#define FL_IRET_ONLY (FL_RF | FL_VIF | FL_VIP)
static inline void iret_flags(struct trapframe *tf, uint32_t fl)
{
	tf->rflags = (tf->rflags & ~(uint64_t)FL_IRET_ONLY) | (fl & FL_IRET_ONLY);
}

/* sysenter from a guest process (#GP or #UD at ring 3) and sysexit from its kernel, done as the
 * guest's SYSENTER MSRs ask (sysenter.c): 1 handled, 0 not that instruction (sysexit: #GP). */
int emulate_sysenter(struct vm *vm, struct trapframe *tf);
int emulate_sysexit(struct vm *vm, struct trapframe *tf);

/* rdmsr/wrmsr (msr.c): 0, or -1 for #GP (an MSR this virtual CPU lacks, or a reserved value). */
int msr_access(struct vm *vm, uint32_t msr, int write, uint64_t *val);
void msr_reset(struct vm_msrs *m);

/* The short ways for the commonest traps (fastpath.c): 1 done, 0 the general path must do it.
 * fast_paths: on unless the boot option fast=off asks for the general path only (to measure
 * what the short ways buy, and to test the general path on every trap); fast=c keeps them but
 * not the direct paths (direct.h). */
/* The short way in from trapentry.asm (fastpath.c): fast_entry tries the fast paths on a frame
 * without R8-R15 -- 0 not taken, 1 done (straight back), 2 done but fast_finish (run.c, on the
 * whole frame) must run vm_resume, because fast_leave (run.c) said something waits. */
int fast_entry(struct trapframe *tf);
void fast_finish(struct trapframe *tf);
int fast_leave(struct vm *vm, uint64_t t0);

/* The guest's debug registers (debugreg.c). */
void dr_reset(struct vm *vm);
void dr_load(const struct vm *vm);
int dr_access(struct vm *vm, unsigned n, int write, uint32_t *val, unsigned *vector);
void dr_guest_db(struct vm *vm);
void dr_single_step(struct vm *vm, struct trapframe *tf);   /* #DB with DR6.BS, as a TF trap */
int dr_own_step(struct vm *vm, int guest_tf);               /* the #DB of selfmod.c's step? */
int dr_write_hit(struct vm *vm, struct trapframe *tf, uint32_t la, unsigned len);
int dr_io_hit(struct vm *vm, struct trapframe *tf, uint16_t port, unsigned size);   /* I/O breakpoints */
extern int fast_paths;
/* A kernel's plain store at linear la, guest-physical gpa (RAM in machine frame m, not scanned
 * code), to a page the
 * shadow keeps read-only for the VMM's sake (a traced page table, a descriptor table's page),
 * done the short way: 1 done, 0 the general path must emulate it. */
int fast_guarded_write(struct vm *vm, struct trapframe *tf, uint32_t la, uint32_t gpa, mfn_t m, int seg, int table);
/* Bumped whenever what guards a guest frame may have changed -- a page table traced or no longer
 * (traced.c mark_table), the frames of the descriptor tables found again (segments.c), code
 * scanned or unscanned (patch.c): every remembered guarded write (vtlb.c guarded_again) is then
 * looked at from the start again. (One for all VMs: a change is rare next to the writes.) */
extern uint64_t guard_gen;

/* Privileged instructions (emulate.c) and patched ones (patch.c): 1 handled, 0 reflect #GP. */
int emulate_privileged(struct vm *vm, struct trapframe *tf);
int emulate_ud(struct vm *vm, struct trapframe *tf);       /* stac/clac (emulate.c) */
/* sgdt/sidt/sldt/str/smsw at the guest's CPL 3 that the real CR4.UMIP made fault (emulate.c):
 * 1 done (the guest's values stored, or a fault reflected), 0 the #GP is the guest's. */
int emulate_umip(struct vm *vm, struct trapframe *tf);
int emulate_sys_read(struct vm *vm, struct trapframe *tf, const struct x86_insn *in);   /* patch.c */
int emulate_far(struct vm *vm, struct trapframe *tf, const struct x86_insn *in, uint32_t next);   /* patch.c */
int emulate_patched(struct vm *vm, struct trapframe *tf, const struct patch *p);
/* Decode the guest instruction at eip (with its original first byte if it is patched: `known` is its
 * patch when the caller has it already, else it is looked up). */
int fetch_insn(struct vm *vm, struct trapframe *tf, uint32_t eip, struct x86_insn *in, uint8_t *bytes,
	       const struct patch *known);

/* The guest-physical map of a PC: RAM from 0 (the 640 KiB-1 MiB hole included: VGA memory is
 * RAM the guest may write), the BIOS area 0xE0000-0xFFFFF read-only (firmware tables), and above
 * the VM's RAM nothing but device pages (the APICs); the shadow never maps what is not RAM. */
#define GPA_ROM_START 0xE0000u
#define GPA_ROM_END   0x100000u
static inline int gpa_is_rom(uint32_t gpa) { return gpa >= GPA_ROM_START && gpa < GPA_ROM_END; }

/* A guest access to device memory (or a write to the BIOS area) faulted at linear la / physical
 * gpa: decode the instruction, perform it on the device (mmio.c), resume after it. */
int mmio_emulate(struct vm *vm, struct trapframe *tf, uint32_t la, uint32_t gpa, uint32_t err);
/* The same emulator for an instruction that writes to scanned code (RAM): 1 done (or the guest got
 * its fault), 0 if it is not an instruction the emulator knows. */
int emulate_code_write(struct vm *vm, struct trapframe *tf, uint32_t la);
/* An instruction the emulator lacks writes the code page it runs from (selfmod.c): the page is
 * unscanned and, unless the patcher would replace it, the instruction single-stepped on it. The step
 * is closed by the VMM's next entry (selfmod_entry: 1 if that entry is the step's own #DB, which
 * the guest does not get) or called off on the way back (selfmod_leave). */
void selfmod_begin(struct vm *vm, struct trapframe *tf, uint32_t gfn);
int selfmod_entry(struct vm *vm, struct trapframe *tf);
void selfmod_leave(struct vm *vm, struct trapframe *tf);
/* n bytes (within one page) at a guest-physical address outside RAM, as the bus does them: in
 * naturally aligned pieces of 1, 2 or 4 bytes to the VM's devices (mmio.c). */
void mmio_phys(struct vm *vm, uint32_t gpa, void *buf, uint32_t n, int write);

/* Shadow faults (vtlb.c): hidden ones filled, true ones reflected, code pages scanned. */
int shadow_fault(struct vm *vm, struct trapframe *tf, uint32_t la, uint32_t err);
/* Map la -> machine frame m (guest-physical gpa, RAM) in the shadow for an access the guest's
 * tables allow (flags from guest_walk; write: this access writes; exec_unscanned: user code run
 * unscanned), with the permissions the policy gives it (vtlb.c). A hidden fault does it, and so
 * does the VMM's own software walk (gmem.c), as a CPU's walk fills its TLB. */
void shadow_fill(struct vm *vm, uint32_t la, uint32_t gpa, mfn_t m, uint32_t flags, int write, int exec_unscanned);
/* ... the permissions themselves (writable, user, no-execute), for traced.c's prefetch too. */
void shadow_rights(struct vm *vm, uint32_t gpa, uint32_t flags, int write, int exec_unscanned, int *w, int *u, int *nx);
/* May the 512 guest frames from gfn0 all be mapped alike (no scanned code, descriptor table or
 * BIOS area among them: one 2 MiB shadow entry can then map them)? (vtlb.c) */
int shadow_group_plain(struct vm *vm, uint32_t gfn0);
/* The shadow of a VM (vtlb.c): the virtual TLB (shadow.c) or, with `trace`, the cached and traced
 * shadows (traced.c) with room for `budget` frames. 0, or -1 when machine memory is short. */
int shadow_setup(struct vm *vm, int trace, uint64_t budget);
void shadow_teardown(struct vm *vm);
/* What the guest did to its translations (emulate.c, fastpath.c), for the shadow to follow: a CR3
 * write; a change of these CR0 (PG, WP, PE) or CR4 (PSE, PGE) bits; invlpg of linear la. */
void guest_cr3_written(struct vm *vm);
void guest_paging_changed(struct vm *vm, uint32_t cr0_bits, uint32_t cr4_bits);
void guest_invlpg(struct vm *vm, uint32_t la);
/* One line of shadow counters for the VM's exit report (vtlb.c). */
int shadow_report(const struct vm *vm, char *buf, unsigned size);
/* Guest frame gfn holds scanned code and is being written: give it its own bytes back. */
void shadow_code_written(struct vm *vm, uint32_t gfn);
void trace_step1(struct vm *vm, struct trapframe *tf, unsigned flow, const char *what, unsigned back);

/* The patch at guest-linear la (where an int3 just ran), or 0. The int3 ran at la through the
 * shadow; while no shadow entry has been dropped since (sh.gen) and the shadow root is the same
 * one (the traced shadow keeps one per address space and does not count a switch back to a cached
 * one as a drop), la still reaches the frame it reached when a lookup was cached. The root is part
 * of the key: processes run the same kernel code in different address spaces, and must not evict
 * each other. A miss translates la and searches the table (patch.c). */
static inline unsigned patch_lslot(uint32_t la, uint64_t root)
{
	return (la ^ (la >> 7) ^ (uint32_t)root * 13) % PATCH_CACHE;
}

const struct patch *patch_at_miss(struct vm *vm, uint32_t la);

static inline const struct patch *patch_at(struct vm *vm, uint32_t la)
{
	const struct patch_lhit *c = &vm->pt.lcache[patch_lslot(la, vm->sh.root)];
	if (c->la == la && c->gen == vm->pt.gen && c->sgen == vm->sh.gen && c->root == vm->sh.root && vm->pt.gen)
		return &vm->pt.p[c->idx];
	return patch_at_miss(vm, la);
}

/* Hypercalls (hypercall.c): 1 if this int 0x82 was one (done), 0 if it is the guest's own. */
int hypercall(struct vm *vm, struct trapframe *tf);

/* The vCPU loop (run.c). */
void vm_fail(struct vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vm_console_putc(struct vm *vm, char c);     /* a byte of the guest's console output */
void vm_yield(void);                             /* the current VM's slice ends now */
uint64_t now_ns(void);
/* After the guest touched its devices: a power-off (the debug exit port, ACPI S5) ends the VM with
 * its exit code; a reset request (i8042, port 0x92, 0xCF9) stops it, since a VM cannot be reset. */
void vm_check_power(struct vm *vm);

#endif
