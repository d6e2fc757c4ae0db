// SPDX-License-Identifier: MIT
/*
 * include/kmm/proc.h - the public side of kmm's /proc and /sys views beyond
 * kmm_proc_read()/kmm_proc_write() (declared in kmm/kmm.h): listing the
 * files a machine serves, and the sysctl names the `sysctl` tool uses.
 *
 * A sysctl name is its /proc/sys path with '.' for '/': vm.min_free_kbytes is
 * /proc/sys/vm/min_free_kbytes, exactly as sysctl(8) maps them on Linux.
 */
#ifndef KMM_PROC_H
#define KMM_PROC_H

#include <stddef.h>

#include <kmm/kmm.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Called once per file by kmm_proc_list(): @path is the full path, @mode its
 * permission bits (0444, 0644, 0400, ...). Return 0 to go on; anything else
 * stops the walk and becomes kmm_proc_list()'s return value.
 */
typedef int (*kmm_proc_list_fn)(const char *path, unsigned int mode, void *arg);

/**
 * kmm_proc_list() - walk the files @m serves under the directory @dir.
 * @dir: "/proc", "/proc/sys/vm", "/proc/sys", "/sys/kernel/slab", ... ("" or
 *       "/" for everything). Files in subdirectories are included.
 * @fn: called for each file in byte order of the path (sysctl -a order).
 *
 * Return: 0 after the whole walk; -ENOENT if nothing lives under @dir;
 * -ENOMEM; or the first non-zero value @fn returned.
 */
int kmm_proc_list(struct kmm_machine *m, const char *dir, kmm_proc_list_fn fn, void *arg);

/**
 * kmm_proc_mode() - the permission bits of @path on @m.
 * Return: the mode (e.g. 0644), or -ENOENT if @m serves no such file.
 */
int kmm_proc_mode(struct kmm_machine *m, const char *path);

/**
 * kmm_sysctl_name_to_path() - "vm.min_free_kbytes" -> "/proc/sys/vm/min_free_kbytes".
 * A name already written with '/' ("vm/min_free_kbytes") is accepted too.
 *
 * Return: 0; -EINVAL if @name is empty or has an empty component, a blank,
 * or a leading/trailing separator; -ENAMETOOLONG if @size is too small.
 */
int kmm_sysctl_name_to_path(const char *name, char *buf, size_t size);

/**
 * kmm_sysctl_path_to_name() - "/proc/sys/vm/min_free_kbytes" -> "vm.min_free_kbytes".
 * Return: 0; -EINVAL if @path is not below /proc/sys/; -ENAMETOOLONG.
 */
int kmm_sysctl_path_to_name(const char *path, char *buf, size_t size);

/**
 * kmm_sysctl_read() - the text of sysctl @name (as the /proc/sys file holds
 * it, newline included) in a malloc()ed buffer the caller frees.
 * Return: 0, -EINVAL (bad name), -ENOENT (unknown sysctl), -ENOMEM.
 */
int kmm_sysctl_read(struct kmm_machine *m, const char *name, char **out);

/**
 * kmm_sysctl_write() - `sysctl name=value`: write @value to sysctl @name.
 * Return: 0; -EINVAL (bad name or value, state unchanged); -ENOENT;
 * -EACCES (read-only).
 */
int kmm_sysctl_write(struct kmm_machine *m, const char *name, const char *value);

#ifdef __cplusplus
}
#endif

#endif /* KMM_PROC_H */
