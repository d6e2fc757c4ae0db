// SPDX-License-Identifier: MIT
/*
 * bench/malloc/cxx_churn.cc - a C++ workload: standard containers, strings,
 * over-aligned objects (aligned new/delete), arrays, nothrow new and sized
 * delete, so every form of operator new and delete is exercised under
 * LD_PRELOAD. The output is a checksum that depends only on the argument.
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
