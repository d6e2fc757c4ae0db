// SPDX-License-Identifier: MIT
/*
 * tests/integration_no_host_address.c - the error texts and views that once
 * showed a host pointer show none: kfree, vfree, vunmap, iounmap and
 * kmem_cache_free of a pointer that no machine owns, vfree of an address
 * inside a machine's vmalloc space that starts no area, and
 * /proc/vmallocinfo for an area whose recorded caller no loaded object
 * holds. A host address differs from run to run (ASLR), so the same
 * scenario would print different bytes. tests/host_pointer_formats.py keeps
 * every format of the tree from printing one; this test runs the paths.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmm/slab.h>

#include "mm/vmalloc.h"
#include "tests/vmalloc_test.h"

#define PAGE 4096UL

/* Fails the test when @text holds @p in hex, as %p or as %lx would print it. */
static void expect_no_host_address(const char *text, const void *p, const char *what)
{
	char hex[32];

	snprintf(hex, sizeof(hex), "%lx", (unsigned long)(uintptr_t)p);
	if (strstr(text, hex))
		kmm_test_fail(__FILE__, __LINE__, "%s shows the host address %s: \"%s\"", what,
			      hex, text);
}

/* The error one call left: its own text (not an earlier call's), no host address. */
static void expect_error(const char *needle, const void *p, const char *what)
{
	const char *err = kmm_last_error();

	if (!expect_str_contains(err, needle))
		return;
	expect_no_host_address(err, p, what);
}

TEST(bad_frees_of_pointers_no_machine_owns_name_no_host_address)
{
	struct kmm_machine *m = vboot("mem=128M");
	struct kmem_cache *s = kmem_cache_create("no_host_address", 64, 0, 0, NULL);
	char *heap = malloc(256);	/* host memory: no machine's */
	int local;

	assert_true(s != NULL && heap != NULL);
	/* Each call below leaves a text the one before it did not, so each check reads its own. */
	kfree(heap + 64);
	expect_error("kfree: the pointer belongs to no machine", heap + 64, "kfree");
	vfree(heap);
	expect_error("vfree: not a vmalloc address of any machine", heap, "vfree");
	kmem_cache_free(s, heap + 64);
	expect_error("kmem_cache_free(no_host_address): ", heap + 64, "kmem_cache_free");
	expect_str_contains(kmm_last_error(), "is not a slab object");
	vunmap(&local);
	expect_error("vunmap: not a vmalloc address of any machine", &local, "vunmap");
	kfree(&local);
	expect_error("kfree: the pointer belongs to no machine", &local, "kfree");
	iounmap(heap + 128);
	expect_error("iounmap: not an ioremap address of any machine", heap + 128, "iounmap");

	/* Inside the machine's vmalloc space but no area's start: the kernel address is named. */
	char *v = vmalloc(2 * PAGE);
	assert_true(v != NULL);
	char want[96];
	snprintf(want, sizeof(want), "Trying to vfree() nonexistent vm area (%#llx)",
		 (unsigned long long)kmm_virt_addr(m, v + PAGE));
	vfree(v + PAGE);
	expect_error(want, v + PAGE, "vfree");
	vfree(v);
	free(heap);
	kmem_cache_destroy(s);
	vdone(m);
}

/* The vm_struct behind the area at host address @p (white-box: the busy tree). */
static struct vm_struct *area_of(struct kmm_machine *m, const void *p)
{
	struct vmalloc_state *vs = vstate(m);
	struct vmap_area *va;

	spin_lock(&vs->lock);
	va = __find_vmap_area(vs, kmm_virt_addr(m, p));
	spin_unlock(&vs->lock);
	return va ? va->vm : NULL;
}

TEST(vmallocinfo_shows_no_caller_that_no_loaded_object_holds)
{
	struct kmm_machine *m = vboot("mem=128M");
	char *p = vmalloc(PAGE);
	char *code = malloc(64);	/* heap: dladdr() finds no object holding it */

	assert_true(p != NULL && code != NULL);
	struct vm_struct *vm = area_of(m, p);
	assert_true(vm != NULL);
	assert_true(vm->caller[0] == 0 && vm->caller_addr != NULL);
	vm->caller_addr = code;

	char *info = t_proc(m, "/proc/vmallocinfo"), line[160];
	uint64_t a = kmm_virt_addr(m, p);
	/* As Linux prints an area without a caller: the size, then pages=. */
	snprintf(line, sizeof(line), "0x%016llx-0x%016llx    8192 pages=1 vmalloc N0=1\n",
		 (unsigned long long)a, (unsigned long long)a + 8192);
	expect_str_contains(info, line);
	expect_no_host_address(info, code, "/proc/vmallocinfo");
	free(info);
	vfree(p);
	free(code);
	vdone(m);
}
