//===- ClangCompat.h - Clang API differences between LLVM 16 and 22 -*- C++ -*-===//
//
// The plugin builds against LLVM 16 to 22.  Where the Clang API it uses
// differs between those versions, the frontend calls the function here, so
// that SDRaDAttributes.cpp reads the same for each of them.
//
//===----------------------------------------------------------------------===//

#ifndef SDRAD_PLUGIN_CLANGCOMPAT_H
#define SDRAD_PLUGIN_CLANGCOMPAT_H

#include "clang/AST/Decl.h"
#include "clang/Basic/CodeGenOptions.h"
#include "clang/Sema/ParsedAttr.h"
#include "clang/Sema/Sema.h"
#include "llvm/Config/llvm-config.h"
#if __has_include("llvm/Plugins/PassPlugin.h")
#include "llvm/Plugins/PassPlugin.h"
#else
#include "llvm/Passes/PassPlugin.h"
#endif

#include <dlfcn.h>
#include <string>

namespace sdrad::compat {

/// The spelling of an identifier argument of an attribute
/// (IdentifierLoc is a class with accessors since Clang 21).
inline llvm::StringRef identName(const clang::IdentifierLoc *IL) {
#if LLVM_VERSION_MAJOR >= 21
  return IL->getIdentifierInfo()->getName();
#else
  return IL->Ident->getName();
#endif
}

/// Where an identifier argument of an attribute is written.
inline clang::SourceLocation identLoc(const clang::IdentifierLoc *IL) {
#if LLVM_VERSION_MAJOR >= 21
  return IL->getLoc();
#else
  return IL->Loc;
#endif
}

/// Attaches annotate(\p Ann, \p Args...) to \p D as Sema does for
/// __attribute__((annotate)); Sema reports bad arguments itself (Clang 21
/// replaced Sema::AddAnnotationAttr by CreateAnnotationAttr).
inline void addAnnotationAttr(clang::Sema &S, clang::Decl *D,
                              const clang::AttributeCommonInfo &CI,
                              llvm::StringRef Ann,
                              llvm::MutableArrayRef<clang::Expr *> Args) {
#if LLVM_VERSION_MAJOR >= 21
  if (clang::Attr *A = S.CreateAnnotationAttr(CI, Ann, Args))
    D->addAttr(A);
#else
  S.AddAnnotationAttr(D, CI, Ann, Args);
#endif
}

/// Makes the code generator run the pass plugin \p Path (SDRaDPlugin.so,
/// already loaded) as if -fpass-plugin=\p Path had been given.  Until Clang
/// 21 the code generator loads CodeGenOptions::PassPlugins when it builds
/// its pipeline, so adding the path from the plugin action is enough.
/// Clang 22 loads them before any frontend action runs and never reads the
/// list again: there the plugin's callbacks are registered directly.
/// Returns false, and the caller reports an error, if that fails.
inline bool addPassPlugin(clang::CodeGenOptions &Opts,
                          const std::string &Path) {
#if LLVM_VERSION_MAJOR >= 22
  void *Handle = dlopen(Path.c_str(), RTLD_NOW | RTLD_NOLOAD);
  using InfoFn = llvm::PassPluginLibraryInfo (*)();
  auto Info = Handle ? reinterpret_cast<InfoFn>(
                           dlsym(Handle, "llvmGetPassPluginInfo"))
                     : nullptr;
  if (!Info)
    return false;
  Opts.PassBuilderCallbacks.push_back(
      [Info](llvm::PassBuilder &PB) { Info().RegisterPassBuilderCallbacks(PB); });
#else
  Opts.PassPlugins.push_back(Path);
#endif
  return true;
}

} // namespace sdrad::compat

#endif // SDRAD_PLUGIN_CLANGCOMPAT_H
