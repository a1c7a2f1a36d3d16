; hostile.asm - a guest that misbehaves on purpose, to show that a VM which does something fatal
; is stopped alone, with a one-line reason, while the VMM and the other VMs go on.
; It is a multiboot1 kernel; its command line picks the misdeed:
;   triple  : no IDT at all, then int3 -> on real hardware a triple fault (reset)
;   hlt     : cli; hlt -> on real hardware the machine hangs for ever
;   long    : a GDT with a 64-bit code segment and a far jump into it (an escape from compatibility
;             mode) -> the VMM never installs such a descriptor; the VM is stopped
;   selfmod : not hostile but tricky: code written at run time, then rewritten. With interrupts
;             off, pushf must show IF=0 in both versions; natively it does, and under the VMM only
;             if the new code was scanned and patched on its first run and scanned again after
;             the rewrite. Prints "selfmod: ok" and exits through isa-debug-exit (0 = pass).
bits 32
section .text
MB_MAGIC equ 0x1BADB002
MB_FLAGS equ 0x3
align 4
	dd MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

global _start
_start:
	mov esp, stack_top
	mov esi, msg
	call puts
	mov esi, [ebx + 16]            ; multiboot info: the command line
	call puts
	mov esi, nl
	call puts
	mov esi, [ebx + 16]
	mov edx, esi
.scan:	mov al, [esi]                  ; the misdeed is the last word of the command line
	inc esi
	test al, al
	jz .found
	cmp al, ' '
	jne .scan
	mov edx, esi
	jmp .scan
.found:	mov al, [edx]
	cmp al, 'h'
	je .hlt
	cmp al, 'l'
	je .long
	cmp al, 's'
	je .selfmod
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

.selfmod:
	cli
	mov esi, routine_a                 ; 1. code that did not exist at load time
	mov ecx, routine_a_end - routine_a
	call install
	call codebuf
	test eax, 0x200
	jnz .fail
	mov esi, routine_b                 ; 2. the same page, rewritten
	mov ecx, routine_b_end - routine_b
	call install
	call codebuf
	test eax, 0x200
	jnz .fail
	mov esi, ok_msg
	call puts
	xor eax, eax
	out 0xF4, al
	jmp $
.fail:
	mov esi, fail_msg
	call puts
	mov al, 1
	out 0xF4, al
	jmp $

install:                               ; copy ecx bytes from esi to codebuf
	mov edi, codebuf
	rep movsb
	ret

puts:	                               ; print [esi] on COM1 (each out traps to the VMM)
	lodsb
	test al, al
	jz .done
	mov dx, 0x3F8
	out dx, al
	jmp puts
.done:	ret

section .data
; The code that is written at run time lives here as data (a non-executable segment), so the
; VMM's load-time scan does not see it: the guest copies it to codebuf and runs it there.
routine_a:
	pushf
	pop eax
	ret
routine_a_end:
routine_b:
	nop
	nop
	nop
	pushf
	pop eax
	ret
routine_b_end:
msg:	db "hostile guest: ", 0
ok_msg:	db "selfmod: ok", 10, 0
fail_msg: db "selfmod: FAIL (pushf showed IF=1 with interrupts off)", 10, 0
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
alignb 4096
codebuf: resb 4096
