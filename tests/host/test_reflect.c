/* test_reflect.c - host unit tests of Figure B.3's two halves (arch/x86_64/cpu/reflect.c) and of ring
 * compression (segments.c), on a guest laid out in fake machine memory:
 *   reflect(): int 0x80 from guest ring 3 must land in the handler named by the guest's IDT, on the
 *   ring-0 stack named by the guest's TSS, with the exact 32-bit frame the CPU builds (selectors
 *   with RPL 0 for the guest kernel, EFLAGS with the guest's virtual IF), and IF cleared for an
 *   interrupt gate;
 *   emulate_iret(): the guest's iret must come back to ring 3 with its registers, or be refused
 *   (#GP reflected) when the frame names a kernel selector for ring 3. */
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include "ktap.h"
#include "fakemem.h"
#include "../../arch/x86_64/cpu/vm.h"
#include "shadowstubs.h"
#include "../../lib/log.h"

/* What reflect.c and segments.c need from the rest of the VMM. */
uint64_t gdt[GDT_ENTRIES];
void idt_set_dpl(unsigned v, unsigned dpl) { (void)v; (void)dpl; }
void ldt_load(const void *base, unsigned bytes) { (void)base; (void)bytes; }
void shadow_code_written(struct vm *v, uint32_t gfn) { (void)v; (void)gfn; }
void shadow_drop_frame(struct vm *v, uint32_t gfn) { (void)v, (void)gfn; }
void xfeat_cr0(const struct vm *v) { (void)v; }        /* (task.c: a task switch sets CR0.TS) */
void guest_cr3_written(struct vm *v) { (void)v; }
void mmio_phys(struct vm *v, uint32_t gpa, void *buf, uint32_t n, int write)
{
	(void)v, (void)gpa;
	if (!write)
		memset(buf, 0xFF, n);                      /* the open bus */
}
void kprintf(const char *fmt, ...) { (void)fmt; }
void klog(enum log_level lvl, const char *subsys, const char *fmt, ...) { (void)lvl; (void)subsys; (void)fmt; }
static char failed[160];
void vm_fail(struct vm *vm, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(failed, sizeof failed, fmt, ap);
	va_end(ap);
	vm->s.state = VM_STOPPED;
}

static struct vm vm;
static uint32_t *gp(uint32_t gpa) { return gpa_ptr(&vm, gpa); }

/* Guest (paging off): GDT at 0x1000 (kernel code 0x08, data 0x10, user code 0x1B, data 0x23,
 * TSS 0x28 at 0x3000), IDT at 0x2000 (0x80: DPL-3 interrupt gate to 0x08:0x00105000; 13 and 14:
 * DPL-0 interrupt gates to 0x00106000), TSS esp0 = 0x9000, ss0 = 0x10. */
static void setup(void)
{
	const char *why;
	fake_machine();
	memset(&vm, 0, sizeof vm);
	vm.s.state = VM_RUNNABLE;
	failed[0] = 0;
	if (pmap_create(&vm.pmap, 1, 16 << 20, &why) < 0)
		abort();
	vm.cr0 = CR0_PE;
	uint64_t *g = (uint64_t *)gp(0x1000);
	g[1] = 0x00CF9A000000FFFFULL;
	g[2] = 0x00CF92000000FFFFULL;
	g[3] = 0x00CFFA000000FFFFULL;
	g[4] = 0x00CFF2000000FFFFULL;
	g[5] = 0x0000890030000067ULL;                      /* TSS at 0x3000, limit 0x67 */
	vm.gdtr.base = 0x1000;
	vm.gdtr.limit = 6 * 8 - 1;
	seg_load_gdt(&vm);
	uint32_t *idt = gp(0x2000);
	idt[0x80 * 2] = (0x08 << 16) | 0x5000;
	idt[0x80 * 2 + 1] = 0x00100000 | 0xEE00;           /* present, DPL 3, 32-bit interrupt gate */
	for (unsigned v = 13; v <= 14; v++) {
		idt[v * 2] = (0x08 << 16) | 0x6000;
		idt[v * 2 + 1] = 0x00100000 | 0x8E00;
	}
	vm.idtr.base = 0x2000;
	vm.idtr.limit = 256 * 8 - 1;
	gp(0x3000)[1] = 0x9000;                            /* esp0 */
	gp(0x3000)[2] = 0x10;                              /* ss0 */
	vm.tr = 0x28;
	vm.tr_base = 0x3000;                               /* as ltr caches it */
	vm.vif = FL_IF;
}

static struct trapframe user_frame(void)
{
	struct trapframe tf;
	memset(&tf, 0, sizeof tf);
	tf.cs = 0x1B;
	tf.ss = 0x23;
	tf.rip = 0x40001002;                               /* after the int 0x80 */
	tf.rsp = 0x7FFFF0;
	tf.rflags = 0x202 | 0x1;                           /* IF (real) and CF */
	tf.rax = 4;
	return tf;
}

static void syscall_frame_is_the_cpus(void)
{
	setup();
	struct trapframe tf = user_frame();
	CHECK(reflect(&vm, &tf, 0x80, REFLECT_SOFT, 0) == 0);
	CHECK(tf.rip == 0x00105000 && tf.cs == 0x09 && tf.ss == 0x11);   /* the handler, at ring 1 */
	CHECK(tf.rsp == 0x9000 - 20);                      /* ss, esp, eflags, cs, eip on the TSS stack */
	uint32_t *f = gp(0x9000 - 20);
	CHECK(f[0] == 0x40001002);                         /* eip */
	CHECK(f[1] == 0x1B);                               /* cs */
	CHECK(f[2] == (0x202 | 1));                        /* eflags: the guest's IF, CF kept */
	CHECK(f[3] == 0x7FFFF0 && f[4] == 0x23);           /* esp, ss */
	CHECK(vm.vif == 0);                                /* interrupt gate */
	CHECK(tf.rflags & FL_IF);                          /* the real IF stays on */
	CHECK(vm.s.state == VM_RUNNABLE);
}

static void kernel_fault_has_rpl0_selectors_and_error_code(void)
{
	setup();
	struct trapframe tf = user_frame();
	tf.cs = 0x09;                                      /* the guest kernel (real ring 1) */
	tf.ss = 0x11;
	tf.rsp = 0x8800;
	vm.vif = 0;
	CHECK(reflect(&vm, &tf, 14, REFLECT_EXC_ERR, 0x2) == 0);
	CHECK(tf.rsp == 0x8800 - 16);                      /* no stack switch: eflags, cs, eip, error */
	uint32_t *f = gp(0x8800 - 16);
	CHECK(f[0] == 0x2 && f[1] == 0x40001002 && f[2] == 0x08);   /* CS as the guest loaded it: RPL 0 */
	CHECK(!(f[3] & FL_IF));                            /* the guest had interrupts off */
}

static void iret_returns_to_ring3(void)
{
	setup();
	struct trapframe tf = user_frame(), before = tf;
	CHECK(reflect(&vm, &tf, 0x80, REFLECT_SOFT, 0) == 0);
	tf.rax = 7;                                        /* the system call's result */
	CHECK(emulate_iret(&vm, &tf, 4, 1) == 1);
	CHECK(tf.rip == before.rip && tf.cs == 0x1B && tf.ss == 0x23 && tf.rsp == before.rsp);
	CHECK(vm.vif == FL_IF && (tf.rflags & 1) && tf.rax == 7);
}

static void iret_with_kernel_cs_to_ring3_is_refused(void)
{
	setup();
	struct trapframe tf = user_frame();
	CHECK(reflect(&vm, &tf, 0x80, REFLECT_SOFT, 0) == 0);
	uint32_t *f = gp((uint32_t)tf.rsp);
	f[1] = 0x0B;                                       /* ring-0 code selector with RPL 3 */
	CHECK(emulate_iret(&vm, &tf, 4, 1) == 1);
	CHECK(tf.rip == 0x00106000);                       /* #GP reflected to the guest kernel */
	CHECK(vm.s.state == VM_RUNNABLE);
}

/* int 0x81 through an empty IDT entry: #GP(0x81 * 8 + 2) (the type is checked first; no EXT bit
 * for an INT n), reported at the int instruction (2 bytes back) and delivered through gate 13 on
 * the ring-0 stack. With no gate 13 either, the #GP while delivering the #GP is a double fault,
 * and with no gate 8 a triple fault: the VM stops. */
static void missing_gate_faults(void)
{
	setup();
	struct trapframe tf = user_frame();
	CHECK(reflect(&vm, &tf, 0x81, REFLECT_SOFT, 0) == 0 && tf.rip == 0x00106000 && tf.rsp == 0x9000 - 24);
	uint32_t *f = gp(0x9000 - 24);
	CHECK(f[0] == 0x81 * 8 + 2 && f[1] == 0x40001000 && f[2] == 0x1B && f[4] == 0x7FFFF0);
	CHECK(vm.s.state == VM_RUNNABLE);

	setup();
	gp(0x2000)[13 * 2 + 1] = 0;                        /* gate 13 not there */
	tf = user_frame();
	CHECK(reflect(&vm, &tf, 0x81, REFLECT_SOFT, 0) == -1);
	printf("    # the VM stopped: %s\n", failed);
	CHECK(vm.s.state == VM_STOPPED && strstr(failed, "vector 13 (not a gate) while delivering a double fault") &&
	      strstr(failed, "triple fault"));
}

static void ring_compression(void)
{
	setup();
	CHECK(((vm.gdt[1] >> 45) & 3) == 1 && ((vm.gdt[2] >> 45) & 3) == 1);   /* DPL 0 -> 1 */
	CHECK(((vm.gdt[3] >> 45) & 3) == 3);
	CHECK(vm.gdt[5] == 0);                             /* the TSS stays virtual */
	((uint64_t *)gp(0x1000))[1] = 0x00AF9A000000FFFFULL;   /* L=1: 64-bit code in IA-32e mode */
	seg_load_gdt(&vm);
	/* a 32-bit CPU ignores L: installed without it (D=0 here: 16-bit code), never as 64-bit code */
	CHECK(vm.gdt[1] == (0x008F9A000000FFFFULL | 1ULL << 45 | 1ULL << 40));
	CHECK(sel_to_guest(0x09) == 0x08 && sel_to_guest(0x1B) == 0x1B);
}

int main(void)
{
	KTAP_BEGIN(6);
	RUN(syscall_frame_is_the_cpus);
	RUN(kernel_fault_has_rpl0_selectors_and_error_code);
	RUN(iret_returns_to_ring3);
	RUN(iret_with_kernel_cs_to_ring3_is_refused);
	RUN(missing_gate_faults);
	RUN(ring_compression);
	KTAP_END();
}
