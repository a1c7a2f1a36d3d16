; entry.asm - the fuzz guest's multiboot1 header, the jump into a round and every way back out.
;
; A round runs with its own page directory (fuzz.c builds it). In that address space the only
; pages of the fuzzer are the "gate" pages, identity-mapped at the same addresses as in the
; harness's own space:
;   .gtext  (read-only)  the 256 vector stubs, the recovery path and the round entry below
;   .gidt   (read-only)  the IDT and the pseudo-descriptors the recovery path loads
;   .ggdt   (writable: the CPU sets busy bits in it; fuzz.c restores it after a round)
;   .gtss   (writable)   the two TSSes, the observation save area, the ring-3 -> ring-0 stack
; Everything else of the fuzzer (its code, stack, page tables, pristine copies, results) is not
; mapped during a round, so random ring-0 code cannot reach it. The recovery path saves what the
; round left (registers, the CPU's frame, segment registers), switches back to the harness's page
; directory, and only then touches the harness's memory: it reloads the GDT, IDT, segments, TR,
; and the stack pointer run_round saved, and returns to C.
bits 32
section .multiboot
MB_MAGIC equ 0x1BADB002
MB_FLAGS equ 0x3
align 4
	dd MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

section .text
global _start
extern fuzz_main
_start:
	mov esp, hstack_top
	push ebx
	call fuzz_main
.h:	hlt
	jmp .h

; ---- the gate code page ----------------------------------------------------------------------
section .gtext progbits alloc exec nowrite align=4096
global gate_text, trap_stubs, run_round, df_entry, fpu_reset
extern saved_esp
gate_text:

; Every vector: push its number and join the recovery path. Eight bytes each (push imm32 would be
; five; push imm8 sign-extends, which `and` undoes below).
align 8
trap_stubs:
%assign i 0
%rep 256
align 8
	db 0x6A, i              ; push imm8 (sign-extended; `and` below undoes it)
	jmp near recover
%assign i i+1
%endrep

; The observation save area lives at the start of .gtss (S_* offsets, fuzz.c's struct gsave).
S_VEC   equ 0
S_EAX   equ 4
S_ECX   equ 8
S_EDX   equ 12
S_EBX   equ 16
S_ESP   equ 20        ; the stack pointer right after the CPU's frame was pushed (frame start)
S_EBP   equ 24
S_ESI   equ 28
S_EDI   equ 32
S_DS    equ 36
S_ES    equ 40
S_FS    equ 44
S_GS    equ 48
S_SS    equ 52
S_NF    equ 56        ; how many frame words follow
S_F     equ 60        ; up to 6 words of the CPU's frame (or stack) from S_ESP up
S_CR2   equ 84
S_HOW   equ 88        ; 0: through a gate; 1: the #DF task switch

; Reached at CPL 0 (ring 1 under a VMM) from a round, on the round's stack (ring 0 rounds) or on
; the .gtss stack (from ring 3). DS may be anything: selector 0x10 is the flat data segment in the
; GDT and in every GDT image the generator lets a round load, so it is loaded first, after
; keeping the round's EAX and DS on the stack (the CPU has just pushed there, so two more words
; fit unless the round left ESP a word above an unmapped page).
recover:
	push eax
	push ds
	mov ax, 0x10
	mov ds, ax
	pop eax
	and eax, 0xFFFF                ; (push ds may leave the upper half of the word as it was)
	mov [gsave + S_DS], eax
	pop eax
	mov [gsave + S_EAX], eax
	pop eax
	and eax, 0xFF
	mov [gsave + S_VEC], eax
	mov [gsave + S_ECX], ecx
	mov [gsave + S_EDX], edx
	mov [gsave + S_EBX], ebx
	mov [gsave + S_EBP], ebp
	mov [gsave + S_ESI], esi
	mov [gsave + S_EDI], edi
	mov [gsave + S_ESP], esp
	xor eax, eax
	mov ax, es
	mov [gsave + S_ES], eax
	mov ax, fs
	mov [gsave + S_FS], eax
	mov ax, gs
	mov [gsave + S_GS], eax
	mov ax, ss
	mov [gsave + S_SS], eax
	; The frame: from ring 3 it is on the .gtss stack and ends at its top (5 words, or 6 with an
	; error code); from ring 0 it is on the round's stack: take 4 words from there (3 frame words
	; plus the error code or the next stack word).
	mov ecx, 4
	cmp esp, gstack_top - 24
	jb .wrap
	cmp esp, gstack_top
	ja .wrap
	mov ecx, gstack_top
	sub ecx, esp
	shr ecx, 2
	jmp .copy
	; (but no word from past 4 GiB: the read would wrap to page 0 and fault in here -- 11:5389,
	; whose budget interrupt came with ESP 0)
.wrap:	cmp esp, -16
	jbe .copy
	mov ecx, esp
	neg ecx
	shr ecx, 2
.copy:	mov [gsave + S_NF], ecx
	xor ebx, ebx
	jecxz .copied
.cp:	mov eax, [ss:esp + 4 * ebx]
	mov [gsave + S_F + 4 * ebx], eax
	inc ebx
	cmp ebx, ecx
	jb .cp
.copied:
	mov eax, cr2
	mov [gsave + S_CR2], eax
	mov dword [gsave + S_HOW], 0
back:
	; Back to the harness's address space; this page is mapped at the same address there.
	mov eax, [hcr3_copy]
	mov cr3, eax
	lgdt [hgdtr]
	jmp 0x08:.cs
.cs:	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov esp, [saved_esp]
	xor eax, eax
	mov fs, ax
	mov gs, ax
	lidt [hidtr]
	push 2                         ; IF=0, IOPL 0, no TF/AC/NT/DF
	popfd
	pop edi
	pop esi
	pop ebx
	pop ebp
	ret

; #DF is a task gate (a fault the CPU could not push onto the round's stack): the CPU
; saved the round's registers into the main TSS and switched to the #DF TSS, whose CR3 is the
; harness's. Take the registers from the TSS and leave as above. (Under the VMM the same: it does
; the task switch for the guest, arch/x86_64/cpu/task.c.)
df_entry:
	mov dword [gsave + S_VEC], 8
	mov dword [gsave + S_HOW], 1
	mov eax, [gtss_main + 40]
	mov [gsave + S_EAX], eax
	mov eax, [gtss_main + 44]
	mov [gsave + S_ECX], eax
	mov eax, [gtss_main + 48]
	mov [gsave + S_EDX], eax
	mov eax, [gtss_main + 52]
	mov [gsave + S_EBX], eax
	mov eax, [gtss_main + 56]
	mov [gsave + S_ESP], eax
	mov eax, [gtss_main + 60]
	mov [gsave + S_EBP], eax
	mov eax, [gtss_main + 64]
	mov [gsave + S_ESI], eax
	mov eax, [gtss_main + 68]
	mov [gsave + S_EDI], eax
	mov eax, [gtss_main + 32]       ; eip
	mov [gsave + S_F], eax
	mov eax, [gtss_main + 76]       ; cs
	mov [gsave + S_F + 4], eax
	mov eax, [gtss_main + 36]       ; eflags
	mov [gsave + S_F + 8], eax
	mov dword [gsave + S_NF], 3
	mov eax, cr2
	mov [gsave + S_CR2], eax
	jmp back

; void run_round(uint32_t round_cr3, uint32_t *frame, int ring3): into the round's address space,
; then popad + iret from `frame` (eight registers, then an iret frame: eip cs eflags [esp ss]),
; which is an address in the round's space. Returns (through `back`) when the round has ended.
run_round:
	push ebp
	push ebx
	push esi
	push edi
	mov [saved_esp], esp
	mov eax, [esp + 20]            ; the round's page directory
	mov ebx, [esp + 24]            ; the frame
	mov ecx, [esp + 28]            ; ring 3?
	test ecx, ecx
	jz .k
	mov dx, 0x23
	mov ds, dx
	mov es, dx
	mov fs, dx
	mov gs, dx
.k:	mov cr3, eax                   ; from here on only the gate pages and the round's are mapped
	mov esp, ebx
	popad
	iret

; void fpu_reset(void): the x87 and SSE state every round starts from (CR0.TS/EM clear first):
; all of it, register contents included (fninit only marks the x87 registers empty, and fxsave
; would still show what an earlier round left in them); then fninit, because fxrstor on an AMD
; CPU (QEMU's qemu64 model is one) does not load the last instruction and operand pointers, which
; fnstenv would show a round as an earlier round's x87 code left them.
fpu_reset:
	fxrstor [fx_pristine]
	fninit
	ret

; ---- the gate read-only data page: IDT and the harness's pseudo-descriptors ----------------------
section .gidt progbits alloc noexec nowrite align=4096
global gidt, hgdtr, hidtr, hcr3_copy
gidt:	times 256 dq 0                  ; filled by fuzz.c before paging is on
hgdtr:	dw 0
	dd 0
	align 8
hidtr:	dw 0
	dd 0
	align 8
hcr3_copy: dd 0                         ; the harness's page directory (set once by fuzz.c)

; ---- the gate GDT page (writable) ---------------------------------------------------------------
section .ggdt progbits alloc noexec write align=4096
global ggdt
ggdt:	times 16 dq 0

; ---- the TSS page (writable): TSSes, the save area, the ring-3 -> ring-0 stack --------------------
section .gtss progbits alloc noexec write align=4096
global gsave, gtss_main, gtss_df, gstack_top
gsave:	times 32 dd 0
	align 64
gtss_main: times 26 dd 0
	align 64
gtss_df: times 26 dd 0
	align 16
	times (4096 - ($ - $$)) db 0
gstack_top:

section .data
align 16
fx_pristine:                            ; an fxsave image: FCW 0x37F, MXCSR 0x1F80, the rest zero
	dw 0x037F
	times 22 db 0
	dd 0x1F80, 0xFFFF
	times 512 - 32 db 0

section .bss
alignb 16
	resb 16384
hstack_top:
