/* test_seg.c - host unit tests of segments as the emulation uses them (arch/x86_64/cpu/segments.c,
 * reflect.c): base + offset, limits with byte and page granularity, expand-down data segments (16-
 * and 32-bit), the type checks (read-only data, execute-only code), 16-bit stack segments (SP, not
 * ESP), #GP(0)/#SS(0) on a violation, and the LDT: lldt of the guest's descriptor, the compressed
 * copy the real LDTR gets, selectors with TI=1 in the boundary checks. */
#include <stdlib.h>
#include <string.h>
#include "ktap.h"
#include "fakemem.h"
#include "vmmstubs.h"

void shadow_code_written(struct vm *v, uint32_t gfn) { (void)v; (void)gfn; }
void shadow_drop_frame(struct vm *v, uint32_t gfn) { (void)v, (void)gfn; }
void mmio_phys(struct vm *v, uint32_t gpa, void *buf, uint32_t n, int write)
{
	(void)v, (void)gpa;
	if (!write)
		memset(buf, 0xFF, n);
}

static struct vm vm;
static uint32_t *gp(uint32_t gpa) { return gpa_ptr(&vm, gpa); }

static void pure_arithmetic(void)
{
	struct seg s;
	seg_from_desc(0x00CF92000000FFFFULL, &s);              /* flat 4 GiB data */
	CHECK(s.base == 0 && s.lo == 0 && s.hi == 0xFFFFFFFFu && s.big);
	CHECK(seg_access_ok(&s, 0, 4, 1) && seg_access_ok(&s, 0xFFFFFFFEu, 4, 1));   /* wraps, no fault */

	seg_from_desc(mkdesc(0x12345678, 0xFFF, 0x92, DB_32), &s);   /* byte granular, base */
	CHECK(s.base == 0x12345678 && s.hi == 0xFFF);
	CHECK(seg_access_ok(&s, 0xFFC, 4, 1) && !seg_access_ok(&s, 0xFFD, 4, 0) && !seg_access_ok(&s, 0x1000, 1, 0));

	seg_from_desc(mkdesc(0, 0xF, 0x92, G_4K | DB_32), &s);      /* 4 KiB units: limit 0xFFFF */
	CHECK(s.hi == 0xFFFF && seg_access_ok(&s, 0xFFFF, 1, 0) && !seg_access_ok(&s, 0xFFFF, 2, 0));

	seg_from_desc(mkdesc(0x1000, 0x0FFF, 0x96, DB_32), &s);     /* expand-down, B=1 */
	CHECK(s.lo == 0x1000 && s.hi == 0xFFFFFFFFu);
	CHECK(!seg_access_ok(&s, 0xFFF, 1, 0) && !seg_access_ok(&s, 0xFFE, 4, 0));
	CHECK(seg_access_ok(&s, 0x1000, 4, 1) && seg_access_ok(&s, 0xFFFFFFFCu, 4, 1));
	CHECK(!seg_access_ok(&s, 0xFFFFFFFDu, 4, 0));               /* not flat: no wrap */

	seg_from_desc(mkdesc(0, 0x0FFF, 0x96, 0), &s);              /* expand-down, B=0: up to 0xFFFF */
	CHECK(s.lo == 0x1000 && s.hi == 0xFFFF && !s.big);
	CHECK(seg_access_ok(&s, 0xFFFE, 2, 0) && !seg_access_ok(&s, 0xFFFE, 4, 0) && !seg_access_ok(&s, 0x10000, 1, 0));

	seg_from_desc(mkdesc(0, 0xFFFFF, 0x96, G_4K | DB_32), &s);  /* expand-down to 4 GiB - 1: empty */
	CHECK(!seg_access_ok(&s, 0, 1, 0) && !seg_access_ok(&s, 0xFFFFFFFFu, 1, 0));

	seg_from_desc(mkdesc(0, 0xFFFF, 0x90, 0), &s);              /* read-only data */
	CHECK(seg_access_ok(&s, 0, 4, 0) && !seg_access_ok(&s, 0, 4, 1));
	seg_from_desc(mkdesc(0, 0xFFFF, 0x98, 0), &s);              /* execute-only code */
	CHECK(!seg_access_ok(&s, 0, 4, 0) && !seg_access_ok(&s, 0, 4, 1));
	seg_from_desc(mkdesc(0, 0xFFFF, 0x9A, 0), &s);              /* readable code */
	CHECK(seg_access_ok(&s, 0, 4, 0) && !seg_access_ok(&s, 0, 4, 1));
}

static void stack_pointer_arithmetic(void)
{
	struct seg s16, s32;
	seg_from_desc(mkdesc(0, 0xFFFF, 0x92, 0), &s16);
	seg_from_desc(mkdesc(0, 0xFFFFF, 0x92, G_4K | DB_32), &s32);
	CHECK(sp_add(&s16, 0x12340002, -4) == 0x1234FFFE);          /* SP wraps, ESP's top half stays */
	CHECK(sp_off(&s16, 0x1234FFFE) == 0xFFFE);
	CHECK(sp_add(&s16, 0x1234FFFE, 4) == 0x12340002);
	CHECK(sp_add(&s32, 0x12340002, -4) == 0x1233FFFE && sp_off(&s32, 0x1233FFFE) == 0x1233FFFE);
}

/* Guest (paging off): GDT at 0x1000: 0x08 code, 0x10 flat data, 0x18 data base 0x20000 limit
 * 0xFFF, 0x20 read-only data, 0x28 16-bit stack base 0x30000 limit 0xFFFF, 0x30 LDT (base 0x4000,
 * 4 entries), 0x38 not-present LDT, 0x40 expand-down data (B=1, limit 0x0FFFFFFF). IDT at 0x2000:
 * 12, 13, 14 -> 0x08:0x6000 (interrupt gates). LDT: 0x04 code (DPL 0), 0x0C data base 0x50000,
 * 0x14 a call gate (never reaches the real LDT), 0x1C an L=1 code segment (reaches it without L). */
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
	g[3] = mkdesc(0x20000, 0xFFF, 0x92, DB_32);
	g[4] = mkdesc(0, 0xFFFFF, 0x90, G_4K | DB_32);
	g[5] = mkdesc(0x30000, 0xFFFF, 0x92, 0);
	g[6] = mkdesc(0x4000, 4 * 8 - 1, 0x82, 0);
	g[7] = mkdesc(0x4000, 4 * 8 - 1, 0x02, 0);
	g[8] = mkdesc(0, 0x0FFFF, 0x96, G_4K | DB_32);
	vm.gdtr.base = 0x1000;
	vm.gdtr.limit = 9 * 8 - 1;
	seg_load_gdt(&vm);
	uint64_t *l = (uint64_t *)gp(0x4000);
	l[0] = 0x00CF9A000000FFFFULL;
	l[1] = mkdesc(0x50000, 0xFFFF, 0x92, DB_32);
	l[2] = 0x0000EC0000080000ULL;                          /* call gate, DPL 3 */
	l[3] = 0x00AF9A000000FFFFULL;                          /* 64-bit code */
	uint32_t *idt = gp(0x2000);
	for (unsigned v = 12; v <= 14; v++) {
		idt[v * 2] = (0x08 << 16) | 0x6000;
		idt[v * 2 + 1] = 0x8E00;
	}
	vm.idtr.base = 0x2000;
	vm.idtr.limit = 256 * 8 - 1;
}

static struct trapframe kframe(void)
{
	struct trapframe tf;
	memset(&tf, 0, sizeof tf);
	tf.cs = 0x09;
	tf.ss = tf.ds = tf.es = tf.fs = tf.gs = 0x11;
	tf.rip = 0x00101000;
	tf.rsp = 0x9000;
	tf.rflags = 0x202;
	return tf;
}

static void linear_addresses_and_faults(void)
{
	setup();
	struct trapframe tf = kframe();
	uint32_t la, v = 0xA5A5A5A5;
	tf.ds = 0x18;
	CHECK(seg_linear(&vm, &tf, X86_SEG_DS, 0xFFC, 4, 1, &la) == 0 && la == 0x20FFC);
	CHECK(seg_write(&vm, &tf, X86_SEG_DS, 0x10, &v, 4) == 0 && *gp(0x20010) == 0xA5A5A5A5);
	tf.fs = 0x43;                                          /* expand-down, RPL 3 */
	CHECK(seg_linear(&vm, &tf, X86_SEG_FS, 0x10000000, 4, 0, &la) == 0 && la == 0x10000000);
	CHECK(tf.rip == 0x00101000);                           /* no fault so far */
	/* Past the limit: #GP(0) reflected into the guest's handler, error code 0 on its stack. */
	CHECK(seg_linear(&vm, &tf, X86_SEG_DS, 0xFFE, 4, 0, &la) == -1);
	CHECK(tf.rip == 0x6000 && tf.rsp == 0x9000 - 16 && gp(0x9000 - 16)[0] == 0 && gp(0x9000 - 16)[1] == 0x00101000);
	tf = kframe();
	tf.fs = 0x40;
	CHECK(seg_linear(&vm, &tf, X86_SEG_FS, 0xFFFFFFC, 4, 0, &la) == -1 && tf.rip == 0x6000);   /* expand-down */
	tf = kframe();
	tf.es = 0x20;                                          /* read-only: a write is #GP(0) */
	CHECK(seg_write(&vm, &tf, X86_SEG_ES, 0, &v, 4) == -1 && tf.rip == 0x6000);
	tf = kframe();
	tf.gs = 0;                                             /* null selector */
	CHECK(seg_read(&vm, &tf, X86_SEG_GS, 0, &v, 4) == -1 && tf.rip == 0x6000);
	/* Through SS the fault is #SS(0) (vector 12): its gate is the same handler; vm.cr2 untouched. */
	tf = kframe();
	tf.ds = 0x18;
	tf.ss = 0x18;
	tf.rsp = 0x800;
	vm.cr2 = 0x1234;
	CHECK(seg_read(&vm, &tf, X86_SEG_SS, 0x1000, &v, 4) == -1 && tf.rip == 0x6000 && vm.cr2 == 0x1234);
	CHECK(vm.s.state == VM_RUNNABLE);
}

/* Patched pushf/popf and the like use SS:SP when SS is a 16-bit stack segment. */
static void sixteen_bit_stack(void)
{
	setup();
	struct trapframe tf = kframe();
	uint32_t v = 0xCAFEF00D, w = 0;
	tf.ss = 0x29;
	tf.rsp = 0xABCD0100;
	CHECK(stack_push(&vm, &tf, &v, 4) == 0 && tf.rsp == 0xABCD00FC && *gp(0x300FC) == 0xCAFEF00D);
	CHECK(stack_pop(&vm, &tf, &w, 4) == 0 && w == 0xCAFEF00D && tf.rsp == 0xABCD0100);
	/* A 32-bit push at SP 2 wraps to 0xFFFE and passes the limit: #SS(0). Delivering it on the same
	 * full stack faults again; here there is no gate 12 nor 8 either: #GP while delivering #SS is a
	 * double fault, and #GP while delivering that a triple fault: the VM stops (a PC would reset). */
	tf.rsp = 0xABCD0002;
	CHECK(stack_push(&vm, &tf, &v, 4) == -1 && tf.rsp == 0xABCD0002);
	printf("    # the VM stopped: %s\n", failed);
	CHECK(vm.s.state == VM_STOPPED && strstr(failed, "while delivering a double fault") &&
	      strstr(failed, "a triple fault"));
}

/* A kernel fault taken on a 16-bit stack segment with a base: the frame goes to base + SP. */
static void reflect_and_iret_on_a_based_16bit_stack(void)
{
	setup();
	struct trapframe tf = kframe();
	tf.ss = 0x29;
	tf.rsp = 0x77770200;
	CHECK(reflect(&vm, &tf, 14, REFLECT_EXC_ERR, 2) == 0);
	CHECK(tf.rip == 0x6000 && tf.rsp == 0x777701F0 && tf.ss == 0x29);
	uint32_t *f = gp(0x30000 + 0x1F0);
	CHECK(f[0] == 2 && f[1] == 0x00101000 && f[2] == 0x08);
	/* The handler pops the error code and irets: back to where it was, SP and ESP's top half. */
	tf.rsp = 0x777701F4;
	CHECK(emulate_iret(&vm, &tf, 4, 1) == 1);
	CHECK(tf.rip == 0x00101000 && tf.rsp == 0x77770200 && tf.cs == 0x09 && vm.s.state == VM_RUNNABLE);
}

static void ldt(void)
{
	setup();
	CHECK(seg_lldt(&vm, 0x30) == 0 && vm.ldtr == 0x30 && vm.ldt_base == 0x4000 && vm.ldt_n == 4);
	CHECK(((vm.ldt[0] >> 45) & 3) == 1 && ((vm.ldt[1] >> 45) & 3) == 1);   /* DPL 0 -> 1 */
	CHECK(vm.ldt[2] == 0);                                 /* no gates */
	CHECK(vm.ldt[3] && !(vm.ldt[3] & 1ULL << 53));         /* L=1 code: without L, never 64-bit */
	CHECK(seg_check(&vm, 0x04, 1, 0) && seg_check(&vm, 0x0C, 0, 0) && seg_check(&vm, 0x1C, 1, 0));
	CHECK(!seg_check(&vm, 0x14, 1, 0) && !seg_check(&vm, 0x24, 0, 0));
	struct seg s;
	CHECK(seg_of_sel(&vm, 0x0F, &s) == 0 && s.base == 0x50000);
	uint64_t d;
	CHECK(seg_guest_desc(&vm, 0x0C, &d) == 0 && ((d >> 45) & 3) == 0);      /* the guest's own */
	CHECK(seg_guest_desc(&vm, 0x24, &d) == -1);            /* past the LDT's limit */
	/* The boundary check keeps a data selector the LDT backs and nulls one it does not. */
	struct trapframe tf = kframe();
	tf.cs = 0x05;
	tf.ds = 0x0C;
	tf.es = 0x14;
	CHECK(seg_frame_ok(&vm, &tf) && tf.ds == 0x0C && tf.es == 0);
	/* seg_install points the real LDTR at the copy and reads the guest's LDT again. */
	((uint64_t *)gp(0x4000))[1] = mkdesc(0x60000, 0xFFFF, 0x92, DB_32);
	seg_install(&vm);
	CHECK(ldt_loaded == vm.ldt && ldt_loaded_bytes == 4 * 8);
	CHECK(seg_of_sel(&vm, 0x0C, &s) == 0 && s.base == 0x60000);
	/* DPL 1 compresses to DPL 1 as DPL 0 does, but is no segment for the guest's ring 0: the
	 * guest's DPL decides (an iret to it is #GP natively: tests/fuzz 9:5961). */
	((uint64_t *)gp(0x4000))[1] = mkdesc(0x60000, 0xFFFF, 0xB2, DB_32);    /* data, DPL 1 */
	((uint64_t *)gp(0x4000))[0] = mkdesc(0, 0xFFFFF, 0xBA, G_4K | DB_32);  /* code, DPL 1 */
	seg_load_ldt(&vm);
	CHECK(((vm.ldt[1] >> 45) & 3) == 1 && !seg_check(&vm, 0x0C, 0, 0) && !seg_check(&vm, 0x04, 1, 0));
	((uint64_t *)gp(0x4000))[0] = mkdesc(0, 0xFFFFF, 0xBE, G_4K | DB_32);  /* conforming, DPL 1 */
	seg_load_ldt(&vm);
	CHECK(!seg_check(&vm, 0x04, 1, 0) && seg_check(&vm, 0x04, 1, 3));
	/* Refused: not an LDT descriptor (#GP), not present (#NP), a TI=1 selector (#GP). */
	CHECK(seg_lldt(&vm, 0x10) == 13 && seg_lldt(&vm, 0x38) == 11 && seg_lldt(&vm, 0x34) == 13);
	CHECK(vm.ldtr == 0x30);                                /* unchanged by a refused lldt */
	CHECK(seg_lldt(&vm, 0) == 0 && vm.ldt_n == 0 && !seg_check(&vm, 0x0C, 0, 0));
	seg_install(&vm);
	CHECK(ldt_loaded_bytes == 0);
}

int main(void)
{
	KTAP_BEGIN(6);
	RUN(pure_arithmetic);
	RUN(stack_pointer_arithmetic);
	RUN(linear_addresses_and_faults);
	RUN(sixteen_bit_stack);
	RUN(reflect_and_iret_on_a_based_16bit_stack);
	RUN(ldt);
	KTAP_END();
}
