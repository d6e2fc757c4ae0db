# SPDX-License-Identifier: MIT
# cmake/lab.cmake - the allocator lab (lab/*.c): pool allocators, trace
# readers, replay and metrics, page-replacement policies. Owner: lab.
# See docs/lab.md.
#
# The lab is part of libkmm (kmm_objs), not a library of its own: its public
# headers (include/kmm/pool.h, include/kmm/lab.h) are libkmm's API, so a
# program that wants a pool allocator links -lkmm like any other kmm user,
# and the kmm command gets `kmm lab` with no extra link step. The lab calls
# only lib/ and libc, so it adds no dependency to the library.
file(GLOB KMM_LAB_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/lab/*.c)
target_sources(kmm_objs PRIVATE ${KMM_LAB_SOURCES})
