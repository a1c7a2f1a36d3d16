/* vconsole.h - a VM's console as the VMM shows it: whole lines, each prefixed "vmN: ".
 *
 * Interface: the arch's virtual UART calls vconsole_putc() for every byte the guest writes; a line
 * is handed to `print` (without the newline) when it ends or the buffer fills. Lines of different
 * VMs therefore never mix mid-line, and a test runner can pick one VM's output by its prefix. */
#ifndef VCPU_VCONSOLE_H
#define VCPU_VCONSOLE_H

struct vconsole {
	unsigned id;
	int len;
	char buf[200];
};

void vconsole_putc(struct vconsole *vc, char c, void (*print)(const char *line));
void vconsole_flush(struct vconsole *vc, void (*print)(const char *line));

#endif
