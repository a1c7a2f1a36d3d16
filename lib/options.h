/* options.h - boot options: a command line of words `key` or `key=value`.
 *
 * The VMM declares the options it knows in a table; options_parse() fills each one it finds and
 * reports every word it does not know by name, so a typo is never silently ignored. */
#ifndef LIB_OPTIONS_H
#define LIB_OPTIONS_H
#include <stddef.h>

enum opt_type { OPT_FLAG, OPT_NUM, OPT_SIZE, OPT_STR };

struct option {
	const char *key;
	enum opt_type type;
	const char *help;
	/* results */
	int set;                  /* seen on the command line */
	unsigned long long num;   /* OPT_NUM / OPT_SIZE / OPT_FLAG (1) */
	char str[64];             /* OPT_STR, NUL-terminated */
};

/* Returns the number of problems (unknown options, bad values); each is reported through
 * `report(msg)` as one line. */
int options_parse(const char *cmdline, struct option *opts, size_t nopts,
		  void (*report)(const char *msg));
struct option *option_find(struct option *opts, size_t nopts, const char *key);

#endif
