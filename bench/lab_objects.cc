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
 * the closing summary).
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

/* Where a Node's memory comes from: 0 glibc, else a pool. */
static kmm_pool *node_pool;

struct Node {
	std::uint64_t key;
	Node *left, *right;
	char tag[24];

	explicit Node(std::uint64_t k) : key(k), left(nullptr), right(nullptr) { tag[0] = 'n'; }

	static void *operator new(std::size_t n)
	{
		if (!node_pool)
			return ::operator new(n);
		void *p = kmm_pool_alloc(node_pool, n);
		if (!p)
			throw std::bad_alloc();
		return p;
	}
	static void operator delete(void *p) noexcept
	{
		if (!node_pool)
			::operator delete(p);
		else
			kmm_pool_free(node_pool, p);
	}
};

/* PAIRS new+delete pairs in a seeded order, LIVE objects kept. Return: CPU seconds. */
static double churn(std::uint64_t seed)
{
	std::vector<Node *> live(LIVE, nullptr);
	std::uint64_t s = seed, sum = 0;

	for (std::size_t i = 0; i < LIVE; i++)
		live[i] = new Node(i);
	double t0 = cpu_s();
	for (long i = 0; i < PAIRS; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		Node *&slot = live[s % LIVE];
		sum += slot->key;
		delete slot;
		slot = new Node(s);
	}
	double t = cpu_s() - t0;
	for (Node *n : live)
		delete n;
	if (sum == 42)
		std::printf(" ");	/* keeps the loop's loads */
	return t;
}

static double median(std::vector<double> v)
{
	std::sort(v.begin(), v.end());
	return v[v.size() / 2];
}

int main(int argc, char **argv)
{
	bench_one_thread(argc, argv, "lab_objects [-t N] (one thread: -t does not apply)");
	const char *env = std::getenv("LAB_RUNS");
	int runs = env ? std::atoi(env) : 5;
	runs = runs < 1 ? 1 : runs > 31 ? 31 : runs;

	std::printf("bench/lab_objects: %ld new+delete pairs of %zu-byte C++ objects, %zu live;\n"
		    "Mpairs per CPU second, median of %d runs; kmm/glibc: time per pair over\n"
		    "glibc's in this run (lower is better); one thread (-t N does not apply)\n",
		    PAIRS, sizeof(Node), LIVE, runs);
	std::printf("%-22s %10s %9s\n", "operator new from", "Mpairs/s", "kmm/glibc");

	std::vector<double> g;
	for (int r = 0; r < runs; r++)
		g.push_back((double)PAIRS / churn(1 + r) / 1e6);
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
			v.push_back((double)PAIRS / churn(1 + r) / 1e6);
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
	return 0;
}
