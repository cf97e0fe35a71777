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
#include "clang/Sema/ParsedAttr.h"
#include "clang/Sema/Sema.h"
#include "llvm/Config/llvm-config.h"

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

} // namespace sdrad::compat

#endif // SDRAD_PLUGIN_CLANGCOMPAT_H
