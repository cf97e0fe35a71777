# SDRaDCheckCompiler.cmake - fail the configure step, saying what to set,
# when a C or C++ compiler of the project is not the clang that
# SDRaDPlugin.so was built for (SDRAD_CLANG_MAJOR, from SDRaDPaths.cmake).
# With another compiler the plugin cannot load (GCC refuses it, another
# clang loads a second LLVM), and a build without it has no isolation.
# Used by SDRaDConfig.cmake (find_package) and, through
# CMAKE_PROJECT_INCLUDE, by SDRaDToolchain.cmake.
function(sdrad_check_compilers)
  get_property(_langs GLOBAL PROPERTY ENABLED_LANGUAGES)
  foreach(_lang C CXX)
    if(NOT _lang IN_LIST _langs)
      continue()
    endif()
    set(_id "${CMAKE_${_lang}_COMPILER_ID}")
    set(_ver "${CMAKE_${_lang}_COMPILER_VERSION}")
    string(REGEX MATCH "^[0-9]+" _major "${_ver}")
    if(NOT _id STREQUAL "Clang" OR NOT _major STREQUAL "${SDRAD_CLANG_MAJOR}")
      if(_lang STREQUAL "C")
        set(_want "clang-${SDRAD_CLANG_MAJOR}")
      else()
        set(_want "clang++-${SDRAD_CLANG_MAJOR}")
      endif()
      message(FATAL_ERROR
        "SDRaD-C++: the ${_lang} compiler is ${_id} ${_ver} "
        "(${CMAKE_${_lang}_COMPILER}), but SDRaDPlugin.so works only in "
        "clang ${SDRAD_CLANG_MAJOR}.  Configure a fresh build directory with "
        "-DCMAKE_${_lang}_COMPILER=${_want} (CMake keeps the first compiler "
        "it found in the cache), or with "
        "-DCMAKE_TOOLCHAIN_FILE=${SDRAD_PACKAGE_DIR}/SDRaDToolchain.cmake.")
    endif()
  endforeach()
endfunction()

sdrad_check_compilers()
