/* kernel.h - the guest OS's internal interfaces. */
#ifndef GUEST_MIPS_KERNEL_H
#define GUEST_MIPS_KERNEL_H
#include <stdint.h>
#include <stddef.h>
#include "trapframe.h"
#include "ktap.h"

/* console.c */
void kputc(char c);
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void kpanic(const char *msg);
_Noreturn void power_off(void);

/* mem.c: physical pages, reached through the kseg2 window */
void mem_init(uint32_t ram_bytes);
void *page_alloc(void);              /* zeroed page, kseg2 address; 0 if none */
void page_free(void *p);
unsigned pages_free(void);
uint32_t *pgdir_new(void);
int map_page(uint32_t *pgdir, uint32_t va, void *page, int writable);
uint32_t *pte_of(uint32_t *pgdir, uint32_t va);
void pgdir_free(uint32_t *pgdir);
int pgdir_copy(uint32_t *dst, uint32_t *src);
int copy_from_user(uint32_t *pgdir, void *dst, uint32_t uva, uint32_t n);
int copy_to_user(uint32_t *pgdir, uint32_t uva, const void *src, uint32_t n);
void tlb_flush_all(void);

/* proc.c */
struct proc {
	int pid, state, exit_status, parent;
	uint32_t *pgdir;
	uint8_t *kstack;             /* one page; trapframe at its top */
	unsigned asid, asid_gen;
	uint32_t heap_end;
};
enum { P_FREE, P_RUNNABLE, P_WAITING, P_ZOMBIE };
extern struct proc *curp;
extern uint32_t *cur_pgdir;
extern uint32_t cur_kstack_top;
extern volatile uint32_t ticks;
struct tf *proc_tf(struct proc *p);
void proc_init(void);
struct proc *proc_spawn_init(void);
struct tf *schedule(void);
struct tf *do_syscall(struct tf *tf);
struct tf *kill_current(const char *why);
_Noreturn void resume(struct tf *tf);

/* trap.c */
struct tf *ktrap(struct tf *tf);
void timer_start(void);
extern uint32_t timer_interval;

/* ktests.c */
int run_kernel_tests(void);
void hostile(const char *kind);

extern uint32_t ram_size;

#endif
