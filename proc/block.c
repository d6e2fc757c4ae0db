// SPDX-License-Identifier: MIT
/*
 * proc/block.c - /sys/block/kmmd0/queue/read_ahead_kb, the readahead
 * window's largest size for the filesystem's disk; and debugfs's
 * /sys/kernel/debug/fault_around_bytes, how much a read fault of a file
 * mapping maps around it.
 *
 * Linux counterpart: block/blk-sysfs.c (queue_ra_show, queue_ra_store): the
 * value is the backing device's ra_pages in KiB. kmm has one disk, kmmd0
 * (the filesystem image). A new value applies to files opened after it, as
 * in Linux (file_ra_state_init copies it at open). mm/memory.c
 * (fault_around_bytes_get/_set): the value is read back as pages << 12;
 * a write takes an unsigned number (base 0, as kstrtoull), at most one page
 * table's span, raised to a page and rounded down to a power of two.
 *
 * Locking: the value is an int of the page cache's state, read and written
 * with relaxed atomics (mm/readahead.c).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

#include "mm/include/filemap.h"
#include "proc/proc.h"

int read_ahead_kb_show(struct kmm_machine *m, struct strbuf *sb)
{
	int kb = filemap_read_ahead_kb(m);

	if (kb < 0)
		return -ENOENT;
	sb_printf(sb, "%d\n", kb);
	return 0;
}

int read_ahead_kb_write(struct kmm_machine *m, const char *text)
{
	int kb;

	/* Linux takes any unsigned long; kmm caps the window at 64 MiB */
	if (proc_parse_int_range(text, 0, 65536, &kb))
		return -EINVAL;
	return filemap_set_read_ahead_kb(m, kb);
}

int fault_around_bytes_show(struct kmm_machine *m, struct strbuf *sb)
{
	int bytes = filemap_fault_around_bytes(m);

	if (bytes < 0)
		return -ENOENT;
	sb_printf(sb, "%d\n", bytes);
	return 0;
}

int fault_around_bytes_write(struct kmm_machine *m, const char *text)
{
	unsigned long long v;
	char *end;

	while (isspace((unsigned char)*text))
		text++;
	if (!isdigit((unsigned char)*text))
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 0);
	while (isspace((unsigned char)*end))
		end++;
	if (errno || *end)
		return -EINVAL;
	return filemap_set_fault_around_bytes(m, v);
}
