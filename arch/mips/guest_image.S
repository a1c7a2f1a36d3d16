/* guest_image.S - the guest kernel ELF (build/mips/guest.elf) embedded in the VMM image. Every VM
 * boots its own copy of it; the Makefile passes the path as GUEST_ELF. */
	.section .rodata
	.balign 8
	.globl guest_image, guest_image_end
guest_image:
	.incbin GUEST_ELF
guest_image_end:
