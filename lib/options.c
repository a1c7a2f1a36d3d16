/* options.c - parse `key` / `key=value` words against a table of known options (see options.h). */
#include "options.h"
#include "kstring.h"
#include "format.h"

struct option *option_find(struct option *opts, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(opts[i].key, key) == 0)
			return &opts[i];
	return 0;
}

int options_parse(const char *s, struct option *opts, size_t n, void (*report)(const char *))
{
	int problems = 0;
	char msg[160];
	while (s && *s) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		const char *w = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
		size_t wlen = (size_t)(s - w);
		const char *eq = w;
		while (eq < s && *eq != '=')
			eq++;
		size_t klen = (size_t)(eq - w);
		const char *val = eq < s ? eq + 1 : 0;
		size_t vlen = val ? (size_t)(s - val) : 0;

		struct option *o = 0;
		for (size_t i = 0; i < n; i++)
			if (strlen(opts[i].key) == klen && strncmp(opts[i].key, w, klen) == 0)
				o = &opts[i];
		if (!o) {
			snprintf_(msg, sizeof msg, "unknown boot option '%.*s' (ignored)", (int)wlen, w);
			report(msg);
			problems++;
			continue;
		}
		int bad = 0;
		switch (o->type) {
		case OPT_FLAG:
			bad = val != 0;
			o->num = 1;
			break;
		case OPT_NUM:
		case OPT_SIZE:
			bad = !val || parse_size(val, vlen, &o->num) != 0 ||
			      (o->type == OPT_NUM && (val[vlen - 1] < '0' || val[vlen - 1] > '9') &&
			       !(vlen > 2 && val[1] == 'x'));
			break;
		case OPT_STR:
			bad = !val || vlen == 0 || vlen >= sizeof o->str;
			if (!bad) {
				memcpy(o->str, val, vlen);
				o->str[vlen] = 0;
			}
			break;
		}
		if (bad) {
			snprintf_(msg, sizeof msg, "bad value in boot option '%.*s' (%s)", (int)wlen, w, o->help);
			report(msg);
			problems++;
			continue;
		}
		o->set = 1;
	}
	return problems;
}
