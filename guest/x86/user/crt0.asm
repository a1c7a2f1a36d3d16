; crt0.asm - user program entry: the kernel leaves ESP pointing at the argument-string pointer.
global _start
extern main
extern exit
section .text
_start:
	call main                    ; main(const char *arg): the pointer is its first argument
	push eax
	call exit
.hang:	jmp .hang
