; multiboot2.asm - the multiboot2 header GRUB looks for in the first 32 KiB of the VMM image.
; We ask for: the information tags we parse, a framebuffer (optional: under BIOS the grub.cfg asks
; for text mode; under UEFI there is no VGA text, so the framebuffer is the screen), and modules
; aligned to 4 KiB (a guest image is copied out of them frame by frame).
;
; Beside it, a multiboot (version 1) header with the load addresses in it, so that a loader that
; knows only version 1 and no 64-bit ELF -- QEMU's -kernel -- loads the image as it lies in the
; file (from the first byte of .boot on, which the linker puts at machine 2 MiB) and enters at
; _start with EAX = 0x2BADB002. tests/fuzz boots the VMM that way: no GRUB, seconds less a boot.

MB2_MAGIC    equ 0xE85250D6
MB2_ARCH_I386 equ 0

section .multiboot2 progbits alloc noexec nowrite align=8
mb2_header:
	dd MB2_MAGIC
	dd MB2_ARCH_I386
	dd mb2_header_end - mb2_header
	dd -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))

	; information request: cmdline(1), modules(3), mmap(6), framebuffer(8)
	align 8
.info:	dw 1, 1                  ; type 1, flags 1 = optional (some loaders lack a tag)
	dd .info_end - .info
	dd 1, 3, 6, 8
.info_end:

	align 8
.fb:	dw 5, 1                  ; framebuffer request, optional
	dd 20
	dd 0, 0, 32              ; no preferred size, 32 bpp

	align 8
.malign: dw 6, 0                 ; module alignment: page aligned
	dd 8

	align 8
	dw 0, 0                  ; end tag
	dd 8
mb2_header_end:

MB1_MAGIC    equ 0x1BADB002
MB1_FLAGS    equ (1 << 0) | (1 << 1) | (1 << 16)   ; modules page aligned, memory map, addresses below

extern _start, __boot_phys, __load_end, __bss_end_phys
	align 4
mb1_header:
	dd MB1_MAGIC
	dd MB1_FLAGS
	dd -(MB1_MAGIC + MB1_FLAGS)
	dd mb1_header                ; where this header is loaded: the image's file offsets follow
	dd __boot_phys               ; the image from here ...
	dd __load_end                ; ... to here, loaded
	dd __bss_end_phys            ; ... and zero to here
	dd _start
