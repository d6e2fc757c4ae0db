# SPDX-License-Identifier: MIT
# cmake/golden.cmake - every examples/NAME.kmm with an examples/NAME.out is a
# golden test: `kmm run examples/NAME.kmm` (run from the source directory)
# must exit 0, print nothing on stderr, and print exactly the bytes of
# NAME.out. ctest name golden_NAME, label golden.
# To regenerate after an intended change (then READ the diff before committing):
#   KMM_GOLDEN_UPDATE=1 ctest -R golden_
file(GLOB KMM_EXAMPLES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/examples/*.kmm)
foreach(_ex ${KMM_EXAMPLES})
  get_filename_component(_name ${_ex} NAME_WE)
  if(EXISTS ${CMAKE_SOURCE_DIR}/examples/${_name}.out)
    add_test(NAME golden_${_name}
      COMMAND ${CMAKE_COMMAND} -DKMM=$<TARGET_FILE:kmm_cli> -DNAME=${_name}
              -DSRC=${CMAKE_SOURCE_DIR} -DOUTDIR=${CMAKE_BINARY_DIR}/golden
              -P ${CMAKE_SOURCE_DIR}/tests/golden_compare.cmake)
    set_tests_properties(golden_${_name} PROPERTIES LABELS golden TIMEOUT 300)
  endif()
endforeach()
