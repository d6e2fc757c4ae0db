# SPDX-License-Identifier: MIT
# cmake/boundaries.cmake - the layer boundaries, checked on the sources:
# tests/boundaries.py fails, naming FILE:LINE, when a directory includes a
# header it may not or a private header leaves its owner (the rules:
# docs/architecture.md, "Boundaries").

find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  add_test(NAME unit_boundaries
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/boundaries.py ${CMAKE_SOURCE_DIR})
  set_tests_properties(unit_boundaries PROPERTIES LABELS unit TIMEOUT 120)
else()
  # No interpreter: the check cannot run, so the test fails rather than pass unseen.
  message(WARNING "python3 not found: unit_boundaries will fail until it is installed")
  add_test(NAME unit_boundaries COMMAND ${CMAKE_COMMAND} -E echo "python3 is needed to check the boundaries")
  set_tests_properties(unit_boundaries PROPERTIES LABELS unit WILL_FAIL FALSE
    PASS_REGULAR_EXPRESSION "^never matches$")
endif()
