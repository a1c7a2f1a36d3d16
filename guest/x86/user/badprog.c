/* badprog.c - misbehaves on purpose (the argument says how); the kernel must kill it. */
#include "ulib.h"

int main(const char *how)
{
	if (!strcmp(how, "cli"))
		__asm__ volatile("cli");
	else if (!strcmp(how, "hlt"))
		__asm__ volatile("hlt");
	else if (!strcmp(how, "outb"))
		__asm__ volatile("outb %%al, $0xf4" : : "a"(0));
	else if (!strcmp(how, "cr3"))
		__asm__ volatile("mov %%eax, %%cr3" : : "a"(0));
	else if (!strcmp(how, "lidt")) {
		static uint8_t d[6];
		__asm__ volatile("lidt %0" : : "m"(d));
	} else if (!strcmp(how, "null"))
		return *(volatile int *)0;
	else if (!strcmp(how, "nullwrite"))
		*(volatile int *)0 = 1;
	else if (!strcmp(how, "kernel"))
		return *(volatile int *)0x100000;	/* the kernel image: supervisor-only */
	else if (!strcmp(how, "text"))
		*(volatile uint8_t *)main = 0xC3;	/* code is mapped read-only */
	else if (!strcmp(how, "int3"))
		__asm__ volatile("int3");
	else if (!strcmp(how, "ud2"))
		__asm__ volatile("ud2");
	else if (!strcmp(how, "div0"))
		__asm__ volatile("xorl %%ecx, %%ecx; divl %%ecx" : : "a"(1), "d"(0) : "ecx");
	else if (!strcmp(how, "badptr"))
		return write(1, (void *)0x7FFF0000, 16);	/* unmapped, not heap: killed in the syscall */
	return 0;
}
