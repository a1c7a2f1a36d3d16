; entry.asm - multiboot1 header and the 32-bit protected-mode entry point.
; GRUB (or the VMM's multiboot loader) jumps to _start with paging off, EAX = 0x2BADB002 and
; EBX = physical address of the multiboot information structure.
MB_MAGIC equ 0x1BADB002
MB_FLAGS equ 0x00000003          ; bit 0: page-align modules, bit 1: give us memory information

section .multiboot progbits alloc noexec nowrite align=4
	dd MB_MAGIC
	dd MB_FLAGS
	dd -(MB_MAGIC + MB_FLAGS)

section .bss
align 16
boot_stack:
	resb 16384
boot_stack_top:

section .text
global _start
extern kmain
_start:
	cli
	mov esp, boot_stack_top
	xor ebp, ebp
	push dword 0                 ; start from known flags (IF=0, DF=0)
	popfd
	push ebx                     ; kmain(magic, mbi)
	push eax
	call kmain
.hang:	cli
	hlt
	jmp .hang
