/* console.h - the VMM's console on the Malta UART, plus leaving QEMU.
 * kprintf/klog/panic (lib/log.h) are implemented in console.c on top of lib/format. */
#ifndef ARCH_MIPS_CONSOLE_H
#define ARCH_MIPS_CONSOLE_H
#include "../../lib/log.h"

void uart_putc(char c);
/* Store 0x42 to Malta's software-reset register; with -no-reboot QEMU then exits. */
_Noreturn void machine_exit(void);

#endif
