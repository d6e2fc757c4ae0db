// SPDX-License-Identifier: MIT
/*
 * proc/pid.c - /proc/<pid>/maps, smaps, smaps_rollup, status, statm, comm,
 * limits, pagemap (as text) and oom_score, oom_score_adj, oom_adj (proc/oom.c) of the
 * simulated processes.
 *
 * Linux counterpart: fs/proc/task_mmu.c (show_map_vma, show_smap,
 * smaps_account, task_mem, task_statm, pagemap_pmd_range's entry bits),
 * fs/proc/array.c (proc_pid_status), fs/proc/base.c (oom_score_adj,
 * proc_pid_limits).
 * Kept: the 6.12 formats byte for byte where Linux defines them: the maps
 * columns and name padding (column 73 on 64-bit, 49 on 32-bit machines, as
 * the simulated arch's sizeof(void *) gives), the smaps field order and
 * widths, PSS with 12 fractional bits, VmFlags mnemonics, the status Vm*
 * block, the signal lines (nothing queued, blocked, ignored or caught; an
 * OOM kill's pending SIGKILL), the five capability sets and the lines after
 * them (show_status_tail() says whose values they are). Simplified: x86's
 * thread-feature lines are not printed; the real /proc/<pid>/pagemap is
 * binary, kmm's is one text line
 * per mapped or swapped page holding the same 64-bit entry (bit 63 present,
 * 62 swapped, 61 file or shared-anon page, 56 mapped exactly once, 55
 * soft-dirty, bits 0-54 the PFN, or the swap type and offset). A file of
 * the filesystem (kmmfs on the disk kmmd0) shows kmmd0's device, fe:00
 * (major 254, the first dynamically numbered block major, as a virtio disk
 * gets; minor 0, a disk without partitions) and its kmmfs inode number
 * (program images too: exec installs them there); a synthetic image (a
 * machine without the fs layer) shows 08:01 and 131000 + the image's
 * number (a root disk kmm does not build); shared anonymous
 * memory and tmpfs show 00:01 as Linux's shmem does ("/dev/zero
 * (deleted)" for the anonymous kind).
 *
 * Locking: inside procs_enter(), the task's mm held by get_task_mm() and
 * read under mmap_read_lock(); smaps and pagemap read the page tables under
 * each table's PTE lock; what status and comm print of the task itself is
 * copied under tasklist_lock first, and the pid list is copied under it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/include/filemap.h"
#include "mm/include/mm.h"
#include "mm/include/swap.h"
#include "proc/proc.h"

/* ---- maps ---- */

static const char *vma_name(const struct vm_area_struct *vma, char *buf, size_t len)
{
	const struct mm_struct *mm = vma->vm_mm;

	if (vma->kind == VMA_VDSO)
		return "[vdso]";
	if (vma->vm_file) {
		snprintf(buf, len, "%s", vma->vm_file->path);
		return buf;
	}
	if (vma->vm_start <= mm->brk && vma->vm_end >= mm->start_brk)
		return "[heap]";
	if (vma->vm_start <= mm->start_stack && vma->vm_end >= mm->start_stack)
		return "[stack]";
	return NULL;
}

static void show_map_vma(struct strbuf *sb, const struct kmm_machine *m,
			 const struct vm_area_struct *vma)
{
	unsigned long flags = vma->vm_flags;
	unsigned long long pgoff = vma->vm_file && vma->kind == VMA_PLAIN && !vma->vm_file->shmem
					   ? (unsigned long long)vma->vm_pgoff << PAGE_SHIFT : 0;
	unsigned long ino = 0;
	int dev_major = 0, dev_minor = 0;
	char buf[80];
	const char *name = vma_name(vma, buf, sizeof(buf));
	size_t start = sb->len;

	if (vma->vm_file && vma->kind == VMA_PLAIN) {
		const struct kmm_file *f = vma->vm_file;
		if (f->shmem) {
			ino = f->ino + 1000;
			dev_minor = 1;
			pgoff = (unsigned long long)vma->vm_pgoff << PAGE_SHIFT;
		} else if (__atomic_load_n(&f->a_ops, __ATOMIC_ACQUIRE)) {
			ino = f->ino;		/* kmmfs: the inode number of the filesystem */
			dev_major = KMMD0_MAJOR;
		} else {
			ino = f->ino + 131000;	/* a synthetic image (no fs layer) */
			dev_major = 8;
			dev_minor = 1;
		}
	}
	sb_printf(sb, "%08lx-%08lx %c%c%c%c %08llx %02x:%02x %lu ", vma->vm_start, vma->vm_end,
		  flags & VM_READ ? 'r' : '-', flags & VM_WRITE ? 'w' : '-',
		  flags & VM_EXEC ? 'x' : '-', flags & VM_MAYSHARE ? 's' : 'p', pgoff,
		  dev_major, dev_minor, ino);
	if (name) {
		size_t width = 25 + 6 * (kmm_arch_is_32(m) ? 4 : 8) - 1;
		size_t used = sb->len - start;
		for (; used < width; used++)	/* seq_pad(m, ' '): pad, then one more blank */
			sb_puts(sb, " ");
		sb_puts(sb, " ");
		sb_puts(sb, name);
	}
	sb_puts(sb, "\n");
}

/* ---- smaps ---- */

#define PSS_SHIFT 12

struct mem_size_stats {
	unsigned long resident, shared_clean, shared_dirty, private_clean, private_dirty;
	unsigned long referenced, anonymous, lazyfree, swap;
	uint64_t swap_pss;	/* a swapped page shared by N PTEs counts 1/N */
	uint64_t pss, pss_dirty, pss_locked, pss_anon, pss_file, pss_shmem;
	const struct vm_area_struct *vma;
};

static int smaps_pte(void *arg, uint64_t va, void *slot, pteval_t v)
{
	struct mem_size_stats *mss = arg;
	const struct vm_area_struct *vma = mss->vma;

	if (!pte_present(v)) {
		const struct pgtable_geometry *g = vma->vm_mm->pgt.geo;
		if (is_poisoned_pte(g, v))
			return 0;	/* non_swap_entry(): a poisoned marker is no swap */
		int count = swp_swapcount(vma->vm_mm->m,
					  swp_entry(pte_swp_type(g, v), pte_swp_offset(g, v)));

		mss->swap += PAGE_SIZE;
		mss->swap_pss += ((uint64_t)PAGE_SIZE << PSS_SHIFT) / (uint64_t)(count >= 2 ? count : 1);
		return 0;
	}
	struct page *page = vm_normal_page((struct vm_area_struct *)vma, (unsigned long)va, v);
	if (!page)
		return 0;	/* the zero page is not counted */
	bool dirty = pte_dirty(v) || PageDirty(page);
	int mapcount = page_mapcount(page);
	uint64_t pss;

	if (PageAnon(page)) {
		mss->anonymous += PAGE_SIZE;
		if (!page_flag_test(page, PG_swapbacked) && !dirty)
			mss->lazyfree += PAGE_SIZE;
	}
	mss->resident += PAGE_SIZE;
	if (pte_young(v) || page_flag_test(page, PG_referenced))
		mss->referenced += PAGE_SIZE;
	if (mapcount >= 2) {
		if (dirty)
			mss->shared_dirty += PAGE_SIZE;
		else
			mss->shared_clean += PAGE_SIZE;
		pss = ((uint64_t)PAGE_SIZE << PSS_SHIFT) / (uint64_t)mapcount;
	} else {
		if (dirty)
			mss->private_dirty += PAGE_SIZE;
		else
			mss->private_clean += PAGE_SIZE;
		pss = (uint64_t)PAGE_SIZE << PSS_SHIFT;
	}
	mss->pss += pss;
	if (PageAnon(page))
		mss->pss_anon += pss;
	else if (page_flag_test(page, PG_swapbacked))
		mss->pss_shmem += pss;
	else
		mss->pss_file += pss;
	if (dirty)
		mss->pss_dirty += pss;
	if (vma->vm_flags & VM_LOCKED)
		mss->pss_locked += pss;
	return 0;
}

/*
 * smap_gather_stats()'s shmem rule: a shared or read-only mapping of a
 * shmem object counts the object's pages on swap in its range as Swap
 * (shmem_swap_usage; no SwapPss); a private writable one counts those whose
 * PTE is none (smaps_pte_hole: a COW copy of the page is the process's own
 * and counted by its PTE).
 */
static void smaps_shmem_swap(struct mem_size_stats *mss, const struct vm_area_struct *vma)
{
	struct kmm_file *f = vma->vm_file;
	unsigned long pages = (vma->vm_end - vma->vm_start) >> PAGE_SHIFT;
	unsigned long idx = vma->vm_pgoff, last = vma->vm_pgoff + pages - 1;

	if (!f || !f->shmem || vma->kind != VMA_PLAIN)
		return;
	if (!(vma->vm_flags & VM_WRITE) || (vma->vm_flags & VM_SHARED)) {
		mss->swap += shmem_partial_swap_usage(f, idx, last) << PAGE_SHIFT;
		return;
	}
	while (shmem_next_swapped(f, &idx, last)) {
		uint64_t va = vma->vm_start + ((uint64_t)(idx - vma->vm_pgoff) << PAGE_SHIFT);
		if (pte_none(pgtable_get_pte(&vma->vm_mm->pgt, va)))
			mss->swap += PAGE_SIZE;
		if (idx == last)
			break;
		idx++;
	}
}

static void seq_kb(struct strbuf *sb, const char *name, unsigned long bytes)
{
	sb_printf(sb, "%-16s%8lu kB\n", name, bytes >> 10);
}

static void show_smap_vma_flags(struct strbuf *sb, unsigned long flags)
{
	static const char mnemonics[32][3] = {
		"rd", "wr", "ex", "sh", "mr", "mw", "me", "ms", "gd", "um", "pf", "",
		"uw", "lo", "io", "sr", "rr", "dc", "de", "lf", "ac", "nr", "ht", "sf",
		"ar", "wf", "dd", "sd", "mm", "hg", "nh", "mg",
	};

	sb_puts(sb, "VmFlags: ");
	for (int i = 0; i < 32; i++)
		if ((flags & (1UL << i)) && mnemonics[i][0])
			sb_printf(sb, "%s ", mnemonics[i]);
	sb_puts(sb, "\n");
}

/*
 * The counters smaps prints per VMA and smaps_rollup prints summed (Linux's
 * __show_smap); only the rollup splits Pss by kind.
 */
static void show_smap_stats(struct strbuf *sb, const struct mem_size_stats *mss, bool rollup)
{
	seq_kb(sb, "Rss:", mss->resident);
	seq_kb(sb, "Pss:", (unsigned long)(mss->pss >> PSS_SHIFT));
	seq_kb(sb, "Pss_Dirty:", (unsigned long)(mss->pss_dirty >> PSS_SHIFT));
	if (rollup) {
		seq_kb(sb, "Pss_Anon:", (unsigned long)(mss->pss_anon >> PSS_SHIFT));
		seq_kb(sb, "Pss_File:", (unsigned long)(mss->pss_file >> PSS_SHIFT));
		seq_kb(sb, "Pss_Shmem:", (unsigned long)(mss->pss_shmem >> PSS_SHIFT));
	}
	seq_kb(sb, "Shared_Clean:", mss->shared_clean);
	seq_kb(sb, "Shared_Dirty:", mss->shared_dirty);
	seq_kb(sb, "Private_Clean:", mss->private_clean);
	seq_kb(sb, "Private_Dirty:", mss->private_dirty);
	seq_kb(sb, "Referenced:", mss->referenced);
	seq_kb(sb, "Anonymous:", mss->anonymous);
	seq_kb(sb, "KSM:", 0);
	seq_kb(sb, "LazyFree:", mss->lazyfree);
	seq_kb(sb, "AnonHugePages:", 0);
	seq_kb(sb, "ShmemPmdMapped:", 0);
	seq_kb(sb, "FilePmdMapped:", 0);
	seq_kb(sb, "Shared_Hugetlb:", 0);
	seq_kb(sb, "Private_Hugetlb:", 0);
	seq_kb(sb, "Swap:", mss->swap);
	seq_kb(sb, "SwapPss:", (unsigned long)(mss->swap_pss >> PSS_SHIFT));
	seq_kb(sb, "Locked:", (unsigned long)(mss->pss_locked >> PSS_SHIFT));
}

/*
 * Walk @vma's leaf entries under each table's PTE lock, as Linux's smaps
 * and pagemap do: reclaim and zap change
 * entries under it, so a present entry's page stays mapped (and not freed)
 * while @fn looks at it.
 */
static void walk_vma_locked(struct vm_area_struct *vma, int (*fn)(void *, uint64_t, void *, pteval_t),
			    void *arg)
{
	struct mm_struct *mm = vma->vm_mm;

	walk_ptes_locked(mm, vma->vm_start, vma->vm_end, true, fn, arg);
}

static void show_smap(struct strbuf *sb, const struct kmm_machine *m, struct vm_area_struct *vma)
{
	struct mem_size_stats mss = { .vma = vma };

	walk_vma_locked(vma, smaps_pte, &mss);
	smaps_shmem_swap(&mss, vma);
	show_map_vma(sb, m, vma);
	seq_kb(sb, "Size:", vma->vm_end - vma->vm_start);
	seq_kb(sb, "KernelPageSize:", PAGE_SIZE);
	seq_kb(sb, "MMUPageSize:", PAGE_SIZE);
	show_smap_stats(sb, &mss, false);
	sb_printf(sb, "%-16s%d\n", "THPeligible:", 0);
	show_smap_vma_flags(sb, vma->vm_flags);
}

/* smaps_rollup: every VMA summed under one "[rollup]" header (show_smaps_rollup). */
static void show_smaps_rollup(struct strbuf *sb, const struct kmm_machine *m, struct mm_struct *mm)
{
	struct mem_size_stats mss = { 0 };
	size_t start = sb->len;

	struct vm_area_struct *vma, *first = NULL, *last = NULL;
	VMA_ITERATOR(vmi, mm, 0);

	for_each_vma(vmi, vma) {
		mss.vma = vma;
		walk_vma_locked(vma, smaps_pte, &mss);
		smaps_shmem_swap(&mss, vma);
		if (!first)
			first = vma;
		last = vma;
	}
	sb_printf(sb, "%08lx-%08lx ---p 00000000 00:00 0 ", first ? first->vm_start : 0,
		  last ? last->vm_end : 0);
	for (size_t used = sb->len - start; used < 25 + 6 * (size_t)(kmm_arch_is_32(m) ? 4 : 8) - 1; used++)
		sb_puts(sb, " ");
	sb_puts(sb, " [rollup]\n");
	show_smap_stats(sb, &mss, true);
}

/* ---- status, statm ---- */

static void task_mem(struct strbuf *sb, struct mm_struct *mm)
{
	unsigned long anon = (unsigned long)get_mm_counter(mm, MM_ANONPAGES);
	unsigned long file = (unsigned long)get_mm_counter(mm, MM_FILEPAGES);
	unsigned long shmem = (unsigned long)get_mm_counter(mm, MM_SHMEMPAGES);
	unsigned long hiwater_vm = mm_total_vm(mm), total_vm = mm_total_vm(mm);
	unsigned long total_rss = anon + file + shmem, hiwater_rss = total_rss;
	unsigned long text, lib;
	const int s = PAGE_SHIFT - 10;

	if (hiwater_vm < __atomic_load_n(&mm->hiwater_vm, __ATOMIC_RELAXED))
		hiwater_vm = __atomic_load_n(&mm->hiwater_vm, __ATOMIC_RELAXED);
	if (hiwater_rss < __atomic_load_n(&mm->hiwater_rss, __ATOMIC_RELAXED))
		hiwater_rss = __atomic_load_n(&mm->hiwater_rss, __ATOMIC_RELAXED);
	text = (ALIGN_UP(mm->end_code, PAGE_SIZE) - (mm->start_code & PAGE_MASK)) >> 10;
	lib = (mm->exec_vm << s) - text;
	if (text > (mm->exec_vm << s)) {
		text = mm->exec_vm << s;
		lib = 0;
	}
	sb_printf(sb, "VmPeak:\t%8lu kB\n", hiwater_vm << s);
	sb_printf(sb, "VmSize:\t%8lu kB\n", total_vm << s);
	sb_printf(sb, "VmLck:\t%8lu kB\n", mm->locked_vm << s);
	sb_printf(sb, "VmPin:\t%8lu kB\n", mm->pinned_vm << s);
	sb_printf(sb, "VmHWM:\t%8lu kB\n", hiwater_rss << s);
	sb_printf(sb, "VmRSS:\t%8lu kB\n", total_rss << s);
	sb_printf(sb, "RssAnon:\t%8lu kB\n", anon << s);
	sb_printf(sb, "RssFile:\t%8lu kB\n", file << s);
	sb_printf(sb, "RssShmem:\t%8lu kB\n", shmem << s);
	sb_printf(sb, "VmData:\t%8lu kB\n", mm->data_vm << s);
	sb_printf(sb, "VmStk:\t%8lu kB\n", mm->stack_vm << s);
	sb_printf(sb, "VmExe:\t%8lu kB\n", text);
	sb_printf(sb, "VmLib:\t%8lu kB\n", lib);
	sb_printf(sb, "VmPTE:\t%8lu kB\n", (unsigned long)atomic_load(&mm->pgt.pgtables_bytes) >> 10);
	sb_printf(sb, "VmSwap:\t%8lu kB\n", (unsigned long)get_mm_counter(mm, MM_SWAPENTS) << s);
	sb_printf(sb, "HugetlbPages:\t%8lu kB\n", 0UL);
}

/*
 * What status and comm print of the task itself, copied under tasklist_lock
 * (exec renames, exit and reparenting write these under it): the copy is
 * taken before the mm's mmap_lock, which nests inside tasklist_lock.
 */
struct task_ident {
	char comm[sizeof(((struct task_struct *)0)->comm)];
	int pid, ppid;
	unsigned int uid;
	bool dead, kill_pending, is32;
	struct kmm_rlimit rlim[KMM_RLIM_NLIMITS];	/* signal->rlim */
	struct kmm_caps caps;
};

static void task_ident_get(struct kmm_machine *m, struct task_struct *t, struct task_ident *id)
{
	tasklist_lock(m);
	memcpy(id->comm, t->comm, sizeof(id->comm));
	id->comm[sizeof(id->comm) - 1] = '\0';
	id->pid = t->pid;
	id->uid = t->uid;
	id->dead = t->state == TASK_DEAD;
	for (int i = 0; i < KMM_RLIM_NLIMITS; i++)
		id->rlim[i] = (struct kmm_rlimit){ task_rlimit(t, i), task_rlimit_max(t, i) };
	kmm_task_caps(t, &id->caps);
	id->kill_pending = !id->dead && atomic_load(&t->oom_victim);
	id->is32 = kmm_arch_is_32(m);
	id->ppid = t->parent && t->parent->state != TASK_DEAD ? t->parent->pid : 0;
	tasklist_unlock(m);
}

/*
 * A bitmap as vsprintf's "%*pb" prints it: @nbits bits in 32-bit groups from
 * the top, comma separated, each group 8 hex digits except the first, which
 * has as many as its own bits need.
 */
static void show_mask(struct strbuf *sb, const uint32_t *w, int nbits)
{
	int chunk = nbits % 32 ? nbits % 32 : 32;

	for (int i = (nbits + 31) / 32 * 32 - 32; i >= 0; i -= 32) {
		uint32_t v = w[i / 32] & (chunk == 32 ? ~0u : (1u << chunk) - 1);

		sb_printf(sb, "%s%0*x", i + chunk < nbits ? "," : "", (chunk + 3) / 4, v);
		chunk = 32;
	}
}

/* The same bitmap as "%*pbl" prints it: "0", "0-1", "0,2-3" (nothing for none). */
static void show_mask_list(struct strbuf *sb, const uint32_t *w, int nbits)
{
	bool first = true;

	for (int b = 0; b < nbits; b++) {
		int end = b;

		if (!(w[b / 32] >> (b % 32) & 1))
			continue;
		while (end + 1 < nbits && (w[(end + 1) / 32] >> ((end + 1) % 32) & 1))
			end++;
		sb_printf(sb, end > b ? "%s%d-%d" : "%s%d", first ? "" : ",", b, end);
		first = false;
		b = end;
	}
}

#define STATUS_MASK_BITS 1024	/* MAX_NUMNODES at NODES_SHIFT 10, the largest build's */

/*
 * The lines proc_pid_status() prints after CapAmb, for the machine's build:
 * task_seccomp() (no_new_privs never set; SECCOMP and SECCOMP_FILTER are in
 * every build kmm models, no filter installed; the speculation lines for the
 * captures' CPU, QEMU's qemu64, which has neither SSBD nor IBPB/STIBP: 6.12's
 * ssb_prctl_get() answers PR_SPEC_ENABLE, "vulnerable", and ib_prctl_get()
 * PR_SPEC_ENABLE, "always enabled"), task_cpus_allowed() (every possible CPU:
 * nr_cpu_ids bits, all set, as init's mask after sched_init_smp()),
 * cpuset_task_status_allowed() (CPUSETS: MAX_NUMNODES = 1 << NODES_SHIFT bits,
 * the nodes with memory, as kernel_init_freeable() gives init) and
 * task_context_switch_counts() (kmm has no scheduler: a process never sleeps
 * and is never preempted). x86's thread features (X86_USER_SHADOW_STACK) are
 * not printed: no capture shows whether Debian's 6.12 build has them.
 */
static void show_status_tail(struct strbuf *sb, const struct kmm_machine *m)
{
	uint32_t w[STATUS_MASK_BITS / 32] = { 0 };
	int ncpu = m->nr_cpu_ids > 0 ? m->nr_cpu_ids : 1;
	int nnode = 1 << (m->kconfig ? m->kconfig->nodes_shift : 0);

	if (ncpu > STATUS_MASK_BITS)
		ncpu = STATUS_MASK_BITS;
	if (nnode < m->nr_node_ids)
		nnode = m->nr_node_ids;
	if (nnode > STATUS_MASK_BITS)
		nnode = STATUS_MASK_BITS;
	sb_puts(sb, "NoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0\n"
		"Speculation_Store_Bypass:\tvulnerable\n"
		"SpeculationIndirectBranch:\talways enabled\n");
	for (int c = 0; c < ncpu; c++)
		w[c / 32] |= 1u << (c % 32);
	sb_puts(sb, "Cpus_allowed:\t");
	show_mask(sb, w, ncpu);
	sb_puts(sb, "\nCpus_allowed_list:\t");
	show_mask_list(sb, w, ncpu);
	memset(w, 0, sizeof(w));
	for (int n = 0; n < m->nr_node_ids && n < nnode; n++)
		if (m->node_data[n] && READ_ONCE(m->node_data[n]->node_present_pages))
			w[n / 32] |= 1u << (n % 32);
	sb_puts(sb, "\nMems_allowed:\t");
	show_mask(sb, w, nnode);
	sb_puts(sb, "\nMems_allowed_list:\t");
	show_mask_list(sb, w, nnode);
	sb_puts(sb, "\nvoluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n");
}

static void show_status(struct strbuf *sb, const struct kmm_machine *m, const struct task_ident *id,
			struct mm_struct *mm)
{
	sb_printf(sb, "Name:\t%s\n", id->comm);
	sb_printf(sb, "Umask:\t0022\n");
	sb_printf(sb, "State:\t%s\n", id->dead ? "Z (zombie)" : "R (running)");
	sb_printf(sb, "Tgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t0\n", id->pid, id->pid,
		  id->ppid);
	sb_printf(sb, "Uid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\nFDSize:\t%d\nGroups:\t \n", id->uid,
		  id->uid, id->uid, id->uid, id->uid, id->uid, id->uid, id->uid, id->dead ? 0 : 64);
	sb_printf(sb, "NStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\nKthread:\t0\n", id->pid,
		  id->pid, id->pid, id->pid);
	if (mm) {
		task_mem(sb, mm);
		/*
		 * THP_enabled: task_thp_status(), 1 on a build with
		 * TRANSPARENT_HUGEPAGE (whatever transparent_hugepage= says:
		 * only prctl's MMF_DISABLE_THP, which kmm has not got, clears
		 * it), 0 on one without. untag_mask: mm_untag_mask(), all ones
		 * without LAM (an unsigned long of the arch).
		 */
		sb_printf(sb, "CoreDumping:\t0\nTHP_enabled:\t%d\nuntag_mask:\t%s\n",
			  !m->kconfig || m->kconfig->thp, id->is32 ? "0xffffffff" : "0xffffffffffffffff");
	}
	/*
	 * task_sig(): no signal is queued (an OOM kill's SIGKILL is sent
	 * SEND_SIG_PRIV: no sigqueue, one bit in the shared pending set until
	 * it is delivered); kmm's programs block, ignore and catch nothing.
	 * The queue limit is RLIMIT_SIGPENDING as an unsigned long of the arch.
	 */
	uint64_t qlim = id->rlim[KMM_RLIMIT_SIGPENDING].rlim_cur;
	if (id->is32 && qlim == KMM_RLIM_INFINITY)
		qlim = 0xffffffffu;
	sb_printf(sb, "Threads:\t1\nSigQ:\t0/%" PRIu64 "\nSigPnd:\t%016x\nShdPnd:\t%016x\n"
		  "SigBlk:\t%016x\nSigIgn:\t%016x\nSigCgt:\t%016x\n", qlim, 0,
		  id->kill_pending ? 1u << (9 - 1) : 0, 0, 0, 0);
	/* task_cap() */
	sb_printf(sb, "CapInh:\t%016" PRIx64 "\nCapPrm:\t%016" PRIx64 "\nCapEff:\t%016" PRIx64
		  "\nCapBnd:\t%016" PRIx64 "\nCapAmb:\t%016" PRIx64 "\n", id->caps.inheritable,
		  id->caps.permitted, id->caps.effective, id->caps.bounding, id->caps.ambient);
	show_status_tail(sb, m);
}

/* ---- limits ---- */

/* proc_pid_limits()'s names and units, by KMM_RLIMIT_* number (NULL: no unit). */
static const struct { const char *name, *unit; } lnames[KMM_RLIM_NLIMITS] = {
	[KMM_RLIMIT_CPU] = { "Max cpu time", "seconds" },
	[KMM_RLIMIT_FSIZE] = { "Max file size", "bytes" },
	[KMM_RLIMIT_DATA] = { "Max data size", "bytes" },
	[KMM_RLIMIT_STACK] = { "Max stack size", "bytes" },
	[KMM_RLIMIT_CORE] = { "Max core file size", "bytes" },
	[KMM_RLIMIT_RSS] = { "Max resident set", "bytes" },
	[KMM_RLIMIT_NPROC] = { "Max processes", "processes" },
	[KMM_RLIMIT_NOFILE] = { "Max open files", "files" },
	[KMM_RLIMIT_MEMLOCK] = { "Max locked memory", "bytes" },
	[KMM_RLIMIT_AS] = { "Max address space", "bytes" },
	[KMM_RLIMIT_LOCKS] = { "Max file locks", "locks" },
	[KMM_RLIMIT_SIGPENDING] = { "Max pending signals", "signals" },
	[KMM_RLIMIT_MSGQUEUE] = { "Max msgqueue size", "bytes" },
	[KMM_RLIMIT_NICE] = { "Max nice priority", NULL },
	[KMM_RLIMIT_RTPRIO] = { "Max realtime priority", NULL },
	[KMM_RLIMIT_RTTIME] = { "Max realtime timeout", "us" },
};

/* One limit column: 20 wide, then a space. */
static void show_limit(struct strbuf *sb, uint64_t v)
{
	if (v == KMM_RLIM_INFINITY)
		sb_printf(sb, "%-20s ", "unlimited");
	else
		sb_printf(sb, "%-20" PRIu64 " ", v);
}

/*
 * /proc/PID/limits as fs/proc/base.c proc_pid_limits() prints it: a header,
 * then the sixteen limits in resource order, soft and hard columns 20 wide,
 * the unit padded to 10 (nothing after the hard column for the three with
 * no unit). @rlim was copied under tasklist_lock.
 */
static void show_limits(struct strbuf *sb, const struct kmm_rlimit *rlim)
{
	sb_printf(sb, "%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit", "Hard Limit", "Units");
	for (int i = 0; i < KMM_RLIM_NLIMITS; i++) {
		sb_printf(sb, "%-25s ", lnames[i].name);
		show_limit(sb, rlim[i].rlim_cur);
		show_limit(sb, rlim[i].rlim_max);
		if (lnames[i].unit)
			sb_printf(sb, "%-10s\n", lnames[i].unit);
		else
			sb_puts(sb, "\n");
	}
}

/* ---- pagemap (text) ---- */

#define PM_PFRAME_MASK ((1ULL << 55) - 1)
#define PM_SOFT_DIRTY (1ULL << 55)
#define PM_MMAP_EXCLUSIVE (1ULL << 56)
#define PM_FILE (1ULL << 61)
#define PM_SWAP (1ULL << 62)
#define PM_PRESENT (1ULL << 63)

struct pagemap_ctx {
	struct strbuf *sb;
	struct vm_area_struct *vma;
};

static int pagemap_pte(void *arg, uint64_t va, void *slot, pteval_t v)
{
	struct pagemap_ctx *c = arg;
	const struct pgtable_geometry *g = c->vma->vm_mm->pgt.geo;
	uint64_t e = 0;

	if (pte_present(v)) {
		struct page *page = vm_normal_page(c->vma, (unsigned long)va, v);
		e = PM_PRESENT | (pte_pfn_geo(g, v) & PM_PFRAME_MASK);
		if (page && !PageAnon(page))
			e |= PM_FILE;
		if (page && page_mapcount(page) == 1)
			e |= PM_MMAP_EXCLUSIVE;
		if (v & _PAGE_SOFT_DIRTY)
			e |= PM_SOFT_DIRTY;
	} else {
		e = PM_SWAP | pte_swp_type(g, v) | ((uint64_t)pte_swp_offset(g, v) << 5);
	}
	sb_printf(c->sb, "%016" PRIx64 " %016" PRIx64 "\n", va, e);
	return 0;
}

/* ---- Dispatch ---- */

static struct task_struct *task_of(struct kmm_machine *m, const char *rest, const char **file)
{
	char *end;
	long pid = strtol(rest, &end, 10);

	if (end == rest || *end != '/' || pid <= 0)
		return NULL;
	*file = end + 1;
	return get_task_by_pid(m, (int)pid);	/* put_task_struct() when done */
}

int pid_show(struct kmm_machine *m, const char *rest, struct strbuf *sb)
{
	const char *file;
	struct task_struct *t;
	int err = 0;

	m = proc_machine(m);
	if (!m || !procs_of(m))
		return -ENOENT;
	int token = procs_enter(m);
	struct mm_struct *mm = NULL;
	struct vm_area_struct *vma;
	struct task_ident id;
	t = task_of(m, rest, &file);
	if (!t) {
		err = -ENOENT;
		goto out;
	}
	task_ident_get(m, t, &id);
	mm = get_task_mm(t);
	if (mm)
		mmap_read_lock(mm);
	if (!strcmp(file, "status")) {
		show_status(sb, m, &id, mm);
	} else if (!strcmp(file, "maps") || !strcmp(file, "smaps")) {
		if (mm) {
			VMA_ITERATOR(vmi, mm, 0);
			for_each_vma(vmi, vma) {
				if (file[0] == 's')
					show_smap(sb, m, vma);
				else
					show_map_vma(sb, m, vma);
			}
		}
	} else if (!strcmp(file, "smaps_rollup")) {
		if (mm)
			show_smaps_rollup(sb, m, mm);
	} else if (!strcmp(file, "statm")) {
		if (mm) {
			unsigned long shared = (unsigned long)(get_mm_counter(mm, MM_FILEPAGES) +
							       get_mm_counter(mm, MM_SHMEMPAGES));
			unsigned long text = (ALIGN_UP(mm->end_code, PAGE_SIZE) - (mm->start_code & PAGE_MASK)) >> PAGE_SHIFT;
			sb_printf(sb, "%lu %lu %lu %lu 0 %lu 0\n", mm_total_vm(mm),
				  shared + (unsigned long)get_mm_counter(mm, MM_ANONPAGES), shared, text,
				  mm->data_vm + mm->stack_vm);
		} else {
			sb_puts(sb, "0 0 0 0 0 0 0\n");
		}
	} else if (!strcmp(file, "pagemap")) {
		if (mm) {
			VMA_ITERATOR(vmi, mm, 0);
			for_each_vma(vmi, vma) {
				struct pagemap_ctx c = { sb, vma };
				walk_vma_locked(vma, pagemap_pte, &c);
			}
		}
	} else if (oom_pid_file(file)) {
		err = oom_pid_show(t, file, sb);
	} else if (!strcmp(file, "comm")) {
		sb_printf(sb, "%s\n", id.comm);
	} else if (!strcmp(file, "limits")) {
		show_limits(sb, id.rlim);
	} else {
		err = -ENOENT;
	}
	if (mm) {
		mmap_read_unlock(mm);
		mmput(mm);
	}
	put_task_struct(t);
out:
	procs_exit(m, token);
	return err;
}

int pid_write(struct kmm_machine *m, const char *rest, const char *text)
{
	const char *file;
	struct task_struct *t;

	m = proc_machine(m);
	if (!m || !procs_of(m))
		return -ENOENT;
	int token = procs_enter(m);	/* before the lookup: an exiting task stays readable */
	int err;
	t = task_of(m, rest, &file);
	if (!t)
		err = -ENOENT;
	else if (strcmp(file, "oom_score_adj") && strcmp(file, "oom_adj"))
		err = strcmp(file, "status") && strcmp(file, "maps") && strcmp(file, "smaps") &&
		      strcmp(file, "statm") && strcmp(file, "pagemap") && strcmp(file, "comm") &&
		      strcmp(file, "smaps_rollup") && strcmp(file, "oom_score") && strcmp(file, "limits")
			      ? -ENOENT : -EACCES;
	else
		err = oom_pid_write(m, t, file, text);
	if (t)
		put_task_struct(t);
	procs_exit(m, token);
	return err;
}

int pid_mode(struct kmm_machine *m, const char *rest)
{
	const char *file;
	struct task_struct *t;

	m = proc_machine(m);
	if (!m || !procs_of(m) || !(t = task_of(m, rest, &file)))
		return -ENOENT;
	put_task_struct(t);	/* only whether it exists */
	if (!strcmp(file, "oom_score_adj") || !strcmp(file, "oom_adj"))
		return 0644;
	if (!strcmp(file, "oom_score"))
		return 0444;
	if (!strcmp(file, "pagemap"))
		return 0400;
	if (!strcmp(file, "status") || !strcmp(file, "maps") || !strcmp(file, "smaps") ||
	    !strcmp(file, "smaps_rollup") || !strcmp(file, "statm") || !strcmp(file, "comm") ||
	    !strcmp(file, "limits"))
		return 0444;
	return -ENOENT;
}

/*
 * The pids of the tasks alive now, copied under tasklist_lock (tasks join and
 * leave the list under it): @fn is called with no lock held, and may read the
 * files it is given. Return: the count, with *@out malloc'd; -ENOMEM.
 */
static int pid_snapshot(struct kmm_machine *m, struct kmm_procs *p, int **out)
{
	struct list_head *pos;
	size_t cap = 16;

	for (;;) {
		int *pids = malloc(cap * sizeof(*pids));
		size_t n = 0;

		if (!pids)
			return -ENOMEM;
		tasklist_lock(m);
		list_for_each(pos, &p->tasks) {
			if (n < cap)
				pids[n] = list_entry(pos, struct task_struct, tasks)->pid;
			n++;
		}
		tasklist_unlock(m);
		if (n <= cap) {
			*out = pids;
			return (int)n;
		}
		free(pids);
		cap = n + 16;	/* tasks came meanwhile: room for a few more */
	}
}

int pid_list(struct kmm_machine *m, kmm_proc_list_fn fn, void *arg)
{
	static const struct { const char *name; unsigned int mode; } files[] = {
		{ "comm", 0444 }, { "limits", 0444 }, { "maps", 0444 }, { "oom_adj", 0644 }, { "oom_score", 0444 },
		{ "oom_score_adj", 0644 },
		{ "pagemap", 0400 }, { "smaps", 0444 }, { "smaps_rollup", 0444 }, { "statm", 0444 },
		{ "status", 0444 },
	};
	struct kmm_procs *p;
	char path[64];
	int *pids, n, r = 0;

	m = proc_machine(m);
	if (!m || !(p = procs_of(m)))
		return 0;
	n = pid_snapshot(m, p, &pids);
	if (n < 0)
		return n;
	for (int k = 0; k < n && !r; k++) {
		for (size_t i = 0; i < ARRAY_SIZE(files) && !r; i++) {
			snprintf(path, sizeof(path), "/proc/%d/%s", pids[k], files[i].name);
			r = fn(path, files[i].mode, arg);
		}
	}
	free(pids);
	return r;
}
