//===- SDRaDLoader.cpp - Load the Clang half of the plugin in clang -------===//
//
// SDRaDPlugin.so is what users name: `clang -fplugin=SDRaDPlugin.so`,
// `-fpass-plugin=`, `opt -load-pass-plugin=`.  The attributes and the
// plugin action need Clang's libraries, which opt does not have, so they
// live in SDRaDPluginClang.so next to this object; when this object is
// loaded into a process that has Clang (clang itself), it loads that one,
// whose registrations then take effect, and tells it its own path so that
// the action can add SDRaDPlugin.so to the code generator's pass plugins.
//
// Before that it checks that the process is the LLVM the plugin was built
// for.  Any failure here ends the compile with exit status 1 and a message:
// a compile that went on without the attributes would build the program
// without isolation (the annotations expand to nothing) and say nothing.
// No Clang diagnostics engine is reachable from here, hence stderr.
//
//===----------------------------------------------------------------------===//

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <link.h>
#include <string>
#include <unistd.h>

#ifndef SDRAD_LLVM_MAJOR
#error "SDRAD_LLVM_MAJOR must be defined by the build"
#endif
#define SDRAD_STR2(x) #x
#define SDRAD_STR(x) SDRAD_STR2(x)

namespace {

/// A symbol only Clang's libraries define.
constexpr const char *ClangProbe =
    "_ZN5clang14ParsedAttrInfo3getERKNS_19AttributeCommonInfoE";
/// clang::getClangFullVersion(), in every Clang release.
constexpr const char *ClangVersionFn = "_ZN5clang19getClangFullVersionEv";
constexpr int BuiltFor = SDRAD_LLVM_MAJOR;
constexpr const char *Remedy =
    "compile with clang-" SDRAD_STR(SDRAD_LLVM_MAJOR) " / clang++-" SDRAD_STR(
        SDRAD_LLVM_MAJOR) " (CMake: -DCMAKE_C_COMPILER=clang-" SDRAD_STR(
        SDRAD_LLVM_MAJOR) " -DCMAKE_CXX_COMPILER=clang++-" SDRAD_STR(SDRAD_LLVM_MAJOR) ")";

[[noreturn]] void fail(const std::string &Why) {
  std::string Msg = "error: SDRaD-C++ plugin (built for LLVM/clang " +
                    std::to_string(BuiltFor) + "): " + Why + "\n";
  // write(2) and _exit: nothing of the half-initialised compiler runs again.
  ssize_t Ignored = write(2, Msg.data(), Msg.size());
  (void)Ignored;
  _exit(1);
}

/// The major version in a loaded library's file name, for LLVM's and
/// Clang's shared libraries ("libLLVM-14.so.1", "libLLVM.so.19.1",
/// "libclang-cpp.so.14"); -1 for any other file.
int libraryMajor(const char *Path) {
  const char *Base = strrchr(Path, '/');
  Base = Base ? Base + 1 : Path;
  const char *P = nullptr;
  if (!strncmp(Base, "libLLVM", 7))
    P = Base + 7;
  else if (!strncmp(Base, "libclang-cpp.so.", 16))
    P = Base + 16;
  else
    return -1;
  while (*P && (*P < '0' || *P > '9'))
    ++P;
  return *P ? atoi(P) : -1;
}

/// Fails if another major version of LLVM or Clang is loaded.
void checkLoadedLibraries() {
  std::string Other;
  dl_iterate_phdr(
      [](dl_phdr_info *Info, size_t, void *Data) {
        int Major = libraryMajor(Info->dlpi_name ? Info->dlpi_name : "");
        if (Major >= 0 && Major != BuiltFor)
          *static_cast<std::string *>(Data) = Info->dlpi_name;
        return 0;
      },
      &Other);
  if (!Other.empty())
    fail("this compiler is another LLVM version (it uses " + Other + "); " +
         Remedy);
}

/// Fails if the clang that loaded us reports another major version.
void checkClangVersion() {
  using VersionFn = std::string (*)();
  auto Fn = reinterpret_cast<VersionFn>(dlsym(RTLD_DEFAULT, ClangVersionFn));
  if (!Fn)
    return;
  std::string V = Fn();
  size_t At = V.find("version ");
  if (At == std::string::npos)
    return;
  int Major = atoi(V.c_str() + At + 8);
  if (Major != BuiltFor)
    fail("this compiler is " + V + "; " + Remedy);
}

__attribute__((constructor)) void loadClangHalf() {
  checkLoadedLibraries(); // opt and clang alike
  if (!dlsym(RTLD_DEFAULT, ClangProbe))
    return; // not in clang: the pass alone
  checkClangVersion();
  Dl_info Info;
  if (!dladdr(reinterpret_cast<void *>(&loadClangHalf), &Info) ||
      !Info.dli_fname)
    fail("cannot find its own file name, so not its Clang half");
  std::string Self = Info.dli_fname;
  char Real[4096];
  if (realpath(Self.c_str(), Real))
    Self = Real;
  std::string Dir = Self.substr(0, Self.rfind('/') + 1);
  std::string Half = Dir + "SDRaDPluginClang.so";
  void *H = dlopen(Half.c_str(), RTLD_NOW | RTLD_GLOBAL);
  if (!H)
    fail("cannot load its Clang half (the [[sdrad::...]] attributes and "
         "checks): " +
         std::string(dlerror()) +
         "; SDRaDPluginClang.so from the same build must be next to "
         "SDRaDPlugin.so (keep the two files together)");
  using SetFn = void (*)(const char *);
  auto Set =
      reinterpret_cast<SetFn>(dlsym(H, "sdrad_frontend_set_pass_plugin"));
  if (!Set)
    fail(Half + " is not SDRaD-C++'s Clang half (no "
                "sdrad_frontend_set_pass_plugin)");
  Set(Self.c_str());
}

} // namespace
