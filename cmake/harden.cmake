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
# integration_malloc_api is off under sanitizers; stress_huge_heap compiles
# the shim's huge heap into itself so that TSan runs it.) stress_slab_nocx16 is the
# slab's locked fallback (cmake/slab_fallback.cmake), stress_slab_sheaf_nocx16 the
# sheaves on that fallback. The labels are set once every part has run (a
# deferred call): tests that parts later in the order define, such as
# slab_fallback.cmake's, exist only then.
set(KMM_TSAN_TESTS integration_dmesg integration_kmap integration_kswapd integration_proc
  integration_swap_race
  stress_page_alloc stress_page_ref stress_process_threads stress_procs_mt stress_slab
  stress_slab_list_byte stress_slab_nocx16 stress_slab_sheaf stress_slab_sheaf_nocx16 stress_threads
  stress_truncate_fault stress_mlock_rmap stress_ptl_threads stress_pgtable_install stress_node_stat
  integration_fault_unlinked_table integration_fault_counts_threads integration_lru_batch_activate
  stress_memory_hotplug stress_swap_threads stress_proc_readers
  unit_cpu_slot
  stress_huge_heap
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

# Owned CPU slots under ThreadSanitizer: a TSan build runs every slot the
# locked way unless KMM_TSAN_OWNED is set (TSan cannot see membarrier's
# ordering: mm/cpu_slot.c, kmm_cpu_lockless_allowed()), so the tests whose
# threads own their slots run a second time with it (*_owned, label tsan)
# for TSan to check the rest of the owned-slot protocol and everything that
# runs beside it (docs/testing.md). stress_slab_sheaf runs only its owned
# test that way (KMM_TEST): two_cpus_freeing_one_object_at_once_free_it_once
# frees one object from two threads at once on purpose, a race TSan
# reports, and is skipped where slots are locked, as in the plain TSan run.
# (integration_malloc_threads, the shim's slots, is off under sanitizers.)
function(kmm_tsan_owned_tests)
  if(NOT KMM_TSAN)
    return()
  endif()
  set(_env "KMM_TSAN_OWNED=1;KMM_SOURCE_DIR=${CMAKE_SOURCE_DIR};KMM_BINARY_DIR=${CMAKE_BINARY_DIR}")
  foreach(_t unit_cpu_slot stress_memory_hotplug stress_page_alloc stress_slab stress_threads
             stress_procs_mt)
    if(TEST ${_t})
      add_test(NAME ${_t}_owned COMMAND ${_t})
      set_tests_properties(${_t}_owned PROPERTIES LABELS tsan TIMEOUT 1500 ENVIRONMENT "${_env}")
    endif()
  endforeach()
  if(TEST stress_slab_sheaf)
    add_test(NAME stress_slab_sheaf_owned COMMAND stress_slab_sheaf)
    set_tests_properties(stress_slab_sheaf_owned PROPERTIES LABELS tsan TIMEOUT 1500
      ENVIRONMENT "${_env};KMM_TEST=four_threads_each_on_its_slot_with_sheaves")
  endif()
endfunction()
cmake_language(DEFER CALL kmm_tsan_owned_tests)
