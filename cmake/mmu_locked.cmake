# SPDX-License-Identifier: MIT
# cmake/mmu_locked.cmake - the access bracket's locked way (arch/sim/mmu.h).
# Where the host has membarrier(2), kmm_access() opens its bracket with a
# plain store and a shootdown pays a membarrier; with KMM_CPU_LOCKED set (or
# without membarrier, or under ThreadSanitizer) it opens with a locked
# read-modify-write. This machine has membarrier, so the two tests of the
# unmap-versus-copy window run a second time with KMM_CPU_LOCKED=1, to keep
# the locked way covered too. Owner: mmu.
foreach(_t integration_zap_copy integration_swap_tlb_copy)
  if(TEST ${_t})
    add_test(NAME ${_t}_locked COMMAND ${_t})
    set_tests_properties(${_t}_locked PROPERTIES LABELS integration TIMEOUT 600
      ENVIRONMENT "KMM_CPU_LOCKED=1;KMM_SOURCE_DIR=${CMAKE_SOURCE_DIR};KMM_BINARY_DIR=${CMAKE_BINARY_DIR}")
  endif()
endforeach()
# The other way round under ThreadSanitizer (`make test-tsan`): there the
# bracket is locked unless KMM_TSAN_ASYMMETRIC=1 asks for the plain-store
# open (TSan cannot see membarrier's ordering), so the MMU's threaded tests
# run a second time with it, for TSan to check the rest of that way: the
# release/acquire pairs that order a copy before the wait that ends it, and
# whatever else runs beside it. docs/testing.md says what this cannot show.
# stress_swap_threads was left out in session 14 (review14 R3: a faulting
# thread killed after 16 retries while swapoff ran); the cause, a swap
# fault's unlocked look at its PTE in swapoff's unuse window, is fixed
# (mm/swap_state.c, test integration_swap_race), and it is back.
if(KMM_TSAN)
  foreach(_t stress_truncate_fault stress_process_threads stress_swap_threads unit_mmu_inline)
    if(TEST ${_t})
      add_test(NAME ${_t}_asymmetric COMMAND ${_t})
      set_tests_properties(${_t}_asymmetric PROPERTIES LABELS tsan TIMEOUT 1500
        ENVIRONMENT "KMM_TSAN_ASYMMETRIC=1;KMM_SOURCE_DIR=${CMAKE_SOURCE_DIR};KMM_BINARY_DIR=${CMAKE_BINARY_DIR}")
    endif()
  endforeach()
endif()
