/* start.S - the MIPS VMM's entry from QEMU Malta's boot code (-kernel).
 *
 * We arrive in kernel mode in kseg0 with a0 = argc, a1 = argv, a2 = envp, a3 = RAM size in bytes
 * (the low 256 MiB that Malta maps at physical 0). We clear .bss, take our own stack and call
 * vmm_main(argc, argv, envp, memsize), which never returns. */
	.set noreorder
	.text
	.globl _start
_start:
	la	$t0, __bss_start
	la	$t1, __bss_end
1:	beq	$t0, $t1, 2f
	nop
	sw	$zero, 0($t0)
	b	1b
	addiu	$t0, $t0, 4
2:	la	$sp, vmm_stack_top
	la	$t9, vmm_main
	jalr	$t9
	addiu	$sp, $sp, -16
3:	b	3b
	nop
