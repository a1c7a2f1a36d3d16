/* balloon.c - the balloon driver (ESX's, seed B.5): how a VMM gets memory back from a guest that
 * knows best which of its frames it can spare.
 *
 * Under a VMM with hypercalls (pv.c), every BALLOON_POLL timer ticks the driver tells the VMM how
 * many frames its balloon holds and learns the target (HC_BALLOON). To inflate it takes free frames
 * from the kernel's allocator -- so nothing else can use them -- and gives each back to the VMM
 * (HC_FRAME_FREE); to deflate it returns them to the allocator, where they read as zero (the VMM
 * backs them afresh when touched). At most BALLOON_STEP frames move per poll, and the balloon never
 * takes the last BALLOON_KEEP free frames; when the allocator runs dry, it deflates at once
 * (frame.c asks balloon_take), so the balloon can slow the guest but never make it run out.
 *
 * Frames in the balloon count as free where the kernel reports free memory (frames_free, the
 * meminfo call): they are the kernel's to take back at any moment. The balloon's list is linked
 * through frame.c's per-frame link array (their contents are gone). */
#include "kernel.h"
#include "../include/hypercall.h"

#define BALLOON_POLL 10
#define BALLOON_STEP 256
#define BALLOON_KEEP 1024

static uint32_t head;          /* physical address of the first frame in the balloon; 0: empty */
static unsigned held, peak;

unsigned balloon_frames(void)
{
	return held;
}

/* One frame out of the balloon into the caller's hands (refcount 1), or 0. IF is off. */
uint32_t balloon_take(void)
{
	uint32_t pa = head;
	if (pa) {
		head = *frame_link(pa);
		held--;
	}
	return pa;
}

/* From the timer interrupt (IF off). */
void balloon_poll(void)
{
	if (!pv_active || ticks % BALLOON_POLL)
		return;
	int32_t t = hcall(HC_BALLOON, held, 0, 0, 0);
	if (t < 0)
		return;
	for (unsigned n = 0; n < BALLOON_STEP && held < (uint32_t)t && frames_free() - held > BALLOON_KEEP; n++) {
		uint32_t pa = frame_alloc();
		if (!pa)
			break;
		if (hcall(HC_FRAME_FREE, pa / PAGE, 0, 0, 0) != 0) {
			frame_put(pa);        /* the VMM will not have it (a table of ours): keep it */
			break;
		}
		*frame_link(pa) = head;
		head = pa;
		if (++held > peak)
			peak = held;
	}
	for (unsigned n = 0; n < BALLOON_STEP && held > (uint32_t)t; n++)
		frame_put(balloon_take());    /* (back to the allocator, known to read zero) */
}

void balloon_report(void)
{
	if (peak)
		klog("guest-x86: balloon: %u frames at most, %u now\n", peak, held);
}
