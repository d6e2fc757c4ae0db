# SPDX-License-Identifier: MIT
# cmake/harden.cmake - tests of kmm's promises against misuse and chance:
# byte-identical runs (tests/run_twice.sh), the malloc shim's misuse suite
# (tests/shim_misuse.sh) and its failure-injection run; and the
# ThreadSanitizer target (`make test-tsan`, see the Makefile).

add_test(NAME integration_run_twice
  COMMAND bash ${CMAKE_SOURCE_DIR}/tests/run_twice.sh $<TARGET_FILE:kmm_cli> ${CMAKE_SOURCE_DIR})
set_tests_properties(integration_run_twice PROPERTIES LABELS integration TIMEOUT 600)

# bench/scenario_parse.c parses scripts: it needs the CLI core, not just libkmm.
if(TARGET bench_scenario_parse)
  target_link_libraries(bench_scenario_parse PRIVATE kmm_cli_core)
endif()
