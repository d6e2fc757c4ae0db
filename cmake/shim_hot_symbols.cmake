# SPDX-License-Identifier: MIT
# cmake/shim_hot_symbols.cmake - shim/hot-symbols.txt, the functions lld lays
# out first in libkmm-malloc.so (cmake/shim.cmake), against the library:
# every listed name must still be one of its functions, or the list has gone
# stale (tests/shim_hot_symbols.sh says which and how to regenerate it).
# The list holds GCC's names at the default build type (RelWithDebInfo;
# clones such as foo.constprop.0 included), so the test runs in such a build
# only: `make test`'s. Owner: malloc.
if(TARGET kmm_malloc AND CMAKE_C_COMPILER_ID STREQUAL "GNU" AND
   CMAKE_BUILD_TYPE STREQUAL "RelWithDebInfo" AND NOT KMM_SANITIZE AND NOT KMM_TSAN AND
   NOT KMM_DEBUG_CHECKS)
  add_test(NAME integration_shim_hot_symbols
    COMMAND bash ${CMAKE_SOURCE_DIR}/tests/shim_hot_symbols.sh ${CMAKE_NM}
            $<TARGET_FILE:kmm_malloc> ${CMAKE_SOURCE_DIR}/shim/hot-symbols.txt)
  set_tests_properties(integration_shim_hot_symbols PROPERTIES LABELS integration TIMEOUT 120)
endif()
