/* entry.S - the guest's exception handling.
 *
 * vector_stub is copied to EBase+0x000 (TLB refill) and EBase+0x180 (general) in kseg0; it only
 * jumps up to the real handlers in kseg2. guest_refill is the software page-table walk: pgdir
 * (1024 words, each the kseg2 address of a page of PTEs or 0) -> even/odd PTE pair, written with
 * tlbwr. guest_general saves a trapframe on the current process's kernel stack and calls
 * ktrap(tf), which returns the trapframe to resume (maybe another process's). The kernel never
 * re-enables interrupts or touches user memory through the TLB inside a handler (EXL stays 1). */
#include "trapframe.h"
	.set noreorder
	.set noat
	.text

	.globl vector_refill_stub, vector_general_stub
vector_refill_stub:
	lui	$k0, %hi(guest_refill)
	addiu	$k0, $k0, %lo(guest_refill)
	jr	$k0
	nop
vector_general_stub:
	lui	$k0, %hi(guest_general)
	addiu	$k0, $k0, %lo(guest_general)
	jr	$k0
	nop

guest_refill:
	mfc0	$k1, $8				/* BadVAddr */
	lui	$k0, %hi(cur_pgdir)
	lw	$k0, %lo(cur_pgdir)($k0)
	srl	$k1, $k1, 22
	sll	$k1, $k1, 2
	addu	$k0, $k0, $k1
	lw	$k0, 0($k0)			/* page of PTEs, or 0 */
	beqz	$k0, 1f
	mfc0	$k1, $8
	srl	$k1, $k1, 10
	andi	$k1, $k1, 0xff8
	addu	$k0, $k0, $k1
	lw	$k1, 0($k0)
	mtc0	$k1, $2				/* EntryLo0 */
	lw	$k1, 4($k0)
	mtc0	$k1, $3				/* EntryLo1 */
	ehb
	tlbwr
	eret
1:	mtc0	$zero, $2			/* nothing mapped: an invalid pair, the retry faults */
	mtc0	$zero, $3
	ehb
	tlbwr
	eret

guest_general:
	lui	$k1, %hi(cur_kstack_top)
	lw	$k1, %lo(cur_kstack_top)($k1)
	addiu	$k1, $k1, -TF_SIZE
	sw	$1, 4($k1)
	sw	$2, 8($k1)
	sw	$3, 12($k1)
	sw	$4, 16($k1)
	sw	$5, 20($k1)
	sw	$6, 24($k1)
	sw	$7, 28($k1)
	sw	$8, 32($k1)
	sw	$9, 36($k1)
	sw	$10, 40($k1)
	sw	$11, 44($k1)
	sw	$12, 48($k1)
	sw	$13, 52($k1)
	sw	$14, 56($k1)
	sw	$15, 60($k1)
	sw	$16, 64($k1)
	sw	$17, 68($k1)
	sw	$18, 72($k1)
	sw	$19, 76($k1)
	sw	$20, 80($k1)
	sw	$21, 84($k1)
	sw	$22, 88($k1)
	sw	$23, 92($k1)
	sw	$24, 96($k1)
	sw	$25, 100($k1)
	sw	$28, 112($k1)
	sw	$29, 116($k1)
	sw	$30, 120($k1)
	sw	$31, 124($k1)
	mfhi	$t0
	mflo	$t1
	sw	$t0, TF_HI($k1)
	sw	$t1, TF_LO($k1)
	mfc0	$t0, $14
	mfc0	$t1, $12
	mfc0	$t2, $13
	mfc0	$t3, $8
	sw	$t0, TF_EPC($k1)
	sw	$t1, TF_STATUS($k1)
	sw	$t2, TF_CAUSE($k1)
	sw	$t3, TF_BADVADDR($k1)
	move	$a0, $k1
	addiu	$sp, $k1, -16
	la	$t9, ktrap
	jalr	$t9
	nop
	.globl trap_return
trap_return:				/* a0 or v0: the trapframe to resume */
	move	$k1, $v0
	lw	$t0, TF_STATUS($k1)
	lw	$t1, TF_EPC($k1)
	mtc0	$t0, $12
	mtc0	$t1, $14
	lw	$t0, TF_HI($k1)
	lw	$t1, TF_LO($k1)
	mthi	$t0
	mtlo	$t1
	lw	$1, 4($k1)
	lw	$2, 8($k1)
	lw	$3, 12($k1)
	lw	$4, 16($k1)
	lw	$5, 20($k1)
	lw	$6, 24($k1)
	lw	$7, 28($k1)
	lw	$8, 32($k1)
	lw	$9, 36($k1)
	lw	$10, 40($k1)
	lw	$11, 44($k1)
	lw	$12, 48($k1)
	lw	$13, 52($k1)
	lw	$14, 56($k1)
	lw	$15, 60($k1)
	lw	$16, 64($k1)
	lw	$17, 68($k1)
	lw	$18, 72($k1)
	lw	$19, 76($k1)
	lw	$20, 80($k1)
	lw	$21, 84($k1)
	lw	$22, 88($k1)
	lw	$23, 92($k1)
	lw	$24, 96($k1)
	lw	$25, 100($k1)
	lw	$28, 112($k1)
	lw	$29, 116($k1)
	lw	$30, 120($k1)
	lw	$31, 124($k1)
	ehb
	eret

	/* The idle context: kernel mode, interrupts on, waiting for the timer. */
	.globl idle_loop
idle_loop:
	wait
	b	idle_loop
	nop

	.globl resume
resume:
	b	trap_return
	move	$v0, $a0
