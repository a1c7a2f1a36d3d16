; hostile.asm - a guest that misbehaves on purpose, to show that a VM which does something fatal
; is stopped alone, with a one-line reason, while the VMM and the other VMs go on.
; It is a multiboot1 kernel; its command line picks the misdeed:
;   triple  : no IDT at all, then int3 -> on real hardware a triple fault (reset)
;   hlt     : cli; hlt -> on real hardware the machine hangs for ever
;   long    : a GDT with a 64-bit code segment and a far jump into it (an escape from compatibility
;             mode) -> the VMM never installs such a descriptor; the guest gets a fault it cannot
;             handle (no IDT) -> triple fault
bits 32
section .text
MB_MAGIC equ 0x1BADB002
MB_FLAGS equ 0x3
align 4
	dd MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

global _start
_start:
	mov esp, stack_top
	mov esi, [ebx + 16]            ; multiboot info: cmdline
	mov edi, msg
	call puts
	mov esi, [ebx + 16]
	call puts
	mov esi, nl
	call puts
	mov esi, [ebx + 16]
.scan:	mov al, [esi]                  ; look for the first letter of the misdeed after a space
	test al, al
	jz .triple
	inc esi
	cmp al, ' '
	jne .scan
	mov al, [esi]
	cmp al, 'h'
	je .hlt
	cmp al, 'l'
	je .long
.triple:
	lidt [idt0]
	int3
	jmp $
.hlt:
	cli
	hlt
	jmp $
.long:
	lgdt [gdtr]
	jmp 0x08:.never
.never:
	jmp $

puts:	                               ; print [esi] on COM1 (each out traps to the VMM)
	lodsb
	test al, al
	jz .done
	mov dx, 0x3F8
	out dx, al
	jmp puts
.done:	ret

section .data
msg:	db "hostile guest: ", 0
nl:	db 10, 0
align 8
gdt:	dq 0
	dq 0x00AF9A000000FFFF          ; 0x08: 64-bit code (L=1)
gdtr:	dw 15
	dd gdt
idt0:	dw 0
	dd 0
section .bss
	resb 4096
stack_top:
