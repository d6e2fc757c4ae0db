# SPDX-License-Identifier: MIT
# tests/golden_compare.cmake - run one example and compare its output with the
# checked-in expected output byte for byte (used by cmake/golden.cmake).
# Inputs: KMM (the kmm binary), NAME, SRC (source dir), OUTDIR.
file(MAKE_DIRECTORY ${OUTDIR})
execute_process(COMMAND ${KMM} run examples/${NAME}.kmm
  WORKING_DIRECTORY ${SRC}
  OUTPUT_FILE ${OUTDIR}/${NAME}.out
  ERROR_VARIABLE err
  RESULT_VARIABLE rc)
if(DEFINED ENV{KMM_GOLDEN_UPDATE})
  configure_file(${OUTDIR}/${NAME}.out ${SRC}/examples/${NAME}.out COPYONLY)
  message(STATUS "updated examples/${NAME}.out")
endif()
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "kmm run examples/${NAME}.kmm exited with ${rc}:\n${err}")
endif()
if(NOT err STREQUAL "")
  message(FATAL_ERROR "kmm run examples/${NAME}.kmm printed on stderr:\n${err}")
endif()
file(READ ${OUTDIR}/${NAME}.out actual HEX)
file(READ ${SRC}/examples/${NAME}.out expected HEX)
if(NOT actual STREQUAL expected)
  execute_process(COMMAND diff -u ${SRC}/examples/${NAME}.out ${OUTDIR}/${NAME}.out
    OUTPUT_VARIABLE d)
  message(FATAL_ERROR "examples/${NAME}.out differs from what kmm prints now "
    "(actual: ${OUTDIR}/${NAME}.out):\n${d}")
endif()
