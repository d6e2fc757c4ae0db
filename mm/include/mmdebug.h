// SPDX-License-Identifier: MIT
/*
 * mm/include/mmdebug.h - assertions for mm/ in debug builds.
 *
 * Linux counterpart: include/linux/mmdebug.h (VM_BUG_ON, VM_BUG_ON_PAGE,
 * VM_WARN_ON under CONFIG_DEBUG_VM) and include/linux/lockdep.h
 * (lockdep_assert_held). A debug build is one configured with
 * -DKMM_DEBUG_CHECKS=ON (`make debug`) or CMAKE_BUILD_TYPE=Debug (the ASan
 * build CI runs): CMake defines KMM_DEBUG_VM for both. There a failed
 * assertion prints "kernel BUG at FILE:LINE!" with the condition (and the
 * page, for VM_BUG_ON_PAGE) on the host's stderr and in the machine's dmesg,
 * then stops the process, as Linux's BUG() stops the kernel. In release
 * builds every macro here compiles to nothing and evaluates nothing.
 *
 * The rule (STYLE.md): a `__foo` that mirrors Linux's and every `*_locked`
 * helper asserts the lock it expects with lockdep_assert_held(); a spinlock
 * knows its holder in debug builds (arch/sim/sim.h), so the assertion checks
 * that this thread holds it, not merely that someone does.
 */
#ifndef KMM_MM_INCLUDE_MMDEBUG_H
#define KMM_MM_INCLUDE_MMDEBUG_H

#include <stdbool.h>

#include "arch/sim/sim.h"

struct page;

/**
 * dump_page() - print what kmm knows of @page (pfn, machine, refcount,
 * mapcount, flags, type) to dmesg and the host's stderr, after @reason.
 * Context: any; reads the page without locks.
 */
void dump_page(const struct page *page, const char *reason);

/**
 * vm_bug() - report a failed assertion at @file:@line and stop the process
 * (Linux's BUG()). @page, if not NULL, is dumped first. Never returns.
 */
void vm_bug(const char *file, int line, const char *what, const struct page *page)
	__attribute__((noreturn, cold));

#ifdef KMM_DEBUG_VM
#define VM_BUG_ON(cond)                                                                  \
	do {                                                                             \
		if (__builtin_expect(!!(cond), 0))                                       \
			vm_bug(__FILE__, __LINE__, "VM_BUG_ON(" #cond ")", NULL);        \
	} while (0)
#define VM_BUG_ON_PAGE(cond, page)                                                       \
	do {                                                                             \
		if (__builtin_expect(!!(cond), 0))                                       \
			vm_bug(__FILE__, __LINE__, "VM_BUG_ON_PAGE(" #cond ")", (page)); \
	} while (0)
/* lockdep_assert_held() - this thread holds spinlock @l. */
#define lockdep_assert_held(l)                                                           \
	do {                                                                             \
		if (__builtin_expect(!spin_is_held_by_current(l), 0))                    \
			vm_bug(__FILE__, __LINE__, "lockdep_assert_held(" #l ")", NULL);  \
	} while (0)
/* lockdep_assert_not_held() - this thread does not hold @l (it is about to take it). */
#define lockdep_assert_not_held(l)                                                       \
	do {                                                                             \
		if (__builtin_expect(spin_is_held_by_current(l), 0))                     \
			vm_bug(__FILE__, __LINE__, "lockdep_assert_not_held(" #l ")", NULL); \
	} while (0)
#define IS_ENABLED_DEBUG_VM 1
#else
#define VM_BUG_ON(cond) ((void)sizeof(!(cond)))
#define VM_BUG_ON_PAGE(cond, page) ((void)sizeof(!(cond)), (void)sizeof(page))
#define lockdep_assert_held(l) ((void)sizeof(l))
#define lockdep_assert_not_held(l) ((void)sizeof(l))
#define IS_ENABLED_DEBUG_VM 0
#endif

#endif /* KMM_MM_INCLUDE_MMDEBUG_H */
