// SPDX-License-Identifier: MIT
/*
 * tests/integration_fs_paths.c - kmmfs's state before its first mount
 * (fs/super.c): the image's host paths (7 KB, struct fs_paths) are held
 * only from fsimage= or the first mount on. A machine that never opens a
 * file - the malloc shim's, in every process it is preloaded into - paid
 * for them in glibc's heap at boot (fs_init's 7,304-byte calloc, two
 * resident pages; docs/malloc-measured.md, session 19).
 *
 * Covers: the state's size after boot without fsimage=; the first file call
 * mounting a fresh image in a directory of its own, named by kmm_fs_image();
 * fsimage= kept from boot and used by the mount; the checkers after each.
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kmm/fs.h>

#include "mm/include/machine.h"
#include "mm/include/subsys.h"
#include "tests/harness.h"

#define LINE "mem=128M nr_cpus=2"

/* The bytes glibc holds for the machine's kmmfs state (the fs layer's calloc). */
static size_t fs_state_bytes(struct kmm_machine *m)
{
	void *fs = m->subsys[SUBSYS_FS];

	assert_true(fs != NULL);
	return malloc_usable_size(fs);
}

TEST(a_machine_that_opens_no_file_holds_no_image_paths)
{
	struct kmm_machine *m = t_boot(LINE);
	size_t before = fs_state_bytes(m);

	printf("  kmmfs state before the first mount: %zu bytes\n", before);
	expect_true(before < 1024);
	const char *img = kmm_fs_image(m);	/* the first file call: mounts */

	assert_true(img != NULL);
	printf("  mounted %s\n", strrchr(img, '/') ? strrchr(img, '/') : img);
	expect_true(strlen(img) > strlen("/kmmfs.img") &&
		    !strcmp(img + strlen(img) - strlen("/kmmfs.img"), "/kmmfs.img"));
	expect_eq(access(img, F_OK), 0);
	expect_eq(fs_state_bytes(m), before);	/* the paths are beside it */
	expect_eq(kmm_check(m), 0);
	t_done(m);
}

TEST(fsimage_is_kept_from_boot_and_mounted)
{
	char dir[] = "/tmp/kmm-fs-paths-XXXXXX", line[400], path[300];

	assert_true(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/image.kmmfs", dir);
	snprintf(line, sizeof(line), LINE " fsimage=%s", path);
	struct kmm_machine *m = t_boot(line);
	const char *img = kmm_fs_image(m);

	assert_true(img != NULL);
	expect_true(!strcmp(img, path));
	expect_eq(access(path, F_OK), 0);
	expect_eq(kmm_check(m), 0);
	t_done(m);
	unlink(path);
	rmdir(dir);
}
