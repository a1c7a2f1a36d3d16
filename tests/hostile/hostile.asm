; hostile.asm - a guest that misbehaves on purpose, to show that a VM which does something fatal
; is stopped alone, with a one-line reason, while the VMM and the other VMs go on.
; It is a multiboot1 kernel; its command line picks the misdeed (the last word):
;   triple  : no IDT at all, then int3 -> on real hardware a triple fault (reset)
;   hlt     : cli; hlt -> on real hardware the machine hangs for ever
;   long    : a GDT with code segments whose L bit is set (64-bit code in IA-32e mode: an escape
;             from compatibility mode) and far jumps into them. This CPU is a 32-bit one, which
;             ignores L (D decides): the guest checks that L=1 D=1 runs 32-bit code and L=1 D=0
;             16-bit code, prints "long: ok - ..." and exits 0 (natively alike); the VMM installs
;             them without L, never as 64-bit code
;   v86     : from ring 3, an iret whose EFLAGS image has VM=1. Real CPUs in long mode never enter
;             virtual-8086 mode (at CPL 3 the bit is ignored; the null CS then faults); QEMU's TCG
;             does enter it. Either way the VMM must not mistake the next trap for its own: the
;             guest's handler runs (prints "v86: trapped") or the VM is stopped with a reason.
;   selfmod : not hostile but tricky: code written at run time, then rewritten. With interrupts
;             off, pushf must show IF=0 in both versions; natively it does, and under the VMM only
;             if the new code was scanned and patched on its first run and scanned again after
;             the rewrite. Prints "selfmod: ok" and exits through isa-debug-exit (0 = pass).
;   midpage : not hostile either: a page of its own text is rewritten (with interrupts off), then
;             entered first in its middle and only later at its start, where a pushf sits. The
;             VMM rescans the page before it runs again; if that scan started at the first address
;             fetched, the pushf would run unpatched and show the real IF=1. Prints "midpage: ok".
;   bootinfo: not hostile either: checks what its boot loader and BIOS left, as an OS would find
;             it: one multiboot module whose command line starts with "initrd", page-aligned after
;             the kernel, holding exactly BOOTINFO_PAYLOAD; the BIOS data area (COM1, 639 KiB); an
;             ACPI RSDP in 0xE0000-0xFFFFF and an MP floating pointer in 0xF0000-0xFFFFF with good
;             checksums; a memory map that keeps the EBDA, the hole and the BIOS out of usable RAM.
;             Prints "bootinfo: ok" (exit 0) or "bootinfo: FAIL <what>" (exit 1).
; Two modes are test suites that print "<mode>: ok - ..." / "<mode>: not ok - ..." per check and
; end with "<mode>: passed" (exit code 0) or "<mode>: FAILED" (exit code 1); natively (QEMU's
; -kernel) they must pass the same way:
;   mmio    : memory nothing decodes (0xE0000000, with paging off and through its own page tables,
;             and through a segment with a base) read and written with mov, movzx, movsx, the ALU
;             instructions (flags compared with the same instruction on a RAM copy of the value),
;             xchg, rep stos, rep movs; the BIOS area (writes dropped); a dword straddling a RAM
;             and a device page; rep insb/insd and rep movsd running across the end of RAM (the
;             VM goes on: reads beyond give the open bus, writes are dropped); and a rep insd of
;             2^31 elements that the PIT's interrupt must be able to interrupt in the middle, as
;             on a CPU (the VMM does such a string in batches and cannot be held by it).
;             The open bus of a PC reads all ones; QEMU's unassigned memory reads zero: the first
;             line says which, every other check compares with that value.
;   segs    : segments with bases, an expand-down one, a 16-bit stack segment and a read-only one,
;             used by instructions the VMM emulates (lidt, rep outsb/insb, patched pushfd/push cs/
;             sgdt) and by direct execution; an LDT with a code segment at base 0x1000 (direct
;             execution, patched and emulated instructions and a device access inside it) and a
;             data segment with a base; lldt/sldt; faults with their error codes. Limit and type
;             violations are checked only when the CPU itself enforces them on a direct access
;             (QEMU's TCG does not: there they are skipped, natively and under the VMM alike).
;   ptables : its own page tables used as OSes use them and misused (ptables.inc): a self-mapped
;             directory, entries rewritten through it and at the tables' addresses, A/D bits, one
;             table under two entries, a 4 MiB page, CR0.WP both ways, entries and a table where
;             nothing decodes, two address spaces.
bits 32
section .text
MB_MAGIC equ 0x1BADB002
MB_FLAGS equ 0x3
align 4
	dd MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

global _start
_start:
	mov esp, stack_top
	mov [mbi], ebx
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
.found:	mov edi, w_hlt
	call word_is
	je .hlt
	mov edi, w_long
	call word_is
	je .long
	mov edi, w_selfmod
	call word_is
	je .selfmod
	mov edi, w_v86
	call word_is
	je .v86
	mov edi, w_mmio
	call word_is
	je mode_mmio
	mov edi, w_segs
	call word_is
	je mode_segs
	mov edi, w_ptables
	call word_is
	je mode_ptables
	mov edi, w_bootinfo
	call word_is
	je .bootinfo
	mov edi, w_midpage
	call word_is
	je .midpage
.triple:
	lidt [idt0]
	int3
	jmp $
.hlt:
	cli
	hlt
	jmp $
.long:
	cli
	lgdt [gdtr]
	jmp 0x08:.flat
.flat:	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	jmp 0x18:.l32                       ; L=1 D=1
.l32:	xor eax, eax
	db 0x48                             ; dec eax in 32-bit code; REX.W in 64-bit code
	nop
	test eax, eax
	jz .in64
	jmp 0x20:.l16                       ; L=1 D=0
.l16:
bits 16
	jmp dword 0x08:.back32              ; o32 jmp far (66 EA): these bytes, read as 16-bit code
bits 32
.back32:
	mov esi, long_ok
	call puts
	xor eax, eax
	out 0xF4, al
	jmp $
.in64:
	mov esi, long_bad
	call puts
	mov al, 1
	out 0xF4, al
	jmp $

.v86:
	mov eax, v86_tss                    ; the TSS descriptor's base
	mov [v86_tssd + 2], ax
	shr eax, 16
	mov [v86_tssd + 4], al
	mov [v86_tssd + 7], ah
	lgdt [v86_gdtr]
	jmp 0x08:.v86_cs
.v86_cs:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov dword [v86_tss + 4], stack_top  ; esp0
	mov dword [v86_tss + 8], 0x10       ; ss0
	mov ax, 0x28
	ltr ax
	mov edi, v86_idt                    ; every vector -> .v86_trapped (interrupt gate, DPL 0)
	mov ecx, 256
	mov eax, .v86_trapped
.gate:	mov word [edi], ax
	mov word [edi + 2], 0x08
	mov word [edi + 4], 0x8E00
	mov edx, eax
	shr edx, 16
	mov word [edi + 6], dx
	add edi, 8
	loop .gate
	lidt [v86_idtr]
	mov esi, v86_user                   ; the ring-3 code runs from a page the scan never saw
	mov ecx, v86_user_end - v86_user
	call install
	push 0x23                           ; iret to ring 3: ss, esp, eflags, cs, eip
	push codebuf + 4096 - 16
	push 0x202
	push 0x1B
	push codebuf
	iret
.v86_trapped:
	mov ax, 0x10
	mov ds, ax
	mov esi, v86_msg
	call puts
	xor eax, eax
	out 0xF4, al
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

.midpage:
	cli
	mov byte [mid_b + 1], 0x5A         ; rewrite the page: its patches go, it is scanned again
	call mid_b                         ; entered in its middle first
	cmp eax, 0x1111115A
	jne .mp_fail
	call mid_a                         ; then at its start: pushf must show the virtual IF=0
	test eax, 0x200
	jnz .mp_fail
	mov esi, mp_ok_msg
	call puts
	xor eax, eax
	out 0xF4, al
	jmp $
.mp_fail:
	mov esi, mp_fail_msg
	call puts
	mov al, 1
	out 0xF4, al
	jmp $

.bootinfo:
	mov ebp, bi_mods
	test dword [ebx], 8                ; flags: the module list is valid
	jz .bi_fail
	cmp dword [ebx + 20], 1            ; one module
	jne .bi_fail
	mov edi, [ebx + 24]
	mov eax, [edi]                     ; mod_start
	mov ebp, bi_place
	test eax, 0xFFF
	jnz .bi_fail
	cmp eax, image_end
	jb .bi_fail
	mov ebp, bi_payload
	mov ecx, [edi + 4]
	sub ecx, eax
	cmp ecx, payload_end - payload
	jne .bi_fail
	mov esi, eax
	push edi
	mov edi, payload
	repe cmpsb
	pop edi
	jne .bi_fail
	mov ebp, bi_string
	mov esi, [edi + 8]                 ; the module's string
	mov edi, initrd_word
	mov ecx, 6
	repe cmpsb
	jne .bi_fail
	mov ebp, bi_bda
	cmp word [0x400], 0x3F8
	jne .bi_fail
	cmp word [0x413], 639
	jne .bi_fail
	mov ebp, bi_rsdp                   ; "RSD PTR " on a 16-byte boundary, 20 bytes summing to 0
	mov esi, 0xE0000
.rsdp:	cmp dword [esi], 'RSD '
	jne .rsdp_next
	cmp dword [esi + 4], 'PTR '
	jne .rsdp_next
	mov ecx, 20
	call sum
	jz .rsdp_found
.rsdp_next:
	add esi, 16
	cmp esi, 0x100000
	jb .rsdp
	jmp .bi_fail
.rsdp_found:
	mov ebp, bi_mp                     ; "_MP_", 16 bytes summing to 0
	mov esi, 0xF0000
.mp:	cmp dword [esi], '_MP_'
	jne .mp_next
	mov ecx, 16
	call sum
	jz .mp_found
.mp_next:
	add esi, 16
	cmp esi, 0x100000
	jb .mp
	jmp .bi_fail
.mp_found:
	mov ebp, bi_mmap                   ; no usable range may touch [0x9FC00, 0x100000)
	test dword [ebx], 0x40
	jz .bi_fail
	mov esi, [ebx + 48]
	mov edi, esi
	add edi, [ebx + 44]
.mm:	cmp esi, edi
	jae .bi_ok
	cmp dword [esi + 20], 1            ; type
	jne .mm_next
	cmp dword [esi + 8], 0             ; base above 4 GiB: fine
	jne .mm_next
	mov eax, [esi + 4]                 ; base
	cmp eax, 0x100000
	jae .mm_next
	mov edx, [esi + 12]                ; base + length (below 4 GiB here)
	add edx, eax
	cmp edx, 0x9FC00
	ja .bi_fail
.mm_next:
	add esi, [esi]
	add esi, 4
	jmp .mm
.bi_ok:
	mov esi, bi_ok_msg
	call puts
	xor eax, eax
	out 0xF4, al
	jmp $
.bi_fail:
	mov esi, bi_fail_msg
	call puts
	mov esi, ebp
	call puts
	mov esi, nl
	call puts
	mov al, 1
	out 0xF4, al
	jmp $

sum:	                               ; ZF set if the ecx bytes at esi sum to 0 (keeps esi)
	push esi
	xor eax, eax
.s:	add al, [esi]
	inc esi
	loop .s
	pop esi
	test al, al
	ret
word_is:                               ; ZF set if the word at edx (ended by 0 or ' ') is [edi]
	push esi
	push edi
	mov esi, edx
.c:	mov al, [edi]
	test al, al
	jz .end
	cmp al, [esi]
	jne .out
	inc esi
	inc edi
	jmp .c
.end:	mov al, [esi]
	test al, al
	jz .out
	cmp al, ' '
.out:	pop edi
	pop esi
	ret

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

; The midpage test's page: a pushf at its very start, a routine in its middle (the mode rewrites
; that routine's immediate, then calls it, then the one at the start).
align 4096
mid_a:	pushf
	pop eax
	ret
	times 2048 - ($ - mid_a) nop
mid_b:	mov eax, 0x11111111
	ret

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
v86_user:                               ; ring 3: iret with VM=1 into "real mode" 0000:1000
	push 0                              ; gs, fs, ds, es (a v8086 frame)
	push 0
	push 0
	push 0
	push 0                              ; ss
	push 0x800                          ; sp
	push 0x20202                        ; eflags: VM, IF
	push 0                              ; cs
	push 0x1000                         ; ip
	iret
v86_user_end:
v86_msg: db "v86: trapped", 10, 0
align 8
v86_gdt: dq 0
	dq 0x00CF9A000000FFFF               ; 0x08 code, ring 0
	dq 0x00CF92000000FFFF               ; 0x10 data, ring 0
	dq 0x00CFFA000000FFFF               ; 0x18 code, ring 3
	dq 0x00CFF2000000FFFF               ; 0x20 data, ring 3
v86_tssd: dw 103, 0                     ; 0x28 TSS, base filled in at run time
	db 0, 0x89, 0, 0
v86_gdtr: dw 47
	dd v86_gdt
v86_idtr: dw 2047
	dd v86_idt
msg:	db "hostile guest: ", 0
w_hlt:	db "hlt", 0
w_long:	db "long", 0
w_selfmod: db "selfmod", 0
w_v86:	db "v86", 0
w_mmio:	db "mmio", 0
w_segs:	db "segs", 0
w_ptables: db "ptables", 0
w_bootinfo:	db "bootinfo", 0
w_midpage:	db "midpage", 0
ok_msg:	db "selfmod: ok", 10, 0
long_ok: db "long: ok - the L bit ignored: L=1 D=1 ran as 32-bit code, L=1 D=0 as 16-bit code", 10, 0
long_bad: db "long: FAIL - an L=1 code segment ran 64-bit code", 10, 0
fail_msg: db "selfmod: FAIL (pushf showed IF=1 with interrupts off)", 10, 0
mp_ok_msg: db "midpage: ok", 10, 0
mp_fail_msg: db "midpage: FAIL (the rewritten routine, or pushf at the page's start showing IF=1)", 10, 0
nl:	db 10, 0
payload: db "vmm initrd payload", 10          ; BOOTINFO_PAYLOAD: tests/test-vmm.sh writes this file
payload_end:
initrd_word: db "initrd"
bi_ok_msg: db "bootinfo: ok", 10, 0
bi_fail_msg: db "bootinfo: FAIL ", 0
bi_mods: db "no single module in the multiboot information", 0
bi_place: db "the module is not page-aligned after the kernel", 0
bi_payload: db "the module's bytes are not the initrd's", 0
bi_string: db "the module's string does not start with 'initrd'", 0
bi_bda: db "BIOS data area: COM1 or base memory", 0
bi_rsdp: db "no ACPI RSDP in 0xE0000-0xFFFFF", 0
bi_mp: db "no MP floating pointer in 0xF0000-0xFFFFF", 0
bi_mmap: db "the memory map lists 0x9FC00-0xFFFFF as usable", 0
align 8
gdt:	dq 0
	dq 0x00CF9A000000FFFF          ; 0x08: 32-bit code
	dq 0x00CF92000000FFFF          ; 0x10: data
	dq 0x00EF9A000000FFFF          ; 0x18: L=1 D=1 (64-bit code in IA-32e mode; 32-bit code here)
	dq 0x00AF9A000000FFFF          ; 0x20: L=1 D=0 (64-bit code in IA-32e mode; 16-bit code here)
gdtr:	dw 39
	dd gdt
idt0:	dw 0
	dd 0
section .bss
mbi:	resd 1
	resb 4096
stack_top:
alignb 4096
codebuf: resb 4096
alignb 16
v86_idt: resb 2048
v86_tss: resb 104

%include "suites.inc"              ; the mmio and segs suites
%include "ptables.inc"             ; the ptables suite

section .bss
image_end:                             ; the kernel's highest loaded byte (end of .bss)
