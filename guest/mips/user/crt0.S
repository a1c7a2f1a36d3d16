/* crt0.S - user entry (the kernel starts init at 0x00400000) and the system call stubs. */
	.set noreorder
	.section .text.start, "ax"
	.globl _ustart
_ustart:
	la	$t9, umain
	jalr	$t9
	nop
	move	$a0, $v0
	li	$v0, 1
	syscall
	nop

	.text
	.globl sys
sys:					/* sys(num, a0, a1, a2) */
	move	$v0, $a0
	move	$a0, $a1
	move	$a1, $a2
	move	$a2, $a3
	syscall
	jr	$ra
	nop
