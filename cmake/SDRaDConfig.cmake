# find_package(SDRaD) - SDRaD-C++ for CMake projects.
#
# Provides
#   SDRaD::runtime        the rewind runtime as programs link it: the whole
#                         static archive (malloc & co. come from it), bind-now,
#                         plus the headers <sdrad/sdrad.h>, <sdrad/isolate.h>
#   SDRaD::runtime_shared libsdrad.so
#   SDRAD_PLUGIN          path of SDRaDPlugin.so
#   sdrad_enable(<target> [NO_RUNTIME])
#                         compiles <target> with the plugin (so that
#                         [[sdrad::isolate]] takes effect) and, unless
#                         NO_RUNTIME, links SDRaD::runtime.
#   SDRAD_C_COMPILER, SDRAD_CXX_COMPILER
#                         the clang the plugin was built for: the compiler
#                         of targets given to sdrad_enable() must be it.
# find_package fails, saying what to set, when a compiler of the project is
# not that clang (SDRaDCheckCompiler.cmake).
# SDRaD_DIR is the directory of this file: <build>/cmake, or
# <prefix>/lib/cmake/SDRaD once installed (or CMAKE_PREFIX_PATH=<prefix>).
include(${CMAKE_CURRENT_LIST_DIR}/SDRaDPaths.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/SDRaDCheckCompiler.cmake)

if(NOT TARGET SDRaD::runtime)
  add_library(SDRaD::runtime_static STATIC IMPORTED)
  set_target_properties(SDRaD::runtime_static PROPERTIES
    IMPORTED_LOCATION "${SDRAD_RUNTIME_STATIC}"
    IMPORTED_LINK_INTERFACE_LANGUAGES "CXX")
  add_library(SDRaD::runtime_shared SHARED IMPORTED)
  set_target_properties(SDRaD::runtime_shared PROPERTIES
    IMPORTED_LOCATION "${SDRAD_RUNTIME_SHARED}"
    INTERFACE_INCLUDE_DIRECTORIES "${SDRAD_INCLUDE_DIRS}")
  add_library(SDRaD::runtime INTERFACE IMPORTED)
  # The runtime is C++ inside: C programs need libstdc++ too.
  set_target_properties(SDRaD::runtime PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${SDRAD_INCLUDE_DIRS}"
    INTERFACE_LINK_LIBRARIES
      "-Wl,--whole-archive;${SDRAD_RUNTIME_STATIC};-Wl,--no-whole-archive;stdc++;pthread"
    INTERFACE_LINK_OPTIONS "LINKER:-z,now;LINKER:-z,relro")
endif()

function(sdrad_enable target)
  cmake_parse_arguments(ARG "NO_RUNTIME" "" "" ${ARGN})
  if(NOT SDRAD_PLUGIN)
    message(FATAL_ERROR "sdrad_enable(${target}): this SDRaD-C++ (${SDRaD_DIR}) "
      "was built without the plugin (no matching clang at its configure time)")
  endif()
  target_compile_options(${target} PRIVATE "-fplugin=${SDRAD_PLUGIN}")
  target_include_directories(${target} PRIVATE ${SDRAD_INCLUDE_DIRS})
  get_target_property(_type ${target} TYPE)
  if(NOT ARG_NO_RUNTIME AND _type STREQUAL "EXECUTABLE")
    target_link_libraries(${target} PRIVATE SDRaD::runtime)
  endif()
endfunction()

set(SDRaD_FOUND TRUE)
