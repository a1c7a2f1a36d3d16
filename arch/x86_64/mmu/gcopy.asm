; gcopy.asm - copy to or from a guest's linear addresses through the shadow the CPU is using.
;
; While a VM's trap is handled, CR3 still holds its shadow page tables, whose low 4 GiB are the
; guest's linear space. So the VMM can touch guest memory the way a kernel's copy_from_user
; touches a process: with a plain load or store, and a fixup if it faults. A shadow entry exists
; only where the guest's own tables allow the access and the guest's Accessed bit is already set
; (and it is writable only where Dirty is set and the page is not scanned code or a descriptor
; table), so an access that succeeds here is exactly one the software walk (gmem.c) would have
; allowed, without its side effects being needed. Anything else -- not in the shadow yet, read-only
; for a reason, device memory, SMAP -- faults; trap.c sees the fault at one of the two marked
; instructions and resumes at gcopy_fault, and the caller takes the slow, software path.
;
;   int gcopy(void *dst, const void *src, uint64_t n)    0, or -1 if the guest side faulted
;
; Dwords when n is a multiple of 4 (every frame and stack word the VMM moves), else bytes.

bits 64
section .text
global gcopy, gcopy_movsd, gcopy_movsb, gcopy_fault

gcopy:
	mov rcx, rdx
	test dl, 3
	jnz gcopy_bytes
	shr rcx, 2
gcopy_movsd:
	rep movsd
	xor eax, eax
	ret
gcopy_bytes:
gcopy_movsb:
	rep movsb
	xor eax, eax
	ret
gcopy_fault:                    ; trap.c resumes here after a #PF at gcopy_movsd/gcopy_movsb
	mov eax, -1
	ret
