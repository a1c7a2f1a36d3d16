/* trace.c - per-flow event budgets for live tracing (see trace.h). */
#include "trace.h"
#include "../lib/kstring.h"

static unsigned budget[TRACE_FLOWS];
static unsigned active;   /* flows whose current event is traced */
static unsigned left;     /* flows with budget left */
unsigned trace_live;      /* left | active (trace.h) */

static void update(void)
{
	trace_live = left | active;
}

static int bit(unsigned flow)
{
	int b = 0;
	while (flow > 1) {
		flow >>= 1;
		b++;
	}
	return b;
}

int trace_parse(const char *list, unsigned n, const char **bad)
{
	static const char *const names[TRACE_FLOWS] = { "tlb", "switch", "trap", "syscall" };
	const char *p = list;
	while (*p) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		int found = 0;
		for (int i = 0; i < TRACE_FLOWS; i++)
			if (strlen(names[i]) == len && strncmp(names[i], p, len) == 0) {
				budget[i] = n;
				left = n ? left | 1u << i : left & ~(1u << i);
				found = 1;
			}
		if (!found && len) {
			*bad = p;
			return -1;
		}
		p += len + (e ? 1 : 0);
	}
	update();
	return 0;
}

int trace_begin(unsigned flow)
{
	int b = bit(flow);
	if (budget[b] == 0) {
		active &= ~flow;
		update();
		return 0;
	}
	if (--budget[b] == 0)
		left &= ~flow;
	active |= flow;
	update();
	return 1;
}

int trace_on(unsigned flow) { return (active & flow) != 0; }
void trace_end(unsigned flow)
{
	active &= ~flow;
	update();
}
