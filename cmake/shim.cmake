# SPDX-License-Identifier: MIT
# The malloc shim: libkmm-malloc.so (libkmm's objects + shim/), its tests and
# its benchmark workloads. Owner: malloc. See docs/malloc.md.

add_library(kmm_malloc SHARED
  ${CMAKE_SOURCE_DIR}/shim/malloc.c
  ${CMAKE_SOURCE_DIR}/shim/realloc.c
  ${CMAKE_SOURCE_DIR}/shim/introspect.c
  ${CMAKE_SOURCE_DIR}/shim/classes.c
  ${CMAKE_SOURCE_DIR}/shim/huge.c
  ${CMAKE_SOURCE_DIR}/shim/huge_cache.c
  ${CMAKE_SOURCE_DIR}/shim/huge_table.c
  ${CMAKE_SOURCE_DIR}/shim/harden.c
  ${CMAKE_SOURCE_DIR}/shim/trace.c
  ${CMAKE_SOURCE_DIR}/shim/trim.c
  ${CMAKE_SOURCE_DIR}/shim/new.cc
  $<TARGET_OBJECTS:kmm_objs>)
set_target_properties(kmm_malloc PROPERTIES
  OUTPUT_NAME kmm-malloc
  CXX_STANDARD 17
  CXX_STANDARD_REQUIRED ON
  POSITION_INDEPENDENT_CODE ON
  LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}
  LINK_DEPENDS ${CMAKE_SOURCE_DIR}/shim/exports.map)
target_include_directories(kmm_malloc PRIVATE ${CMAKE_SOURCE_DIR} ${CMAKE_SOURCE_DIR}/include)
# The shim defines malloc itself: no builtin may turn its code back into calls to it.
target_compile_options(kmm_malloc PRIVATE -fno-builtin)
target_link_options(kmm_malloc PRIVATE
  -Wl,--version-script=${CMAKE_SOURCE_DIR}/shim/exports.map -Wl,-z,nodelete)
# Every snprintf() of the shim and of libkmm's objects goes to kmm's own
# (lib/vsprintf.c, __wrap_snprintf): the boot then never runs the C library's
# printf, whose code and tables every process would otherwise fault in
# (~300 KB of VmHWM; docs/malloc-measured.md, "Start cost").
target_link_options(kmm_malloc PRIVATE -Wl,--wrap=snprintf)
target_link_libraries(kmm_malloc PRIVATE Threads::Threads m ${CMAKE_DL_LIBS})
# Only what the shim reaches is linked in (not the allocator lab, not the
# verbs of layers it never calls): every function and object of libkmm in a
# section of its own, the unreferenced ones dropped. The host maps a
# preloaded library's code in 64 KiB windows around each page touched, so a
# smaller text is fewer resident pages in every process (docs/malloc.md).
target_compile_options(kmm_objs PRIVATE -ffunction-sections -fdata-sections)
target_compile_options(kmm_malloc PRIVATE -ffunction-sections -fdata-sections)
target_link_options(kmm_malloc PRIVATE -Wl,--gc-sections)
# The files whose code runs once, at boot (the command line, the arch's
# layout and e820, memblock, the zones' and struct pages' setup, the boot
# log's formatting), compiled for size where the build optimises: a program
# runs ~115 KB of the library's code at -O3 with them small, ~136 KB with
# them at -O3, more than the two 64 KiB windows the hot list's order can fill
# (a third window, 64 KB of every small program's peak RSS;
# docs/malloc-measured.md, "Start cost"). For every user of libkmm's objects:
# their speed is the boot's (~43 k instructions more, of ~0.7 M).
set(KMM_BOOT_SOURCES
  arch/x86/kernel/e820.c arch/x86/kernel/setup.c arch/x86/mm/init.c arch/x86/mm/init_64.c
  arch/x86/mm/numa.c init/main.c lib/vsprintf.c mm/debug_checks.c mm/memblock.c
  mm/mm_init.c mm/mm_init_cmdline.c mm/page_alloc_init.c mm/slub_layout.c)
list(TRANSFORM KMM_BOOT_SOURCES PREPEND ${CMAKE_SOURCE_DIR}/)
set_source_files_properties(${KMM_BOOT_SOURCES} PROPERTIES
  COMPILE_OPTIONS "$<$<CONFIG:Release,RelWithDebInfo,MinSizeRel>:-Os>")
# And with lld, the functions every program runs (the boot, malloc and free:
# shim/hot-symbols.txt, made by shim/hot_symbols.sh) side by side at the start
# of the code, which starts on a 64 KiB boundary of the file and of memory
# (separate-code, max-page-size), so that they fill two of the host's windows
# whatever address the library is loaded at (the PLT, which every process
# also runs, goes before them: shim/plt_first.ld): a program that mallocs once has
# 272 KB of the library resident (session 8; 304-312 KB in session 7 with the
# PLT at the end of the code), 440 KB with lld and no list, 400 KB with GNU ld
# (docs/malloc-measured.md says how). Without lld the library links as it
# is, only larger in RSS.
include(CheckLinkerFlag)
check_linker_flag(C "-fuse-ld=lld" KMM_HAVE_LLD)
# Ahead of the list, the C runtime's own functions in the library
# (crtbeginS.o's .text): the loader calls frame_dummy at start and
# __do_global_dtors_aux at exit, and left where the linker puts them, after
# the list, they cost every process a third 64 KiB window of code (64 KB of
# its start RSS, docs/malloc.md). After the functions, the variables of
# shim/hot-data.txt (made by shim/hot_data.sh): the small ones the boot and
# malloc write, at the start of the .bss instead of between its big arrays
# (16 KB less at start). The file lld gets is written at configure time,
# again whenever a list changes.
if(KMM_HAVE_LLD)
  set(_kmm_order ${CMAKE_BINARY_DIR}/shim-symbol-order.txt)
  file(READ ${CMAKE_SOURCE_DIR}/shim/hot-symbols.txt _kmm_hot)
  file(READ ${CMAKE_SOURCE_DIR}/shim/hot-data.txt _kmm_hot_data)
  file(WRITE ${_kmm_order}.new "# made by cmake/shim.cmake: the C runtime's functions, then shim/hot-symbols.txt, then shim/hot-data.txt\n"
    "frame_dummy\nregister_tm_clones\nderegister_tm_clones\n__do_global_dtors_aux\n${_kmm_hot}${_kmm_hot_data}")
  configure_file(${_kmm_order}.new ${_kmm_order} COPYONLY)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/shim/hot-symbols.txt
    ${CMAKE_SOURCE_DIR}/shim/hot-data.txt)
  target_link_options(kmm_malloc PRIVATE -fuse-ld=lld
    -Wl,--symbol-ordering-file=${_kmm_order}
    -Wl,--no-warn-symbol-ordering -Wl,-z,separate-code -Wl,-z,max-page-size=65536
    -Wl,-T,${CMAKE_SOURCE_DIR}/shim/plt_first.ld)
  set_property(TARGET kmm_malloc APPEND PROPERTY LINK_DEPENDS ${_kmm_order}
    ${CMAKE_SOURCE_DIR}/shim/plt_first.ld)
  # And the strings that no function of that list reads (messages, /proc
  # formats, reports: ~28 KB of the first segment's 60, which every process
  # mapped whole) in a 64 KiB window of their own after the unwind tables:
  # the script is written before each link, from the list and the objects'
  # relocations (shim/cold_strings.py says how; tests/shim_small_windows.py
  # checks that the small programs leave those pages unmapped).
  find_package(Python3 COMPONENTS Interpreter QUIET)
  if(Python3_Interpreter_FOUND AND CMAKE_READELF)
    set(_kmm_cold ${CMAKE_BINARY_DIR}/shim-cold-strings.ld)
    add_custom_command(TARGET kmm_malloc PRE_LINK
      COMMAND ${CMAKE_COMMAND} -E env READELF=${CMAKE_READELF} ${Python3_EXECUTABLE}
        ${CMAKE_SOURCE_DIR}/shim/cold_strings.py ${CMAKE_SOURCE_DIR}/shim/hot-symbols.txt ${_kmm_cold}
        $<TARGET_OBJECTS:kmm_malloc> $<TARGET_OBJECTS:kmm_objs>
      VERBATIM COMMAND_EXPAND_LISTS)
    target_link_options(kmm_malloc PRIVATE -Wl,-T,${_kmm_cold})
    set_property(TARGET kmm_malloc APPEND PROPERTY LINK_DEPENDS ${CMAKE_SOURCE_DIR}/shim/cold_strings.py)
  endif()
endif()
# Packed relative relocations (DT_RELR): 542 of the library's ~560 dynamic
# relocations are relative; packed they take 168 bytes instead of 13 KB, and
# .rodata then ends inside the first 64 KiB of the file, so a program maps one
# window of the read-only segment instead of two (64 KB less at start,
# docs/malloc.md). glibc's loader (2.36 and later) accepts DT_RELR only from an
# object that needs the version GLIBC_ABI_DT_RELR of libc.so.6: GNU ld
# (-z pack-relative-relocs, 2.38 and later) adds that need itself, lld 14
# (--pack-dyn-relocs=relr) does not, so shim/relr_ref.c refers to the
# version's symbol. Probed by linking and running a program the same way: an
# older linker or loader (or a cross build) links the library unpacked.
if(KMM_HAVE_LLD)
  set(KMM_RELR_FLAG -Wl,--pack-dyn-relocs=relr)
else()
  set(KMM_RELR_FLAG -Wl,-z,pack-relative-relocs)
endif()
if(NOT DEFINED KMM_HAVE_RELR)
  set(_relr_src ${CMAKE_BINARY_DIR}/CMakeFiles/kmm_relr_probe.c)
  file(WRITE ${_relr_src} "#include <stdio.h>\n"
    "extern const char GLIBC_ABI_DT_RELR[] __attribute__((weak));\n"
    "__attribute__((used, retain)) static const char *const ref = GLIBC_ABI_DT_RELR;\n"
    "static const char *const words[] = { \"packed\", \"relative\", \"relocations\" };\n"
    "int main(void) { return puts(words[2]) < 0; }\n")
  set(_relr_ld)
  if(KMM_HAVE_LLD)
    set(_relr_ld -fuse-ld=lld)
  endif()
  try_run(_relr_run _relr_built ${CMAKE_BINARY_DIR}/CMakeFiles/kmm_relr_probe ${_relr_src}
    COMPILE_DEFINITIONS -fPIE
    LINK_OPTIONS -pie ${_relr_ld} ${KMM_RELR_FLAG}
    RUN_OUTPUT_VARIABLE _relr_out)
  if(_relr_built AND "${_relr_run}" STREQUAL "0" AND _relr_out MATCHES "relocations")
    set(KMM_HAVE_RELR ON CACHE INTERNAL "the linker packs relative relocations and the loader runs them")
  else()
    set(KMM_HAVE_RELR OFF CACHE INTERNAL "the linker packs relative relocations and the loader runs them")
  endif()
  message(STATUS "malloc shim: packed relative relocations (DT_RELR): ${KMM_HAVE_RELR}")
endif()
if(KMM_HAVE_RELR)
  target_sources(kmm_malloc PRIVATE ${CMAKE_SOURCE_DIR}/shim/relr_ref.c)
  target_link_options(kmm_malloc PRIVATE ${KMM_RELR_FLAG})
  if(TARGET integration_malloc_rss)
    target_compile_definitions(integration_malloc_rss PRIVATE KMM_SHIM_RELR=1)
  endif()
endif()
if(KMM_HAVE_LLD AND TARGET integration_malloc_rss)
  target_compile_definitions(integration_malloc_rss PRIVATE KMM_SHIM_ORDERED=1)
  # The layout these tests hold is the library users preload: `make release`
  # (CI) runs them on the Release build too (review21 R3: 238ea4d's data
  # segment test fails there without its fix, passes either way here).
  if(CMAKE_BUILD_TYPE STREQUAL "Release" AND NOT KMM_SANITIZE AND NOT KMM_TSAN)
    set_tests_properties(integration_malloc_rss PROPERTIES LABELS "integration;release")
  endif()
endif()
# No libstdc++ (shim/new.cc says why): linked by the C driver, and new.cc has
# no exception handling of its own.
set_target_properties(kmm_malloc PROPERTIES LINKER_LANGUAGE C)
set_source_files_properties(${CMAKE_SOURCE_DIR}/shim/new.cc PROPERTIES COMPILE_OPTIONS -fno-exceptions)
if(NOT KMM_SANITIZE AND NOT KMM_TSAN)
  # Every symbol resolved at link time: a missing kmm function is a build error.
  target_link_options(kmm_malloc PRIVATE -Wl,-z,defs)
endif()

# C tests named tests/*malloc*.c are built by the main glob; link the ones
# that exercise the shim in-process against it.
file(GLOB KMM_SHIM_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/*_malloc*.c)
foreach(src ${KMM_SHIM_TESTS})
  get_filename_component(name ${src} NAME_WE)
  if(TARGET ${name})
    target_link_libraries(${name} PRIVATE kmm_malloc)
    target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR})
    # malloc here is the shim's, to be tested: no builtin knowledge may fold
    # `malloc(huge) == NULL` or drop a malloc/free pair (clang does).
    target_compile_options(${name} PRIVATE -fno-builtin)
    add_dependencies(${name} kmm_malloc mt_churn)
    set_property(TEST ${name} APPEND PROPERTY ENVIRONMENT
      "KMM_MALLOC_LIB=$<TARGET_FILE:kmm_malloc>;KMM_SHIM_MT=$<TARGET_FILE:mt_churn>")
  endif()
endforeach()

# Workloads for the benchmark and the program tests: plain programs that only
# call malloc; LD_PRELOAD picks the allocator.
file(GLOB KMM_MALLOC_WORKLOADS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/bench/malloc/*.c)
foreach(src ${KMM_MALLOC_WORKLOADS})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench/malloc)
  target_link_libraries(${name} PRIVATE Threads::Threads)
endforeach()

# The C++ workload: every operator new/delete form under LD_PRELOAD.
add_executable(cxx_churn ${CMAKE_SOURCE_DIR}/bench/malloc/cxx_churn.cc)
set_target_properties(cxx_churn PROPERTIES CXX_STANDARD 17 CXX_STANDARD_REQUIRED ON
  RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench/malloc)

# Real programs under LD_PRELOAD, output compared with the run without it.
add_test(NAME integration_shim_programs
  COMMAND bash ${CMAKE_SOURCE_DIR}/tests/shim_programs.sh
          $<TARGET_FILE:kmm_malloc> ${CMAKE_BINARY_DIR}/bench/malloc)
set_tests_properties(integration_shim_programs PROPERTIES LABELS integration TIMEOUT 600)
# No zero-filled object in the library's .rodata: a process's first read of
# the library's first segment maps all of it (tests/shim_rodata.py says why).
add_test(NAME integration_shim_rodata
  COMMAND python3 ${CMAKE_SOURCE_DIR}/tests/shim_rodata.py $<TARGET_FILE:kmm_malloc>)
set_tests_properties(integration_shim_rodata PROPERTIES LABELS "integration;release" TIMEOUT 60)
# The strings no small program reads stay out of the first segment and
# unmapped (gcc names a function's string sections after it; clang does not,
# and its build has no cold strings to place).
if(_kmm_cold AND CMAKE_C_COMPILER_ID STREQUAL "GNU")
  add_test(NAME integration_shim_small_windows
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/shim_small_windows.py
            $<TARGET_FILE:kmm_malloc> ${CMAKE_BINARY_DIR}/bench/malloc)
  set_tests_properties(integration_shim_small_windows PROPERTIES LABELS "integration;release" TIMEOUT 120)
endif()
# Under a sanitizer the runtime's own malloc wins over the shim's (and an
# instrumented shim cannot be preloaded into uninstrumented programs): these
# tests would test the sanitizer, so they are not run there.
if(KMM_SANITIZE OR KMM_TSAN)
  set_tests_properties(integration_shim_programs integration_shim_rodata PROPERTIES DISABLED TRUE)
  if(TEST integration_shim_small_windows)
    set_tests_properties(integration_shim_small_windows PROPERTIES DISABLED TRUE)
  endif()
  if(TEST integration_malloc_api)
    set_tests_properties(integration_malloc_api PROPERTIES DISABLED TRUE)
  endif()
  if(TEST integration_malloc_fail_inject)
    set_tests_properties(integration_malloc_fail_inject PROPERTIES DISABLED TRUE)
  endif()
  foreach(_t integration_malloc_rss integration_malloc_grow integration_malloc_threads
             integration_malloc_trim integration_malloc_usable_race
             integration_malloc_huge integration_malloc_blocks integration_malloc_percpu)
    if(TEST ${_t})
      set_tests_properties(${_t} PROPERTIES DISABLED TRUE)
    endif()
  endforeach()
endif()
add_custom_target(kmm_malloc_test_deps ALL DEPENDS kmm_malloc kmm_malloc_misuse mt_churn cxx_churn)

# A program that misuses malloc on purpose, for the misuse part of the program test.
add_executable(kmm_malloc_misuse ${CMAKE_SOURCE_DIR}/shim/misuse.c)
set_target_properties(kmm_malloc_misuse PROPERTIES OUTPUT_NAME misuse
  RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench/malloc)
target_compile_options(kmm_malloc_misuse PRIVATE -fno-builtin)
