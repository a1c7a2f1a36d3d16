/* decode.c - the VMM's x86 instruction decoder (see decode.h for what it is for).
 *
 * How an x86 instruction is laid out (Intel SDM vol. 2, chapter 2 and appendix A):
 *
 *   [legacy prefixes] [REX] opcode [ModRM] [SIB] [displacement] [immediate]
 *    0-14 bytes        64b  1-3     0/1     0/1   0,1,2,4        0,1,2,4,8
 *
 * or, for AVX and friends, a VEX (C4/C5), XOP (8F) or EVEX (62) prefix that replaces REX, the
 * SSE "mandatory" prefix and the 0F/0F38/0F3A escape bytes, followed by one opcode byte.
 *
 * Decoding is table-driven: for each opcode map one entry per opcode byte says whether a ModRM
 * follows, which immediate follows, and when the opcode is invalid. Entries whose meaning
 * depends on ModRM.reg ("groups") are refined by group_valid(). The kind of the instructions the
 * VMM cares about is found last, by classify().
 */
#include "decode.h"
#include "../../../lib/kstring.h"

/* ---- Opcode table entry flags ---------------------------------------------------------------- */
#define M     0x00000001u	/* ModRM follows */
#define IB    0x00000002u	/* imm8 */
#define IW    0x00000004u	/* imm16 (with IB too: enter's imm16, imm8) */
#define IZ    0x00000008u	/* imm16 or imm32 by operand size */
#define IV    0x00000010u	/* imm16/32/64 by operand size (mov reg, imm) */
#define AP    0x00000020u	/* far pointer: offset16/32 then selector16 */
#define MO    0x00000040u	/* moffs: an address of address size, no ModRM */
#define REL   0x00000080u	/* the immediate is a relative branch target */
#define BAD   0x00000100u	/* invalid opcode */
#define I64   0x00000200u	/* invalid in 64-bit mode */
#define D64   0x00000400u	/* 64-bit mode: operand size defaults to 64 (push, pop, ...) */
#define F64   0x00000800u	/* 64-bit mode: operand size is always 64 (near branches) */
#define B     0x00001000u	/* byte operation */
#define GRP   0x00002000u	/* validity (or immediate) depends on ModRM.reg: group_valid() */
#define MEM   0x00004000u	/* ModRM must name memory (mod != 3) */
#define REG   0x00008000u	/* ModRM must name a register (mod == 3) */
#define CRDR  0x00010000u	/* mov to/from CR/DR: ModRM.mod is ignored, always a register */
#define X87   0x00020000u	/* x87 escape D8-DF */
#define ESC   0x00040000u	/* escape to another map / prefix (handled before the table) */
#define O64   0x00080000u	/* valid only in 64-bit mode */
/* SSE mandatory-prefix validity: if any of these is set, the opcode is valid only with the
 * listed prefixes (none / 66 / F3 / F2). If none is set the prefixes are not mandatory. */
#define PN    0x01000000u
#define P66   0x02000000u
#define PF3   0x04000000u
#define PF2   0x08000000u
#define PALL  (PN | P66 | PF3 | PF2)
#define PMMX  (PN | P66)	/* MMX form without prefix, SSE2 form with 66 */

/* Shorthands for the rows that repeat. */
#define MB    (M | B)
#define ALU6  MB, M, MB, M, IB | B, IZ	/* op Eb,Gb / Ev,Gv / Gb,Eb / Gv,Ev / AL,Ib / eAX,Iz */
#define JB    (IB | REL | F64)
#define JZ    (IZ | REL | F64)
#define X16(x) x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x
#define X8(x)  x, x, x, x, x, x, x, x

/* ---- The one-byte opcode map (SDM table A-2) ------------------------------------------------- */
static const uint32_t map1[256] = {
	/* 00 */ ALU6, I64, I64, ALU6, I64, ESC,	/* add, push/pop es, or, push cs, 0F escape */
	/* 10 */ ALU6, I64, I64, ALU6, I64, I64,	/* adc, push/pop ss, sbb, push/pop ds */
	/* 20 */ ALU6, ESC, I64, ALU6, ESC, I64,	/* and, es:, daa, sub, cs:, das */
	/* 30 */ ALU6, ESC, I64, ALU6, ESC, I64,	/* xor, ss:, aaa, cmp, ds:, aas */
	/* 40 */ X16(0),				/* inc/dec r (REX in 64-bit mode) */
	/* 50 */ X16(D64),				/* push r, pop r */
	/* 60 */ I64, I64, M | MEM | I64, M,		/* pusha, popa, bound (EVEX), arpl/movsxd */
		 ESC, ESC, ESC, ESC,			/* fs:, gs:, opsize, addrsize */
		 IZ | D64, M | IZ, IB | D64, M | IB,	/* push Iz, imul Gv,Ev,Iz, push Ib, imul Ib */
		 B, 0, B, 0,				/* insb, insd, outsb, outsd */
	/* 70 */ X16(JB),				/* jcc rel8 */
	/* 80 */ M | IB | B, M | IZ, M | IB | B | I64, M | IB,	/* group 1 */
		 MB, M, MB, M,				/* test, xchg */
		 MB, M, MB, M,				/* mov */
		 M, M | MEM, M, M | GRP | D64,		/* mov Ev,Sw; lea; mov Sw,Ew; pop Ev (XOP) */
	/* 90 */ X8(0),					/* nop, xchg eAX, r */
		 0, 0, AP | I64, 0,			/* cbw, cwd, call far ptr, fwait */
		 D64, D64, 0, 0,			/* pushf, popf, sahf, lahf */
	/* A0 */ MO | B, MO, MO | B, MO,		/* mov AL/eAX <-> moffs */
		 B, 0, B, 0,				/* movs, cmps */
		 IB | B, IZ, B, 0,			/* test AL,Ib; test eAX,Iz; stos */
		 B, 0, B, 0,				/* lods, scas */
	/* B0 */ X8(IB | B), X8(IV),			/* mov r8,Ib; mov r,Iv */
	/* C0 */ M | IB | B | GRP, M | IB | GRP,	/* group 2 (shift by Ib) */
		 IW | F64, F64,				/* ret Iw, ret */
		 M | MEM | I64, M | MEM | I64,		/* les, lds (VEX in 64-bit or mod == 3) */
		 M | IB | B | GRP, M | IZ | GRP,	/* group 11: mov Eb,Ib / Ev,Iz; xabort, xbegin */
		 IW | IB, D64, IW, 0,			/* enter, leave, retf Iw, retf */
		 0, IB, I64, 0,				/* int3, int Ib, into, iret */
	/* D0 */ MB | GRP, M | GRP, MB | GRP, M | GRP,	/* group 2 (shift by 1, by CL) */
		 IB | I64, IB | I64, BAD, 0,		/* aam, aad, (salc), xlat */
		 X8(M | X87),				/* x87 escapes */
	/* E0 */ JB, JB, JB, JB,			/* loopne, loope, loop, jcxz */
		 IB | B, IB, IB | B, IB,		/* in AL/eAX,Ib; out Ib,AL/eAX */
		 JZ, JZ, AP | I64, JB,			/* call, jmp rel32, jmp far ptr, jmp rel8 */
		 B, 0, B, 0,				/* in AL/eAX,DX; out DX,AL/eAX */
	/* F0 */ ESC, 0, ESC, ESC,			/* lock, int1 (icebp), repne, rep */
		 0, 0, MB | GRP, M | GRP,		/* hlt, cmc, group 3 */
		 0, 0, 0, 0, 0, 0,			/* clc, stc, cli, sti, cld, std */
		 MB | GRP, M | GRP,			/* group 4 (inc/dec Eb), group 5 */
};

/* ---- The two-byte map 0F xx (SDM table A-3) -------------------------------------------------- */
static const uint32_t map0f[256] = {
	/* 00 */ M | GRP, M | GRP, M, M,		/* group 6, group 7, lar, lsl */
		 BAD, 0, 0, 0,				/* -, syscall, clts, sysret */
		 0, PN | PF3, BAD, 0,			/* invd, wbinvd/wbnoinvd, -, ud2 */
		 BAD, M | MEM, 0, M | IB,		/* -, prefetch(w), femms, 3DNow! (suffix byte) */
	/* 10 */ M | PALL, M | PALL, M | GRP | PALL, M | MEM | PMMX,	/* movups.., movlps.., movlps st */
		 M | PMMX, M | PMMX, M | GRP | PN | P66 | PF3, M | MEM | PMMX, /* unpckl, unpckh, movhps */
		 M | GRP, M, M, M, M, M, M, M,		/* prefetch group 16, hint nops, endbr */
	/* 20 */ M | CRDR, M | CRDR, M | CRDR, M | CRDR,	/* mov r,cr; r,dr; cr,r; dr,r */
		 BAD, BAD, BAD, BAD,			/* (mov to/from test registers: 386/486) */
		 M | PMMX, M | PMMX, M | PALL, M | MEM | PALL,	/* movaps, movaps, cvtpi2ps.., movnt* */
		 M | PALL, M | PALL, M | PMMX, M | PMMX,	/* cvtt.., cvt.., ucomiss, comiss */
	/* 30 */ 0, 0, 0, 0,				/* wrmsr, rdtsc, rdmsr, rdpmc */
		 0, 0, BAD, 0,				/* sysenter, sysexit, -, getsec */
		 ESC, BAD, ESC, BAD, BAD, BAD, BAD, BAD,	/* 0F38 escape, 0F3A escape */
	/* 40 */ X16(M),				/* cmovcc */
	/* 50 */ M | REG | PMMX, M | PALL, M | PN | PF3, M | PN | PF3,	/* movmsk, sqrt, rsqrt, rcp */
		 M | PMMX, M | PMMX, M | PMMX, M | PMMX,	/* and, andn, or, xor */
		 M | PALL, M | PALL, M | PALL, M | PN | P66 | PF3,	/* add, mul, cvtps2pd.., cvtdq2ps.. */
		 M | PALL, M | PALL, M | PALL, M | PALL,	/* sub, min, div, max */
	/* 60 */ X8(M | PMMX),				/* punpckl.., packsswb, pcmpgt.., packuswb */
		 M | PMMX, M | PMMX, M | PMMX, M | PMMX,	/* punpckh.., packssdw */
		 M | P66, M | P66, M | PMMX, M | PN | P66 | PF3,	/* punpck[lh]qdq, movd, movq/movdq[au] */
	/* 70 */ M | IB | PALL,				/* pshufw/pshufd/pshufhw/pshuflw */
		 M | IB | REG | GRP | PMMX, M | IB | REG | GRP | PMMX, M | IB | REG | GRP | PMMX,
		 M | PMMX, M | PMMX, M | PMMX, PN,	/* pcmpeq b/w/d, emms */
		 M | GRP, M | GRP, BAD, BAD,		/* vmread/extrq/insertq, vmwrite/extrq/insertq */
		 M | P66 | PF2, M | P66 | PF2,		/* haddpd/ps, hsubpd/ps */
		 M | PN | P66 | PF3, M | PN | P66 | PF3,	/* movd/movq, movq/movdq[au] */
	/* 80 */ X16(JZ),				/* jcc rel32 */
	/* 90 */ X16(MB),				/* setcc */
	/* A0 */ D64, D64, 0, M,			/* push fs, pop fs, cpuid, bt */
		 M | IB, M, M | GRP, M | GRP,		/* shld Ib, shld CL, VIA PadLock */
		 D64, D64, 0, M,			/* push gs, pop gs, rsm, bts */
		 M | IB, M, M | GRP, M,			/* shrd Ib, shrd CL, group 15, imul */
	/* B0 */ MB, M, M | MEM, M,			/* cmpxchg, lss, btr */
		 M | MEM, M | MEM, M, M,		/* lfs, lgs, movzx */
		 M | PF3, M, M | IB | GRP, M,		/* popcnt, ud1, group 8, btc */
		 M | PN | P66 | PF3, M | PN | P66 | PF3, M, M,	/* bsf/tzcnt, bsr/lzcnt, movsx */
	/* C0 */ MB, M, M | IB | PALL, M | MEM | PN,	/* xadd, cmpps.., movnti */
		 M | IB | PMMX, M | IB | REG | PMMX, M | IB | PMMX, M | GRP,	/* pinsrw, pextrw, shufps, grp9 */
		 X8(0),					/* bswap */
	/* D0 */ M | P66 | PF2, M | PMMX, M | PMMX, M | PMMX,	/* addsubpd/ps, psrl w/d/q */
		 M | PMMX, M | PMMX, M | GRP | P66 | PF3 | PF2, M | REG | PMMX,	/* paddq, pmullw, movq.., pmovmskb */
		 X8(M | PMMX),
	/* E0 */ M | PMMX, M | PMMX, M | PMMX, M | PMMX,	/* pavgb, psraw, psrad, pavgw */
		 M | PMMX, M | PMMX, M | P66 | PF3 | PF2, M | MEM | PMMX,	/* pmulhuw, pmulhw, cvt.., movntq */
		 X8(M | PMMX),
	/* F0 */ M | MEM | PF2, M | PMMX, M | PMMX, M | PMMX,	/* lddqu, psll w/d/q */
		 M | PMMX, M | PMMX, M | PMMX, M | REG | PMMX,	/* pmuludq, pmaddwd, psadbw, maskmovq */
		 M | PMMX, M | PMMX, M | PMMX, M | PMMX,	/* psub b/w/d/q */
		 M | PMMX, M | PMMX, M | PMMX, M,	/* padd b/w/d, ud0 */
};

/* ---- Three-byte maps 0F 38 xx and 0F 3A xx (SDM tables ), legacy (non-VEX) forms ----
 * Every opcode has a ModRM; 0F 3A ones also an imm8. An entry lists the mandatory prefixes with
 * which the opcode exists; 0 means undefined. */
static const uint32_t map0f38[256] = {
	/* 00 */ X8(PMMX), PMMX, PMMX, PMMX, PMMX, 0, 0, 0, 0,	/* pshufb .. pmulhrsw */
	/* 10 */ P66, 0, 0, 0, P66, P66, 0, P66,		/* pblendvb, blendvps/pd, ptest */
		 0, 0, 0, 0, PMMX, PMMX, PMMX, 0,		/* pabsb/w/d */
	/* 20 */ P66, P66, P66, P66, P66, P66, 0, 0,		/* pmovsx.. */
		 P66, P66, P66 | MEM, P66, 0, 0, 0, 0,		/* pmuldq, pcmpeqq, movntdqa, packusdw */
	/* 30 */ P66, P66, P66, P66, P66, P66, 0, P66,		/* pmovzx.., pcmpgtq */
		 X8(P66),				/* pmin/pmax.., pmulld (40) */
	/* 40 */ P66, P66, 0, 0, 0, 0, 0, 0, X8(0),	/* pmulld, phminposuw */
	/* 50 */ X16(0),
	/* 60 */ X16(0),
	/* 70 */ X16(0),
	/* 80 */ P66 | MEM, P66 | MEM, P66 | MEM, 0, 0, 0, 0, 0, X8(0),	/* invept, invvpid, invpcid */
	/* 90 */ X16(0),
	/* A0 */ X16(0),
	/* B0 */ X16(0),
	/* C0 */ X8(0), PN, PN, PN, PN, PN, PN, 0, P66,	/* sha1*, sha256*, gf2p8mulb */
	/* D0 */ X8(0), PF3 | MEM, 0, 0, P66,		/* aes*wide*kl, aesimc */
		 P66 | PF3, P66 | PF3 | GRP, P66 | PF3 | GRP, P66 | PF3 | GRP,	/* aesenc.., aes*kl */
	/* E0 */ X16(0),
	/* F0 */ PN | P66 | PF2 | GRP, PN | P66 | PF2 | GRP, 0, 0,	/* movbe / crc32 */
		 0, P66 | MEM, PN | P66 | PF3 | GRP, 0,		/* wruss, wrss/adcx/adox */
		 P66 | PF3 | PF2 | MEM, PN | MEM, PF3 | REG, PF3 | REG,	/* movdir64b/enqcmd, movdiri, encodekey */
		 PALL | MEM, 0, 0, 0,			/* aadd/aand/aor/axor */
};

static const uint32_t map0f3a[256] = {
	/* 00 */ X8(0), P66, P66, P66, P66, P66, P66, P66, PMMX,	/* round.., blend.., palignr */
	/* 10 */ 0, 0, 0, 0, P66, P66, P66, P66, X8(0),	/* pextrb/w/d, extractps */
	/* 20 */ P66, P66, P66, 0, 0, 0, 0, 0, X8(0),	/* pinsrb, insertps, pinsrd */
	/* 30 */ X16(0),
	/* 40 */ P66, P66, P66, 0, P66, 0, 0, 0, X8(0),	/* dpps, dppd, mpsadbw, pclmulqdq */
	/* 50 */ X16(0),
	/* 60 */ P66, P66, P66, P66, 0, 0, 0, 0, X8(0),	/* pcmp[ei]str[im] */
	/* 70 */ X16(0),
	/* 80 */ X16(0),
	/* 90 */ X16(0),
	/* A0 */ X16(0),
	/* B0 */ X16(0),
	/* C0 */ X8(0), 0, 0, 0, 0, PN, 0, P66, P66,	/* sha1rnds4, gf2p8affine(inv)qb */
	/* D0 */ X8(0), 0, 0, 0, 0, 0, 0, 0, P66,	/* aeskeygenassist */
	/* E0 */ X16(0),
	/* F0 */ X16(0),
};

/* ---- Opcode-existence maps drawn as text: one row of 16 opcodes per line ----------------------
 * 'x' = exists (ModRM follows), '0' = exists without ModRM, '.' = undefined. */
typedef const char opmap_text[16][17];

/* VEX map 1 (0F xx): SSE/AVX forms, AVX-512 mask-register ops (kand.., kmov..) */
static opmap_text vex_map1 = {
	"................", "xxxxxxxx........", "........xxxxxxxx", "................",
	".xx.xxxx..xx....", "xxxxxxxxxxxxxxxx", "xxxxxxxxxxxxxxxx", "xxxxxxx0....xxxx",
	"................", "xxxx....xx......", "..............x.", "................",
	"..x.xxx.........", "xxxxxxxxxxxxxxxx", "xxxxxxxxxxxxxxxx", "xxxxxxxxxxxxxxx.",
};
/* VEX map 2 (0F 38 xx): AVX2, FMA, BMI1/2, gathers, AMX, VNNI, VAES, CMPccXADD */
static opmap_text vex_map2 = {
	"xxxxxxxxxxxxxxxx", "...x..xxxxx.xxx.", "xxxxxx..xxxxxxxx", "xxxxxxxxxxxxxxxx",
	"xx...xxx.x.x....", "xxxx....xxx.x.x.", "................", "..x.....xx......",
	"............x.x.", "xxxx..xxxxxxxxxx", "......xxxxxxxxxx", "xx..xxxxxxxxxxxx",
	"...............x", "...........xxxxx", "xxxxxxxxxxxxxxxx", "..xx.xxx........",
};
/* VEX map 3 (0F 3A xx, all with imm8): AVX2 permutes/blends, FMA4 (AMD), kshift */
static opmap_text vex_map3 = {
	"xxx.xxx.xxxxxxxx", "....xxxxxx...x..", "xxx.............", "xxxx....xx......",
	"xxx.x.x.xxxxx...", "............xxxx", "xxxx....xxxxxxxx", "........xxxxxxxx",
	"................", "................", "................", "................",
	"..............xx", "...............x", "................", "x...............",
};
/* XOP map 8 (imm8): vpmacs*, vpcmov, vpperm, vprot*, vpcom* (AMD) */
static opmap_text xop_map8 = {
	"................", "................", "................", "................",
	"................", "................", "................", "................",
	".....xxx......xx", ".....xxx......xx", "..xx..x.........", "......x.........",
	"xxxx........xxxx", "................", "............xxxx", "................",
};
/* XOP map 9 (no immediate): TBM, LWP, vfrcz, vprot, vpsh, vphadd, vphsub */
static opmap_text xop_map9 = {
	".xx.............", "..x.............", "................", "................",
	"................", "................", "................", "................",
	"xxxx............", "xxxxxxxxxxxx....", "................", "................",
	".xxx..xx...x....", ".xxx..xx...x....", ".xxx............", "................",
};
/* XOP map 10 (imm32): bextr, lwpins/lwpval */
static opmap_text xop_mapA = {
	"................", "x.x.............", "................", "................",
	"................", "................", "................", "................",
	"................", "................", "................", "................",
	"................", "................", "................", "................",
};
/* 3DNow! (0F 0F ModRM imm8): the imm8 is the real opcode; these are the defined ones */
static opmap_text amd3dnow = {
	"............xx..", "............xx..", "................", "................",
	"................", "................", "................", "................",
	"..........x...x.", "x...x.xx..x...x.", "x...x.xx..x...x.", "x...x.xx...x...x",
	"................", "................", "................", "................",
};
/* 0F 01 with mod == 3 (rows C0..FF), one drawing per mandatory prefix (none, 66, F3, F2):
 * enclv vmcall vmlaunch vmresume vmxoff pconfig wrmsrns, monitor mwait clac stac (tdcall) encls,
 * xgetbv xsetbv vmfunc xend xtest enclu, vmrun vmmcall vmload vmsave stgi clgi skinit invlpga,
 * smsw, serialize/setssbsy (xresldtrk) saveprevssp rdpkru wrpkru, lmsw, swapgs (64-bit only)
 * rdtscp monitorx mwaitx clzero rdpru invlpgb tlbsync. */
static const char grp7_reg[4][4][17] = {
	{ "xxxxxxx.xxxx...x", "xx..xxxxxxxxxxxx", "xxxxxxxxx.....xx", "xxxxxxxxxxxxxxxx" },
	{ "xxxxxx..xxxxx...", "xx..xxxxx.xxxxxx", "xxxxxxxx........", "xxxxxxxxxx..x..." },
	{ "xxxxxx..xxxx....", "xx..xxxxxxxxxxxx", "xxxxxxxxx.x.....", "xxxxxxxxxxx.x..." },
	{ "xxxxxx..xxxx....", "xx..xxxxxxxxxxxx", "xxxxxxxxxx......", "xxxxxxxxxx..x..x" },
};

static int opmap_char(opmap_text t, uint8_t op) { return t[op >> 4][op & 15]; }

/* x87 (D8..DF) register forms (mod == 3): bit i set = ModRM 0xC0+i is defined (SDM table A-8..) */
static const uint64_t x87_reg_ok[8] = {
	0xFFFFFFFFFFFFFFFFull,	/* D8: fadd fmul fcom fcomp fsub fsubr fdiv fdivr */
	0xFFFF7F3300010000ull | 0xFFFF, /* D9: fld fxch fnop fchs fabs ftst fxam fld1.. f2xm1.. */
	0x00000200FFFFFFFFull,	/* DA: fcmov*, fucompp */
	0x00FFFF1FFFFFFFFFull,	/* DB: fcmovn*, (fneni fndisi), fnclex, fninit, (fnsetpm), fucomi.. */
	0xFFFFFFFF0000FFFFull,	/* DC: fadd fmul fsubr fsub fdivr fdiv to st(i) */
	0x0000FFFFFFFF00FFull,	/* DD: ffree, fst, fstp, fucom, fucomp */
	0xFFFFFFFF0200FFFFull,	/* DE: faddp fmulp fcompp fsubrp fsubp fdivrp fdivp */
	0x00FFFF01000000FFull,	/* DF: ffreep, fnstsw ax, fucomip, fcomip */
};
/* x87 memory forms: bit r set = ModRM.reg r is undefined */
static const uint8_t x87_mem_bad[8] = { 0, 1u << 1, 0, (1u << 4) | (1u << 6), 0, 1u << 5, 0, 0 };

/* ---- Reading bytes ----------------------------------------------------------------------------- */
struct cursor {
	const uint8_t *code;
	size_t avail;
	unsigned pos;
	int err;		/* first error met, 0 if none */
};

/* The byte at pos+ahead, or -1 (and c->err set) if it is past the end or past 15 bytes. */
static int peek(struct cursor *c, unsigned ahead)
{
	unsigned at = c->pos + ahead;
	if (at >= X86_MAX_INSN_LEN) {
		if (!c->err)
			c->err = X86_ERR_TOO_LONG;
		return -1;
	}
	if (at >= c->avail) {
		if (!c->err)
			c->err = X86_ERR_TRUNCATED;
		return -1;
	}
	return c->code[at];
}

static int next(struct cursor *c)
{
	int b = peek(c, 0);
	if (b >= 0)
		c->pos++;
	return b;
}

/* Read a little-endian signed value of n bytes (1, 2, 4 or 8). */
static int64_t read_signed(struct cursor *c, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++) {
		int b = next(c);
		if (b < 0)
			return 0;
		v |= (uint64_t)b << (8 * i);
	}
	if (n > 0 && n < 8 && (v >> (8 * n - 1)) & 1)
		v |= ~0ull << (8 * n);
	return (int64_t)v;
}

/* ---- ModRM, SIB and displacement ---------------------------------------------------------------- */
static void decode_modrm(struct cursor *c, struct x86_insn *in, int crdr)
{
	int m = next(c);
	if (m < 0)
		return;
	in->flags |= X86_F_MODRM;
	in->modrm = (uint8_t)m;
	in->mod = (uint8_t)(m >> 6);
	in->reg = (uint8_t)((m >> 3) & 7);
	in->rm = (uint8_t)(m & 7);
	if (in->mod == 3 || crdr)	/* register operand (mov CR/DR ignore mod) */
		return;
	in->flags |= X86_F_MEM;
	unsigned disp = 0;
	if (in->addrsize == 16) {	/* [bx+si], [bx+di], [bp+si], ... no SIB */
		if (in->mod == 0 && in->rm == 6)
			disp = 2;
		else
			disp = in->mod == 1 ? 1 : in->mod == 2 ? 2 : 0;
	} else {
		if (in->rm == 4) {	/* SIB follows */
			int s = next(c);
			if (s < 0)
				return;
			in->flags |= X86_F_SIB;
			in->sib = (uint8_t)s;
			in->scale = (uint8_t)(s >> 6);
			in->index = (uint8_t)((s >> 3) & 7);
			in->base = (uint8_t)(s & 7);
			if (in->base == 5 && in->mod == 0)
				disp = 4;	/* [index*scale + disp32] */
		} else if (in->rm == 5 && in->mod == 0) {
			disp = 4;		/* [disp32], or [rip + disp32] in 64-bit mode */
			if (in->mode == 64)
				in->flags |= X86_F_RIPREL;
		}
		if (in->mod == 1)
			disp = 1;
		else if (in->mod == 2)
			disp = 4;
	}
	in->disp_size = (uint8_t)disp;
	in->disp = read_signed(c, disp);
}

static void read_imm(struct cursor *c, struct x86_insn *in, unsigned n)
{
	in->imm_size = (uint8_t)n;
	in->imm = read_signed(c, n);
}

static void read_imm2(struct cursor *c, struct x86_insn *in, unsigned n)
{
	in->imm2_size = (uint8_t)n;
	in->imm2 = (uint32_t)read_signed(c, n) & (n == 1 ? 0xFFu : 0xFFFFu);
}

/* ---- Groups: opcodes whose meaning (and validity) depends on ModRM.reg --------------------------- */
/* Row of the per-prefix tables: none, 66, F3, F2. */
static unsigned prefix_index(uint8_t mandatory)
{
	return mandatory == 0x66 ? 1 : mandatory == 0xF3 ? 2 : mandatory == 0xF2 ? 3 : 0;
}

static int group_valid(const struct x86_insn *in)
{
	unsigned r = in->reg, mem = in->mod != 3;
	if (in->map == X86_MAP_1BYTE) {
		switch (in->opcode) {
		case 0x8F: return r == 0;					/* pop Ev */
		case 0xC0: case 0xC1: case 0xD0: case 0xD1: case 0xD2: case 0xD3:
			return 1;			/* rol ror rcl rcr shl shr sal(/6 alias) sar */
		case 0xC6: case 0xC7: return r == 0 || in->modrm == 0xF8;	/* mov; xabort/xbegin */
		case 0xF6: case 0xF7: return 1;				/* test(/1 alias) not neg mul.. */
		case 0xFE: return r <= 1;					/* inc, dec */
		case 0xFF: return r != 7 && (mem || (r != 3 && r != 5));	/* inc..push; far: mem */
		}
		return 1;
	}
	if (in->map == X86_MAP_0F38) {
		switch (in->opcode) {
		case 0xF0: case 0xF1: return mem || in->mandatory == 0xF2;	/* movbe: memory */
		case 0xF6: return mem || in->mandatory != 0;			/* wrss: memory */
		case 0xDD: case 0xDE: case 0xDF: return mem || in->mandatory != 0xF3;	/* aes*kl */
		}
		return 1;
	}
	/* map 0F */
	switch (in->opcode) {
	case 0x12: case 0x16: return mem || in->mandatory != 0x66;	/* movlpd, movhpd: memory */
	case 0xA6: return in->modrm == 0xC0 || in->modrm == 0xC8 || in->modrm == 0xD0;
	case 0xA7: return !mem && in->modrm <= 0xE8 && (in->modrm & 7) == 0;	/* xstore, xcrypt* */
	case 0x00: return r <= 5;			/* sldt str lldt ltr verr verw */
	case 0x01:
		if (mem)				/* sgdt sidt lgdt lidt smsw rstorssp lmsw invlpg */
			return r != 5 || in->mandatory == 0xF3;
		if (in->modrm == 0xF8 && in->mode != 64)
			return 0;			/* swapgs */
		if (in->modrm >= 0xEC && in->modrm <= 0xEF && in->mandatory == 0xF3)
			return in->mode == 64;		/* uiret testui clui stui */
		return grp7_reg[prefix_index(in->mandatory)][(in->modrm >> 4) & 3][in->modrm & 15] == 'x';
	case 0x71: case 0x72: return r == 2 || r == 4 || r == 6;	/* psrl, psra, psll */
	case 0x73: return r == 2 || r == 6 || ((r == 3 || r == 7) && in->mandatory == 0x66);
	case 0x78:					/* vmread / extrq imm / insertq imm */
		if (in->mandatory == 0)
			return 1;
		return !mem && in->mandatory != 0xF3;
	case 0x79:					/* vmwrite / extrq / insertq */
		return in->mandatory == 0 || (!mem && in->mandatory != 0xF3);
	case 0xAE:
		if (mem) {	/* fxsave fxrstor ldmxcsr stmxcsr xsave xrstor xsaveopt clflush; with 66
				 * clwb/clflushopt, with F3 ptwrite/clrssbsy */
			static const uint8_t bad_regs[4] = { 0x00, 0x30, 0xA0, 0xF0 };
			return !((bad_regs[prefix_index(in->mandatory)] >> r) & 1);
		}
		switch (r) {
		case 0: case 1: case 2: case 3:		/* rd/wr fs/gs base */
			return in->mode == 64 && in->mandatory == 0xF3;
		case 4:					/* ptwrite */
			return in->mandatory == 0xF3;
		case 5:					/* lfence (any rm), incssp */
			return in->mandatory == 0 || in->mandatory == 0xF3;
		case 6:					/* mfence; tpause, umonitor, umwait */
			return in->mandatory != 0 || in->rm == 0;
		default:				/* sfence */
			return in->rm == 0;
		}
	case 0xBA: return r >= 4;			/* bt bts btr btc Ib */
	case 0xC7:
		if (in->mandatory == 0xF2)		/* memory forms but vmptrld/vmclear/vmxon */
			return mem && (r == 1 || (r >= 3 && r != 6));
		if (mem)				/* cmpxchg8b, xrstors, xsavec, xsaves, vmptrld.. */
			return r == 1 || r >= 3;
		if (r == 6 && in->mandatory == 0xF3)	/* senduipi */
			return in->mode == 64;
		return r >= 6;				/* rdrand, rdseed/rdpid */
	case 0xD6: return in->mandatory == 0x66 || !mem;	/* movq; movq2dq, movdq2q */
	}
	return 1;
}

/* ---- What the VMM cares about ------------------------------------------------------------------- */
static enum x86_kind classify(struct x86_insn *in)
{
	unsigned op = in->opcode, r = in->reg, mem = in->mod != 3;
	if (in->prefixes & (X86_PFX_VEX | X86_PFX_XOP | X86_PFX_EVEX))
		return X86_K_OTHER;
	if (in->map == X86_MAP_1BYTE) {
		switch (op) {
		case 0x06: case 0x0E: case 0x16: case 0x1E:
			in->sreg = (uint8_t)(op >> 3);
			return X86_K_PUSH_SREG;
		case 0x07: case 0x17: case 0x1F:
			in->sreg = (uint8_t)(op >> 3);
			return X86_K_POP_SREG;
		case 0x8C: in->sreg = (uint8_t)r; return X86_K_MOV_FROM_SREG;
		case 0x8E: in->sreg = (uint8_t)r; return X86_K_MOV_TO_SREG;
		case 0x6C: case 0x6D: return X86_K_INS;
		case 0x6E: case 0x6F: return X86_K_OUTS;
		case 0xE4: case 0xE5: return X86_K_IN_IMM;
		case 0xE6: case 0xE7: return X86_K_OUT_IMM;
		case 0xEC: case 0xED: return X86_K_IN_DX;
		case 0xEE: case 0xEF: return X86_K_OUT_DX;
		case 0x9A: return X86_K_CALL_FAR;
		case 0xEA: return X86_K_JMP_FAR;
		case 0xCA: case 0xCB: return X86_K_RET_FAR;
		case 0x9C: return X86_K_PUSHF;
		case 0x9D: return X86_K_POPF;
		case 0xCF: return X86_K_IRET;
		case 0xCC: return X86_K_INT3;
		case 0xCD: return X86_K_INT;
		case 0xCE: return X86_K_INTO;
		case 0xF1: return X86_K_INT1;
		case 0xF4: return X86_K_HLT;
		case 0xFA: return X86_K_CLI;
		case 0xFB: return X86_K_STI;
		case 0xFF: return r == 3 ? X86_K_CALL_FAR : r == 5 ? X86_K_JMP_FAR : X86_K_OTHER;
		}
		return X86_K_OTHER;
	}
	if (in->map != X86_MAP_0F)
		return X86_K_OTHER;
	switch (op) {
	case 0x00: {
		static const enum x86_kind g6[6] = { X86_K_SLDT, X86_K_STR, X86_K_LLDT, X86_K_LTR,
						     X86_K_VERR, X86_K_VERW };
		return g6[r];
	}
	case 0x01:
		if (mem) {
			static const enum x86_kind g7[8] = { X86_K_SGDT, X86_K_SIDT, X86_K_LGDT,
				X86_K_LIDT, X86_K_SMSW, X86_K_OTHER, X86_K_LMSW, X86_K_INVLPG };
			return g7[r];
		}
		if (r == 4)
			return X86_K_SMSW;
		if (r == 6)
			return X86_K_LMSW;
		switch (in->modrm) {
		case 0xF8: return X86_K_SWAPGS;
		case 0xD1: return X86_K_XSETBV;
		case 0xCA: return X86_K_CLAC;
		case 0xCB: return X86_K_STAC;
		}
		return X86_K_OTHER;
	case 0x02: return X86_K_LAR;
	case 0x03: return X86_K_LSL;
	case 0x05: return X86_K_SYSCALL;
	case 0x06: return X86_K_CLTS;
	case 0x07: return X86_K_SYSRET;
	case 0x08: return X86_K_INVD;
	case 0x09: return X86_K_WBINVD;
	case 0x0B: case 0xB9: case 0xFF: return X86_K_UD;
	case 0x20: return X86_K_MOV_FROM_CR;
	case 0x21: return X86_K_MOV_FROM_DR;
	case 0x22: return X86_K_MOV_TO_CR;
	case 0x23: return X86_K_MOV_TO_DR;
	case 0x30: return X86_K_WRMSR;
	case 0x31: return X86_K_RDTSC;
	case 0x32: return X86_K_RDMSR;
	case 0x33: return X86_K_RDPMC;
	case 0x34: return X86_K_SYSENTER;
	case 0x35: return X86_K_SYSEXIT;
	case 0xA2: return X86_K_CPUID;
	case 0xA0: case 0xA8: in->sreg = (uint8_t)(op == 0xA0 ? X86_SEG_FS : X86_SEG_GS);
		return X86_K_PUSH_SREG;
	case 0xA1: case 0xA9: in->sreg = (uint8_t)(op == 0xA1 ? X86_SEG_FS : X86_SEG_GS);
		return X86_K_POP_SREG;
	}
	return X86_K_OTHER;
}

/* ---- VEX, XOP and EVEX: prefixes that carry the opcode map ---------------------------------------- */
static const uint8_t pp_prefix[4] = { 0, 0x66, 0xF3, 0xF2 };

/* May VEX opcode `op` of `map` carry the SSE prefix encoded by pp (0 none, 1 66, 2 F3, 3 F2)?
 * Map 1 follows the legacy 0F table, except that the MMX (no-prefix) forms do not exist in VEX;
 * maps 2 and 3 are 66 except for the general-purpose (BMI, AMX, ...) rows. */
static int vex_pp_valid(uint8_t map, uint8_t op, unsigned pp)
{
	static const uint32_t pbit[4] = { PN, P66, PF3, PF2 };
	if (map == 1) {
		uint32_t f = map0f[op];
		if ((op >= 0x41 && op <= 0x4B) || (op >= 0x90 && op <= 0x99))
			return 1;				/* mask-register ops */
		if (op == 0x77)
			return 1;				/* vzeroupper/vzeroall */
		if (op == 0xAE)
			return 1;				/* vldmxcsr, vstmxcsr */
		if (op == 0x2A || op == 0x2C || op == 0x2D)	/* cvt*2s[sd]: no MMX forms */
			return pp >= 2;
		if (op == 0x2B)
			return pp <= 1;				/* vmovntps/pd */
		if ((op >= 0x60 && op <= 0x7F) || op == 0xC4 || op == 0xC5 || op >= 0xD0)
			f &= ~PN;				/* integer: the no-prefix form is MMX */
		return !(f & PALL) || (f & pbit[pp]);
	}
	if ((map == 2 && (op >= 0xF0 || op == 0x49 || op == 0x4B || op == 0x5C || op == 0x5E ||
			  (op >= 0x50 && op <= 0x53) || op == 0x72 || (op >= 0xB0 && op <= 0xB5))) ||
	    (map == 3 && op == 0xF0))
		return 1;
	return pp == 1;
}

/* Decode from the VEX/XOP/EVEX lead byte to the end; returns 0 or an X86_ERR_* code. */
static int decode_vex_family(struct cursor *c, struct x86_insn *in, int lead)
{
	int b1, b2 = 0, b3 = 0;
	if (in->prefixes & (X86_PFX_OPSIZE | X86_PFX_REP | X86_PFX_REPNE | X86_PFX_LOCK | X86_PFX_REX))
		return X86_ERR_INVALID;		/* VEX/XOP/EVEX may not follow these */
	c->pos++;				/* the lead byte */
	if ((b1 = next(c)) < 0)
		return c->err;
	if (lead != 0xC5 && (b2 = next(c)) < 0)
		return c->err;
	if (lead == 0x62 && (b3 = next(c)) < 0)
		return c->err;
	if (lead == 0xC5) {			/* 2-byte VEX: R vvvv L pp, map 0F */
		in->prefixes |= X86_PFX_VEX;
		in->map = 1;
		in->ext_r = !(b1 & 0x80);
		b2 = b1 & 0x7F;			/* same layout as the 3-byte form's last byte, W=0 */
	} else {				/* RXB mmmmm */
		in->prefixes |= lead == 0xC4 ? X86_PFX_VEX : lead == 0x8F ? X86_PFX_XOP : X86_PFX_EVEX;
		in->ext_r = !(b1 & 0x80);
		in->ext_x = !(b1 & 0x40);
		in->ext_b = !(b1 & 0x20);
		in->map = (uint8_t)(b1 & (lead == 0x62 ? 0x07 : 0x1F));
	}
	in->vex_w = (uint8_t)(b2 >> 7);		/* W vvvv 1 pp (EVEX) / W vvvv L pp */
	in->vex_vvvv = (uint8_t)((~b2 >> 3) & 15);
	in->mandatory = pp_prefix[b2 & 3];
	in->vex_l = (uint8_t)(lead == 0x62 ? (b3 >> 5) & 3 : (b2 >> 2) & 1);
	in->opsize = in->mode == 64 && in->vex_w ? 64 : 32;

	int op = next(c);
	if (op < 0)
		return c->err;
	in->opcode = (uint8_t)op;
	in->opcode_off = (uint8_t)(c->pos - 1);

	int modrm = 1, imm = 0, ok;
	switch (lead) {
	case 0x62:				/* EVEX: P0 bit 3 is 0, P1 bit 2 is 1 */
		ok = !(b1 & 0x08) && (b2 & 0x04) &&
		     (in->map == 1 || in->map == 2 || in->map == 3 || in->map == 5 || in->map == 6);
		imm = in->map == 3 || (in->map == 1 && (map0f[op] & IB));
		break;
	case 0x8F:				/* XOP: maps 8 (imm8), 9, 10 (imm32); pp must be 0 */
		ok = (b2 & 3) == 0 &&
		     ((in->map == 8 && opmap_char(xop_map8, (uint8_t)op) == 'x') ||
		      (in->map == 9 && opmap_char(xop_map9, (uint8_t)op) == 'x') ||
		      (in->map == 10 && opmap_char(xop_mapA, (uint8_t)op) == 'x'));
		imm = in->map == 8 ? 1 : in->map == 10 ? 4 : 0;
		break;
	default: {				/* VEX: maps 1 (0F), 2 (0F38), 3 (0F3A) */
		int ch = in->map == 1 ? opmap_char(vex_map1, (uint8_t)op) :
			 in->map == 2 ? opmap_char(vex_map2, (uint8_t)op) :
			 in->map == 3 ? opmap_char(vex_map3, (uint8_t)op) : '.';
		ok = ch != '.' && vex_pp_valid(in->map, (uint8_t)op, b2 & 3);
		modrm = ch == 'x';
		imm = in->map == 3 || (in->map == 1 && (map0f[op] & IB));
		break;
	}
	}
	if (modrm)
		decode_modrm(c, in, 0);
	if (imm && !c->err)
		read_imm(c, in, (unsigned)imm);
	if (c->err)
		return c->err;
	return ok ? 0 : X86_ERR_INVALID;
}

/* ---- The decoder ---------------------------------------------------------------------------------- */
static int finish(struct cursor *c, struct x86_insn *in, int err)
{
	in->length = (uint8_t)c->pos;
	return err ? err : (int)c->pos;
}

int x86_decode(const uint8_t *code, size_t avail, int mode, struct x86_insn *in)
{
	struct cursor cur = { code, avail, 0, 0 }, *c = &cur;
	int last_rep = 0, b;

	memset(in, 0, sizeof(*in));
	in->mode = (uint8_t)mode;
	in->seg = X86_SEG_NONE;
	in->sreg = X86_SEG_NONE;
	if (mode != 16 && mode != 32 && mode != 64)
		return X86_ERR_MODE;

	/* 1. Legacy prefixes, in any order; in 64-bit mode a REX counts only right before the opcode. */
	for (;;) {
		if ((b = peek(c, 0)) < 0)
			return finish(c, in, c->err);
		if (mode == 64 && (b & 0xF0) == 0x40) {
			in->rex = (uint8_t)b;
			in->prefixes |= X86_PFX_REX;
			c->pos++;
			continue;
		}
		switch (b) {
		case 0xF0: in->prefixes |= X86_PFX_LOCK; break;
		case 0xF2: in->prefixes |= X86_PFX_REPNE; last_rep = b; break;
		case 0xF3: in->prefixes |= X86_PFX_REP; last_rep = b; break;
		case 0x66: in->prefixes |= X86_PFX_OPSIZE; break;
		case 0x67: in->prefixes |= X86_PFX_ADSIZE; break;
		case 0x26: in->prefixes |= X86_PFX_SEG; in->seg = X86_SEG_ES; break;
		case 0x2E: in->prefixes |= X86_PFX_SEG; in->seg = X86_SEG_CS; break;
		case 0x36: in->prefixes |= X86_PFX_SEG; in->seg = X86_SEG_SS; break;
		case 0x3E: in->prefixes |= X86_PFX_SEG; in->seg = X86_SEG_DS; break;
		case 0x64: in->prefixes |= X86_PFX_SEG; in->seg = X86_SEG_FS; break;
		case 0x65: in->prefixes |= X86_PFX_SEG; in->seg = X86_SEG_GS; break;
		default: goto opcode;
		}
		in->rex = 0;			/* a legacy prefix after REX cancels it */
		in->prefixes &= (uint16_t)~X86_PFX_REX;
		c->pos++;
	}
opcode:
	in->nprefixes = (uint8_t)c->pos;
	if (in->rex) {
		in->ext_r = (in->rex >> 2) & 1;
		in->ext_x = (in->rex >> 1) & 1;
		in->ext_b = in->rex & 1;
	}
	/* Sizes: 66 toggles the operand size, 67 the address size; REX.W forces 64. */
	int osz16 = !!(in->prefixes & X86_PFX_OPSIZE), asz = !!(in->prefixes & X86_PFX_ADSIZE);
	if (mode == 64)
		in->addrsize = asz ? 32 : 64;
	else
		in->addrsize = (mode == 32) != asz ? 32 : 16;
	in->mandatory = last_rep ? (uint8_t)last_rep : osz16 ? 0x66 : 0;

	/* 2. VEX (C4/C5), EVEX (62) and XOP (8F). Outside 64-bit mode C4/C5/62 are les/lds/bound
	 * unless the next byte has mod == 3, which those cannot encode; 8F is XOP when the would-be
	 * ModRM.reg is not 0 (pop Ev needs /0), i.e. when the map field is >= 8. */
	if (b == 0xC4 || b == 0xC5 || b == 0x62 || b == 0x8F) {
		int n = peek(c, 1);
		if (n < 0)
			return finish(c, in, c->err);
		if ((b == 0x8F && (n & 0x1F) >= 8) || (b != 0x8F && (mode == 64 || (n & 0xC0) == 0xC0)))
			return finish(c, in, decode_vex_family(c, in, b));
	}

	/* 3. Opcode bytes: 1-byte map, 0F, 0F 38, 0F 3A. */
	const uint32_t *table = map1;
	c->pos++;
	if (b == 0x0F) {
		if ((b = next(c)) < 0)
			return finish(c, in, c->err);
		table = map0f;
		in->map = X86_MAP_0F;
		if (b == 0x38 || b == 0x3A) {
			table = b == 0x38 ? map0f38 : map0f3a;
			in->map = b == 0x38 ? X86_MAP_0F38 : X86_MAP_0F3A;
			if ((b = next(c)) < 0)
				return finish(c, in, c->err);
		}
	}
	in->opcode = (uint8_t)b;
	in->opcode_off = (uint8_t)(c->pos - 1);
	uint32_t f = table[b];
	if (in->map >= X86_MAP_0F38) {		/* every 0F38/0F3A opcode has a ModRM */
		f |= M | (in->map == X86_MAP_0F3A ? IB : 0);
		if (!(f & PALL))
			f |= BAD;
	}
	int bad = (f & BAD) || ((f & I64) && mode == 64) || ((f & O64) && mode != 64);
	if (f & PALL) {				/* SSE: the prefix selects the instruction */
		uint32_t need = in->mandatory == 0x66 ? P66 : in->mandatory == 0xF3 ? PF3 :
				in->mandatory == 0xF2 ? PF2 : PN;
		if (!(f & need))
			bad = 1;
	}
	if (mode == 64 && b == 0x63 && in->map == X86_MAP_1BYTE)
		f &= ~MEM;			/* arpl -> movsxd */

	/* Operand size. */
	if (mode == 64) {
		if (in->rex & 8)
			in->opsize = 64;
		else if (f & F64)
			in->opsize = 64;
		else if (osz16)
			in->opsize = 16;
		else
			in->opsize = (f & D64) ? 64 : 32;
	} else {
		in->opsize = (mode == 32) != osz16 ? 32 : 16;
	}

	/* 4. ModRM (+ SIB + displacement). */
	if (f & M) {
		decode_modrm(c, in, !!(f & CRDR));
		if (c->err)
			return finish(c, in, c->err);
		if (((f & MEM) && in->mod == 3) || ((f & REG) && in->mod != 3))
			bad = 1;
		if ((f & GRP) && !group_valid(in))
			bad = 1;
		if (f & X87) {
			unsigned esc = b - 0xD8u;
			if (in->mod == 3 ? !((x87_reg_ok[esc] >> (in->modrm - 0xC0)) & 1)
					 : (x87_mem_bad[esc] >> in->reg) & 1)
				bad = 1;
		}
		if (in->map == X86_MAP_1BYTE && (b == 0x8C || b == 0x8E) &&
		    (in->reg > 5 || (b == 0x8E && in->reg == X86_SEG_CS)))
			bad = 1;		/* no such segment register; mov cs, r/m */
	}

	/* 5. Immediates. */
	unsigned zsize = in->opsize == 16 ? 2 : 4;
	if (f & AP) {				/* ptr16:16 / ptr16:32 */
		in->flags |= X86_F_FAR_PTR;
		read_imm(c, in, zsize);
		read_imm2(c, in, 2);
	} else if (f & MO) {			/* moffs: an address, zero-extended */
		in->flags |= X86_F_MOFFS;
		in->disp_size = (uint8_t)(in->addrsize / 8);
		in->disp = read_signed(c, in->disp_size);
		if (in->disp_size < 8)
			in->disp &= (int64_t)((1ull << (8 * in->disp_size)) - 1);
	} else if ((f & IW) && (f & IB)) {	/* enter Iw, Ib */
		read_imm(c, in, 2);
		read_imm2(c, in, 1);
	} else if (f & IW) {
		read_imm(c, in, 2);
	} else if (f & IB) {
		read_imm(c, in, 1);
	} else if (f & IZ) {
		read_imm(c, in, zsize);
	} else if (f & IV) {
		read_imm(c, in, in->opsize == 64 ? 8 : zsize);
	}
	/* Immediates that depend on the group member. */
	if (in->map == X86_MAP_1BYTE && (b == 0xF6 || b == 0xF7) && in->reg <= 1)
		read_imm(c, in, b == 0xF6 ? 1 : zsize);	/* test Eb,Ib / Ev,Iz */
	if (in->map == X86_MAP_0F && b == 0x78 && (in->mandatory == 0x66 || in->mandatory == 0xF2)) {
		read_imm(c, in, 1);		/* extrq/insertq xmm, imm8, imm8 */
		read_imm2(c, in, 1);
	}
	if (c->err)
		return finish(c, in, c->err);
	if (f & REL)
		in->flags |= X86_F_REL;
	if (in->map == X86_MAP_1BYTE && b == 0xC7 && in->modrm == 0xF8)
		in->flags |= X86_F_REL;		/* xbegin rel16/32 */
	if (in->map == X86_MAP_0F && b == 0x0F && opmap_char(amd3dnow, (uint8_t)in->imm) != 'x')
		bad = 1;			/* 3DNow!: the suffix is the opcode */
	if (f & B) {
		in->flags |= X86_F_BYTEOP;
		in->opsize = 8;
	}
	if (bad)
		return finish(c, in, X86_ERR_INVALID);
	in->kind = classify(in);
	return finish(c, in, 0);
}

/* ---- Helpers --------------------------------------------------------------------------------------- */
const char *x86_kind_name(enum x86_kind kind)
{
	static const char *const names[] = {
#define X86_KIND_NAME(n) #n,
		X86_KINDS(X86_KIND_NAME)
#undef X86_KIND_NAME
	};
	if ((unsigned)kind >= X86_K_COUNT)
		return "?";
	return names[kind];
}

int x86_needs_patch(const struct x86_insn *in)
{
	switch (in->kind) {
	case X86_K_PUSHF: case X86_K_POPF: case X86_K_IRET:
	case X86_K_SGDT: case X86_K_SIDT: case X86_K_SLDT: case X86_K_STR: case X86_K_SMSW:
	case X86_K_LAR: case X86_K_LSL: case X86_K_VERR: case X86_K_VERW:
	case X86_K_CALL_FAR:                 /* (it pushes CS) */
		return 1;
	case X86_K_MOV_FROM_SREG: case X86_K_PUSH_SREG:
		return in->sreg == X86_SEG_CS || in->sreg == X86_SEG_SS;
	default:
		return 0;
	}
}

static uint32_t reg32(const struct x86_regs32 *r, unsigned n)
{
	switch (n & 7) {
	case 0: return r->eax;
	case 1: return r->ecx;
	case 2: return r->edx;
	case 3: return r->ebx;
	case 4: return r->esp;
	case 5: return r->ebp;
	case 6: return r->esi;
	default: return r->edi;
	}
}

int x86_effective_address32(const struct x86_insn *in, const struct x86_regs32 *regs,
			    uint32_t *offset, enum x86_seg *seg)
{
	enum x86_seg dflt = X86_SEG_DS;
	uint32_t ea;

	if (in->mode == 64)
		return -1;
	if (in->flags & X86_F_MOFFS) {
		ea = (uint32_t)in->disp;
	} else if (!(in->flags & X86_F_MEM)) {
		return -1;
	} else if (in->addrsize == 16) {
		/* rm: 0 bx+si, 1 bx+di, 2 bp+si, 3 bp+di, 4 si, 5 di, 6 bp (mod 0: disp16), 7 bx */
		static const uint8_t base16[8] = { 3, 3, 5, 5, 6, 7, 5, 3 };
		static const int8_t index16[8] = { 6, 7, 6, 7, -1, -1, -1, -1 };
		ea = (uint32_t)in->disp;
		if (!(in->mod == 0 && in->rm == 6)) {
			ea += reg32(regs, base16[in->rm]);
			if (base16[in->rm] == 5)
				dflt = X86_SEG_SS;
		}
		if (index16[in->rm] >= 0)
			ea += reg32(regs, (unsigned)index16[in->rm]);
		ea &= 0xFFFF;
	} else {
		ea = (uint32_t)in->disp;
		if (in->flags & X86_F_SIB) {
			if (!(in->base == 5 && in->mod == 0)) {
				ea += reg32(regs, in->base);
				if (in->base == 4 || in->base == 5)
					dflt = X86_SEG_SS;
			}
			if (in->index != 4)	/* index 4 = none */
				ea += reg32(regs, in->index) << in->scale;
		} else if (!(in->mod == 0 && in->rm == 5)) {
			ea += reg32(regs, in->rm);
			if (in->rm == 5)
				dflt = X86_SEG_SS;
		}
	}
	*offset = ea;
	*seg = (in->prefixes & X86_PFX_SEG) ? (enum x86_seg)in->seg : dflt;
	return 0;
}
