// SPDX-License-Identifier: MIT
/*
 * bench/lab_objects.cc - the first seed's point 1d in numbers: "if the
 * memory of these small objects is always allocated through malloc() ...
 * the efficiency may be a problem, so usually the C++ environment will have
 * a pool mechanism". A C++ program makes and destroys many small objects
 * (48 bytes: a key, two links, a short tag) in a seeded order, keeping up to
 * LIVE of them; the same sequence runs with the class's operator new/delete
 * on
 *   - the global operator new (glibc's malloc): the peer,
 *   - a fixed pool (<kmm/pool.h>, KMM_POOL_FIXED): the seed's pool,
 *   - a TLSF pool (KMM_POOL_TLSF): a general allocator in a pool.
 * Figures: million new+delete pairs per second of the thread's CPU time,
 * the median of LAB_RUNS (default 5) runs, and the ratio kmm/glibc: the
 * pool's time per pair over glibc's in the same run (glibc's Mpairs/s over
 * the pool's: lower is better, as every ratio of make bench; each goes to
 * the closing summary). Then the same on 1, 2, 4 ... -t N threads at once,
 * each thread its own objects and its own pool, next to glibc on as many
 * threads: pairs per second of all threads, speedup over one thread,
 * glibc's, kmm/glibc.
 *
 * usage: lab_objects [-t N]
 */
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <new>
#include <vector>

#include <kmm/pool.h>

#include "bench/bench.h"

static constexpr std::size_t LIVE = 10000;
static constexpr long PAIRS = 1000000;

static double cpu_s()
{
	timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Where a Node's memory comes from: 0 glibc, else a pool. The one-thread
 * table's objects (Node) look in node_pool; the per-thread-count runs'
 * (MtNode: the same object) in mt_node_pool, one per thread, so that the
 * one-thread loop is the same code it always was.
 */
static kmm_pool *node_pool;
static thread_local kmm_pool *mt_node_pool;

template <bool PerThread>
struct NodeT {
	std::uint64_t key;
	NodeT *left, *right;
	char tag[24];

	explicit NodeT(std::uint64_t k) : key(k), left(nullptr), right(nullptr) { tag[0] = 'n'; }

	static kmm_pool *pool() { return PerThread ? mt_node_pool : node_pool; }
	static void *operator new(std::size_t n)
	{
		kmm_pool *from = pool();
		if (!from)
			return ::operator new(n);
		void *p = kmm_pool_alloc(from, n);
		if (!p)
			throw std::bad_alloc();
		return p;
	}
	static void operator delete(void *p) noexcept
	{
		kmm_pool *from = pool();
		if (!from)
			::operator delete(p);
		else
			kmm_pool_free(from, p);
	}
};

using Node = NodeT<false>;
using MtNode = NodeT<true>;

/* PAIRS new+delete pairs in a seeded order, LIVE objects kept. Return: CPU seconds. */
template <class N>
static double churn(std::uint64_t seed)
{
	std::vector<N *> live(LIVE, nullptr);
	std::uint64_t s = seed, sum = 0;

	for (std::size_t i = 0; i < LIVE; i++)
		live[i] = new N(i);
	double t0 = cpu_s();
	for (long i = 0; i < PAIRS; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		N *&slot = live[s % LIVE];
		sum += slot->key;
		delete slot;
		slot = new N(s);
	}
	double t = cpu_s() - t0;
	for (N *n : live)
		delete n;
	if (sum == 42)
		std::printf(" ");	/* keeps the loop's loads */
	return t;
}

/* A pool for @pol's objects, in a region of its own (free it with std::free(*region)). */
static int make_pool(kmm_pool *pool, kmm_pool_policy pol, void **region)
{
	kmm_pool_config cfg{};
	cfg.policy = pol;
	cfg.object_size = pol == KMM_POOL_FIXED ? sizeof(Node) : 0;
	std::size_t size = kmm_pool_region_size(&cfg, 2 * LIVE * 64);
	*region = std::aligned_alloc(4096, (size + 4095) & ~std::size_t(4095));
	if (!*region || kmm_pool_init(pool, &cfg, *region, size, nullptr, 0)) {
		std::fprintf(stderr, "%s: %s\n", kmm_pool_policy_name(pol),
			     *region ? kmm_pool_error(pool) : "no memory");
		return -1;
	}
	return 0;
}

struct objects_job {
	int policy;		/* -1: glibc */
	int round;
	bool failed;
	double rate[BENCH_MAX_THREADS];	/* pairs per CPU second, per thread */
};

/* One thread of a per-thread-count run: its own pool (or glibc), its own seed. */
static void objects_thread(void *arg, int idx)
{
	objects_job *j = static_cast<objects_job *>(arg);
	std::uint64_t seed = 1 + (std::uint64_t)j->round * BENCH_MAX_THREADS + (std::uint64_t)idx;
	kmm_pool pool;
	void *region = nullptr;

	j->rate[idx] = 0;
	if (j->policy < 0) {
		j->rate[idx] = (double)PAIRS / churn<MtNode>(seed);
		return;
	}
	if (make_pool(&pool, (kmm_pool_policy)j->policy, &region)) {
		j->failed = true;
		std::free(region);
		return;
	}
	mt_node_pool = &pool;
	j->rate[idx] = (double)PAIRS / churn<MtNode>(seed);
	mt_node_pool = nullptr;
	std::free(region);
}

/* Pairs per second of @nr threads at once (each thread's CPU time), or -1. */
static double objects_threads(int policy, int round, int nr)
{
	objects_job j{};
	double sum = 0;

	j.policy = policy;
	j.round = round;
	bench_run_threads(nr, objects_thread, &j);
	for (int i = 0; i < nr; i++)
		sum += j.rate[i];
	return j.failed ? -1 : sum;
}

static double median(std::vector<double> v)
{
	std::sort(v.begin(), v.end());
	return v[v.size() / 2];
}

int main(int argc, char **argv)
{
	int max_threads;

	if (bench_threads_arg(argc, argv, &max_threads) != 1) {
		std::fprintf(stderr, "%s: unexpected argument '%s'\nusage: lab_objects [-t N]\n",
			     argv[0], argv[1]);
		return 2;
	}
	const char *env = std::getenv("LAB_RUNS");
	int runs = env ? std::atoi(env) : 5;
	runs = runs < 1 ? 1 : runs > 31 ? 31 : runs;

	std::printf("bench/lab_objects: %ld new+delete pairs of %zu-byte C++ objects, %zu live;\n"
		    "Mpairs per CPU second, median of %d runs; kmm/glibc: time per pair over\n"
		    "glibc's in this run (lower is better); one thread, then 1, 2 ... -t N\n",
		    PAIRS, sizeof(Node), LIVE, runs);
	std::printf("%-22s %10s %9s\n", "operator new from", "Mpairs/s", "kmm/glibc");

	std::vector<double> g;
	for (int r = 0; r < runs; r++)
		g.push_back((double)PAIRS / churn<Node>(1 + r) / 1e6);
	double gm = median(g);
	std::printf("%-22s %10.2f %9.2f\n", "glibc malloc", gm, 1.0);

	static const kmm_pool_policy pols[] = { KMM_POOL_FIXED, KMM_POOL_TLSF };
	for (kmm_pool_policy pol : pols) {
		kmm_pool_config cfg{};
		cfg.policy = pol;
		cfg.object_size = pol == KMM_POOL_FIXED ? sizeof(Node) : 0;
		std::size_t size = kmm_pool_region_size(&cfg, 2 * LIVE * 64);
		void *region = std::aligned_alloc(4096, (size + 4095) & ~std::size_t(4095));
		std::vector<double> v;
		for (int r = 0; r < runs; r++) {
			kmm_pool pool;
			if (!region || kmm_pool_init(&pool, &cfg, region, size, nullptr, 0)) {
				std::fprintf(stderr, "%s: %s\n", kmm_pool_policy_name(pol),
					     region ? kmm_pool_error(&pool) : "no memory");
				return 2;
			}
			node_pool = &pool;
			v.push_back((double)PAIRS / churn<Node>(1 + r) / 1e6);
			node_pool = nullptr;
		}
		std::free(region);
		double m = median(v);
		char name[40];
		std::snprintf(name, sizeof(name), "kmm pool (%s)", kmm_pool_policy_name(pol));
		double ratio = bench_time_ratio(m, gm);
		char rs[16], what[128];
		std::printf("%-22s %10.2f %9s\n", name, m, bench_fmt_ratio(rs, sizeof(rs), ratio));
		std::snprintf(what, sizeof(what), "new+delete %zu B objects, %s", sizeof(Node), name);
		bench_summary("lab_objects", what, 1, "glibc", ratio);
	}

	int counts[16], nc = bench_thread_counts(max_threads, counts);
	std::printf("\nlab_objects, per thread count: each thread churns its own %zu objects with a pool\n"
		    "of its own; pairs per second of all threads (each thread's CPU time), median of %d\n"
		    "rounds; peer: the global operator new (glibc) on as many threads\n", LIVE, runs);
	bench_header();
	for (kmm_pool_policy pol : pols) {
		char what[64];
		double one = 0;
		std::snprintf(what, sizeof(what), "new+delete %zu B, %s per thread", sizeof(Node),
			      kmm_pool_policy_name(pol));
		for (int c = 0; c < nc; c++) {
			std::vector<double> k, g2;
			for (int r = 0; r < runs; r++) {
				double kr = objects_threads(pol, r, counts[c]);
				if (kr < 0)
					return 2;
				k.push_back(kr);
				g2.push_back(objects_threads(-1, r, counts[c]));
			}
			double km = median(k), gr = median(g2);
			if (counts[c] == 1)
				one = km;
			bench_row("lab_objects", what, counts[c], km, one, "glibc", gr);
		}
	}
	return 0;
}
