// SPDX-License-Identifier: MIT
/*
 * tests/unit_lab_pool_cxx.cc - the first seed's C++ small-object pool, from
 * C++: a class whose operator new and delete take its objects from a fixed
 * pool (<kmm/pool.h>, KMM_POOL_FIXED) instead of malloc. Many small objects
 * are made and destroyed in a seeded order with the pool's checker after
 * every step; a full pool throws std::bad_alloc; freed objects are reused
 * last-freed first; a second delete of the same object is refused by the
 * pool (-EALREADY) and reported, not passed on. Also proves <kmm/pool.h>
 * compiles and links as C++.
 *
 * Not on the kmm test harness (a C header): prints "ok NAME" / "FAIL ..."
 * and exits 1 on any failure, with the seed.
 */
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include <kmm/pool.h>

static int failures;
static std::uint64_t seed;

#define CHECK(c)                                                                         \
	do {                                                                             \
		if (!(c)) {                                                              \
			std::printf("FAIL %s:%d: %s (seed %llu)\n", __FILE__, __LINE__, #c,  \
				    (unsigned long long)seed);                           \
			failures++;                                                      \
		}                                                                        \
	} while (0)

struct Node {
	std::uint64_t key;
	Node *next;
	char tag[24];

	static kmm_pool *pool;
	static int bad_deletes;

	static void *operator new(std::size_t n)
	{
		void *p = kmm_pool_alloc(pool, n);
		if (!p)
			throw std::bad_alloc();
		return p;
	}
	static void operator delete(void *p) noexcept
	{
		if (p && kmm_pool_free(pool, p) != 0)
			bad_deletes++;	/* a pool never lets it through to its lists */
	}

	explicit Node(std::uint64_t k) : key(k), next(nullptr)
	{
		std::snprintf(tag, sizeof(tag), "n%llx", (unsigned long long)k);
	}
};

kmm_pool *Node::pool;
int Node::bad_deletes;

static std::uint64_t rnd(std::uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static bool intact(const Node *n)
{
	char want[24];

	std::snprintf(want, sizeof(want), "n%llx", (unsigned long long)n->key);
	return !std::strcmp(n->tag, want);
}

int main()
{
	static_assert(sizeof(Node) <= 48, "Node fits the pool's objects");
	const char *env = std::getenv("KMM_SEED");
	seed = env ? std::strtoull(env, nullptr, 0) : 12345;

	/* a pool of exactly 64 objects: the region sized for them */
	kmm_pool_config cfg{};
	cfg.policy = KMM_POOL_FIXED;
	cfg.object_size = sizeof(Node);
	std::size_t size = kmm_pool_region_size(&cfg, 64 * 48);
	CHECK(size > 0);
	unsigned char *region =
		static_cast<unsigned char *>(std::aligned_alloc(64, (size + 63) & ~std::size_t(63)));
	kmm_pool pool;
	CHECK(region && kmm_pool_init(&pool, &cfg, region, size, nullptr, 0) == 0);
	Node::pool = &pool;
	kmm_pool_stats st;
	kmm_pool_get_stats(&pool, &st);
	const std::uint64_t capacity = st.free_blocks;
	CHECK(capacity >= 64);

	/* many small objects in a seeded order, the checker after every step */
	std::uint64_t s = seed | 1;
	std::vector<Node *> live;
	for (int step = 0; step < 4000; step++) {
		if (live.size() < capacity && (live.empty() || rnd(&s) % 3)) {
			Node *n = new Node(rnd(&s));
			CHECK(reinterpret_cast<std::uintptr_t>(n) % 16 == 0);
			live.push_back(n);
		} else {
			std::size_t i = rnd(&s) % live.size();
			CHECK(intact(live[i]));
			delete live[i];
			live[i] = live.back();
			live.pop_back();
		}
		if (kmm_pool_check(&pool)) {
			std::printf("FAIL step %d: %s (seed %llu)\n", step, kmm_pool_error(&pool),
				    (unsigned long long)seed);
			return 1;
		}
	}
	std::printf("%s random_new_delete_checked_every_step\n", failures ? "FAIL" : "ok  ");

	/* full: the next new throws and the pool is unchanged */
	int before = failures;
	while (live.size() < capacity)
		live.push_back(new Node(live.size()));
	bool threw = false;
	try {
		live.push_back(new Node(1));
	} catch (const std::bad_alloc &) {
		threw = true;
	}
	CHECK(threw);
	CHECK(kmm_pool_check(&pool) == 0);
	kmm_pool_get_stats(&pool, &st);
	CHECK(st.live_blocks == capacity && st.failed >= 1);
	std::printf("%s full_pool_throws_bad_alloc\n", failures > before ? "FAIL" : "ok  ");

	/* last freed, first reused; a second delete is refused */
	before = failures;
	Node *victim = live.back();
	live.pop_back();
	delete victim;
	Node *again = new Node(7);
	CHECK(again == victim);
	/* the address kept after the delete, as a buggy program keeps it */
	volatile std::uintptr_t stale = reinterpret_cast<std::uintptr_t>(again);
	delete again;
	Node::operator delete(reinterpret_cast<void *>(stale));	/* the mistake: refused */
	CHECK(Node::bad_deletes == 1);
	CHECK(std::strstr(kmm_pool_error(&pool), "double free") != nullptr);
	CHECK(kmm_pool_free(&pool, reinterpret_cast<void *>(stale)) == -EALREADY);
	CHECK(kmm_pool_check(&pool) == 0);
	for (Node *n : live)
		delete n;
	kmm_pool_get_stats(&pool, &st);
	CHECK(st.live_blocks == 0 && Node::bad_deletes == 1);
	CHECK(kmm_pool_check(&pool) == 0);
	std::printf("%s lifo_reuse_and_double_delete_refused\n", failures > before ? "FAIL" : "ok  ");

	std::free(region);
	std::printf("%d failed\n", failures);
	return failures ? 1 : 0;
}
