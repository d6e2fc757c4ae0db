# SPDX-License-Identifier: MIT
# cmake/report.cmake - the HTML report's page (cli/report/report.html,
# report.css, report.js) compiled into the kmm command: a generated C file,
# build/report_template.c, holds each as a NUL-terminated char array that
# cli/report_html.c fills with the data. Edit the files in cli/report/; the
# build regenerates the C file when they change. Owner: report (docs/report.md).
set(KMM_REPORT_PAGE
  ${CMAKE_SOURCE_DIR}/cli/report/report.html
  ${CMAKE_SOURCE_DIR}/cli/report/report.css
  ${CMAKE_SOURCE_DIR}/cli/report/report.js)
add_custom_command(
  OUTPUT ${CMAKE_BINARY_DIR}/report_template.c
  COMMAND ${CMAKE_COMMAND} -DOUT=${CMAKE_BINARY_DIR}/report_template.c
          -DSRC=${CMAKE_SOURCE_DIR}/cli/report
          -P ${CMAKE_SOURCE_DIR}/cmake/report/embed.cmake
  DEPENDS ${KMM_REPORT_PAGE} ${CMAKE_SOURCE_DIR}/cmake/report/embed.cmake
  COMMENT "Embedding the report's page (cli/report/)")
target_sources(kmm_cli_core PRIVATE ${CMAKE_BINARY_DIR}/report_template.c)
target_compile_definitions(kmm_cli_core PRIVATE KMM_VERSION="${PROJECT_VERSION}")
# The fuzz targets' copy of the CLI (cmake/fuzz.cmake, included before this
# file) writes reports too: it needs the same template.
if(TARGET kmm_cli_fuzzcore)
  target_sources(kmm_cli_fuzzcore PRIVATE ${CMAKE_BINARY_DIR}/report_template.c)
  target_compile_definitions(kmm_cli_fuzzcore PRIVATE KMM_VERSION="${PROJECT_VERSION}")
endif()

# The report's tests: its data against kmm's own /proc files (python3 only),
# and the page in a real headless browser (Debian's chromium, installed by
# tests/ensure_chromium.sh when missing and apt-get can; without a browser the
# test reports itself skipped, exit 77, never passed).
find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  add_test(NAME integration_report_data
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/report_data.py
            $<TARGET_FILE:kmm_cli> ${CMAKE_SOURCE_DIR})
  set_tests_properties(integration_report_data PROPERTIES LABELS integration TIMEOUT 300)
  add_test(NAME integration_report_timeline
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/report_timeline.py
            $<TARGET_FILE:kmm_cli> ${CMAKE_SOURCE_DIR})
  set_tests_properties(integration_report_timeline PROPERTIES LABELS integration TIMEOUT 300)
  add_test(NAME integration_report_term
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/report_term.py
            $<TARGET_FILE:kmm_cli> ${CMAKE_SOURCE_DIR})
  set_tests_properties(integration_report_term PROPERTIES LABELS integration TIMEOUT 300)
  add_test(NAME integration_report_browser
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/report_browser.py
            $<TARGET_FILE:kmm_cli> ${CMAKE_SOURCE_DIR})
  set_tests_properties(integration_report_browser PROPERTIES LABELS integration TIMEOUT 900
    SKIP_RETURN_CODE 77)
else()
  message(WARNING "python3 not found: the report's tests will fail until it is installed")
  foreach(_t integration_report_data integration_report_timeline integration_report_term
             integration_report_browser)
    add_test(NAME ${_t} COMMAND ${CMAKE_COMMAND} -E echo "python3 is needed to test the report")
    set_tests_properties(${_t} PROPERTIES LABELS integration PASS_REGULAR_EXPRESSION "^never matches$")
  endforeach()
endif()

# The progress bar of long runs, on a pseudo-terminal and off it.
if(Python3_Interpreter_FOUND)
  add_test(NAME integration_progress_tty
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/progress_tty.py $<TARGET_FILE:kmm_cli>)
  set_tests_properties(integration_progress_tty PROPERTIES LABELS integration TIMEOUT 300)
endif()

# bench/report.c runs scenarios with and without the recorder: it needs the CLI core.
if(TARGET bench_report)
  target_link_libraries(bench_report PRIVATE kmm_cli_core)
endif()
