/* ulib.h - the small user-space C library: system call wrappers and printf. */
#ifndef ULIB_H
#define ULIB_H
#include <stdint.h>
#include <stddef.h>
#include "../include/abi.h"
#include "../../../lib/kstring.h"
#include "../../../lib/format.h"

void exit(int code) __attribute__((noreturn));
int fork(void);
int exec(const char *name, const char *arg);
int wait(int *status);
int getpid(void);
int write(int fd, const void *buf, size_t len);
void *sbrk(int incr);
int yield(void);
int sleep(unsigned ticks);
unsigned uptime(void);
int faults(struct ufaults *f);
int pgstat(void *addr, int clear);
unsigned meminfo(void);
unsigned tickrate(void);

int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int atoi(const char *s);
#endif
