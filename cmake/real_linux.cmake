# SPDX-License-Identifier: MIT
# cmake/real_linux.cmake - kmm held against real Linux 6.12 (issue 11):
# tests/real_linux.py boots, for each capture in tests/real-linux/, the same
# machine in kmm and compares it field by field; a difference fails unless
# tests/real-linux/allowed-differences.txt gives its reason.

find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  add_test(NAME integration_real_linux
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/real_linux.py
            $<TARGET_FILE:kmm_cli> ${CMAKE_SOURCE_DIR})
  set_tests_properties(integration_real_linux PROPERTIES LABELS integration TIMEOUT 300)
else()
  add_test(NAME integration_real_linux
    COMMAND ${CMAKE_COMMAND} -E echo "python3 is needed for integration_real_linux")
  set_tests_properties(integration_real_linux PROPERTIES LABELS integration
    PASS_REGULAR_EXPRESSION "^never matches$")
endif()
