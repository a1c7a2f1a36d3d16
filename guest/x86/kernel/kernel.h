/* kernel.h - declarations shared by the kernel's files (one small header for a small kernel). */
#ifndef KERNEL_H
#define KERNEL_H
#include <stdint.h>
#include <stddef.h>
#include "../../../lib/kstring.h"

/* Selectors of the GDT built in gdt.c. */
#define KCODE_SEL 0x08
#define KDATA_SEL 0x10
#define UCODE_SEL 0x1B
#define UDATA_SEL 0x23
#define TSS_SEL   0x28

/* The register frame trap entry (traps.asm) builds on the kernel stack; lowest address first. */
struct trapframe {
	uint32_t gs, fs, es, ds;
	uint32_t edi, esi, ebp, esp_unused, ebx, edx, ecx, eax;	/* pusha */
	uint32_t vector, err;
	uint32_t eip, cs, eflags;	/* pushed by the CPU */
	uint32_t useresp, userss;	/* only when coming from ring 3 */
};
static inline int tf_from_user(const struct trapframe *tf) { return (tf->cs & 3) == 3; }

/* Boot options (main.c). */
enum mode { MODE_DEMO, MODE_TEST, MODE_BENCH };
extern enum mode boot_mode;
extern char bench_only[32];	/* bench=NAME (main.c) */
extern unsigned timer_hz;

/* console.c */
void serial_init(void);
void serial_putc(char c);
void console_write(const char *s, uint32_t n);	/* by hypercall under the VMM (pv.c) */
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int klog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));	/* "# " prefix in test/bench */
void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void poweroff(int failed) __attribute__((noreturn));

/* pv.c: para-virtual calls to the VMM, when it is found (include/hypercall.h) */
enum pv_mode { PV_AUTO, PV_ON, PV_OFF };
extern int pv_active;
void pv_init(enum pv_mode mode);
int32_t hcall(uint32_t nr, uint32_t b, uint32_t c, uint32_t d, uint32_t out[3]);
int pv_console_write(const char *s, uint32_t len);
void pv_block(void);
void pv_pte_set(uint32_t *pte, uint32_t val);	/* batched: pv_pte_flush sends them */
void pv_pte_flush(void);
void pv_pte_flush_cr3(const uint32_t *pd);	/* ... and load CR3, in one call */

/* gdt.c, idt.c */
void gdt_init(void);
void tss_set_kstack(uint32_t esp0);
extern uint64_t *const gdt;
extern uint32_t *const kernel_tss;	/* the kernel's TSS, as 26 words */
/* A descriptor: access is P, DPL, S, type; flags G (4 KiB units) and D/B (32-bit). */
uint64_t gdt_segment(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags);
extern const unsigned gdt_size;
uint32_t gdt_live_write_read(uint32_t base);
void ldt_live_write_read(uint32_t b0, uint32_t b1, uint32_t *v0, uint32_t *v1);
int store_forms_check(void);
void idt_retarget(int vec, int stub);
uint64_t idt_swap(int vec, uint64_t gate);	/* write gate `vec` as it is given; returns the old one */
void idt_task_gate(int vec, uint16_t tss_sel);	/* a task gate: tasktest.c */
void scratch_map_user(uint32_t pa);
void scratch_map_ro(uint32_t pa);
void cputest_run(void);
void tasktest_run(void);
void ktest_skip(const char *name, const char *why);
void idt_init(void);
extern const void *idt_base(void);
#define IDT_BYTES (256 * 8)

/* pic.c: 8259 PIC and 8254 PIT */
void pic_init(void);
void pic_eoi(int irq);
void pit_init(unsigned hz);
extern volatile uint32_t ticks;

/* frame.c: physical page frames */
void frames_init(uint32_t kernel_end, uint32_t ram_top, const uint32_t *ranges, int nranges);
uint32_t frame_alloc(void);	/* physical address, not zeroed; 0 when out of memory */
uint32_t frame_alloc_zero(void);	/* ... zeroed (by us, or by the VMM: frame.c) */
void frames_report(void);	/* a line: pages the kernel zeroed, frames given back */
void frame_get(uint32_t pa);
void frame_put(uint32_t pa);
unsigned frame_refs(uint32_t pa);
unsigned frames_free(void);	/* free, counting the balloon's (the kernel can have them back) */
uint32_t *frame_link(uint32_t pa);	/* a per-frame link word outside the frame (balloon.c) */
void balloon_poll(void);	/* timer tick: follow the VMM's target (balloon.c) */
uint32_t balloon_take(void);	/* a frame back from the balloon, or 0 */
unsigned balloon_frames(void);
void balloon_report(void);
extern unsigned memcheck_rounds;
int memcheck_run(void);		/* memcheck.c: pages checksummed over time; 1: none changed */
extern unsigned memcheck_checked, memcheck_bad;	/* the last run's checksums checked and wrong */
extern int opt_soak;		/* boot word soak: the suite's user half and memcheck again and again */
extern uint32_t direct_map_top;
void page_zero(uint32_t pa);
void page_copy(uint32_t dst, uint32_t src);

/* vm.c: page tables */
#define PTE_P 0x001
#define PTE_W 0x002
#define PTE_U 0x004
#define PTE_A 0x020
#define PTE_D 0x040
#define PTE_PS 0x080
#define PTE_COW 0x200	/* software bit: write-protected because shared after fork */
#define PAGE 4096u
struct proc;
void vm_init(void);
uint32_t *vm_create(void);
void vm_free(uint32_t *pd);
uint32_t *vm_fork(uint32_t *pd);
int vm_map_new(uint32_t *pd, uint32_t va, uint32_t flags);	/* fresh zeroed page */
uint32_t *vm_pte(uint32_t *pd, uint32_t va, int create);
void vm_unmap_range(uint32_t *pd, uint32_t from, uint32_t to);
int vm_fault(struct proc *p, uint32_t va, uint32_t err);	/* 0 when resolved */
void vm_switch(uint32_t *pd);
extern uint32_t *kernel_pd;
#define SCRATCH_VA 0xFFC00000u	/* kernel-only 4 KiB window, last PDE */
void scratch_map(uint32_t pa);
uint32_t *scratch_pte(void);

/* proc.c */
#define NPROC 64
#define KSTACK_SIZE 8192
enum pstate { P_FREE, P_EMBRYO, P_RUNNABLE, P_SLEEPING, P_WAITING, P_ZOMBIE };
struct proc {
	int pid;
	enum pstate state;
	struct proc *parent;
	char name[16];
	uint32_t *pd;
	uint32_t kesp;		/* saved kernel stack pointer while switched out */
	uint32_t heap_start, brk;
	uint32_t wake_tick;
	int status;
	unsigned pf_demand, pf_cow, pf_total;
	struct trapframe *tf;
};
extern struct proc *current;
void proc_init(void);
void proc_start_init(const char *prog, const char *arg) __attribute__((noreturn));
int proc_fork(struct trapframe *tf);
int proc_exec(struct trapframe *tf, const char *name, const char *arg);
int proc_wait(int *status);
void proc_exit(int status) __attribute__((noreturn));
void proc_kill(int status, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
void proc_yield(void);
void proc_sleep(uint32_t nticks);
void proc_tick(void);	/* timer interrupt: wake sleepers */
void schedule(void);

/* elf.c and the embedded user programs */
const void *userprog_find(const char *name, uint32_t *size);
int elf_load(uint32_t *pd, const void *image, uint32_t size, uint32_t *entry, uint32_t *end);

/* syscall.c, trap.c, selftest.c, kbench.c */
void syscall_dispatch(struct trapframe *tf);
void ktest_kernel(void);
int ktest_next(void);	/* the number of the next KTAP test */
extern int ktest_failed;
void kbench_run(void);
extern volatile int breakpoint_hits;
extern void (*debug_hook)(struct trapframe *tf);	/* #DB from the kernel, if set */

/* swtch.asm */
void swtch(uint32_t *save_esp, uint32_t new_esp);
void trap_return(void);
void gdt_load_segments(void);
#endif
