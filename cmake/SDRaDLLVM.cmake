# Which LLVM the plugin is built against, and whether it can be built here.
#
# -DSDRAD_LLVM_VERSION=NN looks in /usr/lib/llvm-NN (Debian's layout);
# -DLLVM_DIR=<dir> takes that LLVM whatever its version.  The plugin is a
# module loaded into clang, and the plugin's tests compile programs with the
# project's C and C++ compilers: both must be the clang of that same LLVM.
# Otherwise (e.g. a plain `cmake` with GCC) the runtime and its unit tests
# are still built and the plugin, lit and e2e tests are skipped, saying so.

function(sdrad_skip_plugin)
  string(JOIN "" why ${ARGV})
  message(WARNING "SDRaD: not building the plugin (and its lit and e2e "
    "tests): ${why}.  The runtime and its unit tests are built.  For the "
    "plugin configure with -DCMAKE_C_COMPILER=clang-${SDRAD_LLVM_VERSION} "
    "-DCMAKE_CXX_COMPILER=clang++-${SDRAD_LLVM_VERSION} (or "
    "-DSDRAD_BUILD_PLUGIN=OFF to silence this).")
  set(SDRAD_BUILD_PLUGIN OFF PARENT_SCOPE)
endfunction()

macro(sdrad_find_llvm)
  if(SDRAD_BUILD_PLUGIN)
    if(LLVM_DIR)
      find_package(LLVM CONFIG QUIET)
    else()
      find_package(LLVM CONFIG QUIET
        HINTS /usr/lib/llvm-${SDRAD_LLVM_VERSION}/lib/cmake/llvm NO_DEFAULT_PATH)
    endif()
    if(NOT LLVM_FOUND)
      sdrad_skip_plugin("no LLVM ${SDRAD_LLVM_VERSION} found (looked in "
        "/usr/lib/llvm-${SDRAD_LLVM_VERSION}; install llvm-${SDRAD_LLVM_VERSION}-dev "
        "or set LLVM_DIR)")
    elseif(LLVM_VERSION_MAJOR LESS SDRAD_LLVM_MIN OR LLVM_VERSION_MAJOR GREATER SDRAD_LLVM_MAX)
      message(FATAL_ERROR "SDRaD: LLVM ${LLVM_PACKAGE_VERSION} in ${LLVM_DIR} is "
        "not supported; the plugin builds against LLVM ${SDRAD_LLVM_MIN} to ${SDRAD_LLVM_MAX}")
    else()
      set(SDRAD_LLVM_VERSION ${LLVM_VERSION_MAJOR} CACHE STRING "" FORCE)
      string(REGEX MATCH "^[0-9]+" _sdrad_cc_major "${CMAKE_C_COMPILER_VERSION}")
      string(REGEX MATCH "^[0-9]+" _sdrad_cxx_major "${CMAKE_CXX_COMPILER_VERSION}")
      if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang"
         OR NOT _sdrad_cxx_major EQUAL LLVM_VERSION_MAJOR)
        sdrad_skip_plugin("the C++ compiler is ${CMAKE_CXX_COMPILER_ID} "
          "${CMAKE_CXX_COMPILER_VERSION}, not the clang of LLVM ${LLVM_PACKAGE_VERSION}")
      elseif(NOT CMAKE_C_COMPILER_ID STREQUAL "Clang"
             OR NOT _sdrad_cc_major EQUAL LLVM_VERSION_MAJOR)
        sdrad_skip_plugin("the C compiler is ${CMAKE_C_COMPILER_ID} "
          "${CMAKE_C_COMPILER_VERSION}, not the clang of LLVM ${LLVM_PACKAGE_VERSION}")
      else()
        find_package(Clang REQUIRED CONFIG
          HINTS ${LLVM_LIBRARY_DIR}/cmake/clang ${LLVM_DIR}/../clang NO_DEFAULT_PATH)
        message(STATUS "SDRaD: plugin built against LLVM ${LLVM_PACKAGE_VERSION} in ${LLVM_DIR}")
      endif()
    endif()
  endif()
endmacro()
