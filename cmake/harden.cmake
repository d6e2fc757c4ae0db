# SPDX-License-Identifier: MIT
# cmake/harden.cmake - tests of kmm's promises against misuse and chance:
# byte-identical runs (tests/run_twice.sh), no host pointer in any format
# (tests/host_pointer_formats.py), hostile scenario files
# (tests/hostile_scenarios.py), the malloc shim's misuse suite
# (tests/shim_misuse.sh) and its failure-injection run; and the
# ThreadSanitizer target (`make test-tsan`, see the Makefile).

add_test(NAME integration_run_twice
  COMMAND bash ${CMAKE_SOURCE_DIR}/tests/run_twice.sh $<TARGET_FILE:kmm_cli> ${CMAKE_SOURCE_DIR})
# 27 examples run three times each: 52 s under ASan on a quiet box, 510 s at
# load 13-20 here; the limit catches a hang, it does not time the test.
set_tests_properties(integration_run_twice PROPERTIES LABELS integration TIMEOUT 1800)

# No format string of the tree prints a host pointer (%p, or one cast to
# uintptr_t): tests/host_pointer_formats.py; integration_no_host_address
# runs the error paths that once did.
add_test(NAME unit_host_pointer_formats
  COMMAND python3 ${CMAKE_SOURCE_DIR}/tests/host_pointer_formats.py ${CMAKE_SOURCE_DIR})
set_tests_properties(unit_host_pointer_formats PROPERTIES LABELS unit TIMEOUT 120)

# The kmm command against ~120 hostile scenario files, each run twice
# (tests/hostile_scenarios.py): status 0, 1 or 2, a clear message, same bytes.
add_test(NAME integration_hostile_scenarios
  COMMAND python3 ${CMAKE_SOURCE_DIR}/tests/hostile_scenarios.py $<TARGET_FILE:kmm_cli>)
set_tests_properties(integration_hostile_scenarios PROPERTIES LABELS integration TIMEOUT 900)

# bench/scenario_parse.c parses scripts: it needs the CLI core, not just libkmm.
if(TARGET bench_scenario_parse)
  target_link_libraries(bench_scenario_parse PRIVATE kmm_cli_core)
endif()

# The malloc shim's misuse suite: shim/misuse.c's cases under glibc, kmm and
# kmm hardened, one process each (docs/malloc.md has the table it prints).
add_test(NAME integration_shim_misuse
  COMMAND bash ${CMAKE_SOURCE_DIR}/tests/shim_misuse.sh $<TARGET_FILE:kmm_malloc>
          $<TARGET_FILE:kmm_malloc_misuse>)
set_tests_properties(integration_shim_misuse PROPERTIES LABELS integration TIMEOUT 600)
if(KMM_SANITIZE OR KMM_TSAN)
  # An instrumented shim cannot be preloaded into uninstrumented programs.
  set_tests_properties(integration_shim_misuse PROPERTIES DISABLED TRUE)
endif()

# Failure injection: shim/enomem.c checks that every failed call returns NULL
# with ENOMEM and leaves the program's blocks intact; tests/shim_fail.sh runs
# it and real programs with every Nth machine or host allocation failing.
add_executable(kmm_malloc_enomem ${CMAKE_SOURCE_DIR}/shim/enomem.c)
set_target_properties(kmm_malloc_enomem PROPERTIES OUTPUT_NAME enomem
  RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench/malloc)
target_compile_options(kmm_malloc_enomem PRIVATE -fno-builtin)
add_test(NAME integration_shim_fail
  COMMAND bash ${CMAKE_SOURCE_DIR}/tests/shim_fail.sh $<TARGET_FILE:kmm_malloc>
          ${CMAKE_BINARY_DIR}/bench/malloc)
# 39 program runs: 316-457 s in a make test at load 6-15 on 2 cores, over 600 s at load 30
set_tests_properties(integration_shim_fail PROPERTIES LABELS integration TIMEOUT 1800)
if(KMM_SANITIZE OR KMM_TSAN)
  set_tests_properties(integration_shim_fail PROPERTIES DISABLED TRUE)
endif()

# ThreadSanitizer (`make test-tsan`): the tests that run threads, labelled
# "tsan"; the target builds only them. (integration_layouts runs threads too,
# but boots a 1 TiB machine, whose reservations TSan's address space refuses;
# integration_malloc_api is off under sanitizers.) stress_slab_nocx16 is the
# slab's locked fallback (cmake/slab_fallback.cmake), stress_slab_sheaf_nocx16 the
# sheaves on that fallback. The labels are set once every part has run (a
# deferred call): tests that parts later in the order define, such as
# slab_fallback.cmake's, exist only then.
set(KMM_TSAN_TESTS integration_dmesg integration_kmap integration_kswapd integration_proc
  integration_swap_race
  stress_page_alloc stress_page_ref stress_process_threads stress_procs_mt stress_slab
  stress_slab_nocx16 stress_slab_sheaf stress_slab_sheaf_nocx16 stress_threads
  stress_truncate_fault
  stress_memory_hotplug stress_swap_threads stress_proc_readers
  unit_cpu_slot
  unit_mmu_inline unit_vmalloc)
function(kmm_label_tsan_tests)
  set(_kmm_tsan_targets)
  foreach(_t ${KMM_TSAN_TESTS})
    if(TEST ${_t})
      set_property(TEST ${_t} APPEND PROPERTY LABELS tsan)
      list(APPEND _kmm_tsan_targets ${_t})
    endif()
  endforeach()
  add_custom_target(kmm_tsan_tests DEPENDS ${_kmm_tsan_targets})
endfunction()
cmake_language(DEFER CALL kmm_label_tsan_tests)
