# SPDX-License-Identifier: MIT
# kmm: `make demo` builds and runs the tour (and draws it: build/tour.html);
# `make reports` draws four examples; `make test` builds and runs every test.
BUILD ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
DEBUG_BUILD ?= build-debug
RELEASE_BUILD ?= build-release
CLANG_BUILD ?= build-clang
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE ?= cmake
CTEST ?= ctest

.PHONY: all build demo reports test test-asan asan test-debug debug test-tsan tsan fuzz bench clean man \
	release clang

all: build

$(BUILD)/CMakeCache.txt:
	$(CMAKE) -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: $(BUILD)/CMakeCache.txt
	$(CMAKE) --build $(BUILD) -j $(JOBS)

# The tour needs the kmm command only: its target and what it links, not the
# tests and benchmarks (`make test` builds those).
demo: $(BUILD)/CMakeCache.txt
	$(CMAKE) --build $(BUILD) -j $(JOBS) --target kmm_cli
	$(BUILD)/kmm run --report $(BUILD)/tour.html examples/tour.kmm
	@echo "The tour as pictures: $(BUILD)/tour.html (open it in a browser; docs/report.md)"

# The HTML reports of four examples (docs/report.md): the tour, the i386
# lowmem/highmem boots, the buddy thrash and copy-on-write.
REPORTS = tour lowmem_i386 buddy_thrash cow
reports: $(BUILD)/CMakeCache.txt
	$(CMAKE) --build $(BUILD) -j $(JOBS) --target kmm_cli
	@mkdir -p $(BUILD)/report
	@for r in $(REPORTS); do \
		$(BUILD)/kmm run -q --report $(BUILD)/report/$$r.html examples/$$r.kmm >/dev/null || exit 1; \
		echo "$(BUILD)/report/$$r.html"; \
	done

test: build
	cd $(BUILD) && $(CTEST) --output-on-failure -j $(JOBS)

$(ASAN_BUILD)/CMakeCache.txt:
	$(CMAKE) -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DKMM_SANITIZE=ON

asan: $(ASAN_BUILD)/CMakeCache.txt
	$(CMAKE) --build $(ASAN_BUILD) -j $(JOBS)

test-asan: asan
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 KMM_QUICK=1 $(CTEST) --output-on-failure -j $(JOBS)

# Every layer's checker after every operation of every machine (mm/debug_checks.c,
# KMM_DEBUG_CHECKS): slow, so not part of `make test`. See docs/testing.md.
$(DEBUG_BUILD)/CMakeCache.txt:
	$(CMAKE) -S . -B $(DEBUG_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKMM_DEBUG_CHECKS=ON

debug: $(DEBUG_BUILD)/CMakeCache.txt
	$(CMAKE) --build $(DEBUG_BUILD) -j $(JOBS)

test-debug: debug
	cd $(DEBUG_BUILD) && KMM_QUICK=1 $(CTEST) --output-on-failure -j $(JOBS)

$(TSAN_BUILD)/CMakeCache.txt:
	$(CMAKE) -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKMM_TSAN=ON

# ThreadSanitizer over the tests that run threads (ctest label "tsan",
# cmake/harden.cmake): any data race fails the run.
tsan: $(TSAN_BUILD)/CMakeCache.txt
	$(CMAKE) $(TSAN_BUILD) >/dev/null
	$(CMAKE) --build $(TSAN_BUILD) -j $(JOBS) --target kmm_tsan_tests

test-tsan: tsan
	cd $(TSAN_BUILD) && TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1" \
		KMM_QUICK=1 $(CTEST) --output-on-failure -j $(JOBS) -L tsan

# Every target built as a user's Release build (-O3) with gcc, and with clang:
# the build is warning-free (-Werror) with both, and -O3 sees more than -O2.
# The Release library is the one users preload: `make release` also runs the
# tests labelled "release" on it (the hot-symbol list against what its
# programs run, cmake/shim_hot_symbols.cmake), which CI would not see in
# `make test`'s RelWithDebInfo build (review17 R8).
$(RELEASE_BUILD)/CMakeCache.txt:
	$(CMAKE) -S . -B $(RELEASE_BUILD) -DCMAKE_BUILD_TYPE=Release

release: $(RELEASE_BUILD)/CMakeCache.txt
	$(CMAKE) --build $(RELEASE_BUILD) -j $(JOBS)
	cd $(RELEASE_BUILD) && $(CTEST) --output-on-failure -j $(JOBS) -L release

$(CLANG_BUILD)/CMakeCache.txt:
	CC=clang CXX=clang++ $(CMAKE) -S . -B $(CLANG_BUILD) -DCMAKE_BUILD_TYPE=Release

clang: $(CLANG_BUILD)/CMakeCache.txt
	$(CMAKE) --build $(CLANG_BUILD) -j $(JOBS)

# The fuzzers (clang's libFuzzer) for FUZZ_SECONDS each, inputs up to 1 MB.
$(FUZZ_BUILD)/CMakeCache.txt:
	CC=clang CXX=clang++ $(CMAKE) -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

fuzz: $(FUZZ_BUILD)/CMakeCache.txt
	$(CMAKE) $(FUZZ_BUILD) >/dev/null
	$(CMAKE) --build $(FUZZ_BUILD) -j $(JOBS) --target kmm_fuzzers
	bash tests/fuzz_ci.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# Every benchmark in $(BENCH_BUILD)/bench/ (default: the Release build, -O3,
# the library and programs as users build them), each with -t
# $(BENCH_THREADS) (default: the online CPUs), then the malloc workloads as
# bench/malloc/run.sh's header documents its figures: full inputs, medians of
# BENCH_MALLOC_REPS interleaved repetitions (default 5, run.sh's own), peak
# RSS as the mean of those runs' VmHWM at exit with address randomisation on;
# BENCH_MALLOC_ARGS adds run.sh options (-q: quick inputs, a smoke run whose
# ratios are not the figures; -w REGEX: some workloads). Then start_cost, a
# program that mallocs once, BENCH_START_RUNS times (default 21) under glibc
# and kmm interleaved (its CPU time and mean VmHWM: the issue's per-process
# start cost). Then one table of every kmm / peer ratio they recorded
# (bench/summary.sh).
BENCH_BUILD ?= $(RELEASE_BUILD)
BENCH_THREADS ?= $(JOBS)
BENCH_MALLOC_REPS ?= 5
BENCH_MALLOC_ARGS ?=
BENCH_START_RUNS ?= 21
bench: $(BENCH_BUILD)/CMakeCache.txt
	$(CMAKE) --build $(BENCH_BUILD) -j $(JOBS)
	@rm -f $(BENCH_BUILD)/bench-summary.tsv $(BENCH_BUILD)/bench-failed
	@for b in $(BENCH_BUILD)/bench/*; do [ -f "$$b" ] && [ -x "$$b" ] || continue; echo "== $$b"; \
		KMM_BENCH_SUMMARY=$(abspath $(BENCH_BUILD))/bench-summary.tsv "$$b" -t $(BENCH_THREADS) || \
		echo "$$b" >> $(BENCH_BUILD)/bench-failed; done
	@echo "== bench/malloc/run.sh -n $(BENCH_MALLOC_REPS) -t $(BENCH_THREADS) -b $(BENCH_BUILD) $(BENCH_MALLOC_ARGS)"
	@KMM_BENCH_SUMMARY=$(abspath $(BENCH_BUILD))/bench-summary.tsv bench/malloc/run.sh \
		-n $(BENCH_MALLOC_REPS) -t $(BENCH_THREADS) -b $(BENCH_BUILD) $(BENCH_MALLOC_ARGS) || \
		echo bench/malloc/run.sh >> $(BENCH_BUILD)/bench-failed
	@echo "== $(BENCH_BUILD)/bench/malloc/start_cost -n $(BENCH_START_RUNS)"
	@KMM_BENCH_SUMMARY=$(abspath $(BENCH_BUILD))/bench-summary.tsv \
		$(BENCH_BUILD)/bench/malloc/start_cost -n $(BENCH_START_RUNS) || \
		echo bench/malloc/start_cost >> $(BENCH_BUILD)/bench-failed
	@bench/summary.sh $(BENCH_BUILD)/bench-summary.tsv
	@if [ -s $(BENCH_BUILD)/bench-failed ]; then echo "make bench: these failed:"; \
		cat $(BENCH_BUILD)/bench-failed; exit 1; fi

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD) $(DEBUG_BUILD) $(RELEASE_BUILD) \
		$(CLANG_BUILD)

# The manual page, generated from the tables in cli/ (see cli/manual.h).
man: build
	$(BUILD)/kmm help --man > docs/kmm.1.tmp && mv docs/kmm.1.tmp docs/kmm.1
