; rdtsc.asm - a static i386 Linux program that prints the time-stamp counter in decimal.
; Built with `nasm -f bin` into a whole ELF file (header written here, no linker). The Linux guest's
; init prints it next to /proc/uptime: under QEMU's -icount shift=0 the TSC is the virtual clock in
; ns since reset, so it tells how many instructions (plus idle time) it took to reach init.
BITS 32
	org 0x08048000

ehdr:	db 0x7f, "ELF", 1, 1, 1, 0       ; ELFCLASS32, little-endian, version 1, System V ABI
	times 8 db 0
	dw 2                             ; e_type: ET_EXEC
	dw 3                             ; e_machine: EM_386
	dd 1                             ; e_version
	dd start                         ; e_entry
	dd phdr - $$                     ; e_phoff
	dd 0                             ; e_shoff
	dd 0                             ; e_flags
	dw EHDR_SIZE                     ; e_ehsize
	dw PHDR_SIZE                     ; e_phentsize
	dw 1                             ; e_phnum
	dw 0, 0, 0                       ; e_shentsize, e_shnum, e_shstrndx
EHDR_SIZE equ $ - ehdr

phdr:	dd 1                             ; PT_LOAD: the whole file, plus the digit buffer after it
	dd 0                             ; p_offset
	dd $$                            ; p_vaddr
	dd $$                            ; p_paddr
	dd FILE_SIZE                     ; p_filesz
	dd FILE_SIZE + 32                ; p_memsz
	dd 7                             ; p_flags: R W X
	dd 0x1000                        ; p_align
PHDR_SIZE equ $ - phdr

start:	rdtsc                            ; edx:eax
	mov esi, eax                     ; esi: low half, edi: high half of what is left to print
	mov edi, edx
	lea ecx, [buf + 24]
	mov byte [ecx], 10               ; the digits end with a newline
	mov ebx, 10
.digit:	dec ecx                          ; 64-bit / 10 as two 32-bit divisions
	xor edx, edx
	mov eax, edi
	div ebx
	mov edi, eax
	mov eax, esi
	div ebx
	mov esi, eax
	add dl, '0'
	mov [ecx], dl
	mov eax, edi
	or eax, esi
	jnz .digit
	lea edx, [buf + 25]              ; write(1, ecx, buf + 25 - ecx)
	sub edx, ecx
	mov eax, 4
	mov ebx, 1
	int 0x80
	mov eax, 1                       ; exit(0)
	xor ebx, ebx
	int 0x80

FILE_SIZE equ $ - $$
buf equ $$ + FILE_SIZE
