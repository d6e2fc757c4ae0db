# SPDX-License-Identifier: MIT
# cmake/lab.cmake - the allocator lab (lab/*.c): pool allocators, trace
# readers, replay and metrics, page-replacement policies. Owner: lab.
# See docs/lab.md.
#
# The lab is part of libkmm (kmm_objs), not a library of its own: its public
# headers (include/kmm/pool.h, include/kmm/lab.h) are libkmm's API, so a
# program that wants a pool allocator links -lkmm like any other kmm user,
# and the kmm command gets `kmm lab` with no extra link step. The lab calls
# only lib/ and libc, so it adds no dependency to the library.
file(GLOB KMM_LAB_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/lab/*.c)
target_sources(kmm_objs PRIVATE ${KMM_LAB_SOURCES})

# The progress-bar test draws on a pty: forkpty() is in libutil before glibc 2.34.
if(TARGET integration_lab_cli AND KMM_UTIL_LIB)
  target_link_libraries(integration_lab_cli PRIVATE ${KMM_UTIL_LIB})
endif()

# `kmm lab record` runs programs under libkmm-malloc.so: the test needs the
# shim built, and (like the shim's own program tests) no sanitizer, whose
# runtime would take malloc from the shim.
if(TARGET integration_lab_record)
  add_dependencies(integration_lab_record kmm_cli kmm_malloc)
  set_property(TEST integration_lab_record APPEND PROPERTY ENVIRONMENT
    "KMM_MALLOC_LIB=$<TARGET_FILE:kmm_malloc>")
  if(KMM_SANITIZE OR KMM_TSAN)
    set_tests_properties(integration_lab_record PROPERTIES DISABLED TRUE)
  endif()
endif()

# The mtrace reader against glibc's own log: glibc's malloc must be the one
# in use, which a sanitizer's runtime replaces.
if(TARGET integration_lab_mtrace AND (KMM_SANITIZE OR KMM_TSAN))
  set_tests_properties(integration_lab_mtrace PROPERTIES DISABLED TRUE)
endif()

# The lackey reader against valgrind's own output: needs valgrind, and no
# sanitizer (their runtimes do not run under it).
if(TARGET integration_lab_lackey)
  find_program(KMM_VALGRIND valgrind)
  if(KMM_VALGRIND AND NOT KMM_SANITIZE AND NOT KMM_TSAN)
    set_property(TEST integration_lab_lackey APPEND PROPERTY ENVIRONMENT
      "KMM_VALGRIND=${KMM_VALGRIND}")
  else()
    set_tests_properties(integration_lab_lackey PROPERTIES DISABLED TRUE)
  endif()
endif()

# The lab's examples read their traces from examples/lab/: install that
# folder beside the examples (cmake/install/install.cmake installs
# examples/*.kmm and *.out).
include(GNUInstallDirs)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/examples/lab DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# The first seed's C++ small-object pool, from C++ (<kmm/pool.h> as C++,
# a class's operator new/delete on a fixed pool). Not on the C harness.
add_executable(unit_lab_pool_cxx ${CMAKE_SOURCE_DIR}/tests/unit_lab_pool_cxx.cc)
set_target_properties(unit_lab_pool_cxx PROPERTIES CXX_STANDARD 17 CXX_STANDARD_REQUIRED ON)
target_link_libraries(unit_lab_pool_cxx PRIVATE kmm)
add_test(NAME unit_lab_pool_cxx COMMAND unit_lab_pool_cxx)
set_tests_properties(unit_lab_pool_cxx PROPERTIES LABELS unit TIMEOUT 600)

# bench/lab_objects.cc: the same idea timed (C++ objects from a pool vs malloc).
add_executable(bench_lab_objects ${CMAKE_SOURCE_DIR}/bench/lab_objects.cc)
set_target_properties(bench_lab_objects PROPERTIES OUTPUT_NAME lab_objects
  CXX_STANDARD 17 CXX_STANDARD_REQUIRED ON RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
target_link_libraries(bench_lab_objects PRIVATE kmm)
