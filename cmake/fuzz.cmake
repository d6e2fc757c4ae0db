# SPDX-License-Identifier: MIT
# cmake/fuzz.cmake - the scenario parser's fuzz target.
#
# Every build: fuzz_scenario_replay (fuzz/replay.c + fuzz/fuzz_scenario.c
# over kmm_cli_core) replays the committed corpus fuzz/corpus/ as the ctest
# `fuzz_scenario_replay` (label fuzz).
# With clang supporting -fsanitize=fuzzer: the libFuzzer binaries
# build*/fuzz/fuzz_scenario (parse) and build*/fuzz/fuzz_run (parse and
# run), over their own copy of the CLI compiled with
# -fsanitize=fuzzer-no-link,address for coverage. `make fuzz` (CI) builds
# them in build-fuzz and runs each for a fixed time on inputs up to 1 MB
# (tests/fuzz_ci.sh). By hand:
#   build-fuzz/fuzz/fuzz_scenario -max_total_time=60 -max_len=1048576 fuzz/corpus
# (new inputs it finds go into fuzz/corpus; commit the interesting ones).

add_executable(fuzz_scenario_replay ${CMAKE_SOURCE_DIR}/fuzz/replay.c
  ${CMAKE_SOURCE_DIR}/fuzz/fuzz_scenario.c)
target_link_libraries(fuzz_scenario_replay PRIVATE kmm_cli_core)
add_test(NAME fuzz_scenario_replay COMMAND fuzz_scenario_replay ${CMAKE_SOURCE_DIR}/fuzz/corpus)
set_tests_properties(fuzz_scenario_replay PROPERTIES LABELS fuzz TIMEOUT 120)

if(CMAKE_C_COMPILER_ID STREQUAL "Clang")
  include(CheckCSourceCompiles)
  set(CMAKE_REQUIRED_FLAGS "-fsanitize=fuzzer")
  check_c_source_compiles("
    #include <stddef.h>
    #include <stdint.h>
    int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }"
    KMM_HAVE_LIBFUZZER)
  unset(CMAKE_REQUIRED_FLAGS)
  if(KMM_HAVE_LIBFUZZER)
    add_library(kmm_cli_fuzzcore STATIC ${KMM_CLI_CORE_SOURCES})
    target_compile_options(kmm_cli_fuzzcore PRIVATE -fsanitize=fuzzer-no-link,address)
    target_link_libraries(kmm_cli_fuzzcore PUBLIC kmm)
    add_executable(fuzz_scenario ${CMAKE_SOURCE_DIR}/fuzz/fuzz_scenario.c)
    target_compile_options(fuzz_scenario PRIVATE -fsanitize=fuzzer,address)
    target_link_options(fuzz_scenario PRIVATE -fsanitize=fuzzer,address)
    target_link_libraries(fuzz_scenario PRIVATE kmm_cli_fuzzcore)
    set_target_properties(fuzz_scenario PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
    # fuzz_run: parse and run (fuzz/fuzz_run.c), with the runner's limits low.
    add_executable(fuzz_run ${CMAKE_SOURCE_DIR}/fuzz/fuzz_run.c)
    target_compile_options(fuzz_run PRIVATE -fsanitize=fuzzer,address)
    target_link_options(fuzz_run PRIVATE -fsanitize=fuzzer,address)
    target_link_libraries(fuzz_run PRIVATE kmm_cli_fuzzcore)
    set_target_properties(fuzz_run PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
    add_custom_target(kmm_fuzzers DEPENDS fuzz_scenario fuzz_run)
  endif()
endif()
