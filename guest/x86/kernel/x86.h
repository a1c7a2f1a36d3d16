/* x86.h - thin inline wrappers around the privileged and sensitive instructions the kernel uses.
 * Each one is something a VMM has to trap, patch or emulate; keeping them here makes them easy to find. */
#ifndef X86_H
#define X86_H
#include <stdint.h>

#define EFLAGS_IF 0x200
#define CR0_PE 0x00000001u
#define CR0_WP 0x00010000u
#define CR0_PG 0x80000000u
#define CR4_PSE 0x00000010u

struct __attribute__((packed)) dtr {
	uint16_t limit;
	uint32_t base;
};

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint16_t inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}
static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void hlt(void) { __asm__ volatile("hlt" ::: "memory"); }

/* Critical sections: remember IF with pushf, disable, later restore the old IF with popf. */
static inline uint32_t irq_save(void)
{
	uint32_t f;
	__asm__ volatile("pushfl; popl %0; cli" : "=r"(f) : : "memory");
	return f;
}
static inline void irq_restore(uint32_t f) { __asm__ volatile("pushl %0; popfl" : : "r"(f) : "memory", "cc"); }
static inline uint32_t read_eflags(void)
{
	uint32_t f;
	__asm__ volatile("pushfl; popl %0" : "=r"(f));
	return f;
}

#define DEF_READ_CR(n)                                                     \
	static inline uint32_t read_cr##n(void)                            \
	{                                                                  \
		uint32_t v;                                                \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));          \
		return v;                                                  \
	}
#define DEF_WRITE_CR(n)                                                    \
	static inline void write_cr##n(uint32_t v)                         \
	{                                                                  \
		__asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory"); \
	}
DEF_READ_CR(0)
DEF_READ_CR(2)
DEF_READ_CR(3)
DEF_READ_CR(4)
DEF_WRITE_CR(0)
DEF_WRITE_CR(3)
DEF_WRITE_CR(4)

static inline void invlpg(uint32_t va) { __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory"); }
static inline void lgdt(const struct dtr *d) { __asm__ volatile("lgdt %0" : : "m"(*d)); }
static inline void lidt(const struct dtr *d) { __asm__ volatile("lidt %0" : : "m"(*d)); }
static inline void ltr(uint16_t sel) { __asm__ volatile("ltr %0" : : "r"(sel)); }
static inline void lldt(uint16_t sel) { __asm__ volatile("lldt %0" : : "r"(sel)); }
static inline void sgdt(struct dtr *d) { __asm__ volatile("sgdt %0" : "=m"(*d)); }
static inline void sidt(struct dtr *d) { __asm__ volatile("sidt %0" : "=m"(*d)); }
static inline uint16_t sldt(void)
{
	uint16_t v;
	__asm__ volatile("sldt %0" : "=r"(v));
	return v;
}
static inline uint16_t str(void)
{
	uint16_t v;
	__asm__ volatile("str %0" : "=r"(v));
	return v;
}
static inline uint16_t smsw(void)
{
	uint16_t v;
	__asm__ volatile("smsw %0" : "=r"(v));
	return v;
}
static inline uint16_t read_cs(void)
{
	uint16_t v;
	__asm__ volatile("mov %%cs, %0" : "=r"(v));
	return v;
}
static inline uint16_t read_ss(void)
{
	uint16_t v;
	__asm__ volatile("mov %%ss, %0" : "=r"(v));
	return v;
}
#endif
