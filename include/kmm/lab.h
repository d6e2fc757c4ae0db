// SPDX-License-Identifier: MIT
/*
 * include/kmm/lab.h - the allocator lab's traces, replay and page
 * replacement: read the allocation traces people already have (glibc
 * mtrace, CS:APP malloc-lab .rep files, kmm's own malloc-shim traces) or
 * generate one, replay it through any pool allocator (include/kmm/pool.h)
 * and measure it; read memory-access traces (valgrind lackey, reference
 * strings) and count page faults under the classic replacement policies.
 *
 * docs/lab.md defines every metric. Nothing here keeps global state; a
 * trace, a result and a reference string belong to one thread at a time.
 */
#ifndef KMM_LAB_H
#define KMM_LAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <kmm/pool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Allocation traces (lab/trace.c, lab/trace_read.c) ---- */

enum kmm_lab_trace_op {
	KMM_LAB_TRACE_ALLOC,	/* id gets a block of size bytes */
	KMM_LAB_TRACE_FREE,		/* id's block goes back */
	KMM_LAB_TRACE_REALLOC,	/* id's block becomes size bytes (may move) */
	KMM_LAB_TRACE_MEMALIGN,	/* like ALLOC, aligned to 1 << align_log */
};

struct kmm_lab_trace_event {
	uint8_t op;		/* enum kmm_lab_trace_op */
	uint8_t align_log;	/* MEMALIGN only */
	uint16_t unused;
	uint32_t id;		/* a block's name: 0 .. nr_ids-1, one per allocation */
	uint64_t size;
};

/*
 * A trace is well formed by construction: every FREE and REALLOC names an id
 * that is live at that point, and every id is allocated once. Readers drop
 * what would break that (a free of memory allocated before the trace began)
 * and count it in `dropped`.
 */
struct kmm_lab_trace {
	struct kmm_lab_trace_event *ev;
	size_t nr, cap;
	uint32_t nr_ids;
	uint64_t dropped;	/* records the reader could not use */
	uint64_t heap_hint;	/* .rep: the suggested heap size (0 elsewhere) */
	char format[16];	/* "mtrace", "rep", "kmm", "events", "events-pages", "synthetic" */
};

enum kmm_lab_trace_format {
	KMM_LAB_TRACE_AUTO,		/* guess from the first lines */
	KMM_LAB_TRACE_MTRACE,	/* glibc mtrace(3): "@ caller + 0xaddr 0xsize" */
	KMM_LAB_TRACE_REP,		/* CS:APP malloc lab: 4 header numbers, "a id size" */
	KMM_LAB_TRACE_KMM,		/* KMM_MALLOC_TRACE: "# kmm malloc trace 1", "a addr size" */
	KMM_LAB_TRACE_EVENTS,		/* kmm trace record ("# kmm-trace 1"): kmalloc, kfree,
					   kmem_cache_alloc, kmem_cache_free */
	KMM_LAB_TRACE_EVENTS_PAGES,	/* the same file: mm_page_alloc, mm_page_free */
};

/** kmm_lab_trace_init() / kmm_lab_trace_free() - an empty trace; release one. */
void kmm_lab_trace_init(struct kmm_lab_trace *t);
void kmm_lab_trace_free(struct kmm_lab_trace *t);

/**
 * kmm_lab_trace_read() - read an allocation trace from @f into @t (empty).
 * @name: the file's name, for messages.
 * Return: 0, or -EINVAL / -ENOMEM with "@name:line: what is wrong" in @err
 * (@t is then left empty).
 */
int kmm_lab_trace_read(struct kmm_lab_trace *t, FILE *f, const char *name,
		       enum kmm_lab_trace_format fmt, char *err, size_t errlen);

/** kmm_lab_trace_write_rep() - write @t as a CS:APP .rep file. Return: 0 or -EIO. */
int kmm_lab_trace_write_rep(const struct kmm_lab_trace *t, FILE *f);

/* A seeded synthetic trace: sizes and lifetimes drawn from distributions. */
struct kmm_synth {
	uint64_t seed;
	uint64_t allocs;	/* allocations to make */
	/*
	 * "uniform:MIN-MAX", "exp:MEAN" (geometric), "pow2:MIN-MAX" (powers of
	 * two), "mix" (most small, some pages, a few large: a program's shape)
	 */
	const char *size;
	/* lifetime in allocations: "exp:MEAN", "uniform:MAX", "lifo" (a stack), "forever" */
	const char *life;
	unsigned int realloc_pct;	/* of the blocks: resized once, mid-life */
};

/**
 * kmm_lab_trace_synthetic() - generate @s into @t (empty). Every block is freed
 * by the end except with life "forever". The same @s gives the same trace.
 * Return: 0, or -EINVAL (a bad distribution, named in @err) / -ENOMEM.
 */
int kmm_lab_trace_synthetic(struct kmm_lab_trace *t, const struct kmm_synth *s, char *err,
			    size_t errlen);

/**
 * kmm_synth_parse() - fill @s from "seed=1,allocs=100000,size=exp:64,
 * life=exp:1000,realloc=5" (any subset, defaults for the rest). The strings
 * point into @spec. Return: 0 or -EINVAL with the reason in @err.
 */
int kmm_synth_parse(struct kmm_synth *s, char *spec, char *err, size_t errlen);

/** What a trace asks of an allocator. */
struct kmm_lab_trace_summary {
	uint64_t allocs, frees, reallocs, memaligns;
	uint64_t peak_live;	/* most requested bytes live at once */
	uint64_t peak_blocks;	/* most blocks live at once */
	uint64_t total_bytes;	/* requested, all allocations and reallocs */
	uint64_t max_size;
};
void kmm_lab_trace_summarize(const struct kmm_lab_trace *t, struct kmm_lab_trace_summary *s);

/* ---- Replay (lab/replay.c) ---- */

struct kmm_replay_config {
	struct kmm_pool_config pool;	/* the policy and its options */
	/*
	 * 0: a region whose arena is the power of two at or above 4 x the
	 * trace's peak live bytes (at least 64 KiB): kmm_pool_region_size()
	 */
	size_t pool_size;
	unsigned int samples;	/* fragmentation samples over the run (0: none) */
	unsigned int map_width;	/* columns of each sample's map (0: no map) */
	bool timing;		/* also measure events/s and the slowest event */
	bool rate_only;		/* only measure events/s: no metrics, no per-event timing */
	bool check;		/* run the pool's checker after every event (slow) */
	void (*progress)(void *arg, uint64_t done, uint64_t total);
	void *progress_arg;
	/*
	 * Called after each event of the (first, deterministic) pass: @off is
	 * the block's payload offset (the new one after a realloc, the freed
	 * one after a free), KMM_POOL_NOFF when it failed or was skipped.
	 */
	void (*on_event)(void *arg, struct kmm_pool *pool, size_t i, size_t off);
	void *event_arg;
};

struct kmm_replay_sample {
	uint64_t event;		/* events replayed when it was taken */
	uint64_t live;		/* requested bytes live */
	uint64_t used;		/* bytes of blocks in use (headers and rounding included) */
	uint64_t free, largest_free;
	double external;	/* 1 - largest_free / free */
	char *map;		/* map_width cells: '.' free, ':' <1/2, '+' >=1/2, '#' full */
};

struct kmm_replay_result {
	enum kmm_pool_policy policy;
	bool outside;
	size_t pool_size, meta_bytes, granule;
	uint64_t events, allocs, frees, reallocs;
	uint64_t failed;	/* allocations and reallocs the pool could not serve */
	uint64_t skipped;	/* frees/reallocs of blocks whose allocation failed */
	uint64_t peak_footprint;	/* highest end of a block in use, region offsets */
	uint64_t peak_live;	/* most requested bytes live at once */
	double utilisation;	/* peak_live / peak_footprint */
	double internal;	/* at peak_live: 1 - requested / block bytes in use */
	double external_mean, external_max;	/* over the samples */
	uint64_t splits, merges, steps, max_steps;
	uint64_t max_steps_event;	/* the event that examined max_steps nodes */
	/* timing (config.timing) */
	double seconds;		/* CPU time of the pass without per-event timing */
	double events_per_sec;	/* events / seconds: one core's rate */
	double worst_ns;	/* the slowest single event of the timed pass */
	uint64_t worst_event;
	unsigned int nr_samples;
	struct kmm_replay_sample *samples;
};

/**
 * kmm_replay() - replay @t through a fresh pool made from @cfg, measuring.
 * Return: 0; -EINVAL (bad config: @err says why), -ENOMEM, or -EUCLEAN
 * (config.check found a broken invariant: @err names the event).
 */
int kmm_replay(const struct kmm_lab_trace *t, const struct kmm_replay_config *cfg,
	       struct kmm_replay_result *r, char *err, size_t errlen);
void kmm_replay_result_free(struct kmm_replay_result *r);

/* ---- Page replacement (lab/refs.c, lab/pages.c, lab/pages_adaptive.c) ---- */

/* A reference string: page numbers, densely renamed 0 .. nr_pages-1. */
struct kmm_refs {
	uint32_t *page;		/* nr references */
	uint8_t *write;		/* nr flags (1: the reference writes) */
	size_t nr, cap;
	uint32_t nr_pages;	/* distinct pages */
	uint64_t *number;	/* nr_pages: the page number each dense id stands for */
	char format[16];	/* "string", "lackey", "kmm faults", "numbers" */
};

void kmm_refs_init(struct kmm_refs *r);
void kmm_refs_free(struct kmm_refs *r);
/**
 * kmm_refs_parse() - a reference string: page numbers separated by spaces or
 * commas, a 'w' suffix for a write ("7 0 1 2 0w 3"). Return: 0 or -EINVAL
 * (the bad word in @err).
 */
int kmm_refs_parse(struct kmm_refs *r, const char *text, char *err, size_t errlen);
/**
 * kmm_refs_read() - a file: valgrind --tool=lackey --trace-mem=yes output
 * (I/L/S/M records; addresses become pages of 2^@page_shift bytes, M is a
 * read and a write), a kmm machine's trace (`kmm trace record`: its
 * processes' page_fault_user events, the pages in the order they faulted),
 * or whitespace-separated page numbers.
 * @instructions: count instruction fetches (I) too.
 * Return: 0 or -EINVAL / -ENOMEM with "name:line: what" in @err.
 */
int kmm_refs_read(struct kmm_refs *r, FILE *f, const char *name, unsigned int page_shift,
		  bool instructions, char *err, size_t errlen);

enum kmm_pr_policy {
	KMM_PR_FIFO,
	KMM_PR_LRU,
	KMM_PR_OPT,		/* Belady's optimal: evict the page used farthest ahead */
	KMM_PR_CLOCK,		/* second chance */
	KMM_PR_NRU,		/* not recently used: classes of (R, M) */
	KMM_PR_LFU,
	KMM_PR_AGING,		/* 8-bit counters shifted each tick */
	KMM_PR_WSCLOCK,
	KMM_PR_2Q,
	KMM_PR_ARC,
	KMM_PR_LINUX,		/* Linux's active and inactive lists */
	KMM_PR_NR_POLICIES
};

struct kmm_pr_params {
	unsigned int tick;	/* NRU, aging, WSClock: references per clock tick (0: 1) */
	unsigned int tau;	/* WSClock: working-set window in ticks (0: 4 x frames) */
};

struct kmm_pr_result {
	uint64_t faults;	/* references to a page not in a frame */
	uint64_t hits;
	uint64_t evictions;
	uint64_t writebacks;	/* dirty pages evicted (or cleaned by WSClock) */
};

const char *kmm_pr_policy_name(enum kmm_pr_policy p);
int kmm_pr_policy_parse(const char *name);
/** kmm_pr_stack_policy() - true for policies that cannot show Belady's anomaly. */
bool kmm_pr_stack_policy(enum kmm_pr_policy p);

/**
 * kmm_pr_run() - replay @r on @frames frames under @policy.
 * Return: 0, -EINVAL (frames 0, unknown policy) or -ENOMEM.
 */
int kmm_pr_run(enum kmm_pr_policy policy, const struct kmm_refs *r, unsigned int frames,
	       const struct kmm_pr_params *params, struct kmm_pr_result *res);

/**
 * kmm_pr_belady() - Belady's anomaly in a sweep: @faults[i] is the count with
 * the i-th frame count of an increasing run (lo, lo+1, ...). Stores in @at
 * (up to @max) each i where one more frame gave more faults.
 * Return: how many such i there are.
 */
unsigned int kmm_pr_belady(const uint64_t *faults, unsigned int n, unsigned int *at,
			   unsigned int max);

#ifdef __cplusplus
}
#endif

#endif /* KMM_LAB_H */
