# Package test: does an installed sluice work for a downstream project?
#
#   cmake -DSLUICE_BUILD_DIR=<built sluice tree> -DSLUICE_SOURCE_DIR=<repo>
#         -DWORK_DIR=<scratch dir> [-DCONSUMER_CXX_COMPILER=...]
#         [-DCONSUMER_BUILD_TYPE=...] [-DCONSUMER_CXX_FLAGS=...]
#         [-DCONSUMER_LINK_FLAGS=...] -P run.cmake
#
# 1. cmake --install <build> --prefix <WORK_DIR>/prefix (copies only; safe
#    while ctest uses the build tree)
# 2. configure tests/package/consumer with CMAKE_PREFIX_PATH=<prefix>
# 3. build it
# 4. run the consumer executable
# Any non-zero exit is a FATAL_ERROR.

cmake_minimum_required(VERSION 3.25)

foreach(_var IN ITEMS SLUICE_BUILD_DIR SLUICE_SOURCE_DIR WORK_DIR)
  if(NOT DEFINED ${_var} OR "${${_var}}" STREQUAL "")
    message(FATAL_ERROR "run.cmake: -D${_var}=... is required")
  endif()
endforeach()

set(_prefix "${WORK_DIR}/prefix")
set(_consumer_src "${SLUICE_SOURCE_DIR}/tests/package/consumer")
set(_consumer_build "${WORK_DIR}/consumer-build")

# step(<description> COMMAND ...): runs the command, fails on non-zero exit.
function(step description)
  message(STATUS "package_consumer: ${description}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    string(REPLACE ";" " " _cmd "${ARGN}")
    message(FATAL_ERROR
      "package_consumer: ${description} failed (exit ${_rc}): ${_cmd}")
  endif()
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

step("install sluice into ${_prefix}"
  "${CMAKE_COMMAND}" --install "${SLUICE_BUILD_DIR}" --prefix "${_prefix}")

if(NOT EXISTS "${_prefix}/lib/cmake/sluice/sluiceConfig.cmake")
  message(FATAL_ERROR
    "package_consumer: ${_prefix}/lib/cmake/sluice/sluiceConfig.cmake missing")
endif()

set(_configure_args
  -S "${_consumer_src}" -B "${_consumer_build}"
  "-DCMAKE_PREFIX_PATH=${_prefix}"
  # Only the installed package may be found, never the source/build tree.
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
if(CONSUMER_CXX_COMPILER)
  list(APPEND _configure_args "-DCMAKE_CXX_COMPILER=${CONSUMER_CXX_COMPILER}")
endif()
if(CONSUMER_BUILD_TYPE)
  list(APPEND _configure_args "-DCMAKE_BUILD_TYPE=${CONSUMER_BUILD_TYPE}")
endif()
if(CONSUMER_CXX_FLAGS)
  list(APPEND _configure_args "-DCMAKE_CXX_FLAGS=${CONSUMER_CXX_FLAGS}")
endif()
if(CONSUMER_LINK_FLAGS)
  list(APPEND _configure_args "-DCMAKE_EXE_LINKER_FLAGS=${CONSUMER_LINK_FLAGS}")
endif()

step("configure consumer" "${CMAKE_COMMAND}" ${_configure_args})
step("build consumer" "${CMAKE_COMMAND}" --build "${_consumer_build}")

set(_exe "${_consumer_build}/sluice_consumer")
if(NOT EXISTS "${_exe}")
  message(FATAL_ERROR "package_consumer: ${_exe} was not built")
endif()
step("run consumer" "${_exe}")

message(STATUS "package_consumer: OK")
