/* cp0page.h - Disco's special page on MIPS (boot option pv=on): the guest kernel keeps its
 * frequently used CP0 registers in a page of its memory and reads/writes them with loads and
 * stores; the VMM takes the guest's stores in at every trap from the guest kernel and writes its
 * own values back before the guest kernel runs again. The ABI (layout, discovery, rules) is guest/mips/cp0page.h. */
#ifndef ARCH_MIPS_CP0PAGE_H
#define ARCH_MIPS_CP0PAGE_H
#include "vm.h"

#define CP0PAGE_GPA 0x1000u   /* below the guest's kernel, above its vectors, below its boot args */

/* At VM creation (pv=on): back the page, fill it, and name it in the boot environment. */
int cp0page_setup(struct vm *vm);
/* At a trap, before anything looks at the virtual CP0: take in the guest's stores. */
void cp0page_pull(struct vm *vm);
/* Just before the guest runs: write the virtual CP0 to the page. */
void cp0page_push(struct vm *vm);

#endif
