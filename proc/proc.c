// SPDX-License-Identifier: MIT
/*
 * proc/proc.c - kmm_proc_read() and kmm_proc_write(): the table of every
 * /proc and /sys file a machine serves, and the dispatch to its view.
 *
 * Linux counterpart: fs/proc/ (proc_create, proc_sys) and kernel/sysctl.c's
 * tables. Kept: file names, modes and texts. Simplified: no inodes, no
 * seq_file paging -- a read renders the whole file from live state into one
 * buffer, so two reads never share stale text.
 *
 * HOW A LAYER ADDS A FILE. libkmm is a static library, and a static link
 * pulls in only the objects something references; a view that registered
 * itself from a constructor would silently vanish. So every view is named in
 * one of the two static tables below:
 *
 *   1. proc_entries[] - a fixed path. Add ONE line, e.g.
 *        { "/proc/slabinfo", slabinfo_show, slabinfo_write, 0400 },
 *      and declare slabinfo_show()/slabinfo_write() in proc/proc.h under a
 *      section for your file ("---- proc/slabinfo.c ----").
 *   2. proc_prefixes[] - a family of files whose names depend on state,
 *      e.g. { "/proc/", pid_show, pid_write, pid_mode, pid_list } serving
 *      /proc/<pid>/maps, or { "/sys/kernel/slab/", ... }. The handler gets
 *      the rest of the path and returns -ENOENT for names it does not know.
 *
 * Fixed entries win over prefixes; prefixes are tried in table order.
 * /proc/sys/ paths are sysctls: they are the rows of the subsystem table
 * (struct ctl_table, mm/include/subsys.h; proc/sysctl.c), served like fixed
 * entries, and kmm_sysctl_*() map "vm.x" to "/proc/sys/vm/x".
 *
 * Invariant: paths in proc_entries[] are unique and absolute; a write
 * function validates all of its input before changing anything.
 *
 * Locking: none here; each view takes what it reads under (zone->lock for
 * free lists, m->sysctl_lock for sysctls).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/include/memory_hotplug.h"
#include "proc/proc.h"

static const struct proc_entry proc_entries[] = {
	/* mm/vmstat.c, fs/proc/meminfo.c, kernel/resource.c, init/main.c */
	{ "/proc/buddyinfo", buddyinfo_show, NULL, 0444 },
	{ "/proc/pagetypeinfo", pagetypeinfo_show, NULL, 0400 },
	{ "/proc/zoneinfo", zoneinfo_show, NULL, 0444 },
	{ "/proc/vmstat", vmstat_show, NULL, 0444 },
	{ "/proc/meminfo", meminfo_show, NULL, 0444 },
	{ "/proc/iomem", iomem_show, NULL, 0444 },
	{ "/proc/cmdline", cmdline_show, NULL, 0444 },

	/* Later layers: one line each below this comment. */
	{ "/proc/vmallocinfo", vmallocinfo_show, NULL, 0400 },
	{ "/proc/slabinfo", slabinfo_show, NULL, 0400 },
	{ "/proc/swaps", swaps_show, NULL, 0444 },
	{ "/sys/block/kmmd0/queue/read_ahead_kb", read_ahead_kb_show, read_ahead_kb_write, 0644 },
	{ "/sys/kernel/debug/fault_around_bytes", fault_around_bytes_show, fault_around_bytes_write, 0644 },
};

static const struct proc_prefix proc_prefixes[] = {
	/* Later layers: one line each, e.g. { "/proc/", pid_show, ... }. */
	{ "/sys/kernel/slab/", slab_sysfs_show, slab_sysfs_write, slab_sysfs_mode, slab_sysfs_list },
	{ "/proc/", pid_show, pid_write, pid_mode, pid_list },
	{ "/sys/devices/system/node/", node_sysfs_show, NULL, NULL, node_sysfs_list },
	{ "/sys/devices/system/memory/", memory_sysfs_show, memory_sysfs_write, memory_sysfs_mode,
	  memory_sysfs_list },
	{ NULL, NULL, NULL, NULL, NULL },	/* keeps the array non-empty */
};

struct kmm_machine *proc_machine(struct kmm_machine *m)
{
	return m ? m : kmm_current();
}

static const struct proc_entry *find_entry(const char *path)
{
	for (size_t i = 0; i < ARRAY_SIZE(proc_entries); i++)
		if (!strcmp(proc_entries[i].path, path))
			return &proc_entries[i];
	return NULL;
}

/* The prefix handler whose prefix starts @path, from index *@from on. */
static const struct proc_prefix *next_prefix(const char *path, size_t *from)
{
	for (size_t i = *from; i < ARRAY_SIZE(proc_prefixes); i++) {
		const struct proc_prefix *p = &proc_prefixes[i];

		if (p->prefix && !strncmp(path, p->prefix, strlen(p->prefix))) {
			*from = i + 1;
			return p;
		}
	}
	*from = ARRAY_SIZE(proc_prefixes);
	return NULL;
}

/* Render @path into @sb: 0, -ENOENT or -ENOMEM. */
static int proc_render(struct kmm_machine *m, const char *path, struct strbuf *sb)
{
	const struct proc_entry *e = find_entry(path);
	const struct ctl_table *t;
	const struct proc_prefix *p;
	size_t from = 0;
	int *data;
	int err;

	if (e)
		return e->show(m, sb);
	if ((t = proc_sys_find(m, path, &data)) != NULL)
		return t->proc_handler(m, t, data, NULL, sb);
	while ((p = next_prefix(path, &from)) != NULL) {
		if (!p->show)
			continue;
		err = p->show(m, path + strlen(p->prefix), sb);
		if (err != -ENOENT)
			return err;
		sb_free(sb);
		sb_init(sb);
	}
	return -ENOENT;
}

int kmm_proc_read(struct kmm_machine *m, const char *path, char **out)
{
	struct strbuf sb;
	int err;

	m = proc_machine(m);
	if (out)
		*out = NULL;
	if (!m || !path || !out)
		return kmm_set_error(-EINVAL, "kmm_proc_read: no machine, path or output");
	sb_init(&sb);
	err = proc_render(m, path, &sb);
	if (!err && sb.failed)
		err = -ENOMEM;
	if (err) {
		sb_free(&sb);
		if (err == -ENOENT)
			return kmm_set_error(err, "%s: No such file or directory", path);
		return kmm_set_error(err, "%s: read failed (%d)", path, err);
	}
	if (!sb.buf)
		sb_puts(&sb, "");	/* an empty file is "", not NULL */
	*out = sb_detach(&sb);
	return *out ? 0 : kmm_set_error(-ENOMEM, "%s: out of memory", path);
}

int kmm_proc_write(struct kmm_machine *m, const char *path, const char *text)
{
	const struct proc_entry *e;
	const struct ctl_table *t;
	const struct proc_prefix *p;
	size_t from = 0;
	int *data;
	int err;

	m = proc_machine(m);
	if (!m || !path || !text)
		return kmm_set_error(-EINVAL, "kmm_proc_write: no machine, path or text");
	e = find_entry(path);
	t = e ? NULL : proc_sys_find(m, path, &data);
	if (e || t) {
		if (e ? !e->write || !(e->mode & 0222) : !(t->mode & 0222))
			return kmm_set_error(-EACCES, "%s: Permission denied (read-only)", path);
		err = e ? e->write(m, text) : t->proc_handler(m, t, data, text, NULL);
		if (err == -EINVAL)
			return kmm_set_error(err, "%s: Invalid argument \"%s\"", path, text);
		return err ? kmm_set_error(err, "%s: write failed (%d)", path, err) : 0;
	}
	while ((p = next_prefix(path, &from)) != NULL) {
		const char *rest = path + strlen(p->prefix);
		struct strbuf probe;

		if (p->write) {
			char why[200];

			kmm_set_error(0, "%s", "");
			err = p->write(m, rest, text);
			if (!err)
				return 0;
			if (err == -ENOENT)
				continue;
			/* The writer's own reason when it gave one (memory_sysfs_write does). */
			snprintf(why, sizeof(why), "%s", kmm_last_error());
			return why[0] ? kmm_set_error(err, "%s: %s", path, why)
				      : kmm_set_error(err, "%s: write failed (%d)", path, err);
		}
		/* No writer: if the handler knows the file it is read-only. */
		sb_init(&probe);
		err = p->show ? p->show(m, rest, &probe) : -ENOENT;
		sb_free(&probe);
		if (err != -ENOENT)
			return kmm_set_error(-EACCES, "%s: Permission denied (read-only)", path);
	}
	return kmm_set_error(-ENOENT, "%s: No such file or directory", path);
}

int kmm_proc_mode(struct kmm_machine *m, const char *path)
{
	const struct proc_entry *e;
	const struct ctl_table *t;
	const struct proc_prefix *p;
	size_t from = 0;
	int *data;

	m = proc_machine(m);
	if (!m || !path)
		return -EINVAL;
	e = find_entry(path);
	if (e)
		return e->mode;
	if ((t = proc_sys_find(m, path, &data)) != NULL)
		return t->mode;
	while ((p = next_prefix(path, &from)) != NULL) {
		const char *rest = path + strlen(p->prefix);
		struct strbuf probe;
		int err;

		if (p->mode) {
			err = p->mode(m, rest);
			if (err != -ENOENT)
				return err;
			continue;
		}
		sb_init(&probe);
		err = p->show ? p->show(m, rest, &probe) : -ENOENT;
		sb_free(&probe);
		if (err != -ENOENT)
			return p->write ? 0644 : 0444;
	}
	return -ENOENT;
}

/* ---- Listing ---- */

struct list_item {
	char *path;
	unsigned int mode;
};

struct list_ctx {
	const char *dir;	/* without trailing '/'; "" for everything */
	size_t dirlen;
	struct list_item *items;
	size_t n, cap;
	bool failed;
};

static bool under_dir(const struct list_ctx *c, const char *path)
{
	return c->dirlen == 0 ||
	       (!strncmp(path, c->dir, c->dirlen) && path[c->dirlen] == '/');
}

static int collect(const char *path, unsigned int mode, void *arg)
{
	struct list_ctx *c = arg;

	if (!under_dir(c, path))
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;
		struct list_item *n = realloc(c->items, cap * sizeof(*n));

		if (!n) {
			c->failed = true;
			return -ENOMEM;
		}
		c->items = n;
		c->cap = cap;
	}
	c->items[c->n].path = strdup(path);
	if (!c->items[c->n].path) {
		c->failed = true;
		return -ENOMEM;
	}
	c->items[c->n++].mode = mode;
	return 0;
}

static int cmp_item(const void *a, const void *b)
{
	return strcmp(((const struct list_item *)a)->path, ((const struct list_item *)b)->path);
}

int kmm_proc_list(struct kmm_machine *m, const char *dir, kmm_proc_list_fn fn, void *arg)
{
	struct list_ctx c = { 0 };
	int err = 0;

	m = proc_machine(m);
	if (!m || !dir || !fn)
		return -EINVAL;
	c.dir = dir;
	c.dirlen = strlen(dir);
	while (c.dirlen && dir[c.dirlen - 1] == '/')
		c.dirlen--;

	for (size_t i = 0; i < ARRAY_SIZE(proc_entries) && !err; i++) {
		const struct proc_entry *e = &proc_entries[i];
		struct strbuf probe;

		if (!under_dir(&c, e->path))
			continue;
		/* A view whose layer is absent on this machine says -ENOENT. */
		sb_init(&probe);
		int exists = e->show(m, &probe) != -ENOENT;
		sb_free(&probe);
		if (exists)
			err = collect(e->path, e->mode, &c);
	}
	if (!err)
		err = proc_sys_list(m, collect, &c);
	for (size_t i = 0; i < ARRAY_SIZE(proc_prefixes) && !err; i++)
		if (proc_prefixes[i].prefix && proc_prefixes[i].list)
			err = proc_prefixes[i].list(m, collect, &c);

	if (!err && c.n == 0)
		err = -ENOENT;
	if (!err) {
		qsort(c.items, c.n, sizeof(*c.items), cmp_item);
		for (size_t i = 0; i < c.n && !err; i++)
			if (i == 0 || strcmp(c.items[i].path, c.items[i - 1].path))
				err = fn(c.items[i].path, c.items[i].mode, arg);
	}
	for (size_t i = 0; i < c.n; i++)
		free(c.items[i].path);
	free(c.items);
	return err;
}

/* ---- Sysctl names ---- */

#define SYSCTL_ROOT "/proc/sys/"

int kmm_sysctl_name_to_path(const char *name, char *buf, size_t size)
{
	size_t rootlen = strlen(SYSCTL_ROOT), len, i;

	if (!name || !buf)
		return -EINVAL;
	len = strlen(name);
	if (len == 0 || name[0] == '.' || name[0] == '/' ||
	    name[len - 1] == '.' || name[len - 1] == '/')
		return -EINVAL;
	if (rootlen + len + 1 > size)
		return -ENAMETOOLONG;
	memcpy(buf, SYSCTL_ROOT, rootlen);
	for (i = 0; i < len; i++) {
		char ch = name[i];

		if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '=')
			return -EINVAL;
		if (ch == '.')
			ch = '/';
		if (ch == '/' && buf[rootlen + i - 1] == '/')
			return -EINVAL;	/* empty component */
		buf[rootlen + i] = ch;
	}
	buf[rootlen + len] = '\0';
	return 0;
}

int kmm_sysctl_path_to_name(const char *path, char *buf, size_t size)
{
	size_t rootlen = strlen(SYSCTL_ROOT), len;

	if (!path || !buf || strncmp(path, SYSCTL_ROOT, rootlen) || !path[rootlen])
		return -EINVAL;
	len = strlen(path + rootlen);
	if (len + 1 > size)
		return -ENAMETOOLONG;
	for (size_t i = 0; i <= len; i++) {
		char ch = path[rootlen + i];

		buf[i] = ch == '/' ? '.' : ch;
	}
	return 0;
}

int kmm_sysctl_read(struct kmm_machine *m, const char *name, char **out)
{
	char path[256];
	int err = kmm_sysctl_name_to_path(name, path, sizeof(path));

	if (out)
		*out = NULL;
	if (err)
		return kmm_set_error(-EINVAL, "sysctl: invalid name \"%s\"", name ? name : "");
	err = kmm_proc_read(m, path, out);
	if (err == -ENOENT)
		return kmm_set_error(err, "sysctl: cannot stat %s: No such file or directory", path);
	return err;
}

int kmm_sysctl_write(struct kmm_machine *m, const char *name, const char *value)
{
	char path[256];
	int err = kmm_sysctl_name_to_path(name, path, sizeof(path));

	if (err)
		return kmm_set_error(-EINVAL, "sysctl: invalid name \"%s\"", name ? name : "");
	err = kmm_proc_write(m, path, value);
	if (err == -ENOENT)
		return kmm_set_error(err, "sysctl: cannot stat %s: No such file or directory", path);
	if (err == -EINVAL)
		return kmm_set_error(err, "sysctl: setting key \"%s\": Invalid argument", name);
	if (err == -EACCES)
		return kmm_set_error(err, "sysctl: setting key \"%s\": Permission denied", name);
	return err;
}
