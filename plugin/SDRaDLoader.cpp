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
//===----------------------------------------------------------------------===//

#include <dlfcn.h>
#include <stdio.h>
#include <string>

namespace {

/// A symbol only Clang's libraries define.
constexpr const char *ClangProbe =
    "_ZN5clang14ParsedAttrInfo3getERKNS_19AttributeCommonInfoE";

__attribute__((constructor)) void loadClangHalf() {
  if (!dlsym(RTLD_DEFAULT, ClangProbe))
    return; // not in clang: the pass alone
  Dl_info Info;
  if (!dladdr(reinterpret_cast<void *>(&loadClangHalf), &Info) ||
      !Info.dli_fname)
    return;
  std::string Self = Info.dli_fname;
  char Real[4096];
  if (realpath(Self.c_str(), Real))
    Self = Real;
  std::string Dir = Self.substr(0, Self.rfind('/') + 1);
  std::string Half = Dir + "SDRaDPluginClang.so";
  void *H = dlopen(Half.c_str(), RTLD_NOW | RTLD_GLOBAL);
  if (!H) {
    fprintf(stderr, "SDRaDPlugin: cannot load %s: %s\n", Half.c_str(),
            dlerror());
    return;
  }
  using SetFn = void (*)(const char *);
  if (auto Set = reinterpret_cast<SetFn>(
          dlsym(H, "sdrad_frontend_set_pass_plugin")))
    Set(Self.c_str());
}

} // namespace
