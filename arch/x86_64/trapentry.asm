; trapentry.asm - the 256 IDT entry points and the common path into trap() and back.
;
; Every vector gets a tiny stub that makes the stack uniform (a zero error code where the CPU
; pushes none), pushes the vector number and joins `trap_common`, which saves all general
; registers and the data segment selectors (a guest's, when the trap came from a guest), calls
; trap(struct trapframe *) and restores whatever trap() left in the frame, so the handler can
; change where and how execution resumes (that is how the VMM enters and leaves guests).
;
; The traps a running guest takes most -- #BP (a patched instruction), #GP (a privileged one),
; #PF and int n -- come in by a shorter way, `fast_common`: it saves only the registers a 32-bit
; guest can see and lets fast_entry() (fastpath.c) try the fast paths first. Only when they
; cannot finish the trap alone is the full frame made and the general path run. Before that, the
; commonest four (int 0x80, #BP, #GP) try the direct paths in assembly (cpu/direct.asm).

bits 64
ESPFIX_BASE equ 0xFFFFFF0000000000     ; as in cpu.h
ESPFIX_SLOT equ 0x800                  ; page offset of the frame in the alias
section .text
extern trap, gdt, fast_entry, fast_finish, direct_syscall, direct_int3, direct_gp
global trap_vectors, trap_return, vcpu_enter, fast_common

%macro STUB 1
align 16
stub_%1:
%if %1 == 8 || (%1 >= 10 && %1 <= 14) || %1 == 17 || %1 == 21 || %1 == 29 || %1 == 30
%else
	push 0
%endif
	push %1
%if %1 == 0x80
	jmp direct_syscall             ; (the direct paths: cpu/direct.asm)
%elif %1 == 3
	jmp direct_int3
%elif %1 == 13
	jmp direct_gp
%elif %1 == 14 || (%1 >= 48 && %1 != 0xF0 && %1 != 0xFF)
	jmp fast_common                ; (32-47, 0xF0, 0xFF: the VMM's interrupt lines)
%else
	jmp trap_common
%endif
%endmacro

%assign i 0
%rep 256
STUB i
%assign i i+1
%endrep

; The short way in. The stack holds the CPU's frame, the error code and the vector, as for
; trap_common. A trap from the VMM itself (a guest access in gcopy.asm that faulted) goes the full
; way at once. From a guest, the rest of a struct trapframe is reserved and filled with what the
; guest can see: EAX..EDI and its selectors -- not R8-R15, which compatibility mode cannot reach.
; On the way back only EAX..EDI are loaded again: a fast path changes no data selector.
FRAME_REST equ 19 * 8                  ; struct trapframe below the vector: 4 selectors, 15 registers
fast_common:
	test byte [rsp + 24], 3        ; CS (vector, error, rip, cs)
	jz trap_common
	sub rsp, FRAME_REST
	mov [rsp + 144], rax
	mov [rsp + 136], rbx
	mov [rsp + 128], rcx
	mov [rsp + 120], rdx
	mov [rsp + 112], rsi
	mov [rsp + 104], rdi
	mov [rsp + 96], rbp
	mov rcx, ds                    ; (zero-extended)
	mov [rsp + 24], rcx
	mov rcx, es
	mov [rsp + 16], rcx
	mov rcx, fs
	mov [rsp + 8], rcx
	mov rcx, gs
	mov [rsp], rcx
	cld
	mov rdi, rsp
	call fast_entry                ; 0 not taken, 1 done and quiet, 2 done, vm_resume must run
	cmp eax, 1
	jne .full
	mov rax, [rsp + 144]
	mov rbx, [rsp + 136]
	mov rcx, [rsp + 128]
	mov rdx, [rsp + 120]
	mov rsi, [rsp + 112]
	mov rdi, [rsp + 104]
	mov rbp, [rsp + 96]
	add rsp, FRAME_REST + 16
	jmp iret_to_guest
.full:	; Make the frame whole (R8-R11 as the C code left them: nobody can tell), then the general
	; path (eax 0) or the resume after a fast path (eax 2).
	mov [rsp + 88], r8
	mov [rsp + 80], r9
	mov [rsp + 72], r10
	mov [rsp + 64], r11
	mov [rsp + 56], r12
	mov [rsp + 48], r13
	mov [rsp + 40], r14
	mov [rsp + 32], r15
	mov rdi, rsp
	test eax, eax
	jz .general
	call fast_finish
	jmp trap_return
.general:
	call trap
	jmp trap_return

trap_common:
	push rax
	push rbx
	push rcx
	push rdx
	push rsi
	push rdi
	push rbp
	push r8
	push r9
	push r10
	push r11
	push r12
	push r13
	push r14
	push r15
	xor eax, eax
	mov ax, ds
	push rax
	mov ax, es
	push rax
	mov ax, fs
	push rax
	mov ax, gs
	push rax
	cld                            ; (64-bit code ignores DS/ES bases: the guest's stay loaded)
	mov rdi, rsp
	call trap
	jmp trap_return

vcpu_enter:                             ; vcpu_enter(frame): enter a guest for the first time
	cli                                    ; the frame is static memory, not a stack: an interrupt
	                                       ; taken during the pops below would push its own frame over
	                                       ; whatever lies under it (it once overwrote `cur` with a
	                                       ; guest selector: a VMM #PF at the VM's first trap)
	mov rsp, rdi
trap_return:                            ; rsp = the frame to resume
	; Back into the VMM itself (a fault it fixes up, gcopy.asm): DS..GS are left as they are. The
	; values in the frame are the selectors of the guest whose trap the VMM was handling when the
	; fault came, and the real GDT may be another guest's by now (a machine switch in between).
	test byte [rsp + 176], 3       ; the frame's CS (4 selectors, 15 registers, vector, error, rip)
	jz .keep_segs
	pop rax
	mov gs, ax
	pop rax
	mov fs, ax
	pop rax
	mov es, ax
	pop rax
	mov ds, ax
	jmp .gprs
.keep_segs:
	add rsp, 32
.gprs:
	pop r15
	pop r14
	pop r13
	pop r12
	pop r11
	pop r10
	pop r9
	pop r8
	pop rbp
	pop rdi
	pop rsi
	pop rdx
	pop rcx
	pop rbx
	pop rax
	add rsp, 16                    ; vector and error code
	test byte [rsp + 8], 3         ; back to the VMM itself (CS RPL 0): as it is
	jz iret_now
iret_to_guest:                          ; rsp = the CPU's frame, every guest register loaded
	; A guest never runs with a real IOPL: its port I/O must trap (its IOPL is virtual, vm.h).
	; The CPU pushed the RFLAGS the guest ran with, which has IOPL 0 -- but QEMU's TCG can push
	; garbage there after a fault (tests/fuzz 10:2067: EAX's bits, IOPL 1), and an iretq of it
	; let fuzz seed 3's ring-0 harness write the real UART and PIC directly.
	and dword [rsp + 16], ~0x3000
	; Back to a guest on a 16-bit stack segment (B clear, or in its LDT: not looked at): iretq
	; from the espfix alias (paging.c) at an address whose bits 31:16 are the guest's ESP[31:16],
	; because an iretq to a 16-bit stack segment loads only SP and leaves the rest of RSP as it
	; was. The frame (and rdx, rax) is copied there; every page of the alias is the same frame, at
	; page offset ESPFIX_SLOT. A 32-bit stack segment (nearly always) returns from here.
	push rax
	push rdx
	movzx eax, word [rsp + 48]     ; the guest's SS (rip at +16, cs, rflags, rsp, ss)
	test al, 4
	jnz .espfix
	and eax, ~7
	mov rdx, gdt
	test byte [rdx + rax + 6], 0x40
	jz .espfix
	pop rdx
	pop rax
	iretq
.espfix:
	mov eax, [rsp + 40]            ; the guest's ESP
	and eax, 0xFFFF0000
	mov rdx, ESPFIX_BASE + ESPFIX_SLOT
	or rdx, rax
%assign k 0
%rep 7
	mov rax, [rsp + k]
	mov [rdx + k], rax
%assign k k+8
%endrep
	mov rsp, rdx
	pop rdx
	pop rax
iret_now:	iretq

section .rodata
align 8
trap_vectors:                           ; the address of every stub, for idt_init()
%assign i 0
%rep 256
	dq stub_%+i
%assign i i+1
%endrep
