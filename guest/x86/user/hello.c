/* hello.c - the smallest exec target: prints its argument, exits with its length. */
#include "ulib.h"

int main(const char *arg)
{
	printf("hello from pid %d: %s\n", getpid(), arg);
	return (int)strlen(arg);
}
