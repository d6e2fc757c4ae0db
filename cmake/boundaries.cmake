# SPDX-License-Identifier: MIT
# cmake/boundaries.cmake - checks on the sources themselves:
# tests/boundaries.py (unit_boundaries) fails, naming FILE:LINE, when a
# directory includes a header it may not, a private header leaves its owner,
# or an address/page-bytes rule is broken (docs/architecture.md,
# "Boundaries"); tests/linux_map.py (unit_linux_map) fails when
# docs/linux-map.md misses a non-static function, names one that is gone, or
# marks a row "kept" whose names differ from Linux's.

find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  add_test(NAME unit_boundaries
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/boundaries.py ${CMAKE_SOURCE_DIR})
  set_tests_properties(unit_boundaries PROPERTIES LABELS unit TIMEOUT 120)
  add_test(NAME unit_linux_map
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/linux_map.py ${CMAKE_SOURCE_DIR})
  set_tests_properties(unit_linux_map PROPERTIES LABELS unit TIMEOUT 120)
else()
  # No interpreter: the check cannot run, so the test fails rather than pass unseen.
  message(WARNING "python3 not found: unit_boundaries will fail until it is installed")
  foreach(t unit_boundaries unit_linux_map)
    add_test(NAME ${t} COMMAND ${CMAKE_COMMAND} -E echo "python3 is needed for ${t}")
    set_tests_properties(${t} PROPERTIES LABELS unit PASS_REGULAR_EXPRESSION "^never matches$")
  endforeach()
endif()
