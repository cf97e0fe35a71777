# SDRaDToolchain.cmake - build a whole project with SDRaD-C++:
#   cmake -DCMAKE_TOOLCHAIN_FILE=<dir>/SDRaDToolchain.cmake ...
# <dir> is build/cmake/ of an SDRaD-C++ build tree, or lib/cmake/SDRaD/ of
# an installation (the copy in the source tree's cmake/ finds the build
# tree in ../build, or SDRAD_BUILD_DIR).
#
# Every C and C++ compile gets the clang the plugin was built for (clang-NN
# of LLVM NN, as recorded in SDRaDPaths.cmake), -fplugin=SDRaDPlugin.so and the
# include directories of <sdrad/isolate.h> and <sdrad/sdrad.h>; every
# executable links the runtime (whole archive, -z now).  find_package(SDRaD)
# works as well (SDRaD_DIR points here).  Compile a target with
# -DSDRAD_DISABLE to build it without isolation.  After each project() the
# compilers CMake found are checked (SDRaDCheckCompiler.cmake): a cache
# that still names another compiler fails the configure step.

set(_sdrad_dir "${CMAKE_CURRENT_LIST_DIR}")
if(NOT EXISTS "${_sdrad_dir}/SDRaDPaths.cmake")
  # The copy in the source tree: use a build tree.
  if(DEFINED ENV{SDRAD_BUILD_DIR})
    set(_sdrad_dir "$ENV{SDRAD_BUILD_DIR}/cmake")
  else()
    set(_sdrad_dir "${CMAKE_CURRENT_LIST_DIR}/../build/cmake")
  endif()
endif()
if(NOT EXISTS "${_sdrad_dir}/SDRaDPaths.cmake")
  message(FATAL_ERROR "SDRaDToolchain: no SDRaD-C++ build or installation "
    "found at ${_sdrad_dir}; build it first or set SDRAD_BUILD_DIR")
endif()
get_filename_component(_sdrad_dir "${_sdrad_dir}" ABSOLUTE)
include("${_sdrad_dir}/SDRaDPaths.cmake")
if(NOT SDRAD_PLUGIN)
  message(FATAL_ERROR "SDRaDToolchain: the SDRaD-C++ build at ${_sdrad_dir} "
    "has no plugin (it was configured without a matching clang); rebuild it "
    "with clang-NN of a supported LLVM")
endif()
set(CMAKE_C_COMPILER "${SDRAD_C_COMPILER}")
set(CMAKE_CXX_COMPILER "${SDRAD_CXX_COMPILER}")
set(CMAKE_PROJECT_INCLUDE "${_sdrad_dir}/SDRaDCheckCompiler.cmake")
set(SDRaD_DIR "${_sdrad_dir}" CACHE PATH "SDRaD-C++ package directory")
set(SDRAD_TOOLCHAIN ON)

set(_sdrad_inc "")
foreach(_d ${SDRAD_INCLUDE_DIRS})
  string(APPEND _sdrad_inc " -I${_d}")
endforeach()
set(CMAKE_C_FLAGS_INIT "-fplugin=${SDRAD_PLUGIN}${_sdrad_inc}")
set(CMAKE_CXX_FLAGS_INIT "-fplugin=${SDRAD_PLUGIN}${_sdrad_inc}")
# The runtime provides malloc & co. and must come in whole; it is C++
# inside, so C programs need libstdc++ as well.
set(CMAKE_EXE_LINKER_FLAGS_INIT
  "-Wl,--whole-archive ${SDRAD_RUNTIME_STATIC} -Wl,--no-whole-archive -Wl,--push-state,--no-as-needed -lstdc++ -lpthread -Wl,--pop-state -Wl,-z,now -Wl,-z,relro")
unset(_sdrad_inc)
unset(_sdrad_dir)
