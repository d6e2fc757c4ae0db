// SPDX-License-Identifier: MIT
/*
 * mm/exec.c - exec of a described program image: a fresh address space with
 * text, data, bss, heap, stack and a [vdso], replacing the old one.
 *
 * Linux counterpart: fs/exec.c (bprm_mm_init, setup_arg_pages, exec_mmap),
 * fs/binfmt_elf.c (load_elf_binary: elf_map of text and data, set_brk for
 * bss), arch/x86/entry/vdso/vma.c (map_vdso).
 * Kept: the classic non-randomised layout: ELF base 0x400000 (x86_64) or
 * 0x08048000 (i386); mmap_base from the task's RLIMIT_STACK as exec finds
 * it (arch_pick_mmap_layout); text r-xp and data rw-p from the file, bss anonymous,
 * start_brk right after bss, the stack VMA (VM_STACK_FLAGS) ending at
 * STACK_TOP with its top page written (argv and envp), [vdso] placed top-down
 * below mmap_base. The image is the file of its path on the filesystem
 * (open_exec, through the process layer's hook): its bytes, its page cache,
 * shared by every process running it. A path that names no file gets one
 * installed first, text + data bytes of a deterministic pattern of the path
 * (image_pattern), written to the disk as if installed before boot, so the
 * first touch of a page reads it (a major fault). Only a machine without the
 * filesystem layer makes a synthetic image instead: a file of that name in
 * the page cache only, with the same pattern, shared by every process
 * running the same path and size (filemap_find_image).
 * Simplified: no ELF parsing, no [vvar]; the vdso pages are
 * a small per-process file instead of shared kernel pages.
 *
 * Locking: the caller is inside procs_enter(); the new mm is built under its
 * own mmap_write_lock() and swapped in under tasklist_lock.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mm/include/filemap.h"
#include "mm/include/mm.h"
#include "mm/internal.h"

#define VDSO_PAGES 2

static int map_image(struct mm_struct *mm, const struct kmm_exec_image *img, unsigned long *stack_top)
{
	struct kmm_machine *m = mm->m;
	unsigned long base = kmm_arch_is_32(m) ? 0x08048000UL : 0x400000UL;
	unsigned long text = ALIGN_UP(img->text ? img->text : PAGE_SIZE, PAGE_SIZE);
	unsigned long data = ALIGN_UP(img->data, PAGE_SIZE);
	unsigned long bss = ALIGN_UP(img->bss, PAGE_SIZE);
	unsigned long stack = ALIGN_UP(img->stack ? img->stack : 132 * 1024, PAGE_SIZE);
	const char *path = img->path ? img->path : "/bin/a.out";
	struct kmm_file *f = NULL;
	long r;

	if (procs_of(m)->open_exec) {
		/* a file of the filesystem (installed now if there was none): text and
		   data are its bytes, read through the page cache */
		int err = procs_of(m)->open_exec(m, path, text + img->data, &f);
		if (err)
			return err;
		uint64_t size = i_size_read(f);
		mm->exe_file = f;
		if (size < text + img->data)
			return kmm_set_error(-ENOEXEC, "exec: %s is %llu bytes; its text and data need %lu",
					     path, (unsigned long long)size, text + img->data);
	} else {
		/* no filesystem layer: a synthetic image, in the page cache only; one
		   already running is the same file, so its text pages are shared */
		f = filemap_find_image(m, path, text + img->data);
		if (!f)
			f = kmm_file_create(m, path, text + img->data, false);
		if (!f)
			return -ENOMEM;
		mm->exe_file = f;
	}
	if (base + text + data + bss + stack + (64UL << 20) > mm->task_size)
		return kmm_set_error(-ENOMEM, "exec: the image does not fit the address space");
	r = do_mmap(mm, f, base, text, KMM_PROT_READ | KMM_PROT_EXEC, KMM_MAP_PRIVATE | KMM_MAP_FIXED, 0, 0);
	if (r < 0)
		return (int)r;
	mm->start_code = base;
	mm->end_code = base + img->text;
	mm->start_data = mm->end_data = base + text;
	if (data) {
		r = do_mmap(mm, f, base + text, data, KMM_PROT_READ | KMM_PROT_WRITE,
			    KMM_MAP_PRIVATE | KMM_MAP_FIXED, text >> PAGE_SHIFT, 0);
		if (r < 0)
			return (int)r;
		mm->end_data = base + text + img->data;
	}
	if (bss) {
		r = do_mmap(mm, NULL, base + text + data, bss, KMM_PROT_READ | KMM_PROT_WRITE,
			    KMM_MAP_PRIVATE | KMM_MAP_FIXED | KMM_MAP_ANONYMOUS, 0, 0);
		if (r < 0)
			return (int)r;
	}
	mm->start_brk = mm->brk = base + text + data + bss;

	/* The stack: VM_STACK_FLAGS, ending at STACK_TOP (= TASK_SIZE without ASLR). */
	*stack_top = mm->task_size;
	r = do_mmap(mm, NULL, *stack_top - stack, stack, KMM_PROT_READ | KMM_PROT_WRITE,
		    KMM_MAP_PRIVATE | KMM_MAP_FIXED | KMM_MAP_ANONYMOUS | KMM_MAP_GROWSDOWN, 0,
		    VM_ACCOUNT);
	if (r < 0)
		return (int)r;
	mm->start_stack = *stack_top - 0x100;

	/* [vdso]: two pages of code, placed top-down below mmap_base. */
	struct kmm_file *vdso = kmm_file_create(m, "[vdso]", VDSO_PAGES * PAGE_SIZE, false);
	if (!vdso)
		return -ENOMEM;
	r = do_mmap(mm, vdso, 0, VDSO_PAGES * PAGE_SIZE, KMM_PROT_READ | KMM_PROT_EXEC,
		    KMM_MAP_PRIVATE, 0, VM_DONTEXPAND | VM_MAYREAD | VM_MAYEXEC);
	kmm_file_put(m, vdso);
	if (r < 0)
		return (int)r;
	struct vm_area_struct *v = find_vma(mm, (unsigned long)r);
	if (v)
		v->kind = VMA_VDSO;
	return 0;
}

int exec_mmap(struct kmm_machine *m, struct task_struct *t, const struct kmm_exec_image *img)
{
	struct mm_struct *mm, *old = t->mm;
	unsigned long stack_top = 0;
	int err;

	/* bprm->rlim_stack: the stack limit as exec found it */
	uint64_t rlim_stack = task_rlimit(t, KMM_RLIMIT_STACK);

	if (img->text > (1UL << 30) || img->data > (1UL << 30) || img->bss > (1UL << 30) ||
	    img->heap > (1UL << 30) || img->stack > (1UL << 30))
		return kmm_set_error(-E2BIG, "exec: image sections too large (limit 1 GiB each)");
	if (img->stack > rlim_stack)
		return kmm_set_error(-E2BIG, "exec: a stack of %llu bytes is past RLIMIT_STACK (%llu bytes)",
				     (unsigned long long)img->stack, (unsigned long long)rlim_stack);
	mm = mm_alloc(m);
	if (!mm)
		return kmm_set_error(-ENOMEM, "exec: out of memory");
	arch_pick_mmap_layout(mm, rlim_stack);
	mmap_write_lock(mm);	/* nobody sees it yet; held for the rules' sake */
	err = map_image(mm, img, &stack_top);
	if (err)
		goto fail;
	/* argv and envp are copied to the top of the stack: its top page is present */
	struct vm_area_struct *sv = find_vma(mm, stack_top - 1);
	if (sv && (handle_mm_fault(sv, stack_top - PAGE_SIZE, FAULT_FLAG_WRITE) & VM_FAULT_ERROR)) {
		err = -ENOMEM;
		goto fail;
	}
	if (img->heap)
		do_brk(mm, mm->brk + img->heap);
	mmap_write_unlock(mm);
	const char *base = strrchr(mm->exe_file->path, '/');
	base = base ? base + 1 : mm->exe_file->path;
	size_t n = strlen(base);
	if (n > sizeof(t->comm) - 1)
		n = sizeof(t->comm) - 1;
	tasklist_lock(m);
	old = t->mm;
	t->mm = mm;
	memcpy(t->comm, base, n);
	t->comm[n] = 0;
	task_index_rename(t);
	tasklist_unlock(m);
	mmput(old);
	return 0;
fail:
	mmap_write_unlock(mm);
	mmput(mm);
	return err;
}
