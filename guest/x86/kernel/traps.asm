; traps.asm - interrupt and exception entry stubs and the common path into trap_dispatch().
; Every stub leaves the same frame (struct trapframe in kernel.h): vector and error code (0 when
; the CPU pushes none), pusha, then ds/es/fs/gs.
extern trap_dispatch
global isr_table
global trap_return

%macro ISR_NOERR 1
isr%1:	push dword 0
	push dword %1
	jmp trap_common
%endmacro
%macro ISR_ERR 1
isr%1:	push dword %1
	jmp trap_common
%endmacro

section .text
; exceptions 0..31: the CPU pushes an error code for 8, 10-14, 17, 21, 29, 30
%assign v 0
%rep 32
%if v = 8 || (v >= 10 && v <= 14) || v = 17 || v = 21 || v = 29 || v = 30
	ISR_ERR v
%else
	ISR_NOERR v
%endif
%assign v v + 1
%endrep
; every other vector: 32..47 the ISA IRQs (8259 or IO APIC), local APIC vectors above, 0x80
%assign v 32
%rep 224
	ISR_NOERR v
%assign v v + 1
%endrep

trap_common:
	pusha
	push ds
	push es
	push fs
	push gs
	mov ax, 0x10                 ; kernel data selector
	mov ds, ax
	mov es, ax
	mov fs, ax
	mov gs, ax
	cld
	push esp                     ; trap_dispatch(struct trapframe *)
	call trap_dispatch
	add esp, 4
trap_return:
	pop gs
	pop fs
	pop es
	pop ds
	popa
	add esp, 8                   ; vector and error code
	iretd

section .rodata
align 4
isr_table:                       ; entry addresses for vectors 0..255
%assign v 0
%rep 256
	dd isr %+ v
%assign v v + 1
%endrep
