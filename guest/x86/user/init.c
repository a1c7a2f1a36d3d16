/* init.c - demo mode: a few processes show fork, exec, wait, sleep, copy-on-write and a kill. */
#include "ulib.h"

int main(const char *arg)
{
	static int shared = 1;
	int i, st, pid;

	(void)arg;
	printf("init: pid %d, %u free pages, %u Hz timer\n", getpid(), meminfo(), tickrate());
	for (i = 0; i < 3; i++)
		if (fork() == 0) {
			shared = 100 + i;	/* copy-on-write: the parent keeps its 1 */
			sleep(5 * (3 - i));
			printf("child %d (pid %d): shared=%d, slept until tick %u\n", i, getpid(), shared,
			       uptime());
			exit(i);
		}
	while ((pid = wait(&st)) > 0)
		printf("init: pid %d exited with %d\n", pid, st);
	printf("init: parent still sees shared=%d\n", shared);
	if (fork() == 0) {
		exec("hello", "exec works");
		exit(99);
	}
	wait(&st);
	if (fork() == 0) {
		exec("badprog", "cli");
		exit(99);
	}
	wait(&st);
	printf("init: badprog was killed (status %d); the system goes on. Bye.\n", st);
	return 0;
}
