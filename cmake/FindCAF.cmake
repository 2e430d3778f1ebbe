# FindCAF.cmake — locates the C++ Actor Framework 0.17 (core + io).
#
# Debian's libcaf-dev ships headers and shared libraries but no CMake package
# config, so sluice (and every consumer of the installed sluice package) finds
# CAF with this module.
#
# Result variables:
#   CAF_FOUND            true if headers and both libraries were found
#   CAF_VERSION          "MAJOR.MINOR.PATCH" from caf/config.hpp (if derivable)
#   CAF_INCLUDE_DIRS     include directory holding caf/config.hpp
#   CAF_LIBRARIES        CAF::core and CAF::io
#
# Imported targets:
#   CAF::core            libcaf_core (links Threads::Threads)
#   CAF::io              libcaf_io   (links CAF::core)
#
# Cache variables (hints): CAF_ROOT (via CMP0074), CAF_INCLUDE_DIR,
# CAF_CORE_LIBRARY, CAF_IO_LIBRARY.

include(FindPackageHandleStandardArgs)

find_path(CAF_INCLUDE_DIR
  NAMES caf/config.hpp
  DOC "Directory containing caf/config.hpp")

find_library(CAF_CORE_LIBRARY
  NAMES caf_core
  DOC "CAF core library")

find_library(CAF_IO_LIBRARY
  NAMES caf_io
  DOC "CAF I/O library")

unset(CAF_VERSION)
if(CAF_INCLUDE_DIR AND EXISTS "${CAF_INCLUDE_DIR}/caf/config.hpp")
  file(STRINGS "${CAF_INCLUDE_DIR}/caf/config.hpp" _caf_version_line
    REGEX "^#define CAF_VERSION [0-9]+")
  if(_caf_version_line MATCHES "^#define CAF_VERSION ([0-9]+)")
    set(_caf_version_int "${CMAKE_MATCH_1}")
    math(EXPR _caf_major "${_caf_version_int} / 10000")
    math(EXPR _caf_minor "(${_caf_version_int} / 100) % 100")
    math(EXPR _caf_patch "${_caf_version_int} % 100")
    set(CAF_VERSION "${_caf_major}.${_caf_minor}.${_caf_patch}")
    unset(_caf_version_int)
    unset(_caf_major)
    unset(_caf_minor)
    unset(_caf_patch)
  endif()
  unset(_caf_version_line)
endif()

set(_caf_fail_msg
  "CAF 0.17 (C++ Actor Framework) is required. On Debian 12 install it with: \
apt-get install libcaf-dev (or point CAF_ROOT, CAF_INCLUDE_DIR, \
CAF_CORE_LIBRARY and CAF_IO_LIBRARY at another installation).")

find_package_handle_standard_args(CAF
  REQUIRED_VARS CAF_INCLUDE_DIR CAF_CORE_LIBRARY CAF_IO_LIBRARY
  VERSION_VAR CAF_VERSION
  REASON_FAILURE_MESSAGE "${_caf_fail_msg}")
unset(_caf_fail_msg)

if(CAF_FOUND)
  set(CAF_INCLUDE_DIRS "${CAF_INCLUDE_DIR}")
  set(CAF_LIBRARIES CAF::core CAF::io)

  if(NOT TARGET Threads::Threads)
    set(THREADS_PREFER_PTHREAD_FLAG ON)
    find_package(Threads REQUIRED)
  endif()

  if(NOT TARGET CAF::core)
    add_library(CAF::core UNKNOWN IMPORTED)
    set_target_properties(CAF::core PROPERTIES
      IMPORTED_LOCATION "${CAF_CORE_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}"
      INTERFACE_LINK_LIBRARIES Threads::Threads)
  endif()

  if(NOT TARGET CAF::io)
    add_library(CAF::io UNKNOWN IMPORTED)
    set_target_properties(CAF::io PROPERTIES
      IMPORTED_LOCATION "${CAF_IO_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}"
      INTERFACE_LINK_LIBRARIES "CAF::core;Threads::Threads")
  endif()
endif()

mark_as_advanced(CAF_INCLUDE_DIR CAF_CORE_LIBRARY CAF_IO_LIBRARY)
