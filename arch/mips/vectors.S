/* vectors.S - the VMM's exception vectors and the save/restore around every trap.
 *
 * EBase points at vmm_vectors: the TLB refill vector at +0x000 and the general vector at +0x180.
 * Every trap from a guest (refill, syscall, interrupt, coprocessor-unusable, address error...)
 * lands here in kernel mode. The guest's k0/k1 must survive (the guest uses them in its own
 * handlers, and those handlers trap to us mid-way), so we park k1 in DESAVE (CP0 31), which
 * QEMU's 34Kf implements as a plain scratch register, and k0 in vmm_save.
 *
 * The whole guest register set goes into the current frame (vmm_save.frame), we switch to the
 * VMM stack and call vmm_trap(frame, vector). It returns the frame to resume (another VM's after
 * a machine switch); vmm_resume loads it and erets. Status.EXL stays set the whole time, so the
 * VMM itself runs with interrupts off and never takes a nested exception. */
#include "frame_regs.h"
	.set noreorder
	.set noat

	.section .vectors, "ax"
	.globl vmm_vectors
	.align 12
vmm_vectors:
	/* +0x000: TLB refill (Figure B.6 step 1: a guest miss enters the VMM first) */
	mtc0	$k1, $31
	lui	$k1, %hi(vmm_save)
	addiu	$k1, $k1, %lo(vmm_save)
	sw	$k0, 4($k1)
	j	save_all
	li	$k0, 0

	.org 0x180
	/* +0x180: everything else */
	mtc0	$k1, $31
	lui	$k1, %hi(vmm_save)
	addiu	$k1, $k1, %lo(vmm_save)
	sw	$k0, 4($k1)
	j	save_all
	li	$k0, 1

	.text
save_all:
	sw	$k0, 12($k1)		/* vector id */
	mfc0	$k0, $31
	sw	$k0, 8($k1)		/* guest k1 */
	lw	$k0, 0($k1)		/* current frame */
	lw	$k1, 4($k1)
	sw	$k1, FR_REG(26)($k0)	/* guest k0 */
	lui	$k1, %hi(vmm_save)
	lw	$k1, %lo(vmm_save+8)($k1)
	sw	$k1, FR_REG(27)($k0)	/* guest k1 */
	sw	$1, FR_REG(1)($k0)
	sw	$2, FR_REG(2)($k0)
	sw	$3, FR_REG(3)($k0)
	sw	$4, FR_REG(4)($k0)
	sw	$5, FR_REG(5)($k0)
	sw	$6, FR_REG(6)($k0)
	sw	$7, FR_REG(7)($k0)
	sw	$8, FR_REG(8)($k0)
	sw	$9, FR_REG(9)($k0)
	sw	$10, FR_REG(10)($k0)
	sw	$11, FR_REG(11)($k0)
	sw	$12, FR_REG(12)($k0)
	sw	$13, FR_REG(13)($k0)
	sw	$14, FR_REG(14)($k0)
	sw	$15, FR_REG(15)($k0)
	sw	$16, FR_REG(16)($k0)
	sw	$17, FR_REG(17)($k0)
	sw	$18, FR_REG(18)($k0)
	sw	$19, FR_REG(19)($k0)
	sw	$20, FR_REG(20)($k0)
	sw	$21, FR_REG(21)($k0)
	sw	$22, FR_REG(22)($k0)
	sw	$23, FR_REG(23)($k0)
	sw	$24, FR_REG(24)($k0)
	sw	$25, FR_REG(25)($k0)
	sw	$28, FR_REG(28)($k0)
	sw	$29, FR_REG(29)($k0)
	sw	$30, FR_REG(30)($k0)
	sw	$31, FR_REG(31)($k0)
	mfhi	$t0
	mflo	$t1
	sw	$t0, FR_HI($k0)
	sw	$t1, FR_LO($k0)
	mfc0	$t0, $14
	mfc0	$t1, $13
	mfc0	$t2, $8
	sw	$t0, FR_PC($k0)
	sw	$t1, FR_CAUSE($k0)
	sw	$t2, FR_BADVADDR($k0)
	move	$a0, $k0
	lui	$k1, %hi(vmm_save)
	lw	$a1, %lo(vmm_save+12)($k1)
	la	$sp, vmm_stack_top
	la	$t9, vmm_trap
	jalr	$t9
	addiu	$sp, $sp, -16
	move	$a0, $v0
	/* fall through */

	.globl vmm_resume
vmm_resume:
	move	$k0, $a0
	lui	$k1, %hi(vmm_save)
	sw	$k0, %lo(vmm_save)($k1)
	lw	$t0, FR_STATUS($k0)
	lw	$t1, FR_PC($k0)
	mtc0	$t0, $12
	mtc0	$t1, $14
	lw	$t0, FR_HI($k0)
	lw	$t1, FR_LO($k0)
	mthi	$t0
	mtlo	$t1
	lw	$1, FR_REG(1)($k0)
	lw	$2, FR_REG(2)($k0)
	lw	$3, FR_REG(3)($k0)
	lw	$4, FR_REG(4)($k0)
	lw	$5, FR_REG(5)($k0)
	lw	$6, FR_REG(6)($k0)
	lw	$7, FR_REG(7)($k0)
	lw	$8, FR_REG(8)($k0)
	lw	$9, FR_REG(9)($k0)
	lw	$10, FR_REG(10)($k0)
	lw	$11, FR_REG(11)($k0)
	lw	$12, FR_REG(12)($k0)
	lw	$13, FR_REG(13)($k0)
	lw	$14, FR_REG(14)($k0)
	lw	$15, FR_REG(15)($k0)
	lw	$16, FR_REG(16)($k0)
	lw	$17, FR_REG(17)($k0)
	lw	$18, FR_REG(18)($k0)
	lw	$19, FR_REG(19)($k0)
	lw	$20, FR_REG(20)($k0)
	lw	$21, FR_REG(21)($k0)
	lw	$22, FR_REG(22)($k0)
	lw	$23, FR_REG(23)($k0)
	lw	$24, FR_REG(24)($k0)
	lw	$25, FR_REG(25)($k0)
	lw	$28, FR_REG(28)($k0)
	lw	$29, FR_REG(29)($k0)
	lw	$30, FR_REG(30)($k0)
	lw	$31, FR_REG(31)($k0)
	lw	$k1, FR_REG(27)($k0)
	lw	$k0, FR_REG(26)($k0)
	eret

	.bss
	.align 4
	.globl vmm_save
vmm_save:	.space 16		/* frame*, k0, k1, vector */
	.align 4
	.space 16384
	.globl vmm_stack_top
vmm_stack_top:
