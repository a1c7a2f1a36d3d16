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
#include "../../lib/kstring.h"

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
		 0, 0, BAD, 0,				/* invd, wbinvd, -, ud2 */
		 BAD, M, 0, M | IB,			/* -, prefetch(w), femms, 3DNow! (suffix byte) */
	/* 10 */ M | PALL, M | PALL, M | PALL, M | MEM | PMMX,	/* movups.., movlps.., movlps st */
		 M | PMMX, M | PMMX, M | PN | P66 | PF3, M | MEM | PMMX, /* unpckl, unpckh, movhps */
		 M | GRP, M, M, M, M, M, M, M,		/* prefetch group 16, hint nops, endbr */
	/* 20 */ M | CRDR, M | CRDR, M | CRDR, M | CRDR,	/* mov r,cr; r,dr; cr,r; dr,r */
		 BAD, BAD, BAD, BAD,			/* (mov to/from test registers: 386/486) */
		 M | PMMX, M | PMMX, M | PALL, M | MEM | PMMX,	/* movaps, movaps, cvtpi2ps.., movntps */
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
		 M | IB, M, BAD, BAD,			/* shld Ib, shld CL */
		 D64, D64, 0, M,			/* push gs, pop gs, rsm, bts */
		 M | IB, M, M | GRP, M,			/* shrd Ib, shrd CL, group 15, imul */
	/* B0 */ MB, M, M | MEM, M,			/* cmpxchg, lss, btr */
		 M | MEM, M | MEM, M, M,		/* lfs, lgs, movzx */
		 M | PF3, M, M | IB | GRP, M,		/* popcnt, ud1, group 8, btc */
		 M, M, M, M,				/* bsf/tzcnt, bsr/lzcnt, movsx */
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
