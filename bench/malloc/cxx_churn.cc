// SPDX-License-Identifier: MIT
/*
 * bench/malloc/cxx_churn.cc - a C++ workload: standard containers, strings,
 * over-aligned objects (aligned new/delete), arrays, nothrow new and sized
 * delete, so every form of operator new and delete is exercised under
 * LD_PRELOAD; first, the failing forms (a size no allocator can serve):
 * std::bad_alloc, the new_handler loop, and the nothrow forms' nullptr even
 * when the handler throws. The output is those lines and a checksum that
 * depends only on the argument.
 *
 * usage: cxx_churn [rounds]   (default 200000)
 */
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <unordered_map>
#include <vector>

struct alignas(64) Line {
	std::uint64_t v[8];
};

static int handler_calls;

/* Called until it gives up: the third call removes itself, so new throws. */
static void giving_up_handler()
{
	if (++handler_calls == 3)
		std::set_new_handler(nullptr);
}

static void throwing_handler()
{
	handler_calls++;
	throw std::bad_alloc();
}

/* Every failing form of operator new; prints what it saw. */
static void failing_forms()
{
	const std::size_t huge = SIZE_MAX / 2;
	const std::align_val_t al{ 256 };

	for (int aligned = 0; aligned < 2; aligned++) {
		const char *how = aligned ? "aligned" : "plain";
		auto try_new = [&] { return aligned ? operator new(huge, al) : operator new(huge); };
		auto try_nothrow = [&] {
			return aligned ? operator new(huge, al, std::nothrow) : operator new(huge, std::nothrow);
		};

		try {
			try_new();
			std::printf("%s new: no exception\n", how);
		} catch (const std::bad_alloc &) {
			std::printf("%s new: bad_alloc\n", how);
		}
		std::printf("%s nothrow new: %s\n", how, try_nothrow() ? "a block" : "nullptr");
		handler_calls = 0;
		std::set_new_handler(giving_up_handler);
		try {
			try_new();
		} catch (const std::bad_alloc &) {
			std::printf("%s new: bad_alloc after %d handler calls\n", how, handler_calls);
		}
		handler_calls = 0;
		std::set_new_handler(throwing_handler);
		void *p = try_nothrow();
		std::printf("%s nothrow new, throwing handler: %s after %d calls\n", how,
			    p ? "a block" : "nullptr", handler_calls);
		std::set_new_handler(nullptr);
	}
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? std::atol(argv[1]) : 200000;
	std::uint64_t s = 88172645463325252ULL, sum = 0;
	std::map<std::string, std::vector<int>> m;
	std::unordered_map<std::uint64_t, std::unique_ptr<Line>> lines;

	if (rounds < 1) {
		std::fprintf(stderr, "usage: cxx_churn [rounds]\n");
		return 2;
	}
	failing_forms();
	for (long i = 0; i < rounds; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		std::string key = "k" + std::to_string(s % 5000);
		auto &v = m[key];
		v.push_back((int)i);
		if (v.size() > 64)
			m.erase(key);
		auto &l = lines[s % 3000];
		l.reset(new Line());
		if (reinterpret_cast<std::uintptr_t>(l.get()) % 64) {
			std::fprintf(stderr, "misaligned Line\n");
			return 1;
		}
		l->v[i % 8] = i;
		int *arr = new int[1 + s % 300];
		arr[0] = (int)i;
		sum += (std::uint64_t)arr[0];
		delete[] arr;
		char *nt = new (std::nothrow) char[1 + s % 5000];
		if (nt)
			sum += 1;
		delete[] nt;
	}
	for (auto &kv : m)
		sum = sum * 31 + kv.first.size() + kv.second.size();
	std::printf("%zu %zu %llu\n", m.size(), lines.size(), (unsigned long long)sum);
	return 0;
}
