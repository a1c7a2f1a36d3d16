/* kstring.h - the freestanding string and memory routines every part of the project uses. */
#ifndef LIB_KSTRING_H
#define LIB_KSTRING_H
#include <stddef.h>

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
/* Parse an unsigned number: decimal, 0x hex, with optional K/M/G suffix. Returns 0 on success. */
int parse_size(const char *s, size_t len, unsigned long long *out);

#endif
