# SPDX-License-Identifier: MIT
# cmake/zz_debug_checks.cmake - a -DKMM_DEBUG_CHECKS=ON build (make test-debug)
# runs every layer's checker after every operation (mm/debug_checks.c), which
# makes tests that do hundreds of thousands of operations take many minutes:
# give every test an hour there. (Named zz_ so it is included last, after
# every part has defined its tests.)
if(KMM_DEBUG_CHECKS)
  get_property(_kmm_tests DIRECTORY PROPERTY TESTS)
  foreach(_t ${_kmm_tests})
    set_tests_properties(${_t} PROPERTIES TIMEOUT 3600)
  endforeach()
endif()
