; direct.asm - the direct paths: the four commonest traps of a running guest, done in assembly.
;
;   int 0x80 from a process        Figure B.3, steps 1 and 2: onto the kernel stack its TSS names,
;                                  into the handler its IDT names, at ring 1
;   int3 at a patched iret         steps 3 and 4: back to the process (or the kernel)
;   int3 at a patched pushf, popf  the guest's EFLAGS with its virtual IF and IOPL
;   #GP at cli, sti                the virtual IF
;
; Each does exactly what its C fast path does (fastpath.c, reflect_fast in reflect.c), on the
; assumptions written down in `direct` when the VMM last returned to the guest (direct.h): so here
; there is nothing to look up but the guest's own memory, and nothing to check afterwards. A case
; that is not exactly the common one -- a frame, selector, site or address it does not expect, a
; guest page the shadow does not map (a #PF here resumes at direct_give_up, see trap.c) -- goes to
; fast_common as if the direct path were not there: nothing has been changed but, at most, words
; written below the guest's stack pointer, which the slower path writes again.
;
; Guest memory is reached through the active shadow, the low 4 GiB of the address space; an
; address is checked not to run past 4 GiB before it is used.

bits 64
%include "asm_offsets.inc"

extern direct, fast_common
global direct_syscall, direct_int3, direct_gp, direct_give_up, direct_guest_begin, direct_guest_end

; After the five pushes of ENTER, the stack holds the stub's and the CPU's words at:
%define F_VEC   rsp + 40
%define F_ERR   rsp + 48
%define F_RIP   rsp + 56
%define F_CS    rsp + 64
%define F_FL    rsp + 72
%define F_RSP   rsp + 80
%define F_SS    rsp + 88

%macro ENTER 0
	push rax
	push rcx
	push rdx
	push rsi
	push rdi
%endmacro

; rsi = the TSC now (the profile's start), rdi = the VM; give up unless the direct paths are armed.
%macro ARMED 0
	rdtsc
	shl rdx, 32
	or rax, rdx
	mov rsi, rax
	cmp rax, [rel direct + D_UNTIL]
	jae direct_give_up
	mov rdi, [rel direct + D_VM]
	mov rax, [rdi + VM_SEG_GEN]
	cmp rax, [rel direct + D_SEG_GEN]
	jne direct_give_up
%endmacro

; From the guest kernel: on the flat CS:SS pair that was checked, not single-stepping (TF: the
; general path raises the step's #DB after the instruction it completes, run.c step_trap), nor
; with RF set (the general path clears it after an instruction it completes, run.c vm_trap).
%macro FROM_KERNEL 0
	test dword [F_FL], FL_TF_B | FL_RF_B
	jnz direct_give_up
	mov rax, [F_CS]
	cmp rax, [rel direct + D_KCS]
	jne direct_give_up
	mov rax, [F_SS]
	cmp rax, [rel direct + D_KSS]
	jne direct_give_up
%endmacro

; The guest's EFLAGS in eax -> its virtual IF and IOPL, the rest (the flags in %1) into the frame
; (set_guest_eflags; an iret passes FL_USER_B | FL_VIFVIP_B: iret_flags, RF excepted).
%macro SET_GUEST_EFLAGS 1
	mov edx, eax
	and edx, FL_IF_B
	mov [rdi + VM_VIF], edx
	mov edx, eax
	and edx, FL_IOPL_B
	mov [rdi + VM_VIOPL], edx
	and eax, %1
	or eax, FL_IF_B                ; (the real IF stays on while a guest runs)
	mov rdx, [F_FL]
	and rdx, ~(%1)
	or rdx, rax
	mov [F_FL], rdx
%endmacro

section .text

; int 0x80 from a process (the real IDT lets it through only if the guest's gate does).
direct_syscall:
	ENTER
	mov eax, [F_CS]
	and eax, 3
	cmp eax, 3
	jne direct_give_up
	test dword [F_FL], FL_VM_B     ; (TCG's virtual-8086 quirk: trap.c's business)
	jnz direct_give_up
	ARMED
	cmp dword [rel direct + D_SYS_OK], 0
	je direct_give_up
	; Step 2: the kernel stack is the one the guest's TSS names (esp0, ss0 at +4, +8), or the one
	; it gave by hypercall. Its selector must be the flat kernel SS; the frame
	; [eip cs eflags esp ss] goes below esp0.
	mov rax, [rel direct + D_KSTACK]
direct_guest_begin:                     ; (a #PF from here to direct_guest_end gives up)
	mov ecx, [rax]
	movzx edx, word [rax + 4]
	and edx, ~3
	or edx, 1
	cmp rdx, [rel direct + D_KSS]
	jne direct_give_up
	sub ecx, 20
	jc direct_give_up
	mov eax, [F_RIP]
	mov [rcx], eax
	mov eax, [F_CS]                ; (a ring-3 selector: the guest sees it as it is)
	mov [rcx + 4], eax
	mov eax, [F_FL]
	and eax, ~(FL_IF_B | FL_IOPL_B)
	or eax, [rdi + VM_VIF]
	or eax, [rdi + VM_VIOPL]
	mov [rcx + 8], eax
	mov eax, [F_RSP]
	mov [rcx + 12], eax
	mov eax, [F_SS]
	mov [rcx + 16], eax
	; ... and the handler runs at ring 1 on that stack, TF NT RF clear, IF as the gate says.
	mov [F_RSP], rcx
	mov rax, [rel direct + D_KSS]
	mov [F_SS], rax
	mov rax, [rel direct + D_KCS]
	mov [F_CS], rax
	mov eax, [rel direct + D_SYS_EIP]
	mov [F_RIP], rax
	and qword [F_FL], ~(FL_TF_B | FL_NT_B | FL_RF_B | FL_VM_B)
	mov eax, [rel direct + D_SYS_VIF]
	and [rdi + VM_VIF], eax
	mov eax, EXIT_SYSCALL_K
	jmp direct_done

; int3 from the guest kernel: a patched instruction, if patch_at's cache knows the site.
direct_int3:
	ENTER
	FROM_KERNEL
	ARMED
	; The site: patch_at's cache entry (vm.h) for la = EIP - 1, under the current shadow root.
	mov eax, [F_RIP]
	dec eax
	mov rdx, [rdi + VM_SH_ROOT]
	imul edx, edx, 13
	mov ecx, eax
	shr ecx, 7
	xor ecx, eax
	xor ecx, edx
	and ecx, PATCH_CACHE_SLOTS - 1
	imul ecx, ecx, LHIT_SIZE
	lea rcx, [rdi + rcx + VM_PT_LCACHE]
	cmp [rcx + LHIT_LA], eax
	jne direct_give_up
	mov edx, [rdi + VM_PT_GEN]
	test edx, edx
	jz direct_give_up
	cmp [rcx + LHIT_GEN], edx
	jne direct_give_up
	mov rdx, [rdi + VM_SH_GEN]
	cmp [rcx + LHIT_SGEN], rdx
	jne direct_give_up
	mov rdx, [rdi + VM_SH_ROOT]
	cmp [rcx + LHIT_ROOT], rdx
	jne direct_give_up
	mov ecx, [rcx + LHIT_IDX]
	imul ecx, ecx, PATCH_SIZE
	lea rcx, [rdi + rcx + VM_PT_P]
	cmp byte [rcx + PATCH_LEN], 1
	jne direct_give_up
	movzx eax, byte [rcx + PATCH_KIND]
	mov ecx, [F_RSP]               ; the guest kernel's stack (EIP is past the int3 already)
	cmp eax, K_IRET
	je .iret
	cmp eax, K_PUSHF
	je .pushf
	cmp eax, K_POPF
	jne direct_give_up
	; popf: EFLAGS from the stack
	cmp ecx, -4
	ja direct_give_up
	mov eax, [rcx]
	add ecx, 4
	mov [F_RSP], rcx
	SET_GUEST_EFLAGS FL_USER_B
	jmp .patched
.pushf: ; the guest's EFLAGS (without VM and RF) onto the stack
	sub ecx, 4
	jc direct_give_up
	mov eax, [F_FL]
	and eax, ~(FL_IF_B | FL_IOPL_B | FL_VM_B | FL_RF_B)
	or eax, [rdi + VM_VIF]
	or eax, [rdi + VM_VIOPL]
	mov [rcx], eax
	mov [F_RSP], rcx
	jmp .patched
.iret:	; Steps 3 and 4: [eip cs eflags] and, back to a process, [esp ss] from the kernel stack.
	cmp ecx, -20
	ja direct_give_up
	test dword [rcx + 8], FL_NT_B | FL_VM_B | FL_RF_B   ; (RF: a debug handler's return: the C way)
	jnz direct_give_up
	test dword [F_FL], FL_NT_B       ; NT set now: a task return (the general path refuses it)
	jnz direct_give_up
	movzx edx, word [rcx + 4]
	mov eax, edx
	and eax, 3
	cmp eax, 3
	je .to_process
	test eax, eax
	jnz direct_give_up
	or edx, 1                      ; the guest's ring 0 is ring 1
	cmp rdx, [rel direct + D_KCS]
	jne direct_give_up
	lea eax, [rcx + 12]
	mov [F_RSP], rax
	jmp .iret_common
.to_process:
	cmp rdx, [rel direct + D_UCS]
	jne direct_give_up
	movzx eax, word [rcx + 16]
	cmp rax, [rel direct + D_USS]
	jne direct_give_up
	mov [F_SS], rax
	mov eax, [rcx + 12]
	mov [F_RSP], rax
.iret_common:
	mov [F_CS], rdx
	mov eax, [rcx]
	mov [F_RIP], rax
	mov eax, [rcx + 8]
	SET_GUEST_EFLAGS FL_USER_B | FL_VIFVIP_B
.patched:
	mov eax, EXIT_PATCH_K
	jmp direct_done

; #GP from the guest kernel: cli or sti (the virtual IF).
direct_gp:
	ENTER
	cmp qword [F_ERR], 0
	jne direct_give_up
	FROM_KERNEL
	ARMED
	mov eax, [F_RIP]
	movzx ecx, byte [rax]
	xor edx, edx
	cmp ecx, 0xFA                  ; cli
	je .set
	cmp ecx, 0xFB                  ; sti
	jne direct_give_up
	cmp byte [rax + 1], 0xF4       ; sti; hlt: emulate.c's (guest_sti), done as one instruction
	je direct_give_up
	mov edx, FL_IF_B
.set:
direct_guest_end:
	mov [rdi + VM_VIF], edx
	inc dword [F_RIP]
	mov eax, EXIT_PRIV_K
	; (fall through)

; Done: the counters and the profile as vm_count and vm_profile keep them (eax = the kind), and
; straight back to the guest (its SS is a flat 32-bit one: no espfix needed).
direct_done:
	add qword [rdi + VM_EXITS + rax * 8], 1
	add qword [rdi + VM_PROF_N + rax * 8], 1
	add qword [rdi + VM_FAST_EXITS], 1
	add qword [rdi + VM_DIRECT_EXITS], 1
	mov rcx, rax
	rdtsc
	shl rdx, 32
	or rax, rdx
	sub rax, rsi
	add [rdi + VM_PROF_CYCLES + rcx * 8], rax
	pop rdi
	pop rsi
	pop rdx
	pop rcx
	pop rax
	add rsp, 16                    ; vector and error code
	and dword [rsp + 16], ~FL_IOPL_B   ; (never a real IOPL: QEMU's TCG can push garbage; trapentry.asm)
	iretq

; Not the common case (or a guest page that is not there): the short way in, as if we had not
; been here. The stack is as ENTER left it.
direct_give_up:
	pop rdi
	pop rsi
	pop rdx
	pop rcx
	pop rax
	jmp fast_common
