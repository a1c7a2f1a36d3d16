/* start.S - guest boot: entered at the kseg0 alias of _start (kernel mode, no TLB entries).
 * Only position-independent, simple instructions here (a VMM interprets this part): map all of
 * RAM at 0xC0000000 with one wired TLB entry (16 MiB even page), then jump into kseg2. */
	.set noreorder
	.section .text.start, "ax"
	.globl _start
_start:
	lui	$t0, 0x0040		/* Status: BEV (no vectors yet), ERL/EXL clear, IE off */
	mtc0	$t0, $12
	lui	$t0, 0x01ff		/* PageMask: 16 MiB pages */
	ori	$t0, $t0, 0xe000
	mtc0	$t0, $5
	addiu	$t0, $zero, 1		/* Wired = 1 */
	mtc0	$t0, $6
	mtc0	$zero, $0		/* Index = 0 */
	lui	$t0, 0xc000		/* EntryHi: VPN2 0xC0000000, ASID 0 */
	mtc0	$t0, $10
	addiu	$t0, $zero, 0x1f	/* EntryLo0: PFN 0, cached, D, V, G */
	mtc0	$t0, $2
	addiu	$t0, $zero, 0x01	/* EntryLo1: G only (odd 16 MiB: not present) */
	mtc0	$t0, $3
	ehb
	tlbwi
	ehb
	mtc0	$zero, $5		/* back to 4 KiB pages */
	lui	$t9, %hi(kstart)
	addiu	$t9, $t9, %lo(kstart)
	jr	$t9
	nop

	.text
kstart:					/* now in kseg2 */
	la	$t0, __bss_start
	la	$t1, __bss_end
1:	beq	$t0, $t1, 2f
	nop
	sw	$zero, 0($t0)
	b	1b
	addiu	$t0, $t0, 4
2:	la	$sp, boot_stack_top
	la	$t9, kmain
	jalr	$t9
	addiu	$sp, $sp, -16
3:	b	3b
	nop

	.bss
	.align 4
	.space 8192
	.globl boot_stack_top
boot_stack_top:
