// SPDX-License-Identifier: MIT
/*
 * include/kmm/process.h - simulated processes and their memory: the public API.
 *
 * A process (struct task_struct) owns an address space (struct mm_struct):
 * virtual memory areas, page tables in the machine's physical memory, and
 * the frames its faults took from the buddy allocator. Programs touch their
 * memory through kmm_access() and friends, which run every byte through the
 * software MMU and its per-CPU TLB; a bad access delivers SIGSEGV or SIGBUS,
 * which tears the process down and returns all its memory. The host never
 * crashes because a simulated process misbehaved.
 *
 * The system-call-like functions (kmm_mmap, kmm_munmap, ...) take the flag
 * values of Linux's uapi headers under KMM_ names, so that kmm never defines
 * a libc name. They return 0 or a negative errno, with state unchanged on
 * error; kmm_last_error() then says what was wrong.
 *
 * Threads: any thread may call any function. Several threads may drive one
 * process (its faults run in parallel, VMA by VMA); a thread that reads or
 * writes a range while another thread of the process unmaps it may finish
 * its access on the old frame, as a CPU racing a munmap may. Do not kill or
 * exit a process from another thread while one of its accesses is running.
 */
#ifndef KMM_PROCESS_H
#define KMM_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kmm/kmm.h>
#include <kmm/mmu.h>

#ifdef __cplusplus
extern "C" {
#endif

struct task_struct;

/* ---- Linux uapi values (asm-generic/mman-common.h, x86 mman.h) ---- */

#define KMM_PROT_NONE		0x0
#define KMM_PROT_READ		0x1
#define KMM_PROT_WRITE		0x2
#define KMM_PROT_EXEC		0x4

#define KMM_MAP_SHARED		0x01
#define KMM_MAP_PRIVATE		0x02
#define KMM_MAP_FIXED		0x10
#define KMM_MAP_ANONYMOUS	0x20
#define KMM_MAP_GROWSDOWN	0x0100
#define KMM_MAP_LOCKED		0x2000
#define KMM_MAP_NORESERVE	0x4000
#define KMM_MAP_POPULATE	0x8000
#define KMM_MAP_FIXED_NOREPLACE	0x100000

#define KMM_MREMAP_MAYMOVE	1
#define KMM_MREMAP_FIXED	2
#define KMM_MREMAP_DONTUNMAP	4

#define KMM_MADV_NORMAL		0
#define KMM_MADV_RANDOM		1
#define KMM_MADV_SEQUENTIAL	2
#define KMM_MADV_WILLNEED	3
#define KMM_MADV_DONTNEED	4
#define KMM_MADV_FREE		8
#define KMM_MADV_DONTFORK	10
#define KMM_MADV_DOFORK		11
#define KMM_MADV_POPULATE_READ	22
#define KMM_MADV_POPULATE_WRITE	23

#define KMM_SIGBUS		7
#define KMM_SIGKILL		9
#define KMM_SIGSEGV		11
#define KMM_SIGXFSZ		25	/* a write or truncate past RLIMIT_FSIZE */
#define KMM_SEGV_MAPERR		1
#define KMM_SEGV_ACCERR		2
#define KMM_BUS_ADRERR		2
#define KMM_BUS_MCEERR_AR	4	/* a touch of a page whose contents were lost (hwpoison) */

/* gup flags (include/linux/mm.h values) */
#define KMM_FOLL_WRITE		0x01
#define KMM_FOLL_GET		0x04	/* internal in Linux; get_user_pages sets it */
#define KMM_FOLL_FORCE		0x10
#define KMM_FOLL_LONGTERM	0x100
#define KMM_FOLL_PIN		0x40000	/* internal in Linux; pin_user_pages sets it */

/* How a process ended (or that it is still running). */
struct kmm_task_exit {
	bool exited;		/* the task is dead */
	int signal;		/* 0 for a normal exit, else the fatal signal */
	int si_code;		/* SEGV_MAPERR, SEGV_ACCERR, BUS_ADRERR, BUS_MCEERR_AR */
	uint64_t addr;		/* the faulting address for SIGSEGV/SIGBUS */
	int addr_lsb;		/* BUS_MCEERR_AR: siginfo's si_addr_lsb (PAGE_SHIFT, the lost extent); else 0 */
	unsigned int error_code;	/* the x86 page-fault error code (PROT 1, WRITE 2, USER 4, INSTR 16) */
	int code;		/* exit code for a normal exit */
};

/* ---- Processes ---- */

/**
 * kmm_spawn() - a new process running a small default program image
 * ("init"-like: text, data, bss, heap, stack and a [vdso]).
 * @comm: its name (truncated to 15 characters as Linux's comm is).
 * Return: the task, or NULL (no memory) with kmm_last_error() set.
 */
struct task_struct *kmm_spawn(struct kmm_machine *m, const char *comm);

/**
 * kmm_fork() - copy @parent: VMAs (except VM_DONTFORK), page tables with
 * private writable PTEs write-protected in both, frames shared and counted;
 * anonymous pages that may be DMA-pinned are copied at once.
 * A user other than root whose tasks number RLIMIT_NPROC already (@parent's
 * soft limit; zombies count until reaped) cannot fork unless @parent has
 * CAP_SYS_RESOURCE or CAP_SYS_ADMIN (Linux 6.12's copy_process()).
 * Return: the child, or NULL with kmm_last_errno() -EAGAIN (that limit) or
 * -ENOMEM (nothing half-copied left behind), -ESRCH (no running parent).
 */
struct task_struct *kmm_fork(struct task_struct *parent, const char *comm);

/**
 * struct kmm_exec_image - a described program: section sizes in bytes.
 * The text and data are file-backed (the file is named @path); bss, heap
 * and stack are anonymous.
 */
struct kmm_exec_image {
	const char *path;	/* e.g. "/bin/app" */
	uint64_t text, data, bss;
	uint64_t heap;		/* brk grown at start-up, as a C library's first malloc does */
	uint64_t stack;		/* initial stack VMA size (0: 132 KiB) */
};

/** kmm_exec() - replace @t's address space by @img's. Return: 0 or -errno (old mm kept). */
int kmm_exec(struct task_struct *t, const struct kmm_exec_image *img);

/** kmm_exit() - the process exits with @code: every page and table is freed. */
void kmm_exit(struct task_struct *t, int code);

/** kmm_kill() - deliver a fatal signal (SIGKILL, SIGSEGV...). Return: 0, -ESRCH if dead. */
int kmm_kill(struct task_struct *t, int sig);

/**
 * kmm_task_release() - forget a dead task (reap the zombie). Live tasks are
 * refused with -EBUSY.
 */
int kmm_task_release(struct task_struct *t);

/** kmm_task_by_pid() - a task of @m (live or zombie), or NULL. */
struct task_struct *kmm_task_by_pid(struct kmm_machine *m, int pid);
/**
 * kmm_task_by_comm() - the task of @m named @comm: the newest live one, else
 * the newest zombie; NULL if none. O(1) expected (an index of names).
 */
struct task_struct *kmm_task_by_comm(struct kmm_machine *m, const char *comm);
/** kmm_task_pid() / kmm_task_comm() / kmm_task_exit_info() - accessors. */
int kmm_task_pid(const struct task_struct *t);
const char *kmm_task_comm(const struct task_struct *t);
struct kmm_task_exit kmm_task_exit_info(const struct task_struct *t);
bool kmm_task_alive(const struct task_struct *t);
/** kmm_for_each_task() - call @fn for each task in pid order; stops on non-zero. */
int kmm_for_each_task(struct kmm_machine *m, int (*fn)(struct task_struct *t, void *arg), void *arg);

/* ---- The address space (system-call-like) ---- */

/**
 * kmm_mmap() - Linux's mmap for anonymous memory (MAP_ANONYMOUS is implied:
 * kmm has no file descriptors; MAP_SHARED gives shared anonymous memory).
 * @addr: hint, or the exact place with MAP_FIXED / MAP_FIXED_NOREPLACE.
 * @out: receives the address mapped.
 * Return: 0; -EINVAL bad flags/length/alignment; -ENOMEM no room;
 * -EEXIST MAP_FIXED_NOREPLACE over an existing mapping; -ESRCH dead task.
 */
int kmm_mmap(struct task_struct *t, uint64_t addr, uint64_t len, int prot, int flags,
	     uint64_t *out);
int kmm_munmap(struct task_struct *t, uint64_t addr, uint64_t len);
int kmm_mprotect(struct task_struct *t, uint64_t addr, uint64_t len, int prot);
/** kmm_brk() - set the program break; *@out gets the new (or unchanged) break, as brk(2). */
int kmm_brk(struct task_struct *t, uint64_t newbrk, uint64_t *out);
int kmm_mremap(struct task_struct *t, uint64_t old_addr, uint64_t old_len, uint64_t new_len,
	       int flags, uint64_t new_addr, uint64_t *out);
int kmm_madvise(struct task_struct *t, uint64_t addr, uint64_t len, int advice);
/**
 * kmm_mlock() - mlock(2): lock [@addr, @addr + @len) and fault it in.
 * Return: 0; -EPERM when the process's RLIMIT_MEMLOCK is 0 and it lacks
 * CAP_IPC_LOCK; -ENOMEM when its locked total would pass the limit (the
 * part of the range locked already not counted twice) and it lacks
 * CAP_IPC_LOCK - nothing changed - or for a hole, a PROT_NONE mapping or a
 * page that cannot be faulted in (the range stays locked); -EAGAIN no
 * memory; -EINVAL the range wraps; -ESRCH dead task.
 */
int kmm_mlock(struct task_struct *t, uint64_t addr, uint64_t len);
/* mlock2(2)'s flag: lock the pages as they fault instead of faulting them in now. */
#define KMM_MLOCK_ONFAULT	0x01
/**
 * kmm_mlock2() - mlock2(2): kmm_mlock() with @flags 0; with MLOCK_ONFAULT the
 * range is locked (VM_LOCKED | VM_LOCKONFAULT, smaps VmFlags "lo lf") and
 * counted in VmLck, the pages present now are locked, and the others are
 * locked as they fault, none faulted in now.
 * Return: as kmm_mlock(); -EINVAL for a flag other than MLOCK_ONFAULT.
 */
int kmm_mlock2(struct task_struct *t, uint64_t addr, uint64_t len, int flags);
int kmm_munlock(struct task_struct *t, uint64_t addr, uint64_t len);
/*
 * mlockall(2)'s flags. MCL_CURRENT locks every mapping now, MCL_FUTURE every
 * later one (mmap, brk), MCL_ONFAULT (with either) locks pages as they fault
 * instead of faulting them all in.
 */
#define KMM_MCL_CURRENT		1
#define KMM_MCL_FUTURE		2
#define KMM_MCL_ONFAULT		4
/**
 * kmm_mlockall() - Linux 6.12's mlockall(@flags): MCL_CURRENT locks every VMA
 * and faults them in (errors ignored; MCL_ONFAULT: no faulting), MCL_FUTURE
 * locks every later mmap and brk (not inherited by fork), each held to
 * RLIMIT_MEMLOCK as MAP_LOCKED is. A second call replaces the first's flags.
 * Return: 0; -EINVAL for flags 0, an unknown bit, or MCL_ONFAULT alone;
 * -EPERM when RLIMIT_MEMLOCK is 0 and the process lacks CAP_IPC_LOCK;
 * -ENOMEM with MCL_CURRENT when its whole address space (VmSize) is past
 * the limit and it lacks CAP_IPC_LOCK (nothing changed); -ESRCH dead task.
 */
int kmm_mlockall(struct task_struct *t, int flags);
/** kmm_munlockall() - munlockall(2): every VMA unlocked, MCL_FUTURE undone. Return: 0; -ESRCH. */
int kmm_munlockall(struct task_struct *t);

/* ---- Resource limits and capabilities ---- */

/*
 * Resource limits, Linux's sixteen by their x86 numbers (include/uapi/
 * asm-generic/resource.h), each a soft limit (the one enforced) and a hard
 * one (the ceiling for the soft). A process from kmm_spawn() starts with
 * Linux 6.12's INIT_RLIMITS (init's, which its children inherit): every
 * limit unlimited except STACK 8 MiB soft, CORE 0 soft, NOFILE 1024/4096,
 * MEMLOCK 8 MiB, MSGQUEUE 819200, NICE and RTPRIO 0, and NPROC and
 * SIGPENDING half of fork_init's max_threads (the machine's pages / 32 on
 * x86_64, / 16 on i386). fork copies them, exec keeps them.
 *
 * kmm enforces the memory ones as Linux 6.12 does: MEMLOCK (mlock, mlock2,
 * mlockall, MAP_LOCKED, and what mlockall(MCL_FUTURE) locks - mmap, brk,
 * mremap growth, stack growth; not for a process with CAP_IPC_LOCK), AS
 * (may_expand_vm(): mmap, brk, mremap growth and stack growth: ENOMEM),
 * DATA (private writable mappings that are not stacks, and brk), STACK
 * (stack growth, and at exec the mmap layout and the stack the image may
 * ask for). The others are stored and shown (/proc/PID/limits), nothing
 * more: kmm has no CPU clock, files, signals or scheduler for them to hold.
 */
#define KMM_RLIMIT_CPU		0	/* seconds */
#define KMM_RLIMIT_FSIZE	1	/* bytes */
#define KMM_RLIMIT_DATA		2	/* bytes */
#define KMM_RLIMIT_STACK	3	/* bytes */
#define KMM_RLIMIT_CORE		4	/* bytes */
#define KMM_RLIMIT_RSS		5	/* bytes (Linux enforces nothing either) */
#define KMM_RLIMIT_NPROC	6	/* processes */
#define KMM_RLIMIT_NOFILE	7	/* files */
#define KMM_RLIMIT_MEMLOCK	8	/* bytes */
#define KMM_RLIMIT_AS		9	/* bytes */
#define KMM_RLIMIT_LOCKS	10	/* locks */
#define KMM_RLIMIT_SIGPENDING	11	/* signals */
#define KMM_RLIMIT_MSGQUEUE	12	/* bytes */
#define KMM_RLIMIT_NICE		13	/* 20 - nice */
#define KMM_RLIMIT_RTPRIO	14	/* priority */
#define KMM_RLIMIT_RTTIME	15	/* microseconds */
#define KMM_RLIM_NLIMITS	16
#define KMM_RLIM_INFINITY	(~(uint64_t)0)
#define KMM_MLOCK_LIMIT		(8ull << 20)
#define KMM_STK_LIM		(8ull << 20)	/* _STK_LIM: RLIMIT_STACK's soft default */
#define KMM_NR_OPEN		(1u << 20)	/* fs.nr_open: RLIMIT_NOFILE's hard ceiling */
struct kmm_rlimit {
	uint64_t rlim_cur;	/* the soft limit: the one enforced */
	uint64_t rlim_max;	/* the hard limit: the ceiling for rlim_cur */
};
/**
 * kmm_prlimit() - prlimit(2) of @t on itself (setrlimit/getrlimit): @old_rlim
 * (if not NULL) gets @resource's limit, then @new_rlim (if not NULL)
 * replaces it. A limit lowered below what is in use takes nothing away:
 * later growth fails.
 * Return: 0; -EINVAL for a resource outside 0..15, or a soft limit above the
 * hard one; -EPERM for a NOFILE hard limit above fs.nr_open (1048576), or a
 * hard limit raised without CAP_SYS_RESOURCE; -ESRCH dead task. On error
 * nothing changes.
 */
int kmm_prlimit(struct task_struct *t, int resource, const struct kmm_rlimit *new_rlim,
		struct kmm_rlimit *old_rlim);

/*
 * Capabilities, by Linux's numbers, in Linux's five sets: effective (what
 * is checked), permitted (what effective may hold), inheritable, ambient
 * (kept across exec by a process that is not root) and bounding. A process
 * from kmm_spawn() runs as root: every capability (CAP_LAST_CAP 40) in its
 * effective, permitted and bounding sets, none inheritable or ambient, as
 * init's children. fork copies the sets. exec recomputes them as Linux 6.12
 * does for a file without capabilities or set-id bits: root gets permitted =
 * effective = bounding | inheritable | ambient (so it keeps everything its
 * bounding set has); any other user gets permitted = effective = ambient, so
 * a capability only in its permitted (and effective) set is gone after
 * exec. kmm consults two: CAP_IPC_LOCK and CAP_SYS_RESOURCE.
 */
#define KMM_CAP_IPC_LOCK	14	/* lock memory past RLIMIT_MEMLOCK */
#define KMM_CAP_SYS_RESOURCE	24	/* raise a hard limit */
#define KMM_CAP_LAST_CAP	40
/**
 * kmm_task_set_capability() - as an administrator: give @t @cap in every
 * set, ambient and bounding included (@on: exec keeps it, for any user),
 * or take it out of every set (capsh --drop: exec does not bring it back,
 * not even for root).
 * Return: 0; -EINVAL for a capability kmm does not model; -ESRCH dead task.
 */
int kmm_task_set_capability(struct task_struct *t, int cap, bool on);
/* The five sets, bit n for CAP_ number n (/proc/PID/status shows them). */
struct kmm_caps {
	uint64_t effective, permitted, inheritable, ambient, bounding;
};
/** kmm_task_caps() - capget(2) of @t's sets, with ambient and bounding. Return: 0; -ESRCH for NULL. */
int kmm_task_caps(const struct task_struct *t, struct kmm_caps *caps);
/**
 * kmm_capset() - capset(2) by @t on itself (Linux's cap_capset): the new
 * permitted set within the old one, effective within the new permitted,
 * inheritable within the old inheritable and permitted (unless @t has
 * CAP_SETPCAP) and within the old inheritable and bounding sets; bits past
 * CAP_LAST_CAP are dropped; ambient keeps only what stays both permitted
 * and inheritable.
 * Return: 0; -EPERM for a set that breaks one of these rules (nothing
 * changed); -ESRCH dead task.
 */
int kmm_capset(struct task_struct *t, uint64_t effective, uint64_t permitted, uint64_t inheritable);
/**
 * kmm_task_setuid() - setuid(2) of @t from root to @uid (real, effective
 * and saved), as a login or su would: leaving root without
 * SECBIT_KEEP_CAPS clears the permitted, effective and ambient sets
 * (cap_emulate_setxuid); inheritable and bounding stay. fork copies the uid.
 * Return: 0; -EPERM when @t is not root and @uid is not its own; -ESRCH.
 */
int kmm_task_setuid(struct task_struct *t, unsigned int uid);
/** kmm_task_capable() - is @cap in @t's effective set? (false for a capability kmm does not model) */
bool kmm_task_capable(const struct task_struct *t, int cap);

/* ---- Touching memory through the MMU ---- */

/**
 * kmm_access() - load (@write false) or store @len bytes at @addr of @t,
 * through the software MMU: TLB hits are direct, misses walk the tables,
 * faults run the fault handler.
 * Return: 0; -EFAULT if the access killed the process (see
 * kmm_task_exit_info()); -ESRCH if the task is dead already.
 */
int kmm_access(struct task_struct *t, uint64_t addr, void *buf, size_t len, bool write);
/** kmm_fill() - store @len copies of @byte from @addr (memset through the MMU). */
int kmm_fill(struct task_struct *t, uint64_t addr, int byte, uint64_t len);
/** kmm_fetch() - an instruction fetch of @len bytes (honours NX where the arch has it). */
int kmm_fetch(struct task_struct *t, uint64_t addr, void *buf, size_t len);
/** kmm_touch() - read (or write) one byte in every page of [addr, addr+len). */
int kmm_touch(struct task_struct *t, uint64_t addr, uint64_t len, bool write);

/* ---- The inline fast path: loads and stores that hit this thread's TLB ---- */

/**
 * kmm_as_of() - fill @as, the address-space handle of @t's current image for
 * the inline accessors below (valid until @t execs or exits). A macro: it
 * hands the library the TLB ABI this code was compiled against
 * (KMM_MMU_ABI, <kmm/mmu.h>). Return: as kmm_as_of_abi().
 */
#define kmm_as_of(t, as) kmm_as_of_abi((t), (as), KMM_MMU_ABI)

/**
 * kmm_as_of_abi() - kmm_as_of() for code compiled against TLB ABI @abi.
 * Return: 0; -ESRCH if @t is dead; -ENOEXEC if @abi is not the library's
 * (the inline path would read TLB entries it does not understand, reading
 * or writing the wrong memory): kmm_last_error() says to rebuild, and @as
 * is filled all the same with an address-space id no address space has, so
 * the inline accessors never hit and every access takes kmm_access() -
 * slow, and right. Code compiled before KMM_MMU_ABI existed calls the
 * library's kmm_as_of symbol, which is this with @abi 1.
 */
int kmm_as_of_abi(struct task_struct *t, struct kmm_as *as, unsigned int abi);

/*
 * kmm_load8/16/32/64() and kmm_store8/16/32/64() - one naturally sized load
 * or store at @va: a TLB hit is a few instructions inline in the caller (no
 * call, no lock); a miss, a fault or an access across a page goes to
 * kmm_access(). Return: as kmm_access() (0, -EFAULT when the access killed
 * the process, -ESRCH when it is dead). Unlike kmm_access(), a hit is not
 * an access in flight that a TLB shootdown waits for: while another thread
 * may take the page away - reclaim (kswapd=thread, or another thread's
 * allocations under memory pressure), munmap, MADV_DONTNEED, a truncation
 * of the mapped file - a hit can load from or store into a page being
 * swapped out or already freed.
 */
#define KMM_DEFINE_ACCESSORS(bits)                                                          \
	static inline int kmm_load##bits(const struct kmm_as *as, uint64_t va,                \
					 uint##bits##_t *val)                                 \
	{                                                                                     \
		KMM_TLB_HIT(as, va, bits / 8, KMM_ACCESS_READ,                                \
			    { __builtin_memcpy(val, _h, bits / 8); return 0; });               \
		return kmm_access(as->task, va, val, bits / 8, false);                        \
	}                                                                                     \
	static inline int kmm_store##bits(const struct kmm_as *as, uint64_t va,               \
					  uint##bits##_t val)                                 \
	{                                                                                     \
		KMM_TLB_HIT(as, va, bits / 8, KMM_ACCESS_WRITE,                               \
			    { __builtin_memcpy(_h, &val, bits / 8); return 0; });              \
		return kmm_access(as->task, va, &val, bits / 8, true);                        \
	}
KMM_DEFINE_ACCESSORS(8)
KMM_DEFINE_ACCESSORS(16)
KMM_DEFINE_ACCESSORS(32)
KMM_DEFINE_ACCESSORS(64)
#undef KMM_DEFINE_ACCESSORS

/* ---- Accounting ---- */

/** kmm_committed_pages() - pages of all live VM_ACCOUNT mappings (Committed_AS's process part). */
unsigned long kmm_committed_pages(struct kmm_machine *m);

/* ---- Views ---- */

/** kmm_pagetable_walk() - the walk of @addr level by level (malloc()ed text). */
char *kmm_pagetable_walk(struct task_struct *t, uint64_t addr);

/*
 * struct kmm_pt_shape - the shape of a process's page tables, for a program
 * that walks them itself. Levels are indexed by Linux's names: 0 PGD, 1 P4D,
 * 2 PUD, 3 PMD, 4 PTE; a folded level (P4D everywhere, PUD and PMD on i386)
 * has real[l] false and no table of its own.
 */
struct kmm_pt_shape {
	int levels;		/* real levels: 2 (i386), 3 (PAE), 4 (x86_64) */
	int entry_size;		/* bytes per entry: 4 or 8 */
	uint64_t root;		/* physical address of the root table (what CR3 holds) */
	bool real[5];
	int shift[5];		/* an entry of level l maps 2^shift[l] bytes */
	int bits[5];		/* a table of level l has 2^bits[l] entries (0: folded) */
	uint64_t addr_mask;	/* the bits of an entry that hold a physical address */
};

/* struct kmm_pt_entry - one entry, as kmm_pagetable_for_each() hands it out. */
struct kmm_pt_entry {
	int level;		/* 0 PGD ... 4 PTE, as in struct kmm_pt_shape */
	uint64_t table;		/* physical address of the table that holds it */
	unsigned int index;	/* its slot in that table */
	uint64_t va;		/* the first virtual address it maps */
	uint64_t value;		/* the entry as the table holds it (x86 bits) */
};

/**
 * kmm_pagetable_for_each() - @t's page tables, whole: fills @shape (if not
 * NULL), then calls @fn (if not NULL) for every present entry of an upper
 * level, each followed by the entries of the table it points at, and for
 * every leaf entry that is not empty (present, PROT_NONE or a swap entry),
 * in address order.
 * Context: takes @t's mmap lock; @fn must not call into @t's address space.
 * Return: 0; @fn's nonzero return, which stops the walk; -ESRCH for a dead task.
 */
int kmm_pagetable_for_each(struct task_struct *t, struct kmm_pt_shape *shape,
			   int (*fn)(const struct kmm_pt_entry *e, void *arg), void *arg);

#ifdef __cplusplus
}
#endif

#endif /* KMM_PROCESS_H */
