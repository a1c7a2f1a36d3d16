; swtch.asm - kernel context switch and segment reload after lgdt.
global swtch
global gdt_load_segments

section .text
; void swtch(uint32_t *save_esp, uint32_t new_esp)
; Saves the callee-saved registers on the current kernel stack, stores ESP in *save_esp, then
; continues on the other stack (whose top holds the same four registers and a return address).
swtch:
	mov eax, [esp + 4]
	mov edx, [esp + 8]
	push ebp
	push ebx
	push esi
	push edi
	mov [eax], esp
	mov esp, edx
	pop edi
	pop esi
	pop ebx
	pop ebp
	ret

; void gdt_load_segments(void): reload every segment register from the freshly loaded GDT.
gdt_load_segments:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov fs, ax
	mov gs, ax
	mov ss, ax
	jmp 0x08:.flush
.flush:
	ret
