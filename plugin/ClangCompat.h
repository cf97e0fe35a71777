//===- ClangCompat.h - Clang API differences between LLVM 16 and 22 -*- C++ -*-===//
//
// The plugin builds against LLVM 16 to 22.  Where the Clang API it uses
// differs between those versions, the frontend calls the function here, so
// that SDRaDAttributes.cpp reads the same for each of them.
//
//===----------------------------------------------------------------------===//

#ifndef SDRAD_PLUGIN_CLANGCOMPAT_H
#define SDRAD_PLUGIN_CLANGCOMPAT_H

#include "clang/AST/ASTContext.h"
#include "clang/AST/Decl.h"
#include "clang/AST/Stmt.h"
#include "clang/AST/TemplateBase.h"
#include "clang/Basic/AttributeCommonInfo.h"
#include "clang/Basic/CodeGenOptions.h"
#include "clang/Basic/DiagnosticSema.h"
#include "clang/Lex/Lexer.h"
#include "clang/Lex/Preprocessor.h"
#include "clang/Sema/ParsedAttr.h"
#include "clang/Sema/Sema.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/Compiler.h"
#if __has_include("llvm/Plugins/PassPlugin.h")
#include "llvm/Plugins/PassPlugin.h"
#else
#include "llvm/Passes/PassPlugin.h"
#endif

#include <dlfcn.h>
#include <string>

// Exported entry points; LLVM 17 named it.
#ifndef LLVM_ATTRIBUTE_VISIBILITY_DEFAULT
#define LLVM_ATTRIBUTE_VISIBILITY_DEFAULT __attribute__((visibility("default")))
#endif

// The C23 attribute syntax: AS_C2x until Clang 16.
#if LLVM_VERSION_MAJOR < 17
#define AS_C23 AS_C2x
#endif

namespace sdrad::compat {

/// How an annotate attribute added by the plugin says it was written
/// (__attribute__((annotate)); AttributeCommonInfo::Form since Clang 17).
inline clang::AttributeCommonInfo gnuAnnotateInfo(clang::SourceRange Range) {
#if LLVM_VERSION_MAJOR >= 17
  return clang::AttributeCommonInfo(Range,
                                    clang::AttributeCommonInfo::AT_Annotate,
                                    clang::AttributeCommonInfo::Form::GNU());
#else
  return clang::AttributeCommonInfo(Range,
                                    clang::AttributeCommonInfo::AT_Annotate,
                                    clang::AttributeCommonInfo::AS_GNU);
#endif
}

/// "'X' attribute only applies to \p What" at \p Attr (Clang 17 added a
/// keyword-attribute argument to the diagnostic).
inline void diagWrongDeclType(clang::Sema &S, const clang::ParsedAttr &Attr,
                              const char *What) {
#if LLVM_VERSION_MAJOR >= 17
  S.Diag(Attr.getLoc(), clang::diag::err_attribute_wrong_decl_type_str)
      << Attr << Attr.isRegularKeywordAttribute() << What;
#else
  S.Diag(Attr.getLoc(), clang::diag::err_attribute_wrong_decl_type_str)
      << Attr << What;
#endif
}

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

/// Clang 16 parses the arguments of a [[scope::name(...)]] attribute only
/// if it knows the attribute, which it does not for plugin attributes: it
/// skips them and hands the plugin the attribute without arguments.  Then
/// [[sdrad::isolate("d", "confidentiality")]] would silently become
/// [[sdrad::isolate]]: reports an error and returns true if \p Attr was
/// written with arguments that were dropped.  Never true from Clang 17 on.
inline bool argumentsDropped(clang::Sema &S, const clang::ParsedAttr &Attr) {
#if LLVM_VERSION_MAJOR < 17
  if (Attr.getNumArgs() != 0 ||
      (Attr.getSyntax() != clang::AttributeCommonInfo::AS_CXX11 &&
       Attr.getSyntax() != clang::AttributeCommonInfo::AS_C2x))
    return false;
  std::optional<clang::Token> Next = clang::Lexer::findNextToken(
      Attr.getRange().getEnd(), S.getSourceManager(), S.getLangOpts());
  if (!Next || !Next->is(clang::tok::l_paren))
    return false;
  clang::DiagnosticsEngine &DE = S.getDiagnostics();
  DE.Report(Next->getLocation(),
            DE.getCustomDiagID(clang::DiagnosticsEngine::Error,
                               "Clang 16 drops the arguments of '%0' in the "
                               "[[...]] spelling; write it with the SDRAD_* "
                               "macros (GNU spelling)"))
      << Attr.getNormalizedFullName();
  return true;
#else
  (void)S;
  (void)Attr;
  return false;
#endif
}

/// <sdrad/isolate.h> turns the SDRAD_* macros on when
/// __has_attribute(sdrad_isolate) is true; Clang 16's __has_attribute does
/// not see plugin attributes, so there the plugin defines __SDRAD_PLUGIN__
/// (called before the predefines are read: from CreateASTConsumer).
inline void announcePlugin(clang::Preprocessor &PP) {
#if LLVM_VERSION_MAJOR < 17
  PP.setPredefines(PP.getPredefines() + "#define __SDRAD_PLUGIN__ 1\n");
#else
  (void)PP;
#endif
}

/// The type of a record declaration (ASTContext::getRecordType until Clang
/// 21; the canonical tag type since Clang 22).
inline clang::QualType recordType(clang::ASTContext &Ctx, const clang::RecordDecl *RD) {
#if LLVM_VERSION_MAJOR >= 22
  return Ctx.getCanonicalTagType(RD);
#else
  return Ctx.getRecordType(RD);
#endif
}

/// Sema::CheckTemplateIdType for a template name written without a keyword
/// (Clang 22 added the keyword, scope and nested-name-specifier arguments).
inline clang::QualType checkTemplateId(clang::Sema &S, clang::TemplateName T, clang::SourceLocation Loc,
                                       clang::TemplateArgumentListInfo &Args) {
#if LLVM_VERSION_MAJOR >= 22
  return S.CheckTemplateIdType(clang::ElaboratedTypeKeyword::None, T, Loc, Args, /*Scope=*/nullptr,
                               /*ForNestedNameSpecifier=*/false);
#else
  return S.CheckTemplateIdType(T, Loc, Args);
#endif
}

/// A compound statement's stored floating-point overrides, or none
/// (CompoundStmt::getStoredFPFeaturesOrDefault since Clang 17).
inline clang::FPOptionsOverride storedFPFeatures(const clang::CompoundStmt *CS) {
#if LLVM_VERSION_MAJOR >= 17
  return CS->getStoredFPFeaturesOrDefault();
#else
  return CS->hasStoredFPFeatures() ? CS->getStoredFPFeatures() : clang::FPOptionsOverride();
#endif
}

} // namespace sdrad::compat

#endif // SDRAD_PLUGIN_CLANGCOMPAT_H
