/* test_mmio.c - host unit tests of the emulation of guest instructions on device memory
 * (arch/x86_64/cpu/mmio.c) and of the emulated accesses the VMM makes on a guest's behalf
 * (string in/out in emulate.c, patched pushf in patch.c, lldt), on a guest in fake machine memory
 * with a fake device: a 64-byte register file at 0xFEC00000 that logs every access; anything else
 * outside the guest's 16 MiB of RAM is the open bus (reads all ones, writes dropped).
 * Each test puts the instruction's bytes at the guest's EIP and calls the VMM the way the trap
 * path would (mmio_emulate from a shadow fault, emulate_privileged from a #GP, emulate_patched). */
#include <stdlib.h>
#include <string.h>
#include "ktap.h"
#include "fakemem.h"
#include "vmmstubs.h"
#include "../../arch/x86_64/cpu/alu.h"

/* ---- the rest of the VMM, faked ---- */
#define DEV 0xFEC00000u
static uint8_t dev[64];
static unsigned dev_reads, dev_writes, dev_last_size;
int vio_mmio(struct vio *v, uint32_t gpa, unsigned size, bool write, uint32_t *val, uint64_t now)
{
	(void)v, (void)now;
	dev_last_size = size;
	if (gpa >= DEV && gpa + size <= DEV + sizeof dev) {
		write ? dev_writes++ : dev_reads++;
		if (write)
			memcpy(&dev[gpa - DEV], val, size);
		else {
			*val = 0;
			memcpy(val, &dev[gpa - DEV], size);
		}
		return 1;
	}
	if (!write)
		*val = 0xFFFFFFFFu;
	return 0;
}
static unsigned port_reads;
int vio_port(struct vio *v, uint16_t port, unsigned size, bool write, uint32_t *val, uint64_t now)
{
	(void)v, (void)now, (void)size;
	if (port == 0x3FF && !write) {                 /* a port that answers 0x5A */
		*val = 0x5A;
		port_reads++;
		return 1;
	}
	if (port == 0xE9 && write) {                   /* a port that takes bytes */
		return 1;
	}
	return 0;
}
uint64_t now_ns(void) { return 0; }
void guest_paging_changed(struct vm *v, uint32_t a, uint32_t b) { (void)v, (void)a, (void)b; }
void guest_invlpg(struct vm *v, uint32_t la) { (void)v, (void)la; }
void shadow_code_written(struct vm *v, uint32_t gfn) { (void)v, (void)gfn; }
void shadow_drop_frame(struct vm *v, uint32_t gfn) { (void)v, (void)gfn; }
void vm_check_power(struct vm *v) { (void)v; }
int vlapic_msr(struct vlapic *l, bool write, uint64_t *val) { (void)l, (void)write, (void)val; return -1; }

/* ---- the guest ---- */
static struct vm vm;
static uint8_t *gb(uint32_t gpa) { return gpa_ptr(&vm, gpa); }
static uint32_t *gp(uint32_t gpa) { return gpa_ptr(&vm, gpa); }
#define EIP 0x00101000u
#define HANDLER 0x6000u

/* Paging off. GDT at 0x1000: 0x08 code, 0x10 flat data, 0x18 data with base 0xE0000000 - 0x1000
 * (limit 0x1FFF), 0x20 data with base 0xFEC00000 - 0x100 (limit 0x13F), 0x28 16-bit stack segment
 * with base 0x30000, 0x30 data with base 0x40000 (limit 0xFFFF), 0x38 LDT at 0x4000 (2 entries:
 * code, 4 GiB data with base 0x50000). IDT at 0x2000: 6, 12, 13, 14 -> 0x08:0x6000. */
static struct trapframe setup(const uint8_t *code, unsigned len)
{
	const char *why;
	fake_machine();
	memset(&vm, 0, sizeof vm);
	vm.s.state = VM_RUNNABLE;
	failed[0] = 0;
	memset(dev, 0, sizeof dev);
	dev_reads = dev_writes = port_reads = 0;
	if (pmap_create(&vm.pmap, 1, 16 << 20, &why) < 0)
		abort();
	vm.cr0 = CR0_PE;
	uint64_t *g = (uint64_t *)gp(0x1000);
	g[1] = 0x00CF9A000000FFFFULL;
	g[2] = 0x00CF92000000FFFFULL;
	g[3] = mkdesc(0xE0000000u - 0x1000, 0x1FFF, 0x92, DB_32);
	g[4] = mkdesc(DEV - 0x100, 0x13F, 0x92, DB_32);
	g[5] = mkdesc(0x30000, 0xFFFF, 0x92, 0);
	g[6] = mkdesc(0x40000, 0xFFFF, 0x92, DB_32);
	g[7] = mkdesc(0x4000, 2 * 8 - 1, 0x82, 0);
	vm.gdtr.base = 0x1000;
	vm.gdtr.limit = 8 * 8 - 1;
	seg_load_gdt(&vm);
	((uint64_t *)gp(0x4000))[0] = 0x00CF9A000000FFFFULL;
	((uint64_t *)gp(0x4000))[1] = mkdesc(0x50000, 0xFFFFF, 0x92, G_4K | DB_32);
	uint32_t *idt = gp(0x2000);
	for (unsigned v = 6; v <= 14; v++) {
		idt[v * 2] = (0x08 << 16) | HANDLER;
		idt[v * 2 + 1] = 0x8E00;
	}
	vm.idtr.base = 0x2000;
	vm.idtr.limit = 256 * 8 - 1;
	memcpy(gb(EIP), code, len);
	struct trapframe tf;
	memset(&tf, 0, sizeof tf);
	tf.cs = 0x09;
	tf.ss = tf.ds = tf.es = tf.fs = tf.gs = 0x11;
	tf.rip = EIP;
	tf.rsp = 0x9000;
	tf.rflags = 0x202;
	return tf;
}

/* The fault a device access raises with paging off: a write or a read at gpa (linear = gpa). */
static int fault(struct trapframe *tf, uint32_t gpa, int write)
{
	return mmio_emulate(&vm, tf, gpa, gpa, 1u | (write ? 2u : 0));
}
#define INSN(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })

static void moves(void)
{
	struct trapframe tf = setup(INSN(0xA1, 0x00, 0x00, 0x00, 0xE0));     /* mov eax, [0xE0000000] */
	fault(&tf, 0xE0000000, 0);
	CHECK(tf.rax == 0xFFFFFFFFu && tf.rip == EIP + 5 && vm.exits[EXIT_MMIO] == 1);   /* the open bus */

	tf = setup(INSN(0x89, 0x0B));                          /* mov [ebx], ecx */
	tf.rbx = DEV;
	tf.rcx = 0x11223344;
	fault(&tf, DEV, 1);
	CHECK(memcmp(dev, "\x44\x33\x22\x11", 4) == 0 && dev_writes == 1 && dev_last_size == 4 && tf.rip == EIP + 2);

	tf = setup(INSN(0x66, 0x8B, 0x53, 0x02));              /* mov dx, [ebx + 2] */
	tf.rbx = DEV;
	tf.rdx = 0xAAAABBBB;
	dev[2] = 0x34, dev[3] = 0x12;
	fault(&tf, DEV + 2, 0);
	CHECK(tf.rdx == 0xAAAA1234 && dev_last_size == 2 && tf.rip == EIP + 4);

	tf = setup(INSN(0xC6, 0x43, 0x01, 0x5A));              /* mov byte [ebx + 1], 0x5A */
	tf.rbx = DEV;
	fault(&tf, DEV + 1, 1);
	CHECK(dev[1] == 0x5A && dev_last_size == 1);

	tf = setup(INSN(0x8A, 0x63, 0x01));                    /* mov ah, [ebx + 1] */
	tf.rbx = DEV;
	tf.rax = 0x12345678;
	dev[1] = 0x9A;
	fault(&tf, DEV + 1, 0);
	CHECK(tf.rax == 0x12349A78);

	tf = setup(INSN(0xA2, 0x10, 0x00, 0xC0, 0xFE));        /* mov [0xFEC00010], al */
	tf.rax = 0x77;
	fault(&tf, DEV + 0x10, 1);
	CHECK(dev[0x10] == 0x77 && tf.rip == EIP + 5);

	tf = setup(INSN(0x0F, 0xB6, 0x03));                    /* movzx eax, byte [ebx] */
	tf.rbx = DEV;
	tf.rax = 0xFFFFFFFF;
	dev[0] = 0x80;
	fault(&tf, DEV, 0);
	CHECK(tf.rax == 0x80);

	tf = setup(INSN(0x0F, 0xBF, 0x03));                    /* movsx eax, word [ebx] */
	tf.rbx = DEV;
	dev[0] = 0x01, dev[1] = 0x80;
	fault(&tf, DEV, 0);
	CHECK(tf.rax == 0xFFFF8001u);

	tf = setup(INSN(0xC7, 0x05, 0x00, 0x00, 0x00, 0xE0, 0x78, 0x56, 0x34, 0x12));   /* mov [0xE0000000], imm */
	fault(&tf, 0xE0000000, 1);
	CHECK(tf.rip == EIP + 10 && vm.s.state == VM_RUNNABLE);   /* dropped by the open bus */
}

/* The flags are those of the real instruction: compare with alu() (itself checked in test_alu). */
static void arithmetic_and_flags(void)
{
	struct trapframe tf = setup(INSN(0x83, 0x03, 0x01));   /* add dword [ebx], 1 */
	tf.rbx = DEV;
	memcpy(dev, "\xFF\xFF\xFF\x7F", 4);
	fault(&tf, DEV, 1);
	CHECK(memcmp(dev, "\x00\x00\x00\x80", 4) == 0);
	CHECK((tf.rflags & ALU_STATUS) == (0x800 | 0x80 | 0x10 | 0x04) && (tf.rflags & 0x200));   /* OF SF AF PF, IF kept */

	tf = setup(INSN(0x80, 0x3B, 0x80));                    /* cmp byte [ebx], 0x80 */
	tf.rbx = DEV;
	dev[0] = 0x7F;
	fault(&tf, DEV, 0);
	uint32_t fl = 0x202;
	alu(ALU_CMP, 1, 0x7F, 0x80, &fl);
	CHECK(tf.rflags == fl && dev[0] == 0x7F && dev_writes == 0);

	tf = setup(INSN(0x13, 0x03));                          /* adc eax, [ebx] */
	tf.rbx = DEV;
	tf.rax = 0xFFFFFFFF;
	tf.rflags = 0x203;                                     /* CF in */
	dev[0] = 0;
	fault(&tf, DEV, 0);
	CHECK(tf.rax == 0 && (tf.rflags & 0x41) == 0x41);      /* carry out, zero */

	tf = setup(INSN(0x29, 0x03));                          /* sub [ebx], eax */
	tf.rbx = DEV;
	tf.rax = 5;
	dev[0] = 3;
	fault(&tf, DEV, 1);
	CHECK(dev[0] == 0xFE && dev[3] == 0xFF && (tf.rflags & 0x81) == 0x81);   /* borrow, negative */

	tf = setup(INSN(0x66, 0x19, 0x03));                    /* sbb [ebx], ax */
	tf.rbx = DEV;
	tf.rax = 1;
	tf.rflags = 0x203;
	dev[0] = 2, dev[2] = 0xEE;
	fault(&tf, DEV, 1);
	CHECK(dev[0] == 0 && dev[1] == 0 && dev[2] == 0xEE && (tf.rflags & 0x41) == 0x40);

	tf = setup(INSN(0x09, 0x03, 0x21, 0x03, 0x31, 0x03));  /* or [ebx], eax ... */
	tf.rbx = DEV;
	tf.rax = 0xF0;
	dev[0] = 0x0F;
	fault(&tf, DEV, 1);
	CHECK(dev[0] == 0xFF && tf.rip == EIP + 2);
	fault(&tf, DEV, 1);                                    /* and [ebx], eax */
	CHECK(dev[0] == 0xF0 && tf.rip == EIP + 4);
	fault(&tf, DEV, 1);                                    /* xor [ebx], eax */
	CHECK(dev[0] == 0 && (tf.rflags & 0x44) == 0x44 && tf.rip == EIP + 6);   /* ZF PF */

	tf = setup(INSN(0x85, 0x03, 0xF6, 0x03, 0x80));        /* test [ebx], eax; test byte [ebx], 0x80 */
	tf.rbx = DEV;
	tf.rax = 1;
	dev[0] = 0x80;
	fault(&tf, DEV, 0);
	CHECK((tf.rflags & 0x40) && dev_writes == 0);
	fault(&tf, DEV, 0);
	CHECK(!(tf.rflags & 0x40) && (tf.rflags & 0x80) && dev_writes == 0);

	tf = setup(INSN(0x87, 0x03));                          /* xchg [ebx], eax */
	tf.rbx = DEV;
	tf.rax = 0xCAFEBABE;
	memcpy(dev, "\x01\x02\x03\x04", 4);
	fault(&tf, DEV, 1);
	CHECK(tf.rax == 0x04030201 && memcmp(dev, "\xBE\xBA\xFE\xCA", 4) == 0);

	tf = setup(INSN(0xFF, 0x03, 0xFE, 0x0B, 0xF7, 0x13, 0xF7, 0x1B));   /* inc, dec byte, not, neg */
	tf.rbx = DEV;
	tf.rflags = 0x203;                                     /* CF survives inc and dec */
	fault(&tf, DEV, 1);
	CHECK(dev[0] == 1 && (tf.rflags & 1));
	fault(&tf, DEV, 1);
	CHECK(dev[0] == 0 && (tf.rflags & 0x41) == 0x41);
	fault(&tf, DEV, 1);
	CHECK(memcmp(dev, "\xFF\xFF\xFF\xFF", 4) == 0 && (tf.rflags & 0x41) == 0x41);   /* not: no flags */
	fault(&tf, DEV, 1);
	CHECK(memcmp(dev, "\x01\x00\x00\x00", 4) == 0 && (tf.rflags & 1) && tf.rip == EIP + 8);

	/* A read-modify-write on the open bus: reads all ones, the write goes nowhere. */
	tf = setup(INSN(0x83, 0x05, 0x00, 0x00, 0x00, 0xE0, 0x01));   /* add dword [0xE0000000], 1 */
	fault(&tf, 0xE0000000, 1);
	CHECK((tf.rflags & 0x41) == 0x41 && tf.rip == EIP + 7);
}

static void strings_across_ram_and_devices(void)
{
	/* rep movsd from RAM across the end of RAM (16 MiB): two dwords land, two go to the open bus. */
	struct trapframe tf = setup(INSN(0xF3, 0xA5));
	memcpy(gb(0x20000), "AAAABBBBCCCCDDDD", 16);
	tf.rsi = 0x20000;
	tf.rdi = 0x00FFFFF8;
	tf.rcx = 4;
	fault(&tf, 0x01000000, 1);
	CHECK(memcmp(gb(0x00FFFFF8), "AAAABBBB", 8) == 0);
	CHECK(tf.rcx == 0 && tf.rsi == 0x20010 && tf.rdi == 0x01000008 && tf.rip == EIP + 2);
	/* ... and back: the RAM half and then all ones, into RAM. */
	tf = setup(INSN(0xF3, 0xA5));
	memcpy(gb(0x00FFFFF8), "EEEEFFFF", 8);
	tf.rsi = 0x00FFFFF8;
	tf.rdi = 0x20000;
	tf.rcx = 4;
	fault(&tf, 0x01000000, 0);
	CHECK(memcmp(gb(0x20000), "EEEEFFFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF", 16) == 0);
	/* rep stosw down (DF=1) into the device, 16-bit operands. */
	tf = setup(INSN(0x66, 0xF3, 0xAB));
	tf.rdi = DEV + 6;
	tf.rcx = 4;
	tf.rax = 0xBEEF;
	tf.rflags |= 0x400;
	fault(&tf, DEV + 6, 1);
	CHECK(dev[0] == 0xEF && dev[1] == 0xBE && dev[6] == 0xEF && dev_writes == 4 && dev_last_size == 2);
	CHECK(tf.rdi == DEV - 2 && tf.rcx == 0);
	/* movsb with a segment override on the source (FS: base DEV - 0x100) and ES:EDI. */
	tf = setup(INSN(0x64, 0xA4));
	tf.fs = 0x20;
	tf.rsi = 0x100 + 8;
	tf.rdi = 0x20000;
	dev[8] = 0x42;
	fault(&tf, DEV + 8, 0);
	CHECK(*gb(0x20000) == 0x42 && tf.rsi == 0x109 && tf.rdi == 0x20001 && tf.rip == EIP + 2);
	/* 16-bit addressing (67): SI, DI, CX; lodsd. */
	tf = setup(INSN(0x67, 0xAD));
	tf.ds = 0x20;
	tf.rsi = 0xABCD0100;
	dev[0] = 9;
	fault(&tf, DEV, 0);
	CHECK(tf.rax == 9 && tf.rsi == 0xABCD0104);
}

/* A rep with a huge count does a batch per trap; EIP stays until the count is done. */
static void rep_in_batches(void)
{
	struct trapframe tf = setup(INSN(0xF3, 0xAB));           /* rep stosd */
	tf.rdi = 0xE0000000;
	tf.rcx = 10000;
	fault(&tf, 0xE0000000, 1);
	CHECK(tf.rip == EIP && tf.rcx == 10000 - 4096 && tf.rdi == 0xE0000000 + 4 * 4096);
	fault(&tf, (uint32_t)tf.rdi, 1);
	fault(&tf, (uint32_t)tf.rdi, 1);
	CHECK(tf.rip == EIP + 2 && tf.rcx == 0 && tf.rdi == 0xE0000000 + 4 * 10000);
}

/* The BIOS area reads as RAM and drops writes (a write to it faults: it is mapped read-only). */
static void bios_area(void)
{
	struct trapframe tf = setup(INSN(0xF3, 0xAA));           /* rep stosb across 0xE0000 */
	memcpy(gb(0xE0000), "ROM!", 4);
	tf.rdi = 0xDFFFE;
	tf.rcx = 4;
	tf.rax = 'x';
	fault(&tf, 0xE0000, 1);
	CHECK(memcmp(gb(0xDFFFE), "xx", 2) == 0 && memcmp(gb(0xE0000), "ROM!", 4) == 0 && tf.rip == EIP + 2);
	tf = setup(INSN(0x01, 0x03));                          /* add [ebx], eax */
	memcpy(gb(0xF0000), "\x01\x00\x00\x00", 4);
	tf.rbx = 0xF0000;
	tf.rax = 1;
	fault(&tf, 0xF0000, 1);
	CHECK(*gp(0xF0000) == 1 && !(tf.rflags & 0x40) && tf.rip == EIP + 2);
}

/* Segments: the operand's segment base and limit are the guest's. */
static void segments(void)
{
	struct trapframe tf = setup(INSN(0x8B, 0x05, 0x00, 0x11, 0x00, 0x00));   /* mov eax, [0x1100] */
	tf.ds = 0x18;                                          /* base 0xE0000000 - 0x1000 */
	tf.rax = 0;
	fault(&tf, 0xE0000100, 0);
	CHECK(tf.rax == 0xFFFFFFFFu && tf.rip == EIP + 6);
	tf = setup(INSN(0x26, 0x89, 0x05, 0x04, 0x01, 0x00, 0x00));             /* mov [es:0x104], eax */
	tf.es = 0x20;                                          /* base DEV - 0x100 */
	tf.rax = 0x55667788;
	fault(&tf, DEV + 4, 1);
	CHECK(memcmp(dev + 4, "\x88\x77\x66\x55", 4) == 0);
	/* Past the limit (0x13F): #GP(0), nothing written. */
	tf = setup(INSN(0x26, 0x89, 0x05, 0x3E, 0x01, 0x00, 0x00));             /* mov [es:0x13E], eax */
	tf.es = 0x20;
	fault(&tf, DEV + 0x3E, 1);
	CHECK(tf.rip == HANDLER && dev_writes == 0 && gp(0x9000 - 16)[0] == 0 && gp(0x9000 - 16)[1] == EIP);
	/* Through an LDT selector. */
	tf = setup(INSN(0x8B, 0x03));                          /* mov eax, [ebx] */
	CHECK(seg_lldt(&vm, 0x38) == 0);
	tf.ds = 0x0C;                                          /* LDT 1: base 0x50000 */
	tf.rbx = 0xFEC00000u - 0x50000 + 0x20;
	dev[0x20] = 0x99;
	fault(&tf, DEV + 0x20, 0);
	CHECK(tf.rax == 0x99 && tf.rip == EIP + 2);
}

static void not_emulated(void)
{
	struct trapframe tf = setup(INSN(0x0F, 0x0D, 0x08));   /* prefetchw [eax] */
	tf.rax = 0xE0000000;
	CHECK(fault(&tf, 0xE0000000, 0) == -1 && vm.s.state == VM_STOPPED);
	CHECK(strcmp(failed, "instruction 0f 0d 08 at eip 00101000 touches device memory at gpa e0000000: not "
		     "emulated") == 0);
	tf = setup(INSN(0xFF, 0x33));                          /* push dword [ebx] */
	tf.rbx = DEV;
	CHECK(fault(&tf, DEV, 0) == -1 && strstr(failed, "instruction ff 33 at"));
	tf = setup(INSN(0x90));
	CHECK(mmio_emulate(&vm, &tf, DEV, DEV, 0x11) == -1 && strstr(failed, "instruction fetch"));
}

/* in/out strings: ES:EDI (ES with a base), DS:ESI with an override, the open bus beyond RAM. */
static void string_io_segments_and_ram_end(void)
{
	struct trapframe tf = setup(INSN(0xF3, 0x6C));           /* rep insb */
	tf.es = 0x30;                                          /* base 0x40000 */
	tf.rdi = 0x10;
	tf.rcx = 3;
	tf.rdx = 0x3FF;
	CHECK(emulate_privileged(&vm, &tf) == 1);
	CHECK(memcmp(gb(0x40010), "\x5A\x5A\x5A", 3) == 0 && tf.rdi == 0x13 && tf.rcx == 0 && tf.rip == EIP + 2);
	/* Across the end of RAM: the VM goes on; what is beyond is dropped. */
	tf = setup(INSN(0xF3, 0x6C));
	tf.rdi = 0x00FFFFFE;
	tf.rcx = 4;
	tf.rdx = 0x3FF;
	CHECK(emulate_privileged(&vm, &tf) == 1 && vm.s.state == VM_RUNNABLE);
	CHECK(memcmp(gb(0x00FFFFFE), "\x5A\x5A", 2) == 0 && tf.rdi == 0x01000002 && port_reads == 4);
	/* rep outsb from FS (override) past its limit: the bytes before the limit go out, then #GP(0). */
	tf = setup(INSN(0xF3, 0x64, 0x6E));
	tf.fs = 0x30;                                          /* base 0x40000, limit 0xFFFF */
	tf.rsi = 0xFFFE;
	tf.rcx = 5;
	tf.rdx = 0xE9;
	CHECK(emulate_privileged(&vm, &tf) == 1);
	CHECK(tf.rip == HANDLER && gp(0x9000 - 12)[0] == EIP);  /* (eip at the instruction: it restarts) */
	CHECK(gp(0x9000 - 16)[0] == 0 && tf.rsi == 0x10000 && tf.rcx == 3);
}

/* lidt through a segment with a base, and an expand-down one (emulate_privileged). */
static void lidt_through_segments(void)
{
	struct trapframe tf = setup(INSN(0x26, 0x0F, 0x01, 0x1D, 0x00, 0x01, 0x00, 0x00));   /* lidt [es:0x100] */
	tf.es = 0x30;
	memcpy(gb(0x40100), "\xFF\x07\x00\x20\x00\x00", 6);
	CHECK(emulate_privileged(&vm, &tf) == 1 && vm.idtr.base == 0x2000 && vm.idtr.limit == 0x7FF);
	memcpy(gb(0x40100), "\xFF\x03\x00\x20\x00\x00", 6);
	tf = setup(INSN(0x26, 0x0F, 0x01, 0x1D, 0xFC, 0xFF, 0x00, 0x00));   /* lidt [es:0xFFFC]: past the limit */
	tf.es = 0x30;
	CHECK(emulate_privileged(&vm, &tf) == 1 && tf.rip == HANDLER && vm.idtr.limit == 0x7FF);
}

/* A patched pushf on a 16-bit stack segment pushes at SS:SP. */
static void patched_pushf_on_16bit_stack(void)
{
	struct trapframe tf = setup(INSN(0xCC));               /* pushf, patched */
	struct patch p = { EIP, 0x9C, 1, X86_K_PUSHF };
	tf.ss = 0x29;
	tf.rsp = 0x55550010;
	vm.vif = FL_IF;
	CHECK(emulate_patched(&vm, &tf, &p) == 1);
	CHECK(tf.rsp == 0x5555000C && (*gp(0x3000C) & FL_IF) && tf.rip == EIP + 1);
}

/* lldt (emulate_privileged): the real LDTR gets the compressed copy. */
static void lldt_instruction(void)
{
	struct trapframe tf = setup(INSN(0x0F, 0x00, 0xD0));   /* lldt ax */
	tf.rax = 0x38;
	ldt_loaded = 0;
	CHECK(emulate_privileged(&vm, &tf) == 1 && vm.ldtr == 0x38 && vm.ldt_n == 2);
	CHECK(ldt_loaded == vm.ldt && ldt_loaded_bytes == 16 && tf.rip == EIP + 3);
	tf = setup(INSN(0x0F, 0x00, 0xD0));
	tf.rax = 0x10;                                          /* a data segment: #GP(0x10) */
	CHECK(emulate_privileged(&vm, &tf) == 1 && tf.rip == HANDLER && gp(0x9000 - 16)[0] == 0x10);
}

/* With the guest's paging on, a page fault in the middle of a string: the elements before it are
 * done, ECX/ESI/EDI say so, CR2 is the first byte not reached, and no device data is lost. */
static void page_fault_in_a_string(void)
{
	struct trapframe tf = setup(INSN(0xF3, 0x6C));           /* rep insb */
	vm.cr0 |= CR0_PG;
	vm.cr4 = CR4_PSE;
	vm.cr3 = 0x10000;
	gp(0x10000)[0] = 0x83;                                 /* 0-4 MiB: a large page, identity */
	gp(0x10000)[1] = 0x11000 | 3;                          /* 4-8 MiB: one page present */
	gp(0x11000)[0] = 0x400000 | 3;
	gp(0x10000)[0xE0000000u >> 22] = 0xE0000000u | 0x83;    /* the open bus, mapped */
	tf.rdi = 0x400FFE;
	tf.rcx = 4;
	tf.rdx = 0x3FF;
	CHECK(emulate_privileged(&vm, &tf) == 1);
	CHECK(tf.rip == HANDLER && vm.cr2 == 0x401000 && gp(0x9000 - 16)[0] == 2);   /* write, not present */
	CHECK(port_reads == 2 && tf.rdi == 0x401000 && tf.rcx == 2 && gp(0x9000 - 12)[0] == EIP);
	CHECK(memcmp(gb(0x400FFE), "\x5A\x5A", 2) == 0);

	uint8_t code[] = { 0xF3, 0xA5 };                       /* rep movsd from the open bus */
	memcpy(gb(EIP), code, 2);
	tf.rip = EIP;
	tf.rsp = 0x9000;
	tf.rsi = 0xE0000000;
	tf.rdi = 0x400FF8;
	tf.rcx = 4;
	CHECK(mmio_emulate(&vm, &tf, 0xE0000000, 0xE0000000, 1) == 0);
	CHECK(tf.rip == HANDLER && vm.cr2 == 0x401000 && tf.rcx == 2 && tf.rsi == 0xE0000008);
	CHECK(*gp(0x400FF8) == 0xFFFFFFFFu && *gp(0x400FFC) == 0xFFFFFFFFu);
}

/* The instruction is fetched up to the end of its page, and from the next one only if it goes on
 * there: the end of a page followed by a page the guest has not mapped is no fault; an instruction
 * cut by that page is the guest's #PF at its start. */
static void fetch_across_pages(void)
{
	struct trapframe tf = setup(INSN(0x90));
	vm.cr0 |= CR0_PG;
	vm.cr4 = CR4_PSE;
	vm.cr3 = 0x10000;
	gp(0x10000)[0] = 0x83;
	gp(0x10000)[1] = 0x11000 | 3;
	gp(0x11000)[0] = 0x400000 | 3;                         /* 0x401000 is not present */
	gp(0x10000)[0xE0000000u >> 22] = 0xE0000000u | 0x83;
	memcpy(gb(0x400FFB), "\xA1\x00\x00\x00\xE0", 5);     /* mov eax, [0xE0000000]: ends the page */
	tf.rip = 0x400FFB;
	CHECK(mmio_emulate(&vm, &tf, 0xE0000000, 0xE0000000, 1) == 0);
	CHECK(tf.rax == 0xFFFFFFFFu && tf.rip == 0x401000);
	tf.rip = 0x400FFD;                                     /* the same, cut by the page end */
	memcpy(gb(0x400FFD), "\xA1\x00\x00", 3);
	vm.cr2 = 0;
	CHECK(mmio_emulate(&vm, &tf, 0xE0000000, 0xE0000000, 1) == 0);
	CHECK(tf.rip == HANDLER && vm.cr2 == 0x401000 && gp(0x9000 - 16)[0] == 0 && gp(0x9000 - 12)[0] == 0x400FFD);
}

int main(void)
{
	KTAP_BEGIN(13);
	RUN(moves);
	RUN(arithmetic_and_flags);
	RUN(strings_across_ram_and_devices);
	RUN(rep_in_batches);
	RUN(bios_area);
	RUN(segments);
	RUN(not_emulated);
	RUN(string_io_segments_and_ram_end);
	RUN(lidt_through_segments);
	RUN(patched_pushf_on_16bit_stack);
	RUN(lldt_instruction);
	RUN(page_fault_in_a_string);
	RUN(fetch_across_pages);
	KTAP_END();
}
