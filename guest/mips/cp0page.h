/* cp0page.h - the ABI of the MIPS VMM's special page (Disco's "special page" for privileged
 * registers): the frequently used CP0 registers as plain words in a page of guest memory, so the
 * guest kernel reads and writes them with loads and stores instead of mfc0/mtc0, which trap.
 * Shared by the guest (guest/mips) and the VMM (arch/mips/cp0page.c); usable from assembly.
 *
 * Discovery, harmless on bare metal: the VMM (boot option pv=on) passes the boot environment
 * variable CP0PAGE_ENV (Malta/YAMON style: envp holds name, value pointer pairs) whose value is
 * the page's guest-physical address in hex. Natively there is no such variable, so the guest keeps
 * using mfc0/mtc0. The guest also checks CP0PAGE_MAGIC in the page's first word.
 *
 * The contract (see arch/mips/README.md):
 *  - While the guest runs, the page holds its CP0 registers; while the VMM runs (any trap), the
 *    VMM's virtual CP0 does. At every trap the VMM first takes in what the guest stored to the
 *    page (Status, EPC, EntryHi, EntryLo0, EntryLo1: the same masks as mtc0), and before the
 *    guest kernel runs again it writes all of them back, with the ones only it changes (Cause,
 *    BadVAddr, Context; e.g. on exception delivery). Only the kernel may touch the page.
 *  - A store to the page takes effect at the next trap: a new EntryHi ASID or EntryLo pair when
 *    the guest executes tlbwr/tlbwi/tlbp or eret (which still trap); a Status store that enables
 *    an interrupt already pending, at the eret or any other trapping instruction (the explicit
 *    cheap call is any CP0 instruction, e.g. mfc0 of Status).
 *  - mfc0/mtc0 of the same registers keep working and see the same values. */
#ifndef GUEST_MIPS_CP0PAGE_H
#define GUEST_MIPS_CP0PAGE_H

#define CP0PAGE_ENV "vmm.cp0page"
#define CP0PAGE_MAGIC 0x43503050   /* "CP0P" */

/* Byte offsets of the words in the page (big-endian 32-bit words, as the CPU). */
#define CPG_MAGIC     0    /* written by the VMM */
#define CPG_STATUS    4    /* guest reads and writes */
#define CPG_CAUSE     8    /* the VMM writes; guest stores are ignored (use mtc0 for IP1..0) */
#define CPG_EPC      12    /* guest reads and writes */
#define CPG_BADVADDR 16    /* the VMM writes */
#define CPG_ENTRYHI  20    /* guest reads and writes */
#define CPG_ENTRYLO0 24    /* guest reads and writes */
#define CPG_ENTRYLO1 28    /* guest reads and writes */
#define CPG_CONTEXT  32    /* the VMM writes (BadVPN2); PTEBase is written with mtc0 */

#endif
