/* user_image.S - the user program (build/mips/user.bin, linked at 0x00400000) inside the kernel. */
	.section .rodata
	.balign 4096
	.globl user_image, user_image_end
user_image:
	.incbin USER_BIN
user_image_end:
