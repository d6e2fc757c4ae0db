// SPDX-License-Identifier: MIT
/*
 * bench/slab.c - the slab allocator against the host's mallocs.
 *
 * Three workloads, each on 1, 2, 4 ... -t N threads (one CPU slot each: the
 * set-up runs on a thread that exits before the measuring starts):
 *   pair:  kmem_cache_alloc + kmem_cache_free of a 64-byte object, back to
 *          back (the SLUB fast path Jesper Brouer measured at 42 cycles);
 *          peers: malloc(64) + free.
 *   mixed: kmalloc of mixed sizes (16..4096) with 256 objects live, freed in
 *          shuffled order (so frees hit slabs other than the cpu slab);
 *          peers: malloc + free of the same sizes in the same order.
 *   bulk:  kmem_cache_alloc_bulk + kmem_cache_free_bulk of 16 objects (the
 *          API of Jesper Brouer's 2015 patch set); peers: 16 mallocs, 16 frees.
 * Each workload runs on two kmm machines, one row each beside the same peer
 * figures:
 *   CMDLINE as given (default below): Linux 6.12's SLUB, where a free goes
 *          onto the CPU slab's freelist. Its claim of the object's shadow
 *          byte (allocated -> FREE) must be an exact compare-exchange, a
 *          locked instruction per free: a double free racing from another
 *          CPU (__slab_free onto slab->freelist) could otherwise win too,
 *          and the object would sit on two freelists through its one
 *          free-pointer word (mm/slab.h, "Claiming an object's shadow byte").
 *   CMDLINE slab_sheaves=on ("sheaves" rows): Linux 6.18's per-CPU sheaves
 *          (its per-cache opt-in; kmm turns them on for every cache, and the
 *          malloc shim boots so). A free pushes the object into the CPU's
 *          sheaf with a plain load and store of its shadow byte: a racing
 *          second copy is caught when it leaves its sheaf, so no locked
 *          instruction is needed. This is the path malloc() and free() take.
 *   Session 20 measured the pair at 15.3 ns per alloc+free without sheaves
 *   (the compare-exchange is ~7.7 ns of it), 8.5 ns with them, and glibc at
 *   9.3-10.0 ns in the same runs (docs/malloc-measured.md).
 * Peers, measured once per workload and thread count and shown beside both
 * rows: glibc malloc, and jemalloc, mimalloc and
 * tcmalloc when their Debian libraries are installed (never required):
 * dlopen()ed, or for jemalloc (initial-exec TLS) in a child process of this
 * run started with LD_PRELOAD.
 * Each figure is the median over repetitions of the thread CPU time
 * (CLOCK_THREAD_CPUTIME_ID, so a loaded host does not count) per alloc+free
 * pair, averaged over the threads, shown as throughput (threads / time per
 * pair); "kmm/peer" is kmm's time over the peer's (below 1: kmm is faster).
 *
 * Usage: bench/slab [-t N] [CMDLINE]   (default "mem=1G nr_cpus=N", N the
 *        online CPUs; thread counts 1, 2, 4 ... N; KMM_QUICK=1: short)
 *        KMM_BENCH_CASE=W (0 cache 64 B, 1 kmalloc mixed, 2 bulk; 3, 4, 5 the
 *        same with sheaves): kmm only, one thread, one run, for instruction
 *        counts under callgrind; with KMM_BENCH_GLIBC=1 the same loop on
 *        glibc's malloc/free instead.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <kmm/kmm.h>
#include <kmm/slab.h>

#include "arch/sim/sim.h"

#include "bench/bench.h"

struct allocator {
	const char *name;
	void *(*malloc_fn)(size_t);
	void (*free_fn)(void *);
};

/* A kmm machine measured: 6.12's SLUB (CMDLINE) or the same with sheaves. */
struct kmm_setup {
	const char *cmdline;
	struct kmm_machine *machine;
	struct kmem_cache *cache64;
};

static struct kmm_setup slub, sheaves;
static long iterations;
static int reps;

static const size_t mixed_sizes[] = { 16, 32, 48, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096 };
#define LIVE 256


/* ---- The workloads; alloc == NULL means kmm ---- */

struct job {
	const struct allocator *a;	/* NULL: kmm, on @k */
	const struct kmm_setup *k;
	int workload;			/* 0 pair, 1 mixed, 2 bulk */
	double ns_per_pair;
};

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

static void *job_run(void *arg)
{
	struct job *j = arg;
	void *live[LIVE];
	size_t sizes[LIVE];
	int order[LIVE];
	uint64_t rng = 0x1234567;
	volatile unsigned char sink = 0;
	const struct kmm_setup *k = j->k ? j->k : &slub;	/* a peer's thread uses a slot too */
	struct kmem_cache *cache64 = k->cache64;

	kmm_use(k->machine);
	for (int i = 0; i < LIVE; i++) {
		sizes[i] = mixed_sizes[xorshift(&rng) % (sizeof(mixed_sizes) / sizeof(mixed_sizes[0]))];
		order[i] = i;
	}
	for (int i = LIVE - 1; i > 0; i--) {
		int k = (int)(xorshift(&rng) % (uint64_t)(i + 1)), t = order[i];
		order[i] = order[k];
		order[k] = t;
	}
	uint64_t t0 = bench_thread_ns();
	if (j->workload == 0) {
		for (long i = 0; i < iterations; i++) {
			unsigned char *p = j->a ? j->a->malloc_fn(64) : kmem_cache_alloc(cache64, GFP_KERNEL);
			p[0] = (unsigned char)i;
			sink ^= p[0];
			if (j->a)
				j->a->free_fn(p);
			else
				kmem_cache_free(cache64, p);
		}
	} else if (j->workload == 2) {
		void *b[16];
		for (long r = 0; r < iterations / 16; r++) {
			if (j->a) {
				for (int i = 0; i < 16; i++)
					b[i] = j->a->malloc_fn(64);
				for (int i = 0; i < 16; i++)
					j->a->free_fn(b[i]);
			} else {
				kmem_cache_alloc_bulk(cache64, GFP_KERNEL, 16, b);
				kmem_cache_free_bulk(cache64, 16, b);
			}
		}
	} else {
		for (long r = 0; r < iterations / LIVE; r++) {
			for (int i = 0; i < LIVE; i++) {
				unsigned char *p = j->a ? j->a->malloc_fn(sizes[i])
							: kmalloc(sizes[i], GFP_KERNEL);
				p[0] = (unsigned char)i;
				live[i] = p;
			}
			for (int i = 0; i < LIVE; i++) {
				void *p = live[order[i]];
				sink ^= *(unsigned char *)p;
				if (j->a)
					j->a->free_fn(p);
				else
					kfree(p);
			}
		}
	}
	uint64_t t1 = bench_thread_ns();
	long pairs = j->workload == 0 ? iterations :
		     j->workload == 2 ? (iterations / 16) * 16 : (iterations / LIVE) * LIVE;
	j->ns_per_pair = (double)(t1 - t0) / (double)pairs;
	(void)sink;
	return NULL;
}

/* Median ns per pair, per thread, over the repetitions (@a NULL: kmm on @k). */
static double measure(const struct allocator *a, const struct kmm_setup *k, int workload,
		      int threads)
{
	double *v = malloc(sizeof(double) * (size_t)reps);
	struct job *jobs = calloc((size_t)threads, sizeof(*jobs));
	sim_thread **t = calloc((size_t)threads, sizeof(*t));

	for (int r = 0; r < reps; r++) {
		for (int i = 0; i < threads; i++) {
			jobs[i] = (struct job){ a, k, workload, 0 };
			sim_thread_start(&t[i], job_run, &jobs[i]);
		}
		double sum = 0;
		for (int i = 0; i < threads; i++) {
			sim_thread_join(t[i]);
			sum += jobs[i].ns_per_pair;
		}
		v[r] = sum / threads;
	}
	double m = median(v, reps);
	free(v);
	free(jobs);
	free(t);
	return m;
}

static bool load_peer(struct allocator *a, const char *name, const char *lib, const char *m,
		      const char *f)
{
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);

	if (!h)
		return false;
	a->name = name;
	a->malloc_fn = (void *(*)(size_t))dlsym(h, m);
	a->free_fn = (void (*)(void *))dlsym(h, f);
	return a->malloc_fn && a->free_fn;
}

/*
 * jemalloc's library uses initial-exec TLS and cannot be dlopen()ed; measure
 * it in a child of this same run with LD_PRELOAD, where it is "malloc".
 * Return: true with the six figures in @out.
 */
static bool preload_peer(const char *lib, const char *cmdline, int max_threads, int nvals,
			 double *out)
{
	char self[512], cmd[1400];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0 || access(lib, R_OK))
		return false;
	self[n] = 0;
	snprintf(cmd, sizeof(cmd), "KMM_BENCH_MALLOC_ONLY=1 LD_PRELOAD=%s '%s' -t %d '%s'", lib, self,
		 max_threads, cmdline);
	FILE *f = popen(cmd, "r");
	if (!f)
		return false;
	int got = 0;
	while (got < nvals && fscanf(f, "%lf", &out[got]) == 1)
		got++;
	return pclose(f) == 0 && got == nvals;
}

/*
 * Boot both machines and create their caches on a thread of its own: its CPU
 * slots go back when it exits.
 */
static void *setup_main(void *arg)
{
	(void)arg;
	for (struct kmm_setup *k = &slub; k; k = k == &slub ? &sheaves : NULL) {
		k->machine = kmm_boot(k->cmdline);
		if (!k->machine) {
			fprintf(stderr, "bench/slab: boot failed: %s\n", kmm_last_error());
			exit(1);
		}
		kmm_use(k->machine);
		k->cache64 = kmem_cache_create("bench-64", 64, 0, 0, NULL);
		if (!k->cache64) {
			fprintf(stderr, "bench/slab: %s\n", kmm_last_error());
			exit(1);
		}
	}
	return NULL;
}

static void shutdown_both(void)
{
	for (struct kmm_setup *k = &slub; k; k = k == &slub ? &sheaves : NULL) {
		kmm_use(k->machine);
		kmem_cache_destroy(k->cache64);
		kmm_shutdown(k->machine);
	}
}

int main(int argc, char **argv)
{
	char defcmd[64], *sheafcmd;
	int max_threads;
	argc = bench_threads_arg(argc, argv, &max_threads);
	snprintf(defcmd, sizeof(defcmd), "mem=1G nr_cpus=%d", max_threads);
	const char *cmdline = argc > 1 ? argv[1] : defcmd;
	const char *quick = getenv("KMM_QUICK");
	struct allocator peers[4];
	int npeers = 0, counts[16], nc = bench_thread_counts(max_threads, counts);
	sim_thread *setup;

	iterations = quick && *quick != '0' ? 200000 : 2000000;
	reps = quick && *quick != '0' ? 3 : 7;
	sheafcmd = malloc(strlen(cmdline) + sizeof(" slab_sheaves=on"));
	sprintf(sheafcmd, "%s slab_sheaves=on", cmdline);
	slub.cmdline = cmdline;
	sheaves.cmdline = sheafcmd;
	sim_thread_start(&setup, setup_main, NULL);
	sim_thread_join(setup);
	const char *one = getenv("KMM_BENCH_CASE");
	if (one) {
		/*
		 * One workload, one thread, one run: for valgrind --tool=callgrind
		 * (KMM_BENCH_GLIBC=1: glibc's malloc and free in the same loop).
		 */
		static const struct allocator glibc = { "glibc", malloc, free };
		const char *peer = getenv("KMM_BENCH_GLIBC");
		int w = atoi(one);
		reps = 1;
		if (w < 0 || w > 5)
			w = 0;
		printf("%.3f\n", measure(peer && *peer != '0' ? &glibc : NULL, w > 2 ? &sheaves : &slub,
					  w % 3, 1));
		shutdown_both();
		free(sheafcmd);
		return 0;
	}
	peers[npeers++] = (struct allocator){ "glibc", malloc, free };
	if (getenv("KMM_BENCH_MALLOC_ONLY")) {
		/* The child of preload_peer(): malloc is the preloaded allocator. */
		for (int w = 0; w < 3; w++)
			for (int c = 0; c < nc; c++)
				printf("%.3f\n", measure(&peers[0], NULL, w, counts[c]));
		shutdown_both();
		free(sheafcmd);
		return 0;
	}
	double je[3 * 16];
	bool have_je = false;
	if (load_peer(&peers[npeers], "jemalloc", "libjemalloc.so.2", "malloc", "free"))
		npeers++;
	else
		have_je = preload_peer("/usr/lib/x86_64-linux-gnu/libjemalloc.so.2", cmdline,
				       max_threads, 3 * nc, je);
	if (load_peer(&peers[npeers], "mimalloc", "libmimalloc.so.2", "mi_malloc", "mi_free"))
		npeers++;
	if (load_peer(&peers[npeers], "tcmalloc", "libtcmalloc_minimal.so.4", "tc_malloc",
		      "tc_free"))
		npeers++;

	printf("bench/slab: %s, %ld pairs per thread, median of %d runs; throughput from each "
	       "thread's CPU time (a loaded host's waiting does not count), peers in the same run\n",
	       cmdline, iterations, reps);
	printf("each workload twice: on '%s' as Linux 6.12's SLUB (a locked compare-exchange per "
	       "free onto the cpu freelist),\nand as \"sheaves\" on '%s' (Linux 6.18's per-CPU "
	       "sheaves: a load and a store per free); the same peer figures beside both\n",
	       cmdline, sheafcmd);
	bench_header();
	static const char *const names[2][3] = {
		{ "kmem_cache_alloc+free (64 B)", "kmalloc+kfree mixed 16..4096 B",
		  "alloc_bulk+free_bulk of 16 (64 B)" },
		{ "kmem_cache_alloc+free (64 B), sheaves", "kmalloc+kfree mixed 16..4096 B, sheaves",
		  "alloc_bulk+free_bulk of 16 (64 B), sheaves" },
	};
	for (int w = 0; w < 3; w++) {
		double one_thread[2] = { 0, 0 };
		for (int c = 0; c < nc; c++) {
			int threads = counts[c];
			double kops[2], pops[4 + 1];
			const char *pname[4 + 1];
			int np = 0;
			/* kmm's two machines and the peers, interleaved in this order */
			for (int v = 0; v < 2; v++) {
				kops[v] = threads * 1e9 / measure(NULL, v ? &sheaves : &slub, w, threads);
				if (threads == 1)
					one_thread[v] = kops[v];
			}
			for (int p = 0; p < npeers; p++, np++) {
				pname[np] = peers[p].name;
				pops[np] = threads * 1e9 / measure(&peers[p], NULL, w, threads);
			}
			if (have_je) {
				pname[np] = "jemalloc";
				pops[np++] = threads * 1e9 / je[w * nc + c];
			}
			for (int v = 0; v < 2; v++)
				for (int p = 0; p < np; p++)
					bench_row("slab", names[v][w], threads, kops[v], one_thread[v],
						  pname[p], pops[p]);
			fflush(stdout);
		}
	}
	shutdown_both();
	free(sheafcmd);
	return 0;
}
