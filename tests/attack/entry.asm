; entry.asm - the attack guest's multiboot1 header, its 256 entry points and the harness that runs
; one snippet of attack code at ring 0 or ring 3 and comes back whatever it does.
;
; run_snippet(code, ring3) loads the registers from `regs`, then calls the snippet (ring 0) or
; irets into it (ring 3, on the user stack). The snippet ends in `ret` (ring 0) or `int 0x81` (ring
; 3: the one gate ring 3 may use). Any vector ends the snippet too: its stub notes the vector, and,
; from the depth of the frame on a stack of known top, whether an error code was pushed, plus the
; faulting EIP and CR2; then the harness's own state comes back (GDT, IDT, segments, TSS, stack).
bits 32
section .multiboot
MB_MAGIC equ 0x1BADB002
MB_FLAGS equ 0x3
align 4
	dd MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

section .text
global _start, run_snippet, trap_stubs, regs, seen, kstack0_top
extern attack_main, good_gdtr, good_idtr
_start:
	mov esp, main_stack_top
	push ebx
	call attack_main
.h:	cli
	hlt
	jmp .h

%macro STUB 1
align 16
	push dword %1
	jmp trapped
%endmacro
align 16
trap_stubs:
%assign i 0
%rep 256
STUB i
%assign i i+1
%endrep

; uint32_t run_snippet(void *code, int ring3) -> 0xFFFFFFFF if it ended normally, else the vector
run_snippet:
	push ebp
	push ebx
	push esi
	push edi
	mov [saved_esp], esp
	mov eax, [esp + 20]            ; code
	mov [target], eax
	cmp dword [esp + 24], 0
	jne .user
	mov esp, snip_stack_top        ; a stack of known top: the frame depth tells the error code
	call load_regs
	call [target]
	mov eax, 0xFFFFFFFF
	jmp back
.user:
	push dword 0x23                ; SS
	push dword user_stack_top      ; ESP
	push dword 0x202               ; EFLAGS: IF on, IOPL 0
	push dword 0x1B                ; CS
	push dword [target]            ; EIP
	mov ax, 0x23
	mov ds, ax
	mov es, ax
	mov fs, ax
	mov gs, ax
	call load_regs
	iretd

load_regs:
	mov eax, [regs + 0]
	mov ecx, [regs + 4]
	mov edx, [regs + 8]
	mov ebx, [regs + 12]
	mov esi, [regs + 16]
	mov edi, [regs + 20]
	ret

; Every vector lands here at ring 0 (the snippet's stack, or the TSS's from ring 3).
trapped:
	pop eax                        ; the vector
	mov cx, 0x10
	mov ss, cx
	mov ds, cx
	mov es, cx
	mov [seen + 0], eax
	mov ebx, esp                   ; the frame: [err] eip cs eflags [esp ss]
	mov edx, kstack0_top
	sub edx, ebx                   ; from ring 3: 20 or 24 bytes on the TSS stack
	cmp edx, 24
	je .err
	cmp edx, 20
	je .noerr
	; From ring 0 (on a stack the snippet may have used): [eip][cs][eflags] or [err][eip][cs][eflags];
	; our selectors are below 0x7C and EFLAGS bit 1 is always set.
	cmp dword [ebx + 4], 0x7C
	jae .maybe_err
	test dword [ebx + 8], 2
	jnz .noerr
.maybe_err:
	cmp dword [ebx + 8], 0x7C
	jae .noerr
	test dword [ebx + 12], 2
	jnz .err
.noerr:
	mov dword [seen + 4], 0xFFFFFFFF
	mov ecx, [ebx]
	jmp .eip
.err:
	mov ecx, [ebx]
	mov [seen + 4], ecx
	mov ecx, [ebx + 4]
.eip:
	sub ecx, [target]
	mov [seen + 8], ecx            ; EIP relative to the snippet's start
	mov ecx, cr2
	mov [seen + 12], ecx
	jmp back_fault

back:                              ; a normal end (ring 0 `ret`)
	mov cx, 0x10
	mov ss, cx
	mov ds, cx
	mov es, cx
back_fault:
	mov esp, [saved_esp]
	lgdt [good_gdtr]
	jmp 0x08:.cs
.cs:	mov cx, 0x10
	mov ds, cx
	mov es, cx
	mov ss, cx
	xor ecx, ecx
	mov fs, cx
	mov gs, cx
	lidt [good_idtr]
	push 2                         ; IF off
	popfd
	pop edi
	pop esi
	pop ebx
	pop ebp
	ret

section .bss
alignb 16
saved_esp: resd 1
target: resd 1
regs: resd 6
seen: resd 4                       ; vector, error code (or ~0), EIP - snippet, CR2
alignb 16
	resb 16384
main_stack_top:
	resb 4096
snip_stack_top:
	resb 4096
kstack0_top:
	resb 4096
user_stack_top:
