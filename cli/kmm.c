// SPDX-License-Identifier: MIT
/*
 * cli/kmm.c - placeholder entry point until the scenario runner lands:
 * `kmm boot CMDLINE...` boots and prints dmesg.
 */
#include <stdio.h>
#include <string.h>

#include <kmm/kmm.h>

int main(int argc, char **argv)
{
	char cmdline[1024] = "";

	if (argc < 2 || strcmp(argv[1], "boot")) {
		fprintf(stderr, "usage: kmm boot CMDLINE...\n");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		if (strlen(cmdline) + strlen(argv[i]) + 2 > sizeof(cmdline))
			return 2;
		if (i > 2)
			strcat(cmdline, " ");
		strcat(cmdline, argv[i]);
	}
	struct kmm_machine *m = kmm_boot(cmdline);
	if (!m) {
		fprintf(stderr, "kmm: %s\n", kmm_last_error());
		return 2;
	}
	fputs(kmm_dmesg(m), stdout);
	kmm_shutdown(m);
	return 0;
}
