# SPDX-License-Identifier: MIT
# cmake/install/install.cmake - kmm installed like a library:
#
#   cmake --install build [--prefix P]
#
#   P/include/kmm/*.h                       the public headers
#   P/LIBDIR/libkmm.a                       static library (export kmm::kmm_static)
#   P/LIBDIR/libkmm.so.0.1.0, .so.0, .so    shared library, SONAME libkmm.so.0 (kmm::kmm)
#   P/LIBDIR/libkmm-malloc.so               the preloadable malloc
#   P/LIBDIR/pkgconfig/kmm.pc               pkg-config (relocatable: ${pcfiledir})
#   P/LIBDIR/cmake/kmm/kmmConfig*.cmake     find_package(kmm) -> kmm::kmm, kmm::kmm_static
#   P/bin/kmm                               the command
#   P/share/man/man1/kmm.1                  its manual
#   P/share/doc/kmm/                        README, LICENSE, docs/*.md, examples/
#
# The build tree works the same way without installing: build/kmm-uninstalled.pc
# (pkg-config prefers it when PKG_CONFIG_PATH names the build directory) and
# build/kmmConfig.cmake (find_package(kmm) with kmm_DIR=build).
#
# libkmm.so exports only its public API: a version script generated from
# include/kmm/*.h (cmake/install/exports.cmake) makes every other symbol
# local. The SONAME's number is the ABI's major version (KMM_SOVERSION):
# raise it when a public function changes or goes away.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)
include(CheckLinkerFlag)

set(KMM_SOVERSION 0)

# ---- libkmm.so: versioned, exporting the public API only ----
file(GLOB KMM_PUBLIC_HEADERS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/include/kmm/*.h)
set(KMM_EXPORTS_MAP ${CMAKE_BINARY_DIR}/kmm_exports.map)
add_custom_command(OUTPUT ${KMM_EXPORTS_MAP}
  COMMAND ${CMAKE_COMMAND} -DHEADERS_DIR=${CMAKE_SOURCE_DIR}/include/kmm
          -DOUT=${KMM_EXPORTS_MAP} -P ${CMAKE_SOURCE_DIR}/cmake/install/exports.cmake
  DEPENDS ${KMM_PUBLIC_HEADERS} ${CMAKE_SOURCE_DIR}/cmake/install/exports.cmake
  COMMENT "Generating libkmm.so's export list from include/kmm/*.h")
add_custom_target(kmm_exports_map DEPENDS ${KMM_EXPORTS_MAP})
add_dependencies(kmm_shared kmm_exports_map)
set_target_properties(kmm_shared PROPERTIES
  VERSION ${PROJECT_VERSION}
  SOVERSION ${KMM_SOVERSION}
  EXPORT_NAME kmm
  LINK_DEPENDS ${KMM_EXPORTS_MAP})
target_link_options(kmm_shared PRIVATE -Wl,--version-script=${KMM_EXPORTS_MAP})
# lld refuses a version script naming symbols the library lacks (macros a
# public header calls); GNU ld accepts them. Say so where the flag exists.
check_linker_flag(C "-Wl,--undefined-version" KMM_LD_UNDEFINED_VERSION)
if(KMM_LD_UNDEFINED_VERSION)
  target_link_options(kmm_shared PRIVATE -Wl,--undefined-version)
endif()
target_include_directories(kmm_shared PUBLIC
  $<BUILD_INTERFACE:${CMAKE_SOURCE_DIR}/include>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
set_target_properties(kmm PROPERTIES EXPORT_NAME kmm_static)
target_include_directories(kmm INTERFACE $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)

# ---- What is installed ----
install(FILES ${KMM_PUBLIC_HEADERS} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/kmm)
install(TARGETS kmm kmm_shared EXPORT kmmTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS kmm_malloc LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS kmm_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${CMAKE_SOURCE_DIR}/docs/kmm.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
file(GLOB KMM_DOCS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/docs/*.md)
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${CMAKE_SOURCE_DIR}/LICENSE ${KMM_DOCS}
  DESTINATION ${CMAKE_INSTALL_DOCDIR})
file(GLOB KMM_EXAMPLE_FILES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/examples/*.kmm
  ${CMAKE_SOURCE_DIR}/examples/*.out)
install(FILES ${KMM_EXAMPLE_FILES} DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# ---- pkg-config ----
# Relocatable: prefix is found from the .pc file's own place, so
# `cmake --install build --prefix P` gives a kmm.pc that is right for P.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(KMM_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(KMM_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  file(RELATIVE_PATH _up "/kmm/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/kmm")
  string(REGEX REPLACE "/$" "" _up "${_up}")
  set(KMM_PC_PREFIX "\${pcfiledir}/${_up}")
  set(KMM_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(KMM_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(KMM_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file(${CMAKE_SOURCE_DIR}/cmake/install/kmm.pc.in ${CMAKE_BINARY_DIR}/pc/kmm.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/pc/kmm.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
configure_file(${CMAKE_SOURCE_DIR}/cmake/install/kmm-uninstalled.pc.in
  ${CMAKE_BINARY_DIR}/kmm-uninstalled.pc @ONLY)

# ---- The CMake package: find_package(kmm) ----
set(KMM_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/kmm)
install(EXPORT kmmTargets NAMESPACE kmm:: DESTINATION ${KMM_CMAKE_DIR})
configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/install/kmmConfig.cmake.in
  ${CMAKE_BINARY_DIR}/pc/kmmConfig.cmake INSTALL_DESTINATION ${KMM_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/kmmConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_BINARY_DIR}/pc/kmmConfig.cmake ${CMAKE_BINARY_DIR}/kmmConfigVersion.cmake
  DESTINATION ${KMM_CMAKE_DIR})
# The build tree as a package too (kmm_DIR=build).
export(EXPORT kmmTargets NAMESPACE kmm:: FILE ${CMAKE_BINARY_DIR}/kmmTargets.cmake)
file(WRITE ${CMAKE_BINARY_DIR}/kmmConfig.cmake
  "# kmm's build tree as a CMake package (generated by cmake/install/install.cmake)\n"
  "include(CMakeFindDependencyMacro)\nfind_dependency(Threads)\n"
  "include(\${CMAKE_CURRENT_LIST_DIR}/kmmTargets.cmake)\n")

# ---- Tests of the above ----
add_test(NAME integration_exports
  COMMAND bash ${CMAKE_SOURCE_DIR}/tests/exports.sh $<TARGET_FILE:kmm_shared>
          $<TARGET_FILE:kmm> ${KMM_EXPORTS_MAP})
set_tests_properties(integration_exports PROPERTIES LABELS integration TIMEOUT 120)
add_test(NAME integration_install
  COMMAND bash ${CMAKE_SOURCE_DIR}/tests/install.sh ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR})
set_tests_properties(integration_install PROPERTIES LABELS integration TIMEOUT 600
  ENVIRONMENT "CC=${CMAKE_C_COMPILER};CMAKE=${CMAKE_COMMAND}")
# Under a sanitizer libkmm.so needs the sanitizer's runtime, which a plain
# `cc hello.c $(pkg-config --cflags --libs kmm)` does not link: the test
# would test the sanitizer, so it runs only in the ordinary build.
if(KMM_SANITIZE OR KMM_TSAN)
  set_tests_properties(integration_install PROPERTIES DISABLED TRUE)
endif()
