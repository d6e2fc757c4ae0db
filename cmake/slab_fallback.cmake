# SPDX-License-Identifier: MIT
# cmake/slab_fallback.cmake - the slab on a CPU without cmpxchg16b. mm/slab.h
# takes the lockless free (one cmpxchg16b of freelist + counters) only where
# the compiler offers a 16-byte compare-and-swap; elsewhere
# (SLAB_CMPXCHG_DOUBLE 0) every free into another slab takes the slab lock,
# PG_locked. The build machine has cmpxchg16b, so that second path would
# never run: here the files that include mm/slab.h are compiled once more
# with -mno-cx16 (the compiler then knows no 16-byte swap, as on such a CPU)
# into libkmm_slab_nocx16 (with libkmm's other objects, which never include
# mm/slab.h), and the slab's unit and stress tests run on it as
# unit_slab_nocx16, unit_slab_sheaf_nocx16, unit_slab_barn_nocx16,
# stress_slab_nocx16 and stress_slab_sheaf_nocx16. tests/unit_slab.c refuses to build for it unless
# mm/slab.h really chose the fallback. Only on x86_64, where -mcx16 is the
# default of this build (CMakeLists.txt). Owner: slab.
if(NOT CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64|amd64")
  return()
endif()

set(KMM_SLAB_H_SOURCES
  ${CMAKE_SOURCE_DIR}/mm/shrinker.c
  ${CMAKE_SOURCE_DIR}/mm/slab_common.c
  ${CMAKE_SOURCE_DIR}/mm/slab_options.c
  ${CMAKE_SOURCE_DIR}/mm/slub.c
  ${CMAKE_SOURCE_DIR}/mm/slub_cache.c
  ${CMAKE_SOURCE_DIR}/mm/slub_debug.c
  ${CMAKE_SOURCE_DIR}/mm/slub_free.c
  ${CMAKE_SOURCE_DIR}/mm/slub_kfree.c
  ${CMAKE_SOURCE_DIR}/mm/slub_layout.c
  ${CMAKE_SOURCE_DIR}/mm/slub_machine.c)

# Every file of libkmm that includes mm/slab.h must be compiled the same way
# (the slab lock is a bit of the swapped pair on one path, PG_locked on the
# other): list them here. A file missing from the list fails this check.
# mm/slab_fast.h includes mm/slab.h, so a file including it counts too.
file(GLOB _kmm_lib_c CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/lib/*.c ${CMAKE_SOURCE_DIR}/arch/sim/*.c
  ${CMAKE_SOURCE_DIR}/arch/x86/kernel/*.c ${CMAKE_SOURCE_DIR}/arch/x86/mm/*.c
  ${CMAKE_SOURCE_DIR}/init/*.c ${CMAKE_SOURCE_DIR}/mm/*.c ${CMAKE_SOURCE_DIR}/fs/*.c
  ${CMAKE_SOURCE_DIR}/proc/*.c ${CMAKE_SOURCE_DIR}/lab/*.c)
foreach(_f ${_kmm_lib_c})
  file(STRINGS ${_f} _inc REGEX "^#include \"mm/slab(_fast)?\\.h\"")
  if(_inc AND NOT _f IN_LIST KMM_SLAB_H_SOURCES)
    message(FATAL_ERROR "${_f} includes mm/slab.h (or mm/slab_fast.h): add it to KMM_SLAB_H_SOURCES in cmake/slab_fallback.cmake")
  endif()
endforeach()

set(_kmm_nocx16_flags -mno-cx16 -DKMM_SLAB_EXPECT_FALLBACK=1)
add_library(kmm_slab_nocx16_objs OBJECT ${KMM_SLAB_H_SOURCES})
target_include_directories(kmm_slab_nocx16_objs PUBLIC ${CMAKE_SOURCE_DIR} ${CMAKE_SOURCE_DIR}/include)
target_compile_options(kmm_slab_nocx16_objs PRIVATE ${_kmm_nocx16_flags})

# libkmm's objects less those above, plus their -mno-cx16 builds. The
# pattern is made from the list, so a file added there cannot stay in twice.
set(_kmm_slab_names)
foreach(_f ${KMM_SLAB_H_SOURCES})
  get_filename_component(_n ${_f} NAME_WE)
  list(APPEND _kmm_slab_names ${_n})
endforeach()
list(JOIN _kmm_slab_names "|" _kmm_slab_names)
set(_kmm_slab_re "/mm/(${_kmm_slab_names})[.]c[.]o")
add_library(kmm_slab_nocx16 STATIC
  "$<FILTER:$<TARGET_OBJECTS:kmm_objs>,EXCLUDE,${_kmm_slab_re}>"
  $<TARGET_OBJECTS:kmm_slab_nocx16_objs>)
target_include_directories(kmm_slab_nocx16 PUBLIC ${CMAKE_SOURCE_DIR} ${CMAKE_SOURCE_DIR}/include)
target_link_libraries(kmm_slab_nocx16 PUBLIC Threads::Threads m)

foreach(_t unit_slab unit_slab_sheaf unit_slab_barn stress_slab stress_slab_sheaf)
  add_executable(${_t}_nocx16 ${CMAKE_SOURCE_DIR}/tests/${_t}.c ${CMAKE_SOURCE_DIR}/tests/harness.c)
  target_compile_options(${_t}_nocx16 PRIVATE ${_kmm_nocx16_flags})
  target_link_libraries(${_t}_nocx16 PRIVATE kmm_slab_nocx16)
  add_test(NAME ${_t}_nocx16 COMMAND ${_t}_nocx16)
  string(REGEX MATCH "^[a-z]+" _label ${_t})
  set_tests_properties(${_t}_nocx16 PROPERTIES LABELS ${_label} TIMEOUT 600
    ENVIRONMENT "KMM_SOURCE_DIR=${CMAKE_SOURCE_DIR};KMM_BINARY_DIR=${CMAKE_BINARY_DIR}")
endforeach()
# stress_slab_sheaf's race test meets its partner 250,000 times at a spin
# barrier (a yielding barrier makes the two frees stop racing): 3-6 s on a
# quiet 2-core machine, 661 s measured at load 28. The limit is there to
# catch a hang, not to time the test.
set_tests_properties(stress_slab_sheaf stress_slab_sheaf_nocx16 PROPERTIES TIMEOUT 1500)
