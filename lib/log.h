/* log.h - console output for arch-neutral code. Each arch implements these on its consoles.
 * A log line reads "[level] subsystem: message", e.g. "[info] mm: 31890 frames free". */
#ifndef LIB_LOG_H
#define LIB_LOG_H

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void klog(enum log_level lvl, const char *subsys, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
_Noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define log_err(sys, ...)   klog(LOG_ERR, sys, __VA_ARGS__)
#define log_warn(sys, ...)  klog(LOG_WARN, sys, __VA_ARGS__)
#define log_info(sys, ...)  klog(LOG_INFO, sys, __VA_ARGS__)
#define log_debug(sys, ...) klog(LOG_DEBUG, sys, __VA_ARGS__)

extern enum log_level log_threshold;

/* What each arch provides to lib/log.c. */
void console_putc(char c);
void arch_panic_begin(void);               /* e.g. interrupts off */
_Noreturn void arch_panic_halt(void);      /* leave the emulator or stop the CPU */

#endif
