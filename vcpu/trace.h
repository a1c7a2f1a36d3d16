/* trace.h - "trace=..." boot option: print the steps of a flow live, for the first few events.
 *
 * Interface: trace_parse("tlb,switch", budget) enables the named flows, each for `budget` events.
 * Code on a flow asks trace_begin(TRACE_x) once per event (it returns 1 while that flow's budget
 * lasts and counts the event down) and, inside that event, trace_on(TRACE_x) before each step it
 * prints. Unknown names are returned to the caller for an error message. */
#ifndef VCPU_TRACE_H
#define VCPU_TRACE_H

enum { TRACE_TLB = 1, TRACE_SWITCH = 2, TRACE_TRAP = 4, TRACE_SYSCALL = 8 };
#define TRACE_FLOWS 4

/* Returns 0, or -1 with *bad pointing at the first unknown name. */
int trace_parse(const char *list, unsigned budget, const char **bad);
int trace_begin(unsigned flow);   /* a new event on this flow: is it traced? */
int trace_on(unsigned flow);      /* is the current event on this flow traced? */
void trace_end(unsigned flow);    /* the current event is over */
/* May any of these flows still trace an event (budget left, or one in progress)? Asked on every
 * fast-path trap, so it is a load: trace_live is left | active, kept by trace.c. */
extern unsigned trace_live;
static inline int trace_left(unsigned flows) { return (trace_live & flows) != 0; }

#endif
