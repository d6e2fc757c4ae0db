# SPDX-License-Identifier: MIT
# cmake/cli.cmake - the kmm command's build: the CLI as a static library
# (kmm_cli_core: parser, runner, verbs, shell) that the kmm executable, the
# CLI tests and the parser fuzz target all link, and the optional
# line-editing library for `kmm shell`.
#
# KMM_LINE_EDITING: AUTO (default: libedit if its headers are installed,
# else GNU readline, else none), LIBEDIT, READLINE or NONE. libedit is
# preferred because it is BSD-licensed like kmm (MIT); a kmm binary linked
# with GNU readline is covered by the GPL when distributed. Without either,
# the shell reads plain lines (no editing, no history).

set(KMM_LINE_EDITING "AUTO" CACHE STRING "Line editing for kmm shell: AUTO, LIBEDIT, READLINE or NONE")
set_property(CACHE KMM_LINE_EDITING PROPERTY STRINGS AUTO LIBEDIT READLINE NONE)
string(TOUPPER "${KMM_LINE_EDITING}" _kmm_le)

file(GLOB KMM_CLI_CORE_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/cli/*.c)
list(REMOVE_ITEM KMM_CLI_CORE_SOURCES ${CMAKE_SOURCE_DIR}/cli/main.c)
add_library(kmm_cli_core STATIC ${KMM_CLI_CORE_SOURCES})
target_link_libraries(kmm_cli_core PUBLIC kmm)

# The kmm executable is main.c over the core library.
set_property(TARGET kmm_cli PROPERTY SOURCES ${CMAKE_SOURCE_DIR}/cli/main.c)
target_link_libraries(kmm_cli PRIVATE kmm_cli_core)
target_compile_definitions(kmm_cli PRIVATE KMM_VERSION="${PROJECT_VERSION}")

set(KMM_LINE_EDITING_FOUND "none")
if(_kmm_le STREQUAL "AUTO" OR _kmm_le STREQUAL "LIBEDIT")
  find_path(KMM_LIBEDIT_INCLUDE editline/readline.h)
  find_library(KMM_LIBEDIT_LIB edit)
  if(KMM_LIBEDIT_INCLUDE AND KMM_LIBEDIT_LIB)
    target_include_directories(kmm_cli_core PRIVATE ${KMM_LIBEDIT_INCLUDE})
    target_compile_definitions(kmm_cli_core PRIVATE KMM_HAVE_LIBEDIT=1)
    target_link_libraries(kmm_cli_core PUBLIC ${KMM_LIBEDIT_LIB})
    set(KMM_LINE_EDITING_FOUND "libedit")
  elseif(_kmm_le STREQUAL "LIBEDIT")
    message(FATAL_ERROR "KMM_LINE_EDITING=LIBEDIT but libedit (editline/readline.h, libedit) was not found: apt-get install libedit-dev")
  endif()
endif()
if(KMM_LINE_EDITING_FOUND STREQUAL "none" AND (_kmm_le STREQUAL "AUTO" OR _kmm_le STREQUAL "READLINE"))
  find_path(KMM_READLINE_INCLUDE readline/readline.h)
  find_library(KMM_READLINE_LIB readline)
  if(KMM_READLINE_INCLUDE AND KMM_READLINE_LIB)
    target_include_directories(kmm_cli_core PRIVATE ${KMM_READLINE_INCLUDE})
    target_compile_definitions(kmm_cli_core PRIVATE KMM_HAVE_READLINE=1)
    target_link_libraries(kmm_cli_core PUBLIC ${KMM_READLINE_LIB})
    set(KMM_LINE_EDITING_FOUND "readline")
  elseif(_kmm_le STREQUAL "READLINE")
    message(FATAL_ERROR "KMM_LINE_EDITING=READLINE but GNU readline was not found: apt-get install libreadline-dev")
  endif()
endif()
message(STATUS "kmm shell line editing: ${KMM_LINE_EDITING_FOUND}")

# The shell test uses forkpty(): in libutil before glibc 2.34, in libc since.
find_library(KMM_UTIL_LIB util)

# CLI tests link the core library (tests/unit_cli_*.c and friends).
foreach(_t ${KMM_TESTS})
  get_filename_component(_n ${_t} NAME_WE)
  if(_n MATCHES "cli" OR _n MATCHES "shell")
    target_link_libraries(${_n} PRIVATE kmm_cli_core)
    add_dependencies(${_n} kmm_cli)
    if(_n MATCHES "shell" AND KMM_UTIL_LIB)
      target_link_libraries(${_n} PRIVATE ${KMM_UTIL_LIB})
    endif()
  endif()
endforeach()
