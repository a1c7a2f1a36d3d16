; font.asm - the PC console font (PSF) for the framebuffer console, linked in as a blob.
; FONT_FILE is given by the Makefile (a Debian console font, decompressed at build time).
section .rodata
global font_psf, font_psf_end
font_psf:
	incbin FONT_FILE
font_psf_end:
