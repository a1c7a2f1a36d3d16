; entry.asm - the fuzz guest's multiboot1 header, its 256 exception/interrupt entry points, and the
; jump into a generated buffer and back (a setjmp/longjmp pair around each iteration).
bits 32
section .multiboot
MB_MAGIC equ 0x1BADB002
MB_FLAGS equ 0x3
align 4
	dd MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

section .text
global _start, run_buffer, trap_stubs, restore_mask, df_entry
extern fuzz_main, good_gdtr, good_idtr, good_cr0, good_cr3, good_cr4, gdt
_start:
	mov esp, kstack_top
	push ebx
	call fuzz_main
.h:	jmp .h

; Every vector: remember which one and join the recovery path. The CPU's frame (and error code,
; if any) is dropped: the recovery starts from a known state, not from the faulting one.
%macro STUB 1
align 16
	push dword %1
	jmp recover
%endmacro
align 16
trap_stubs:
%assign i 0
%rep 256
STUB i
%assign i i+1
%endrep

; uint32_t run_buffer(void *frame, int ring3): popad + iret from `frame` (8 registers, then an
; iret frame) into the generated code; returns the vector that ended it.
run_buffer:
	push ebp
	push ebx
	push esi
	push edi
	mov [saved_esp], esp
	mov eax, [esp + 24]           ; ring3?
	mov esp, [esp + 20]           ; the frame
	test eax, eax
	jz .k
	mov ax, 0x23
	mov ds, ax
	mov es, ax
	mov fs, ax
	mov gs, ax
.k:	popad
	iret

; Any trap lands here at CPL 0, on the random code's stack (or on the TSS stack from ring 3). The
; segment registers, descriptor tables and stack may all be wrong: fix SS (entry 2 is valid in
; every GDT the generator lets the code load), then the GDT, the rest of the segments and the IDT.
recover:
	pop eax
	mov cx, 0x10
	mov ss, cx
	mov esp, [cs:saved_esp]
	lgdt [cs:good_gdtr]
	jmp 0x08:.cs
.cs:	mov ds, cx
	mov es, cx
	xor ecx, ecx
	mov fs, cx
	mov gs, cx
	mov [last_vector], eax
	lidt [good_idtr]
	cmp eax, 7                     ; #NM: CR0.TS or EM were left set
	je .cr
	test dword [restore_mask], 1   ; the TSS, control and debug registers: only when they may
	jz .nocr                       ; have been touched (each reload traps under a VMM)
.cr:	and byte [gdt + 0x28 + 5], ~2  ; TSS not busy, so that ltr takes it again
	mov cx, 0x28
	ltr cx
	mov ecx, [good_cr4]
	mov cr4, ecx
	mov ecx, [good_cr3]
	mov cr3, ecx
	mov ecx, [good_cr0]
	mov cr0, ecx
	xor ecx, ecx
	mov dr7, ecx
.nocr:
	fninit
	cmp eax, 0x20                  ; an IRQ from the PIC: acknowledge it
	jb .noeoi
	cmp eax, 0x30
	jae .noeoi
	mov al, 0x20
	out 0xA0, al
	out 0x20, al
.noeoi:
	push 2                         ; IF=0, IOPL 0, no TF/AC/NT
	popfd
	mov eax, [last_vector]
	pop edi
	pop esi
	pop ebx
	pop ebp
	ret

; Natively, #DF is a task gate (a double fault here means the random code wrecked ESP at CPL 0):
; the CPU switches to the double-fault TSS and its own stack; free both TSSes and recover. (Under a
; VMM the guest's #DF is never delivered: the VMM stops the VM instead, so the gate is native-only.)
df_entry:
	and byte [gdt + 0x38 + 5], ~2
	and byte [gdt + 0x28 + 5], ~2
	mov dword [restore_mask], 1
	push dword 8
	jmp recover

section .data
restore_mask: dd 1
section .bss
saved_esp: resd 1
last_vector: resd 1
alignb 16
	resb 16384
kstack_top:
