/* entry.S - the guest's exception handling.
 *
 * vector_stub is copied to EBase+0x000 (TLB refill) and EBase+0x180 (general) in kseg0; it only
 * jumps up to the real handlers in kseg2. guest_refill is the software page-table walk: pgdir
 * (1024 words, each the kseg2 address of a page of PTEs or 0) -> even/odd PTE pair, written with
 * tlbwr. guest_general saves a trapframe on the current process's kernel stack and calls
 * ktrap(tf), which returns the trapframe to resume (maybe another process's). The kernel never
 * re-enables interrupts or touches user memory through the TLB inside a handler (EXL stays 1).
 *
 * Each handler comes twice: as written for the hardware (mfc0/mtc0, which trap under the VMM), and
 * with the _pv suffix for the VMM's special page (cp0page.h): the same code with loads and stores
 * to the page in place of mfc0/mtc0 of BadVAddr, EntryLo0/1, EPC, Status and Cause. kmain.c
 * installs the _pv vector stubs when the VMM offered the page; tlbwr and eret still trap. */
#include "trapframe.h"
#include "cp0page.h"
	.set noreorder
	.set noat
	.text

	.macro STUB name, target
	.globl \name
\name:
	lui	$k0, %hi(\target)
	addiu	$k0, $k0, %lo(\target)
	jr	$k0
	nop
	.endm
	STUB vector_refill_stub, guest_refill
	STUB vector_general_stub, guest_general
	STUB vector_refill_stub_pv, guest_refill_pv
	STUB vector_general_stub_pv, guest_general_pv

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

	/* The same walk with BadVAddr and EntryLo0/1 on the special page. Storing to the page
	 * needs its address in a register besides the PTE pointer and the value, so $at is saved
	 * in refill_at for the duration (a refill cannot nest: a miss at EXL=1 goes to the general
	 * vector, and the kernel's own addresses are in the wired entry). */
guest_refill_pv:
	lui	$k1, %hi(refill_at)
	sw	$1, %lo(refill_at)($k1)
	lui	$k0, %hi(cp0page)
	lw	$k0, %lo(cp0page)($k0)		/* the special page */
	lw	$k1, CPG_BADVADDR($k0)
	lui	$1, %hi(cur_pgdir)
	lw	$1, %lo(cur_pgdir)($1)
	srl	$k1, $k1, 22
	sll	$k1, $k1, 2
	addu	$1, $1, $k1
	lw	$1, 0($1)			/* page of PTEs, or 0 */
	beqz	$1, 1f
	lw	$k1, CPG_BADVADDR($k0)
	srl	$k1, $k1, 10
	andi	$k1, $k1, 0xff8
	addu	$1, $1, $k1
	lw	$k1, 0($1)
	sw	$k1, CPG_ENTRYLO0($k0)
	lw	$k1, 4($1)
	sw	$k1, CPG_ENTRYLO1($k0)
2:	lui	$k1, %hi(refill_at)
	lw	$1, %lo(refill_at)($k1)
	tlbwr					/* traps: the VMM takes EntryLo0/1 from the page */
	eret
1:	sw	$zero, CPG_ENTRYLO0($k0)	/* nothing mapped: an invalid pair */
	b	2b
	sw	$zero, CPG_ENTRYLO1($k0)

	/* Save every register but k0/k1 in a trapframe on the current kernel stack (k1). */
	.macro SAVE_REGS
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
	.endm

	/* Load every register but k0/k1 back from the trapframe at k1. */
	.macro RESTORE_REGS
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
	.endm

	/* The general handler: save, read EPC/Status/Cause/BadVAddr (from CP0 or from the page),
	 * call ktrap; trap_return[_pv] writes Status and EPC back and erets. */
	.macro GENERAL pv, name, ret
	.globl \name, \ret
\name:
	SAVE_REGS
	.if \pv
	lui	$k0, %hi(cp0page)
	lw	$k0, %lo(cp0page)($k0)
	lw	$t0, CPG_EPC($k0)
	lw	$t1, CPG_STATUS($k0)
	lw	$t2, CPG_CAUSE($k0)
	lw	$t3, CPG_BADVADDR($k0)
	.else
	mfc0	$t0, $14
	mfc0	$t1, $12
	mfc0	$t2, $13
	mfc0	$t3, $8
	.endif
	sw	$t0, TF_EPC($k1)
	sw	$t1, TF_STATUS($k1)
	sw	$t2, TF_CAUSE($k1)
	sw	$t3, TF_BADVADDR($k1)
	move	$a0, $k1
	addiu	$sp, $k1, -16
	la	$t9, ktrap
	jalr	$t9
	nop
\ret:					/* v0: the trapframe to resume */
	move	$k1, $v0
	lw	$t0, TF_STATUS($k1)
	lw	$t1, TF_EPC($k1)
	.if \pv
	lui	$t2, %hi(cp0page)
	lw	$t2, %lo(cp0page)($t2)
	sw	$t0, CPG_STATUS($t2)
	sw	$t1, CPG_EPC($t2)
	.else
	mtc0	$t0, $12
	mtc0	$t1, $14
	.endif
	RESTORE_REGS
	ehb
	eret				/* traps under the VMM: it takes Status and EPC from the page */
	.endm

	GENERAL 0, guest_general, trap_return
	GENERAL 1, guest_general_pv, trap_return_pv

	/* The idle context: kernel mode, interrupts on, waiting for the timer. */
	.globl idle_loop
idle_loop:
	wait
	b	idle_loop
	nop

	.globl resume
resume:					/* resume(tf): the return path of the handlers in use */
	lui	$t0, %hi(cp0page)
	lw	$t0, %lo(cp0page)($t0)
	bnez	$t0, trap_return_pv
	move	$v0, $a0
	b	trap_return
	nop

	.bss
	.align	2
refill_at:	.space	4
