; entry.asm - from GRUB's 32-bit protected mode to 64-bit C, step by step.
;
; GRUB (multiboot2) enters here with paging off, EAX = 0x36D76289, EBX = machine address of the
; boot information (a multiboot 1 loader: EAX = 0x2BADB002, multiboot2.asm). We (1) check the
; loader and the CPU, (2) build boot page tables that map the first 4 GiB of machine memory
; three times (identity for the switch itself, at PHYSMAP_BASE, and the image at KERNEL_VMA),
; (3) turn on PAE, long mode and paging, (4) far-jump into 64-bit code, (5) jump to the high
; half, drop nothing yet (C removes the identity map), and call kmain().

%define KERNEL_VMA 0xFFFFFFFF80000000
%define V2P(x) ((x) - KERNEL_VMA)

extern kmain
global _start, boot_pml4, boot_stack_top

section .boot.text progbits alloc exec nowrite align=16
bits 32
_start:
	cli
	cld
	mov [boot_magic], eax          ; keep the loader's magic and info pointer for kmain
	mov [boot_info], ebx
	mov esp, V2P(boot_stack_top)

	cmp eax, 0x36D76289            ; multiboot2 (GRUB)
	je .loader_ok
	cmp eax, 0x2BADB002            ; multiboot (QEMU's -kernel: multiboot2.asm)
	jne .no_multiboot
.loader_ok:

	; Long mode needs CPUID leaf 0x80000001 with LM (bit 29 of EDX).
	pushfd
	pop eax
	mov ecx, eax
	xor eax, 1 << 21               ; can we flip EFLAGS.ID? then CPUID exists
	push eax
	popfd
	pushfd
	pop eax
	push ecx
	popfd
	cmp eax, ecx
	je .no_long_mode
	mov eax, 0x80000000
	cpuid
	cmp eax, 0x80000001
	jb .no_long_mode
	mov eax, 0x80000001
	cpuid
	test edx, 1 << 29
	jz .no_long_mode
	mov ebp, edx                   ; remember NX support (bit 20)

	; Page directories: 4 x 512 entries of 2 MiB pages = machine 0..4 GiB.
	mov edi, V2P(boot_pd)
	mov eax, 0x83                  ; present | writable | page size (2 MiB)
	xor edx, edx
	mov ecx, 512 * 4
.fill_pd:
	mov [edi], eax
	mov [edi + 4], edx
	add eax, 0x200000
	adc edx, 0
	add edi, 8
	loop .fill_pd

	; PDPT (low): 4 entries -> the 4 page directories; used for identity and PHYSMAP_BASE.
	mov edi, V2P(boot_pdpt_low)
	mov eax, V2P(boot_pd) + 3
	mov ecx, 4
.fill_pdpt:
	mov [edi], eax
	add eax, 4096
	add edi, 8
	loop .fill_pdpt

	; PDPT (high): entry 510 -> first page directory: KERNEL_VMA .. +1 GiB = machine 0 .. 1 GiB.
	mov dword [V2P(boot_pdpt_high) + 510 * 8], V2P(boot_pd) + 3

	; PML4: [0] identity, [256] = PHYSMAP_BASE, [511] = the image.
	mov dword [V2P(boot_pml4)], V2P(boot_pdpt_low) + 3
	mov dword [V2P(boot_pml4) + 256 * 8], V2P(boot_pdpt_low) + 3
	mov dword [V2P(boot_pml4) + 511 * 8], V2P(boot_pdpt_high) + 3

	mov eax, V2P(boot_pml4)
	mov cr3, eax
	mov eax, cr4
	or eax, 1 << 5                 ; PAE
	mov cr4, eax
	mov ecx, 0xC0000080            ; EFER
	rdmsr
	or eax, 1 << 8                 ; LME
	test ebp, 1 << 20
	jz .no_nx
	or eax, 1 << 11                ; NXE: shadows use no-execute for unscanned guest code
.no_nx:
	wrmsr
	mov eax, cr0
	or eax, (1 << 31) | (1 << 16) | 1   ; PG, WP, PE
	mov cr0, eax

	lgdt [boot_gdtr]
	jmp 0x08:.long_mode            ; .boot is linked at its machine address

.no_multiboot:
	mov esi, msg_no_mb
	jmp .fail32
.no_long_mode:
	mov esi, msg_no_lm
.fail32:                               ; print [esi] on COM1 and on the VGA text screen, then stop
	mov edi, 0xB8000
.next:
	lodsb
	test al, al
	jz .halt
	mov ah, 0x4F
	mov [edi], ax
	add edi, 2
	mov bl, al
	mov dx, 0x3FD
.wait:
	in al, dx
	test al, 0x20
	jz .wait
	mov dx, 0x3F8
	mov al, bl
	out dx, al
	jmp .next
.halt:
	hlt
	jmp .halt

bits 64
.long_mode:
	mov rax, .high
	jmp rax

section .text
.high:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	xor ax, ax
	mov fs, ax
	mov gs, ax
	mov rsp, boot_stack_top
	; kmain(magic, info): read back through the identity map, which C removes later.
	mov edi, [boot_magic]
	mov esi, [boot_info]
	xor ebp, ebp
	call kmain
.dead:
	cli
	hlt
	jmp .dead

section .boot.data progbits alloc noexec write align=16
boot_gdt:
	dq 0
	dq 0x00AF9A000000FFFF          ; 0x08: 64-bit code, ring 0
	dq 0x00CF92000000FFFF          ; 0x10: data, ring 0
boot_gdtr:
	dw boot_gdtr - boot_gdt - 1
	dd boot_gdt
boot_magic: dd 0
boot_info: dd 0
msg_no_mb: db "vmm: not started by a multiboot loader (bad magic); halting", 13, 10, 0
msg_no_lm: db "vmm: this CPU has no 64-bit long mode; the VMM needs x86-64; halting", 13, 10, 0

section .bss
align 4096
boot_pml4:      resb 4096
boot_pdpt_low:  resb 4096
boot_pdpt_high: resb 4096
boot_pd:        resb 4096 * 4
boot_stack:     resb 16384
boot_stack_top:
