// SPDX-License-Identifier: MIT
/*
 * proc/block.c - /sys/block/kmmd0/queue/read_ahead_kb, the readahead
 * window's largest size for the filesystem's disk.
 *
 * Linux counterpart: block/blk-sysfs.c (queue_ra_show, queue_ra_store): the
 * value is the backing device's ra_pages in KiB. kmm has one disk, kmmd0
 * (the filesystem image). A new value applies to files opened after it, as
 * in Linux (file_ra_state_init copies it at open).
 *
 * Locking: the value is an int of the page cache's state, read and written
 * with relaxed atomics (mm/readahead.c).
 */
#include <errno.h>

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
