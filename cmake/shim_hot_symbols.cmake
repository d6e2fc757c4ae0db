# SPDX-License-Identifier: MIT
# cmake/shim_hot_symbols.cmake - shim/hot-symbols.txt, the functions lld lays
# out first in libkmm-malloc.so (cmake/shim.cmake), against the library:
# every listed name must still be one of its functions, or the list has gone
# stale (tests/shim_hot_symbols.sh says which and how to regenerate it).
# The list holds the names GCC 12 gives at the default build type
# (RelWithDebInfo; clones such as foo.constprop.0 included): in such a build
# (`make test`'s on Debian 12) the test holds each name exactly. Another
# compiler or version names and numbers its clones differently and inlines
# other functions, so there it holds the names without their clone suffixes,
# each a function of the library or defined in the sources. Not under a
# sanitizer or the debug checks (their builds inline differently again).
# Owner: malloc.
set(KMM_HOT_SYMBOLS_COMPILER "GNU 12")	# what shim/hot_symbols.sh made the list with
if(TARGET kmm_malloc AND NOT KMM_SANITIZE AND NOT KMM_TSAN AND NOT KMM_DEBUG_CHECKS)
  string(REGEX MATCH "^[0-9]+" _kmm_cc_major "${CMAKE_C_COMPILER_VERSION}")
  if("${CMAKE_C_COMPILER_ID} ${_kmm_cc_major}" STREQUAL KMM_HOT_SYMBOLS_COMPILER AND
     CMAKE_BUILD_TYPE STREQUAL "RelWithDebInfo")
    set(_kmm_hot_mode exact)
  else()
    set(_kmm_hot_mode base)
  endif()
  add_test(NAME integration_shim_hot_symbols
    COMMAND bash ${CMAKE_SOURCE_DIR}/tests/shim_hot_symbols.sh ${CMAKE_NM}
            $<TARGET_FILE:kmm_malloc> ${CMAKE_SOURCE_DIR}/shim/hot-symbols.txt
            ${_kmm_hot_mode} ${CMAKE_SOURCE_DIR})
  set_tests_properties(integration_shim_hot_symbols PROPERTIES LABELS "integration;release"
    TIMEOUT 120)
  # What runs, against the list (review17 R8): the programs shim/hot_symbols.sh
  # makes the list from, under callgrind, against this build's library; fails
  # when a function the one-malloc program runs is not in the list's first
  # group, or one the others run is not listed. Where the list's compiler
  # built the library at -O2 or -O3 (RelWithDebInfo: `make test`; Release:
  # `make release` runs the tests labelled "release", so CI checks the
  # library users get): another compiler names its clones otherwise.
  if("${CMAKE_C_COMPILER_ID} ${_kmm_cc_major}" STREQUAL KMM_HOT_SYMBOLS_COMPILER AND
     CMAKE_BUILD_TYPE MATCHES "^(RelWithDebInfo|Release)$")
    add_test(NAME integration_shim_hot_symbols_run
      COMMAND bash ${CMAKE_SOURCE_DIR}/shim/hot_symbols.sh --check
              ${CMAKE_SOURCE_DIR}/shim/hot-symbols.txt ${CMAKE_BINARY_DIR})
    set_tests_properties(integration_shim_hot_symbols_run PROPERTIES
      LABELS "integration;release" TIMEOUT 600 SKIP_RETURN_CODE 77)
    # Where lld lays the list out: what the small programs run fits the
    # code's first two windows of 64 KiB (shim/hot_symbols.sh says why).
    if(KMM_HAVE_LLD)
      set_tests_properties(integration_shim_hot_symbols_run PROPERTIES
        ENVIRONMENT "KMM_HOT_WINDOWS=2;NM=${CMAKE_NM}")
    endif()
  endif()
  # Where the names are exact and lld lays them out (cmake/shim.cmake's ordering
  # file), integration_malloc_rss also runs a small threaded program and checks
  # that it maps no window of the library's code past the listed functions.
  if(_kmm_hot_mode STREQUAL exact AND KMM_HAVE_LLD AND TARGET integration_malloc_rss)
    target_compile_definitions(integration_malloc_rss PRIVATE
      KMM_SHIM_ORDER_FILE="${CMAKE_BINARY_DIR}/shim-symbol-order.txt")
  endif()
endif()
