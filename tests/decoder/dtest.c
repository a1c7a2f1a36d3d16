/* dtest.c - host harness for the x86 decoder (arch/x86_64/cpu/decode.c), driven by run.py.
 *
 *   dtest at MODE FILE OFFSETS   decode FILE at each offset listed in OFFSETS (one decimal per
 *                                line) and print "offset length kind imm_size imm disp_size disp"
 *                                (length < 0 is an X86_ERR_* code)
 *   dtest selftest               built-in checks of details objdump cannot judge: kinds, fields,
 *                                x86_effective_address32(); prints KTAP subtests, exits 1 on failure
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../arch/x86_64/cpu/decode.h"

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		perror(path);
		exit(2);
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static int run_at(int mode, const char *file, const char *offsets)
{
	size_t len;
	uint8_t *code = slurp(file, &len);
	FILE *of = fopen(offsets, "r");
	if (!of) {
		perror(offsets);
		return 2;
	}
	unsigned long off;
	struct x86_insn in;
	while (fscanf(of, "%lu", &off) == 1) {
		if (off >= len)
			continue;
		int n = x86_decode(code + off, len - off, mode, &in);
		printf("%lu %d %s %u %llx %u %llx\n", off, n, n > 0 ? x86_kind_name(in.kind) : "-",
		       in.imm_size, (unsigned long long)in.imm, in.disp_size,
		       (unsigned long long)in.disp);
	}
	fclose(of);
	free(code);
	return 0;
}

/* ---- selftest ---- */
static int ntest, nfail;

static void check(int ok, const char *what)
{
	ntest++;
	if (!ok)
		nfail++;
	printf("    %sok %d %s\n", ok ? "" : "not ", ntest, what);
}

struct kcase {
	int mode;
	const char *hex;
	int len;
	enum x86_kind kind;
	int patch;		/* expected x86_needs_patch() */
};

static const struct kcase kcases[] = {
	{ 32, "0f0115 00100000", 7, X86_K_LGDT, 0 },	/* lgdt [0x1000] */
	{ 32, "0f011c24", 4, X86_K_LIDT, 0 },		/* lidt [esp] */
	{ 32, "0f0100", 3, X86_K_SGDT, 1 },
	{ 32, "0f014d08", 4, X86_K_SIDT, 1 },
	{ 32, "0f00c0", 3, X86_K_SLDT, 1 },
	{ 32, "0f00c8", 3, X86_K_STR, 1 },
	{ 32, "0f00d0", 3, X86_K_LLDT, 0 },
	{ 32, "0f00d8", 3, X86_K_LTR, 0 },
	{ 32, "0f00e0", 3, X86_K_VERR, 1 },
	{ 32, "0f00e8", 3, X86_K_VERW, 1 },
	{ 32, "0f01e0", 3, X86_K_SMSW, 1 },
	{ 32, "0f01f0", 3, X86_K_LMSW, 0 },
	{ 32, "0f0138", 3, X86_K_INVLPG, 0 },
	{ 32, "0f22d8", 3, X86_K_MOV_TO_CR, 0 },		/* mov cr3, eax */
	{ 32, "0f2018", 3, X86_K_MOV_FROM_CR, 0 },	/* mod != 3 still means a register */
	{ 32, "0f23f8", 3, X86_K_MOV_TO_DR, 0 },
	{ 32, "0f21c0", 3, X86_K_MOV_FROM_DR, 0 },
	{ 32, "0f06", 2, X86_K_CLTS, 0 },
	{ 32, "0f09", 2, X86_K_WBINVD, 0 },
	{ 32, "0f08", 2, X86_K_INVD, 0 },
	{ 32, "f4", 1, X86_K_HLT, 0 },
	{ 32, "fa", 1, X86_K_CLI, 0 },
	{ 32, "fb", 1, X86_K_STI, 0 },
	{ 32, "e460", 2, X86_K_IN_IMM, 0 },
	{ 32, "66e780", 3, X86_K_OUT_IMM, 0 },
	{ 32, "ec", 1, X86_K_IN_DX, 0 },
	{ 32, "ef", 1, X86_K_OUT_DX, 0 },
	{ 32, "f36d", 2, X86_K_INS, 0 },
	{ 32, "f36e", 2, X86_K_OUTS, 0 },
	{ 32, "0f32", 2, X86_K_RDMSR, 0 },
	{ 32, "0f30", 2, X86_K_WRMSR, 0 },
	{ 32, "0f33", 2, X86_K_RDPMC, 0 },
	{ 32, "0fa2", 2, X86_K_CPUID, 0 },
	{ 32, "cc", 1, X86_K_INT3, 0 },
	{ 32, "cd80", 2, X86_K_INT, 0 },
	{ 32, "ce", 1, X86_K_INTO, 0 },
	{ 32, "cf", 1, X86_K_IRET, 1 },
	{ 32, "0f34", 2, X86_K_SYSENTER, 0 },
	{ 32, "0f35", 2, X86_K_SYSEXIT, 0 },
	{ 64, "0f05", 2, X86_K_SYSCALL, 0 },
	{ 64, "480f07", 3, X86_K_SYSRET, 0 },
	{ 32, "9c", 1, X86_K_PUSHF, 1 },
	{ 32, "9d", 1, X86_K_POPF, 1 },
	{ 32, "8cc8", 2, X86_K_MOV_FROM_SREG, 1 },	/* mov eax, cs */
	{ 32, "8cd0", 2, X86_K_MOV_FROM_SREG, 1 },	/* mov eax, ss */
	{ 32, "8cd8", 2, X86_K_MOV_FROM_SREG, 0 },	/* mov eax, ds: harmless */
	{ 32, "8ed0", 2, X86_K_MOV_TO_SREG, 0 },
	{ 32, "0e", 1, X86_K_PUSH_SREG, 1 },		/* push cs */
	{ 32, "16", 1, X86_K_PUSH_SREG, 1 },		/* push ss */
	{ 32, "1e", 1, X86_K_PUSH_SREG, 0 },		/* push ds */
	{ 32, "0f02c1", 3, X86_K_LAR, 1 },
	{ 32, "0f03c1", 3, X86_K_LSL, 1 },
	{ 32, "ea785634120800", 7, X86_K_JMP_FAR, 0 },
	{ 32, "ff2d00100000", 6, X86_K_JMP_FAR, 0 },
	{ 32, "cb", 1, X86_K_RET_FAR, 0 },
	{ 32, "0f0b", 2, X86_K_UD, 0 },
	{ 32, "c8100001", 4, X86_K_OTHER, 0 },		/* enter 16, 1 */
	{ 32, "f20f38f1c3", 5, X86_K_OTHER, 0 },		/* crc32 */
	{ 32, "c5f877", 3, X86_K_OTHER, 0 },		/* vzeroupper */
	{ 32, "c4e37d18c101", 6, X86_K_OTHER, 0 },	/* vinsertf128 */
	{ 32, "c400", 2, X86_K_OTHER, 0 },		/* les eax, [eax] (not VEX) */
	{ 64, "48b88877665544332211", 10, X86_K_OTHER, 0 },	/* mov rax, imm64 */
	{ 64, "66e8aaaaaaaa", 6, X86_K_OTHER, 0 },	/* call rel32 (66 ignored, Intel) */
	{ 64, "a12211ffeeddccbbaa", 9, X86_K_OTHER, 0 },	/* mov eax, moffs64 */
	{ 16, "8b4702", 3, X86_K_OTHER, 0 },		/* mov ax, [bx+2] */
	{ 32, "0f0fc00d", 4, X86_K_OTHER, 0 },		/* pi2fd (3DNow!) */
	{ 32, "9b", 1, X86_K_OTHER, 0 },			/* fwait is an instruction of its own */
};

static int unhex(const char *s, uint8_t *out)
{
	int n = 0;
	while (*s) {
		if (*s == ' ') {
			s++;
			continue;
		}
		unsigned v;
		sscanf(s, "%2x", &v);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

static int selftest(void)
{
	struct x86_insn in;
	uint8_t buf[32];
	char what[160];

	printf("    KTAP version 1\n");
	for (size_t i = 0; i < sizeof(kcases) / sizeof(kcases[0]); i++) {
		const struct kcase *k = &kcases[i];
		int n = unhex(k->hex, buf);
		int len = x86_decode(buf, (size_t)n, k->mode, &in);
		snprintf(what, sizeof(what), "%d-bit %s: length %d (want %d), %s (want %s), patch %d",
			 k->mode, k->hex, len, k->len, len > 0 ? x86_kind_name(in.kind) : "-",
			 x86_kind_name(k->kind), len > 0 ? x86_needs_patch(&in) : -1);
		check(len == k->len && in.kind == k->kind && x86_needs_patch(&in) == k->patch, what);
	}

	/* Truncation and limits. */
	{
		int n = unhex("0f0115001000", buf);	/* lgdt with one displacement byte missing */
		check(x86_decode(buf, (size_t)n, 32, &in) == X86_ERR_TRUNCATED, "truncated lgdt");
		memset(buf, 0x66, 16);
		buf[15] = 0x90;
		check(x86_decode(buf, 16, 32, &in) == X86_ERR_TOO_LONG, "15 prefixes + nop is too long");
		memset(buf, 0x66, 14);
		buf[14] = 0x90;
		check(x86_decode(buf, 15, 32, &in) == 15, "14 prefixes + nop is 15 bytes");
		check(x86_decode(buf, 15, 48, &in) == X86_ERR_MODE, "mode 48 is rejected");
		n = unhex("8dc0", buf);			/* lea eax, eax */
		check(x86_decode(buf, (size_t)n, 32, &in) == X86_ERR_INVALID, "lea with mod=3 is #UD");
		n = unhex("f0c5f877", buf);		/* lock vzeroupper */
		check(x86_decode(buf, (size_t)n, 32, &in) == X86_ERR_INVALID, "lock before VEX is #UD");
	}

	/* Fields and effective addresses. */
	struct x86_regs32 r = { .eax = 0x100, .ecx = 0x10, .edx = 0x2000, .ebx = 0x3000,
				.esp = 0x8000, .ebp = 0x9000, .esi = 0x40, .edi = 0x50 };
	uint32_t ea;
	enum x86_seg seg;
	struct { int mode; const char *hex; uint32_t ea; enum x86_seg seg; } eas[] = {
		{ 32, "0f0115 78563412", 0x12345678, X86_SEG_DS },	/* lgdt [disp32] */
		{ 32, "0f01148d 00010000", 0x100 + 0x10 * 4, X86_SEG_DS },/* lgdt [ecx*4+0x100] */
		{ 32, "0f015424 08", 0x8008, X86_SEG_SS },		/* lgdt [esp+8] */
		{ 32, "0f0155 fc", 0x9000 - 4, X86_SEG_SS },		/* lgdt [ebp-4] */
		{ 32, "2e0f0155 fc", 0x9000 - 4, X86_SEG_CS },		/* lgdt cs:[ebp-4] */
		{ 32, "0f01845a 80000000", 0x2000 + 0x3000 * 2 + 0x80, X86_SEG_DS }, /* [edx+ebx*2+0x80] */
		{ 32, "0f010c30", 0x100 + 0x40, X86_SEG_DS },		/* sidt [eax+esi] */
		{ 32, "670f0100", 0x3040, X86_SEG_DS },			/* sgdt [bx+si] */
		{ 32, "670f0142 ff", 0x903f, X86_SEG_SS },		/* sgdt [bp+si-1] */
		{ 32, "670f0106 3412", 0x1234, X86_SEG_DS },		/* sgdt [0x1234] */
		{ 32, "64a1 44332211", 0x11223344, X86_SEG_FS },		/* mov eax, fs:[moffs] */
	};
	for (size_t i = 0; i < sizeof(eas) / sizeof(eas[0]); i++) {
		int n = unhex(eas[i].hex, buf);
		int len = x86_decode(buf, (size_t)n, eas[i].mode, &in);
		int rc = len > 0 ? x86_effective_address32(&in, &r, &ea, &seg) : -1;
		snprintf(what, sizeof(what), "effective address of %s = %#x seg %d (want %#x seg %d)",
			 eas[i].hex, rc ? 0 : ea, rc ? -1 : (int)seg, eas[i].ea, (int)eas[i].seg);
		check(len == n && rc == 0 && ea == eas[i].ea && seg == eas[i].seg, what);
	}
	{
		int n = unhex("0f01c1", buf);		/* vmcall: no memory operand */
		x86_decode(buf, (size_t)n, 32, &in);
		check(x86_effective_address32(&in, &r, &ea, &seg) == -1, "no address for a register form");
		n = unhex("f0 2e 66 0f b1 8c 91 11 22 33 44", buf);	/* lock cs cmpxchg [ecx+edx*4+..], cx */
		int len = x86_decode(buf, (size_t)n, 32, &in);
		check(len == n && (in.prefixes & X86_PFX_LOCK) && in.seg == X86_SEG_CS && in.opsize == 16 &&
		      in.map == X86_MAP_0F && in.opcode == 0xB1 && in.mod == 2 && in.reg == 1 && in.rm == 4 &&
		      in.scale == 2 && in.index == 2 && in.base == 1 && in.disp_size == 4 &&
		      in.disp == 0x44332211, "prefix, ModRM, SIB and displacement fields");
		n = unhex("4c 8b 05 f0 ff ff ff", buf);	/* mov r8, [rip-16] */
		len = x86_decode(buf, (size_t)n, 64, &in);
		check(len == 7 && in.rex == 0x4c && in.ext_r && in.opsize == 64 && (in.flags & X86_F_RIPREL) &&
		      in.disp == -16, "REX and RIP-relative fields");
		n = unhex("66 9a 34 12 08 00", buf);	/* call far 0x8:0x1234 (16-bit) */
		len = x86_decode(buf, (size_t)n, 32, &in);
		check(len == 6 && in.imm == 0x1234 && in.imm2 == 8 && (in.flags & X86_F_FAR_PTR),
		      "far pointer offset and selector");
	}
	printf("    1..%d\n", ntest);
	return nfail ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "at"))
		return run_at(atoi(argv[2]), argv[3], argv[4]);
	if (argc == 2 && !strcmp(argv[1], "selftest"))
		return selftest();
	fprintf(stderr, "usage: dtest at MODE FILE OFFSETS | dtest selftest\n");
	return 2;
}
