/* decode.h - the VMM's own x86 instruction decoder: lengths for every encoding, full detail
 * (prefixes, ModRM/SIB, displacement, immediates, a "kind") for the instructions the VMM must
 * trap, emulate or patch.
 *
 * Who uses it:
 *  - the binary patcher scans guest code linearly, so LENGTH is the critical output, for every
 *    general-purpose, x87, MMX, SSE1-4, AVX (VEX), AVX-512 (EVEX, length only), XOP and 3DNow!
 *    encoding;
 *  - the privileged-op emulator decodes the faulting (or patched) instruction, looks at `kind`
 *    and finds its memory operand with x86_effective_address32().
 *
 * Modes: 32 (a guest in compatibility mode; default operand and address size 32), 64 (the VMM's
 * own binary) and 16 (real mode / 16-bit segments; default sizes 16).
 *
 * What counts as "invalid": what the Intel SDM opcode maps mark invalid/reserved (#UD), a register
 * form where only memory is allowed (and vice versa), a VEX/EVEX prefix after 66/F2/F3/F0/REX.
 * Deliberately NOT checked (the length does not depend on it, and the CPU raises #UD anyway): LOCK
 * on an instruction that cannot be locked; the VEX/EVEX L, W and pp bits beyond the opcode map.
 */
#ifndef ARCH_X86_DECODE_H
#define ARCH_X86_DECODE_H
#include <stddef.h>
#include <stdint.h>

#define X86_MAX_INSN_LEN 15

/* Negative results of x86_decode(). */
#define X86_ERR_TRUNCATED  (-1)	/* the bytes ran out before the instruction ended */
#define X86_ERR_INVALID    (-2)	/* #UD: undefined opcode or a form that cannot be encoded */
#define X86_ERR_TOO_LONG   (-3)	/* longer than 15 bytes (#GP on a real CPU) */
#define X86_ERR_MODE       (-4)	/* `mode` was not 16, 32 or 64 */

/* Legacy prefixes seen (x86_insn.prefixes). */
#define X86_PFX_LOCK   0x0001	/* F0 */
#define X86_PFX_REPNE  0x0002	/* F2 */
#define X86_PFX_REP    0x0004	/* F3 */
#define X86_PFX_OPSIZE 0x0008	/* 66 */
#define X86_PFX_ADSIZE 0x0010	/* 67 */
#define X86_PFX_SEG    0x0020	/* one of 26 2E 36 3E 64 65 (the last one is in .seg) */
#define X86_PFX_REX    0x0040	/* 40..4F in 64-bit mode (the byte is in .rex) */
#define X86_PFX_VEX    0x0080	/* C4/C5 VEX */
#define X86_PFX_XOP    0x0100	/* 8F XOP (AMD) */
#define X86_PFX_EVEX   0x0200	/* 62 EVEX (AVX-512) */

/* Segment registers, numbered as in ModRM.reg of "mov Sreg". */
enum x86_seg { X86_SEG_ES, X86_SEG_CS, X86_SEG_SS, X86_SEG_DS, X86_SEG_FS, X86_SEG_GS,
	       X86_SEG_NONE = 7 };

/* Opcode maps (x86_insn.map). VEX/EVEX/XOP instructions carry their map number (1 = 0F,
 * 2 = 0F38, 3 = 0F3A, 5/6 EVEX FP16, 8/9/10 XOP) with the matching bit in .prefixes. */
enum x86_map { X86_MAP_1BYTE = 0, X86_MAP_0F = 1, X86_MAP_0F38 = 2, X86_MAP_0F3A = 3 };

/* The instructions the VMM cares about. Everything else decodes as X86_K_OTHER. */
#define X86_KINDS(K) \
	K(OTHER)                                                                        \
	/* privileged: #GP at ring 1, emulated */                                        \
	K(LGDT) K(LIDT) K(LLDT) K(LTR) K(LMSW)                                           \
	K(MOV_TO_CR) K(MOV_FROM_CR) K(MOV_TO_DR) K(MOV_FROM_DR)                          \
	K(CLTS) K(INVLPG) K(WBINVD) K(INVD) K(HLT) K(CLI) K(STI)                         \
	K(IN_IMM) K(IN_DX) K(OUT_IMM) K(OUT_DX) K(INS) K(OUTS)                           \
	K(RDMSR) K(WRMSR) K(RDPMC) K(RDTSC) K(CPUID)                                     \
	K(INT3) K(INT) K(INTO) K(INT1)                                                   \
	K(SYSENTER) K(SYSEXIT) K(SYSCALL) K(SYSRET) K(SWAPGS)                            \
	K(XSETBV) K(STAC) K(CLAC)                                                        \
	/* sensitive but not trapping: patched */                                       \
	K(PUSHF) K(POPF) K(IRET) K(SGDT) K(SIDT) K(SLDT) K(STR) K(SMSW)                  \
	K(MOV_FROM_SREG) K(MOV_TO_SREG) K(PUSH_SREG) K(POP_SREG)                         \
	K(LAR) K(LSL) K(VERR) K(VERW)                                                    \
	/* far control transfers (the RPL of CS is visible / checked) */                 \
	K(CALL_FAR) K(JMP_FAR) K(RET_FAR)                                                \
	K(UD)

enum x86_kind {
#define X86_KIND_ENUM(n) X86_K_##n,
	X86_KINDS(X86_KIND_ENUM)
#undef X86_KIND_ENUM
	X86_K_COUNT
};

/* Encoding of the instruction (x86_insn.flags). */
#define X86_F_MODRM    0x01	/* has a ModRM byte */
#define X86_F_MEM      0x02	/* ModRM names a memory operand (mod != 3) */
#define X86_F_SIB      0x04	/* has a SIB byte */
#define X86_F_RIPREL   0x08	/* 64-bit mode RIP-relative memory operand */
#define X86_F_REL      0x10	/* .imm is a branch displacement relative to the next instruction */
#define X86_F_MOFFS    0x20	/* A0-A3: the memory address is .disp (no ModRM) */
#define X86_F_BYTEOP   0x40	/* operates on bytes (the "b" forms: in al, stosb, mov r/m8 ...) */
#define X86_F_FAR_PTR  0x80	/* call/jmp ptr16:16/32: .imm is the offset, .imm2 the selector */

struct x86_insn {
	uint8_t length;		/* bytes, 1..15 (on error: the bytes examined) */
	uint8_t mode;		/* 16, 32 or 64 */
	uint8_t opsize;		/* effective operand size in bits: 16/32/64 (8 when BYTEOP) */
	uint8_t addrsize;	/* effective address size in bits: 16/32/64 */
	uint16_t prefixes;	/* X86_PFX_* */
	uint8_t seg;		/* enum x86_seg: segment override, X86_SEG_NONE if none */
	uint8_t rex;		/* the REX byte (64-bit mode) or 0 */
	uint8_t nprefixes;	/* legacy prefix + REX bytes before the opcode (or VEX/EVEX/XOP) */
	uint8_t map;		/* enum x86_map or VEX/EVEX/XOP map number */
	uint8_t opcode;		/* the opcode byte within its map */
	uint8_t opcode_off;	/* offset of that byte in the instruction */
	uint8_t mandatory;	/* prefix selecting an SSE form: 0, 0x66, 0xF3 or 0xF2 (or VEX.pp) */
	uint8_t flags;		/* X86_F_* */
	uint8_t modrm;		/* raw byte, and its fields (not extended by REX/VEX): */
	uint8_t mod, reg, rm;
	uint8_t sib;		/* raw byte and fields: */
	uint8_t scale, index, base;	/* scale is the shift count 0..3 */
	uint8_t ext_r, ext_x, ext_b;	/* REX/VEX/EVEX R, X, B bits (0 or 1): reg|ext_r<<3 ... */
	uint8_t vex_l, vex_w, vex_vvvv;	/* VEX/EVEX/XOP fields (vvvv un-inverted) */
	uint8_t sreg;		/* enum x86_seg operand of mov/push/pop Sreg (X86_SEG_NONE if none) */
	uint8_t disp_size;	/* 0, 1, 2, 4 (or 8 for a 64-bit moffs) */
	uint8_t imm_size;	/* 0, 1, 2, 4 or 8 */
	uint8_t imm2_size;	/* 0, 1 (enter's level, extrq/insertq) or 2 (far pointer's selector) */
	int64_t disp;		/* sign-extended displacement (moffs: zero-extended address;
				 * EVEX: the raw disp8, not yet scaled by the operand size N) */
	int64_t imm;		/* first immediate, sign-extended (3DNow!: the opcode suffix) */
	uint32_t imm2;		/* second immediate, zero-extended */
	enum x86_kind kind;
};

/* Decode the instruction at code[0..avail). mode is 16, 32 or 64. Returns the length (> 0) or
 * an X86_ERR_* code; `out` is filled in either case (length = bytes examined on error). */
int x86_decode(const uint8_t *code, size_t avail, int mode, struct x86_insn *out);

/* "lgdt", "mov_to_cr", ... for logs and tests; "?" for an unknown value. */
const char *x86_kind_name(enum x86_kind kind);

/* True for the kinds that do not trap at ring 1 but behave differently there, so the patcher
 * must replace them: pushf, popf, iret, sgdt, sidt, sldt, str, smsw, lar, lsl, verr, verw, and
 * reads of CS or SS (mov r/m from CS/SS, push cs, push ss). */
int x86_needs_patch(const struct x86_insn *in);

/* Guest general registers for address computation (32-bit guests). */
struct x86_regs32 {
	uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
};

/* Offset (within its segment) of the memory operand of a decoded 16- or 32-bit-mode instruction
 * whose ModRM names memory (X86_F_MEM) or that has a moffs (X86_F_MOFFS). Address-size
 * wrap-around is applied (16-bit addressing wraps at 64 KiB). *seg receives the segment register
 * used: the override if any, else SS for EBP/ESP-based (BP-based) forms, else DS.
 * Returns 0, or -1 if there is no memory operand or the instruction was decoded in 64-bit mode. */
int x86_effective_address32(const struct x86_insn *in, const struct x86_regs32 *regs,
			    uint32_t *offset, enum x86_seg *seg);

#endif
