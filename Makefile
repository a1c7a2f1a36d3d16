# Makefile - the one entry point. `make run` boots the VMM with a default guest in QEMU; `make test`
# runs every test layer and ends with "N passed, N failed". See README.md.

BUILD      := build
B          := $(BUILD)/x86_64
CC         := gcc
NASM       := nasm
LD         := ld
PYTHON     := python3
QEMU       := qemu-system-x86_64
FONT_GZ    := /usr/share/consolefonts/Lat15-VGA16.psf.gz

# KVM when /dev/kvm is usable, TCG otherwise; override with `make run ACCEL=tcg`.
ACCEL      ?= $(shell tools/accel.sh)

CFLAGS     := -std=c11 -ffreestanding -fno-pic -fno-pie -mno-red-zone -mgeneral-regs-only \
              -mcmodel=kernel -fno-stack-protector -fno-asynchronous-unwind-tables \
              -fno-omit-frame-pointer -O2 -g -Wall -Wextra -Werror -MMD -MP
LDFLAGS    := -nostdlib -z max-page-size=4096 -z noexecstack --no-warn-rwx-segments -T boot/x86_64/linker.ld

VMM_C      := $(filter-out arch/x86_64/cpu/asm_offsets.c,$(wildcard arch/x86_64/*.c arch/x86_64/*/*.c)) \
              $(wildcard mm/*.c) $(wildcard vcpu/*.c) \
              lib/format.c lib/kstring.c lib/options.c lib/log.c lib/calendar.c
VMM_ASM    := boot/x86_64/multiboot2.asm boot/x86_64/entry.asm arch/x86_64/trapentry.asm \
              arch/x86_64/mmu/gcopy.asm arch/x86_64/cpu/direct.asm
VMM_OBJ    := $(VMM_C:%.c=$(B)/%.o) $(VMM_ASM:%.asm=$(B)/%.o) $(B)/font.o

GUEST_X86  := $(BUILD)/guest-x86/kernel.elf

.PHONY: all iso run run-tcg gdb test test-host test-boot test-bochs test-uefi test-native test-vmm \
        test-decoder test-mips test-linux linux-guest bench clean deps fuzz fuzz-decoder test-fuzz test-cpus test-cpus-quick
all: $(B)/vmm.elf

# The tools: installed on first use by tools/deps.sh (apt-get as root on Debian; elsewhere it
# names the missing packages and stops).
DEPS := $(BUILD)/.deps-ok
deps: $(DEPS)
$(DEPS): tools/deps.sh
	@tools/deps.sh
	@mkdir -p $(BUILD) && touch $@

$(B)/%.o: %.c | $(DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/%.o: %.asm | $(DEPS)
	@mkdir -p $(dir $@)
	$(NASM) -f elf64 -g -F dwarf -I$(B)/ $< -o $@

# struct offsets for the assembly (arch/x86_64/cpu/asm_offsets.c says how)
$(B)/asm_offsets.inc: arch/x86_64/cpu/asm_offsets.c | $(DEPS)
	@mkdir -p $(B)
	$(CC) $(CFLAGS) -MT $@ -MF $(B)/asm_offsets.d -S $< -o $(B)/asm_offsets.s
	sed -n 's/.*->\([A-Za-z0-9_]*\) \([0-9]*\).*/\1 equ \2/p' $(B)/asm_offsets.s > $@
$(B)/arch/x86_64/cpu/direct.o: $(B)/asm_offsets.inc

$(FONT_GZ): | $(DEPS)
$(B)/font.psf: $(FONT_GZ)
	@mkdir -p $(B)
	gzip -dc $< > $@

$(B)/font.o: arch/x86_64/font.asm $(B)/font.psf
	$(NASM) -f elf64 -DFONT_FILE='"$(B)/font.psf"' $< -o $@

# Two links: the second carries the symbol table (for register dumps) made from the first.
$(B)/vmm.elf: $(VMM_OBJ) boot/x86_64/linker.ld tools/gensyms.py
	$(PYTHON) tools/gensyms.py --empty > $(B)/ksyms0.asm
	$(NASM) -f elf64 $(B)/ksyms0.asm -o $(B)/ksyms0.o
	$(LD) $(LDFLAGS) -o $(B)/vmm0.elf $(VMM_OBJ) $(B)/ksyms0.o
	nm -n $(B)/vmm0.elf | $(PYTHON) tools/gensyms.py > $(B)/ksyms.asm
	$(NASM) -f elf64 $(B)/ksyms.asm -o $(B)/ksyms.o
	$(LD) $(LDFLAGS) -o $@ $(VMM_OBJ) $(B)/ksyms.o
	@nm -n $(B)/vmm0.elf | grep -i ' t ' > $(B)/syms0.txt; nm -n $@ | grep -i ' t ' > $(B)/syms1.txt; \
	  cmp -s $(B)/syms0.txt $(B)/syms1.txt || { echo "symbol table moved code"; exit 1; }

$(GUEST_X86): FORCE | $(DEPS)
	@$(MAKE) --no-print-directory -C guest/x86 BUILD=$(abspath $(BUILD))/guest-x86
FORCE:

# The ISO: GRUB (BIOS and UEFI) with the menu in iso/grub.cfg.
iso: $(BUILD)/vmm.iso
# With the Linux guest fetched (make linux-guest), its files join the ISO and its menu entries show.
LINUX_ISO = $(if $(wildcard $(BUILD)/linux/vmlinuz),vmlinuz=$(BUILD)/linux/vmlinuz initrd.gz=$(BUILD)/linux/initrd.gz \
	    vmlinux=$(BUILD)/linux/vmlinux)
$(BUILD)/vmm.iso: $(B)/vmm.elf iso/grub.cfg $(GUEST_X86) $(wildcard $(BUILD)/linux/initrd.gz)
	tools/mkiso.sh $@ iso/grub.cfg $(B)/vmm.elf $(wildcard $(GUEST_X86)) $(LINUX_ISO)

QEMU_ARGS  := -m 512 -serial stdio -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04

# The window (when there is a display) shows the screen console; the serial console is on stdout.
# QEMU's exit status 1 is the VMM's "all guests passed" through isa-debug-exit.
DISPLAY_ARG := $(if $(DISPLAY)$(WAYLAND_DISPLAY),,-display none)
run: $(BUILD)/vmm.iso
	$(QEMU) -accel $(ACCEL) $(DISPLAY_ARG) $(QEMU_ARGS) -boot d -cdrom $< || [ $$? -eq 1 ]

gdb: $(BUILD)/vmm.iso
	$(QEMU) -accel tcg $(DISPLAY_ARG) $(QEMU_ARGS) -boot d -cdrom $< -s -S & \
	gdb -q $(B)/vmm.elf -ex 'target remote :1234'; kill %1 2>/dev/null || true

# ---- tests: every layer writes build/results/<layer>.txt; `make test` counts them all. ----
LAYERS := host decoder boot bochs uefi native vmm attack mips linux cpus-quick fuzz
R      := $(BUILD)/results

test: $(DEPS)
	@rm -rf $(R); mkdir -p $(R)
	@for l in $(LAYERS); do $(MAKE) --no-print-directory test-$$l || true; done
	@$(PYTHON) tests/summary.py $(R) $(LAYERS)

test-host: $(DEPS)
	@tests/host/run.sh $(R)/host.txt

# Every instruction of the VMM's 64-bit text and of the guest kernel, plus random bytes, vs objdump.
# (The VMM's .boot section mixes the multiboot2 header, 32-bit code and strings: not decodable as one
# stream, so only .text is compared.)
test-decoder: $(B)/vmm.elf $(GUEST_X86)
	@mkdir -p $(BUILD)/decoder && objcopy --only-section=.text $(B)/vmm.elf $(BUILD)/decoder/vmm-text.elf 2>/dev/null
	@python3 tests/runner.py --name decoder --timeout 600 --log $(BUILD)/decoder/run.log --results $(R)/decoder.txt \
	  --require-ktap --expect-exit 0 -- tests/decoder/run.sh $(BUILD)/decoder/vmm-text.elf $(wildcard $(GUEST_X86))

test-native: $(GUEST_X86)
	@tests/test-native.sh tcg
	@if [ "$$(tools/accel.sh)" = kvm ]; then tests/test-native.sh kvm; \
	 else echo "skip native-kvm - $$(tools/accel.sh -v 2>&1 >/dev/null)" | tee -a $(R)/native.txt; fi

test-vmm: $(B)/vmm.elf $(GUEST_X86)
	@tests/test-vmm.sh tcg $(R)/vmm.txt
	@if [ "$$(tools/accel.sh)" = kvm ]; then tests/test-vmm.sh kvm $(R)/vmm.txt; \
	 else echo "skip vmm-kvm - $$(tools/accel.sh -v 2>&1 >/dev/null)" | tee -a $(R)/vmm.txt; fi

# The attack guest (tests/attack, issue 12): architecturally defined misdeeds at ring 0 and 3, natively
# and under the VMM beside a witness VM checksumming its pages; the same observations both ways
# (or the recorded known difference), no VMM fault, the witness intact.
test-attack: $(B)/vmm.elf $(GUEST_X86)
	@mkdir -p $(R) && tests/attack/run.sh $(R)/attack.txt

# Timings: native vs under the VMM on x86 (instructions with -icount, TCG cycles, KVM cycles where it
# is real), with exits per operation, and the MIPS rows (TLB refill, syscall, forkwait): tools/bench.py.
bench: $(B)/vmm.elf $(GUEST_X86)
	@$(PYTHON) tools/bench.py

# The decoder against objdump on 10^6 random byte sequences (700000 32-bit, 300000 64-bit; make
# test's decoder layer does 100000 + 30000): results in build/results/decoder-1e6.txt.
DECODER_COUNTS ?= --count32 700000 --count64 300000
fuzz-decoder: $(DEPS)
	@mkdir -p $(R) $(BUILD)/decoder && : > $(R)/decoder-1e6.txt
	@python3 tests/runner.py --name decoder-1e6 --timeout 7200 --log $(BUILD)/decoder/run-1e6.log \
	  --results $(R)/decoder-1e6.txt --times $(BUILD)/decoder/times-1e6.txt --require-ktap --expect-exit 0 \
	  -- tests/decoder/run.sh $(DECODER_COUNTS)

# Differential fuzzing (tests/fuzz, docs/NOTES.md "Differential fuzzing"): random code at guest ring
# 0 and 3, one independent round at a time, natively and under the VMM, digests compared round by
# round. test-fuzz (in `make test`): the pinned rounds and 10^4 rounds. `make fuzz`: 10^6 rounds
# (100 ranges of 10^4, seeds 1-100; FUZZ_RANGES overrides; FUZZ_JOBS ranges at once; first the
# pins whose evidence takes minutes, pins-slow.txt), then the old
# property: random code in one VM beside a good guest-x86 VM (tests/fuzz/run.sh: the VMM never
# panics, the good VM passes). The campaign takes hours: each finished range is kept in
# build/fuzz/campaign.jsonl, and `make fuzz` again with the same build goes on from there
# (fuzzdiff.py stamps(): new rules judge kept ranges again, new checks recheck their rounds).
test-fuzz: $(B)/vmm.elf
	@tests/fuzz/test.sh $(R)/fuzz.txt
FUZZ_RANGES ?= $(foreach s,$(shell seq 1 100),$(s):0:10000)
FUZZ_JOBS ?= 2
fuzz: $(B)/vmm.elf $(GUEST_X86)
	@$(MAKE) --no-print-directory fuzz-decoder
	@mkdir -p $(R) && : > $(R)/fuzz-all.txt && tests/fuzz/build.sh $(BUILD)/fuzz
	@python3 tests/fuzz/pins.py --build $(BUILD)/fuzz --results $(R)/fuzz-all.txt tests/fuzz/pins-slow.txt || \
	  echo "not ok fuzz-pins-slow - pins.py exited with status $$?" >> $(R)/fuzz-all.txt
	@python3 tests/fuzz/fuzzdiff.py --build $(BUILD)/fuzz --results $(R)/fuzz-all.txt --log $(BUILD)/fuzz/diff-all.log \
	  --jobs $(FUZZ_JOBS) --state $(BUILD)/fuzz/campaign.jsonl $(FUZZ_RANGES); st=$$?; tests/fuzz/run.sh $(SEEDS) || st=1; \
	  ! grep -q '^not ok fuzz-pin' $(R)/fuzz-all.txt || st=1; exit $$st

# The guest suite natively and under the VMM on a matrix of QEMU CPU models (old and new, Intel and
# AMD), verdict for verdict, and under the VMM on Bochs' CPU models: tests/test-cpus.sh. `make test`
# runs the models in CPUS_QUICK (the first AMD64 part, without LAHF in 64-bit mode; a Core 2; a
# Zen; no NX; max: UMIP, SMEP, SMAP, XSAVE); `make test-cpus` the whole matrix (about 5 minutes).
CPUS_QUICK := Opteron_G1 core2duo EPYC qemu64,-nx max
test-cpus-quick: $(B)/vmm.elf $(GUEST_X86)
	@mkdir -p $(R) && NXCHECK=1 tests/test-cpus.sh $(R)/cpus-quick.txt $(CPUS_QUICK)
test-cpus: $(B)/vmm.elf $(GUEST_X86)
	@mkdir -p $(R) && BOCHS=1 NXCHECK=1 tests/test-cpus.sh $(R)/cpus.txt

# The soak (not in `make test`): four VMs of mixed workloads (guest-x86's suite and benchmarks again
# and again with memcheck between passes, Linux's tests in a loop) in one QEMU for SOAK_MINUTES
# (default 30), the VMM's memory sampled every minute through the operator's `mem`; checksum
# failures, VMs alive and progressing, no panic: tests/soak.py, report in build/soak/report.txt.
SOAK_MINUTES ?= 30
soak: $(B)/vmm.elf $(GUEST_X86) $(if $(wildcard $(BUILD)/linux/busybox),$(BUILD)/linux/initrd.gz)
	@$(PYTHON) tests/soak.py --minutes $(SOAK_MINUTES)

test-mips: $(DEPS)
	@tests/mips/run.sh

# The Linux guest: Debian's i386 kernel and busybox (tools/linux-fetch.sh: apt-get as root on
# Debian, elsewhere it names what to get), an initramfs with our init (guest/linux/init), run
# natively in QEMU as the oracle (tests/test-linux.sh; verdicts in build/test-linux/native.ktap).
LINUX := $(BUILD)/linux
linux-guest: $(LINUX)/initrd.gz
$(LINUX)/vmlinuz $(LINUX)/vmlinux $(LINUX)/busybox &:
	@tools/linux-fetch.sh $(LINUX)
$(LINUX)/rdtsc: guest/linux/rdtsc.asm | $(DEPS)
	@mkdir -p $(LINUX)
	$(NASM) -f bin $< -o $@ && chmod 755 $@
$(LINUX)/initrd.gz: guest/linux/init tools/mkinitramfs.py $(LINUX)/busybox $(LINUX)/rdtsc
	$(PYTHON) tools/mkinitramfs.py $@ $(LINUX)/busybox guest/linux/init $(LINUX)/rdtsc:bin/rdtsc

test-linux: $(DEPS)
	@tests/test-linux.sh $(R)/linux.txt

test-boot: $(B)/vmm.elf $(GUEST_X86)
	@tests/boot.sh qemu $(R)/boot.txt

test-uefi: $(B)/vmm.elf $(GUEST_X86)
	@tests/boot.sh uefi $(R)/uefi.txt

test-bochs: $(B)/vmm.elf $(GUEST_X86)
	@tests/boot.sh bochs $(R)/bochs.txt

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
