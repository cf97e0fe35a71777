//===- SDRaDAttributes.cpp - [[sdrad::...]] attributes for Clang ----------===//
//
// The frontend half of SDRaDPlugin.so:
//
//  * ParsedAttrInfo subclasses register the spellings [[sdrad::isolate]],
//    [[sdrad::in(n)]], ... (C++11 and C23) and __attribute__((sdrad_isolate))
//    ... (GNU).  Each handler checks its own arguments and records them as an
//    `annotate` attribute, the only way plugin data reaches the IR.
//  * An ASTConsumer that runs before code generation checks each annotated
//    function as a whole (parameters, counts, redeclarations) and marks the
//    parameters used as counts.
//  * A PluginASTAction (AddBeforeMainAction) installs the consumer and
//    appends SDRaDPlugin.so to the code generator's pass plugins, so that
//    `-fplugin=SDRaDPlugin.so` alone also runs the LLVM pass.
//
// This file is built into SDRaDPluginClang.so, which SDRaDPlugin.so loads
// when (and only when) it finds itself inside clang: opt has no Clang
// libraries, and loading libclang-cpp into opt is not possible (both carry
// some of the same command-line options).
//
// The annotation strings are described in Contract.h and docs/plugin.md.
//
//===----------------------------------------------------------------------===//

#include "ClangCompat.h"
#include "Contract.h"

#include "clang/AST/ASTConsumer.h"
#include "clang/AST/ASTContext.h"
#include "clang/AST/Attr.h"
#include "clang/AST/Decl.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/AST/Expr.h"
#include "clang/AST/Mangle.h"
#include "clang/Basic/DiagnosticSema.h"
#include "clang/Frontend/CompilerInstance.h"
#include "clang/Frontend/FrontendPluginRegistry.h"
#include "clang/Lex/Preprocessor.h"
#include "clang/Sema/Lookup.h"
#include "clang/Sema/ParsedAttr.h"
#include "clang/Sema/Sema.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>

using namespace clang;

namespace {

//===----------------------------------------------------------------------===//
// Diagnostics
//===----------------------------------------------------------------------===//

DiagnosticBuilder report(DiagnosticsEngine &DE, SourceLocation Loc,
                         DiagnosticsEngine::Level L, llvm::StringRef Msg) {
  return DE.Report(Loc, DE.getCustomDiagID(L, "%0")) << Msg;
}

DiagnosticBuilder error(DiagnosticsEngine &DE, SourceLocation Loc,
                        const llvm::Twine &Msg) {
  return report(DE, Loc, DiagnosticsEngine::Error, Msg.str());
}

DiagnosticBuilder warning(DiagnosticsEngine &DE, SourceLocation Loc,
                          const llvm::Twine &Msg) {
  return report(DE, Loc, DiagnosticsEngine::Warning, Msg.str());
}

DiagnosticBuilder note(DiagnosticsEngine &DE, SourceLocation Loc,
                       const llvm::Twine &Msg) {
  return report(DE, Loc, DiagnosticsEngine::Note, Msg.str());
}

//===----------------------------------------------------------------------===//
// Annotation strings
//===----------------------------------------------------------------------===//

/// A parsed "sdrad.KIND;key=value;..." annotation.
struct Annotation {
  llvm::StringRef Kind; // "isolate", "in", "out", "inout", "string", ...
  llvm::SmallVector<std::pair<llvm::StringRef, llvm::StringRef>, 4> Fields;

  llvm::StringRef get(llvm::StringRef Key) const {
    for (auto &[K, V] : Fields)
      if (K == Key)
        return V;
    return {};
  }
};

std::optional<Annotation> parseAnnotation(const AnnotateAttr *A) {
  llvm::StringRef S = A->getAnnotation();
  if (!S.consume_front(sdrad::AnnPrefix))
    return std::nullopt;
  Annotation R;
  llvm::SmallVector<llvm::StringRef, 4> Parts;
  S.split(Parts, ';');
  R.Kind = Parts[0];
  for (llvm::StringRef P : llvm::drop_begin(Parts))
    R.Fields.push_back(P.split('='));
  return R;
}

/// "( (16u) )" -> "16u": what a macro-expanded constant looks like.
std::string stripParens(llvm::StringRef S) {
  std::string Out;
  for (char C : S)
    if (!llvm::isSpace(C))
      Out += C;
  llvm::StringRef R = Out;
  while (R.size() >= 2 && R.front() == '(' && R.back() == ')')
    R = R.drop_front().drop_back();
  return R.str();
}

/// A count given as text: a parameter name, or an integer literal (also
/// with suffixes or in parentheses, as macros expand).  "" if neither.
std::string normalizeCount(llvm::StringRef T) {
  std::string S = stripParens(T);
  llvm::StringRef R = S;
  if (!R.empty() && llvm::isDigit(R[0])) {
    llvm::APInt V;
    if (R.rtrim("uUlL").getAsInteger(0, V) || V.getActiveBits() > 64)
      return "";
    return llvm::toString(V, 10, false);
  }
  if (!R.empty() && llvm::all_of(R, [](char C) {
        return llvm::isAlnum(C) || C == '_';
      }))
    return S;
  return "";
}

bool isParamKind(llvm::StringRef K) {
  return K == "in" || K == "out" || K == "inout" || K == "string" ||
         K == "shared";
}

//===----------------------------------------------------------------------===//
// The isolate argument mini-language
//
// SDRAD_ISOLATE(...) stringifies its arguments, so the attribute receives
// string literals whose text is a comma-separated list of:
//   "name" | domain(name)              domain name
//   integrity | confidentiality        policy (also policy(x))
//   fallback(function)                 alternate action: call this
//   fallback_value(literal)            alternate action: return this
//   shared                             the returned pointer is shared
//   syscalls(default|eperm|any)        the domain's system-call policy
// A bare word that is none of these is a domain name, so that
// [[sdrad::isolate("parser")]] works as written.
//===----------------------------------------------------------------------===//

struct IsolateSpec {
  std::string Domain;
  std::string Policy = "integrity";
  std::string FallbackName;
  SourceLocation FallbackLoc;
  std::string FallbackValue;
  SourceLocation ValueLoc;
  bool ReturnsShared = false;
  std::string Syscalls; // "" (default), "eperm" or "any"
};

/// Splits \p S at commas that are not inside parentheses or quotes.
llvm::SmallVector<llvm::StringRef, 4> splitTopLevel(llvm::StringRef S) {
  llvm::SmallVector<llvm::StringRef, 4> Items;
  int Depth = 0;
  bool Quoted = false;
  size_t Start = 0;
  for (size_t I = 0; I < S.size(); ++I) {
    char C = S[I];
    if (C == '\\' && Quoted) {
      ++I;
      continue;
    }
    if (C == '"')
      Quoted = !Quoted;
    else if (!Quoted && C == '(')
      ++Depth;
    else if (!Quoted && C == ')')
      --Depth;
    else if (!Quoted && Depth == 0 && C == ',') {
      Items.push_back(S.slice(Start, I).trim());
      Start = I + 1;
    }
  }
  Items.push_back(S.substr(Start).trim());
  return Items;
}

/// "f(x)" -> ("f", "x"); anything else -> ("", "").
std::pair<llvm::StringRef, llvm::StringRef> splitCall(llvm::StringRef Item) {
  size_t Open = Item.find('(');
  if (Open == llvm::StringRef::npos || !Item.ends_with(")"))
    return {};
  return {Item.take_front(Open).trim(),
          Item.slice(Open + 1, Item.size() - 1).trim()};
}

llvm::StringRef unquote(llvm::StringRef S) {
  if (S.size() >= 2 && S.front() == '"' && S.back() == '"')
    return S.drop_front().drop_back();
  return S;
}

bool isValidDomainName(llvm::StringRef N) {
  return !N.empty() && N.size() < 48 && llvm::all_of(N, [](char C) {
    return llvm::isPrint(C) && C != ';' && C != '"' && C != '=';
  });
}

/// Parses one item; returns an error message or "".
std::string parseIsolateItem(llvm::StringRef Item, IsolateSpec &Spec,
                             SourceLocation Loc) {
  if (Item.empty())
    return "";
  auto [Fn, Arg] = splitCall(Item);
  if (Item == "integrity" || Item == "confidentiality") {
    Spec.Policy = Item.str();
    return "";
  }
  if (Item == "shared") {
    Spec.ReturnsShared = true;
    return "";
  }
  if (Fn == "policy") {
    if (Arg != "integrity" && Arg != "confidentiality")
      return ("unknown policy '" + Arg +
              "'; expected 'integrity' or 'confidentiality'")
          .str();
    Spec.Policy = Arg.str();
    return "";
  }
  if (Fn == "domain" || (Fn.empty() && Item.front() == '"') ||
      (Fn.empty() && Item.find('(') == llvm::StringRef::npos)) {
    llvm::StringRef Name = unquote(Fn.empty() ? Item : Arg);
    if (!isValidDomainName(Name))
      return ("invalid domain name '" + Name +
              "': use 1 to 47 printable characters other than ; = \"")
          .str();
    if (!Spec.Domain.empty() && Spec.Domain != Name)
      return ("two domain names given: '" + Spec.Domain + "' and '" + Name +
              "'")
          .str();
    Spec.Domain = Name.str();
    return "";
  }
  if (Fn == "syscalls") {
    if (Arg != "default" && Arg != "eperm" && Arg != "any")
      return ("unknown syscalls policy '" + Arg +
              "'; expected 'default', 'eperm' or 'any'")
          .str();
    Spec.Syscalls = Arg == "default" ? "" : Arg.str();
    return "";
  }
  if (Fn == "fallback") {
    if (Arg.empty())
      return "fallback() needs a function name";
    Spec.FallbackName = Arg.str();
    Spec.FallbackLoc = Loc;
    return "";
  }
  if (Fn == "fallback_value") {
    if (Arg.empty())
      return "fallback_value() needs a value";
    Spec.FallbackValue = Arg.str();
    Spec.ValueLoc = Loc;
    return "";
  }
  return ("unknown sdrad::isolate argument '" + Item +
          "'; expected a domain name, integrity, confidentiality, "
          "fallback(f), fallback_value(v), shared or syscalls(p)")
      .str();
}

/// Normalises a fallback value for \p RetTy, or returns "" after diagnosing.
std::string checkFallbackValue(DiagnosticsEngine &DE, llvm::StringRef V,
                               QualType RetTy, SourceLocation Loc) {
  std::string Norm = stripParens(V);
  V = Norm;
  RetTy = RetTy.getCanonicalType();
  if (RetTy->isVoidType()) {
    error(DE, Loc, "fallback_value() given for a function returning void");
    return "";
  }
  if (RetTy->isPointerType() || RetTy->isNullPtrType()) {
    if (V == "nullptr" || V == "NULL" || V == "0" || V == "__null" ||
        V == "(void*)0")
      return "null";
    error(DE, Loc,
          "fallback_value() of a function returning a pointer must be "
          "nullptr, NULL or 0");
    return "";
  }
  llvm::StringRef Digits = V;
  bool Neg = Digits.consume_front("-");
  if (!Neg)
    Digits.consume_front("+");
  if (RetTy->isIntegralOrEnumerationType()) {
    if (V == "true")
      return "1";
    if (V == "false")
      return "0";
    llvm::APInt Val;
    llvm::StringRef D = Digits.rtrim("uUlL");
    if (D.getAsInteger(0, Val)) {
      error(DE, Loc,
            "fallback_value() of a function returning an integer must be an "
            "integer literal");
      return "";
    }
    return ((Neg ? "-" : "") + llvm::toString(Val, 10, false));
  }
  if (RetTy->isRealFloatingType()) {
    double D;
    if (Digits.rtrim("fFlL").getAsDouble(D)) {
      error(DE, Loc,
            "fallback_value() of a function returning a floating-point "
            "value must be a number");
      return "";
    }
    return V.rtrim("fFlL").str();
  }
  error(DE, Loc,
        "fallback_value() is only possible for functions returning a "
        "scalar; use fallback(function) instead");
  return "";
}

/// Finds the fallback function named \p Name whose type is \p FD's.
FunctionDecl *lookupFallback(Sema &S, const FunctionDecl *FD,
                             llvm::StringRef Name, SourceLocation Loc) {
  DiagnosticsEngine &DE = S.getDiagnostics();
  ASTContext &Ctx = S.getASTContext();
  llvm::SmallVector<llvm::StringRef, 4> Parts;
  Name.split(Parts, "::");
  DeclContext *DC = nullptr;
  if (Parts.front().empty()) { // "::f"
    DC = Ctx.getTranslationUnitDecl();
    Parts.erase(Parts.begin());
  }
  LookupResult R(S, DeclarationName(&Ctx.Idents.get(Parts.back())), Loc,
                 Sema::LookupOrdinaryName);
  for (llvm::StringRef P : llvm::ArrayRef(Parts).drop_back()) {
    LookupResult NR(S, DeclarationName(&Ctx.Idents.get(P)), Loc,
                    Sema::LookupNamespaceName);
    if (DC)
      S.LookupQualifiedName(NR, DC);
    else
      S.LookupName(NR, S.getCurScope());
    auto *NS = NR.getAsSingle<NamespaceDecl>();
    if (!NS) {
      error(DE, Loc, "fallback '" + Name + "': no namespace '" + P + "'");
      return nullptr;
    }
    DC = NS;
  }
  if (DC)
    S.LookupQualifiedName(R, DC);
  else
    S.LookupName(R, S.getCurScope());
  bool Found = false;
  for (NamedDecl *ND : R) {
    auto *Cand = dyn_cast<FunctionDecl>(ND->getUnderlyingDecl());
    if (!Cand)
      continue;
    Found = true;
    if (Ctx.hasSameFunctionTypeIgnoringExceptionSpec(Cand->getType(),
                                                     FD->getType()))
      return Cand;
  }
  if (!Found) {
    error(DE, Loc, "fallback function '" + Name + "' not found");
    return nullptr;
  }
  error(DE, Loc,
        "fallback function '" + Name + "' must have the same type as '" +
            FD->getName() + "' (" + FD->getType().getAsString() + ")");
  for (NamedDecl *ND : R)
    note(DE, ND->getLocation(), "candidate declared here");
  return nullptr;
}

/// The text of each string-literal argument of \p Attr, or std::nullopt
/// after diagnosing a non-string argument.
std::optional<llvm::SmallVector<std::pair<std::string, SourceLocation>, 2>>
stringArgs(Sema &S, const ParsedAttr &Attr) {
  llvm::SmallVector<std::pair<std::string, SourceLocation>, 2> Out;
  for (unsigned I = 0, E = Attr.getNumArgs(); I < E; ++I) {
    if (Attr.isArgIdent(I)) { // [[sdrad::isolate(confidentiality)]]
      IdentifierLoc *IL = Attr.getArgAsIdent(I);
      Out.push_back({sdrad::compat::identName(IL).str(), sdrad::compat::identLoc(IL)});
      continue;
    }
    Expr *Arg = Attr.isArgExpr(I) ? Attr.getArgAsExpr(I) : nullptr;
    auto *SL =
        Arg ? dyn_cast<StringLiteral>(Arg->IgnoreParenImpCasts()) : nullptr;
    if (!SL) {
      error(S.getDiagnostics(),
            Arg ? Arg->getExprLoc() : Attr.getLoc(),
            "'" + Attr.getNormalizedFullName() +
                "' arguments must be string literals (SDRAD_ISOLATE(...) "
                "writes them for you)");
      return std::nullopt;
    }
    Out.push_back({SL->getString().str(), SL->getBeginLoc()});
  }
  return Out;
}

/// Attaches annotate("Ann", Args...) to \p D the way Sema does for
/// __attribute__((annotate)), so that code generation can emit the
/// arguments as constants (and templates instantiate them).
void addAnnotation(Sema &S, Decl *D, llvm::StringRef Ann,
                   llvm::MutableArrayRef<Expr *> Args, SourceRange Range) {
  sdrad::compat::addAnnotationAttr(
      S, D, sdrad::compat::gnuAnnotateInfo(Range), Ann, Args);
}

/// Clang 19 parses the arguments of a [[scope::name(...)]] plugin attribute
/// only if a plugin also spells it [[name]] (its __has_cpp_attribute check
/// ignores the scope), so every attribute is registered unscoped as well.
/// The unscoped forms are not ours: they are ignored with a warning.
bool unscopedWorkaround(Sema &S, const ParsedAttr &Attr) {
  if ((Attr.getSyntax() != AttributeCommonInfo::AS_CXX11 &&
       Attr.getSyntax() != AttributeCommonInfo::AS_C23) ||
      Attr.getScopeName())
    return false;
  S.Diag(Attr.getLoc(), diag::warn_unknown_attribute_ignored)
      << Attr << Attr.getRange();
  return true;
}

/// Static fallback definitions that code generation saw before they became
/// fallbacks; the consumer passes them on again.
std::vector<FunctionDecl *> &pendingDefinitions() {
  static std::vector<FunctionDecl *> Pending;
  return Pending;
}

//===----------------------------------------------------------------------===//
// [[sdrad::isolate(...)]]
//===----------------------------------------------------------------------===//

struct IsolateAttrInfo : public ParsedAttrInfo {
  IsolateAttrInfo() {
    OptArgs = 15;
    static constexpr Spelling S[] = {
        {ParsedAttr::AS_GNU, "sdrad_isolate"},
        {ParsedAttr::AS_CXX11, "sdrad::isolate"},
        {ParsedAttr::AS_C23, "sdrad::isolate"},
        {ParsedAttr::AS_CXX11, "isolate"}, // see unscopedWorkaround()
        {ParsedAttr::AS_C23, "isolate"}};
    Spellings = S;
  }

  bool diagAppertainsToDecl(Sema &S, const ParsedAttr &Attr,
                            const Decl *D) const override {
    if (unscopedWorkaround(S, Attr) || sdrad::compat::argumentsDropped(S, Attr))
      return false;
    if (isa<FunctionDecl>(D))
      return true;
    sdrad::compat::diagWrongDeclType(S, Attr, "functions");
    return false;
  }

  AttrHandling handleDeclAttribute(Sema &S, Decl *D,
                                   const ParsedAttr &Attr) const override {
    auto *FD = cast<FunctionDecl>(D);
    DiagnosticsEngine &DE = S.getDiagnostics();
    auto Args = stringArgs(S, Attr);
    if (!Args)
      return AttributeNotApplied;
    IsolateSpec Spec;
    for (auto &[Text, Loc] : *Args)
      for (llvm::StringRef Item : splitTopLevel(Text))
        if (std::string Err = parseIsolateItem(Item, Spec, Loc);
            !Err.empty()) {
          error(DE, Loc, Err);
          return AttributeNotApplied;
        }

    llvm::SmallVector<Expr *, 1> AnnArgs;
    if (!Spec.FallbackName.empty()) {
      if (!Spec.FallbackValue.empty()) {
        error(DE, Spec.ValueLoc,
              "give either fallback() or fallback_value(), not both");
        return AttributeNotApplied;
      }
      FunctionDecl *FB =
          lookupFallback(S, FD, Spec.FallbackName, Spec.FallbackLoc);
      if (!FB)
        return AttributeNotApplied;
      if (FB->getCanonicalDecl() == FD->getCanonicalDecl()) {
        error(DE, Spec.FallbackLoc, "a function cannot be its own fallback");
        return AttributeNotApplied;
      }
      ASTContext &Ctx = S.getASTContext();
      // The fallback is referenced only from the annotation, which does
      // not make code generation emit a static or inline function: mark it
      // used, and if its definition has gone by already, send it again.
      if (!FB->isExternallyVisible() || FB->isInlined()) {
        const FunctionDecl *Def = nullptr;
        if (FB->hasBody(Def) && !Def->isUsed(false) &&
            !Def->hasAttr<UsedAttr>())
          pendingDefinitions().push_back(const_cast<FunctionDecl *>(Def));
        for (FunctionDecl *R : FB->redecls())
          if (!R->hasAttr<UsedAttr>())
            R->addAttr(UsedAttr::CreateImplicit(Ctx));
      }
      S.MarkFunctionReferenced(Spec.FallbackLoc, FB);
      auto *Ref = DeclRefExpr::Create(
          Ctx, NestedNameSpecifierLoc(), SourceLocation(), FB, false,
          Spec.FallbackLoc, FB->getType(), VK_LValue);
      AnnArgs.push_back(UnaryOperator::Create(
          Ctx, Ref, UO_AddrOf, Ctx.getPointerType(FB->getType()),
          VK_PRValue, OK_Ordinary, Spec.FallbackLoc, false,
          FPOptionsOverride()));
    }
    if (!Spec.FallbackValue.empty() && !FD->getReturnType()->isDependentType()) {
      Spec.FallbackValue = checkFallbackValue(DE, Spec.FallbackValue,
                                              FD->getReturnType(), Spec.ValueLoc);
      if (Spec.FallbackValue.empty())
        return AttributeNotApplied;
    }

    std::string Ann = sdrad::AnnIsolate;
    Ann += ";domain=" + Spec.Domain + ";policy=" + Spec.Policy;
    if (!Spec.FallbackValue.empty())
      Ann += ";value=" + Spec.FallbackValue;
    if (Spec.ReturnsShared)
      Ann += ";shared=1";
    if (!Spec.Syscalls.empty())
      Ann += ";syscalls=" + Spec.Syscalls;
    addAnnotation(S, D, Ann, AnnArgs, Attr.getRange());
    return AttributeApplied;
  }
};

//===----------------------------------------------------------------------===//
// Parameter annotations: [[sdrad::in(n)]], out(n), inout(n), string, shared
//===----------------------------------------------------------------------===//

enum class ParamKind { In, Out, InOut, String, Shared };

template <ParamKind K> struct ParamNames;
template <> struct ParamNames<ParamKind::In> {
  static constexpr const char *Word = "in";
  static constexpr ParsedAttrInfo::Spelling S[] = {{ParsedAttr::AS_GNU, "sdrad_in"},
                                   {ParsedAttr::AS_CXX11, "sdrad::in"},
                                   {ParsedAttr::AS_C23, "sdrad::in"},
      {ParsedAttr::AS_CXX11, "in"},
      {ParsedAttr::AS_C23, "in"}};
};
template <> struct ParamNames<ParamKind::Out> {
  static constexpr const char *Word = "out";
  static constexpr ParsedAttrInfo::Spelling S[] = {{ParsedAttr::AS_GNU, "sdrad_out"},
                                   {ParsedAttr::AS_CXX11, "sdrad::out"},
                                   {ParsedAttr::AS_C23, "sdrad::out"},
      {ParsedAttr::AS_CXX11, "out"},
      {ParsedAttr::AS_C23, "out"}};
};
template <> struct ParamNames<ParamKind::InOut> {
  static constexpr const char *Word = "inout";
  static constexpr ParsedAttrInfo::Spelling S[] = {{ParsedAttr::AS_GNU, "sdrad_inout"},
                                   {ParsedAttr::AS_CXX11, "sdrad::inout"},
                                   {ParsedAttr::AS_C23, "sdrad::inout"},
      {ParsedAttr::AS_CXX11, "inout"},
      {ParsedAttr::AS_C23, "inout"}};
};
template <> struct ParamNames<ParamKind::String> {
  static constexpr const char *Word = "string";
  static constexpr ParsedAttrInfo::Spelling S[] = {{ParsedAttr::AS_GNU, "sdrad_string"},
                                   {ParsedAttr::AS_CXX11, "sdrad::string"},
                                   {ParsedAttr::AS_C23, "sdrad::string"},
      {ParsedAttr::AS_CXX11, "string"},
      {ParsedAttr::AS_C23, "string"}};
};
template <> struct ParamNames<ParamKind::Shared> {
  static constexpr const char *Word = "shared";
  static constexpr ParsedAttrInfo::Spelling S[] = {{ParsedAttr::AS_GNU, "sdrad_shared"},
                                   {ParsedAttr::AS_CXX11, "sdrad::shared"},
                                   {ParsedAttr::AS_C23, "sdrad::shared"},
      {ParsedAttr::AS_CXX11, "shared"},
      {ParsedAttr::AS_C23, "shared"}};
};

constexpr bool hasCount(ParamKind K) {
  return K == ParamKind::In || K == ParamKind::Out || K == ParamKind::InOut;
}

template <ParamKind K> struct ParamAttrInfo : public ParsedAttrInfo {
  using Names = ParamNames<K>;

  ParamAttrInfo() {
    NumArgs = hasCount(K) ? 1 : 0;
    Spellings = Names::S;
  }

  bool diagAppertainsToDecl(Sema &S, const ParsedAttr &Attr,
                            const Decl *D) const override {
    if (unscopedWorkaround(S, Attr) || sdrad::compat::argumentsDropped(S, Attr))
      return false;
    if (isa<ParmVarDecl>(D) || (K == ParamKind::Shared && isa<FunctionDecl>(D)))
      return true;
    sdrad::compat::diagWrongDeclType(
        S, Attr,
        K == ParamKind::Shared ? "parameters and functions" : "parameters");
    return false;
  }

  /// The count argument as annotation text: a parameter name or a number.
  std::optional<std::string> countText(Sema &S, const ParsedAttr &Attr) const {
    if (Attr.getNumArgs() && Attr.isArgIdent(0)) // [[sdrad::in(len)]]
      return sdrad::compat::identName(Attr.getArgAsIdent(0)).str();
    Expr *E = Attr.isArgExpr(0) ? Attr.getArgAsExpr(0) : nullptr;
    if (E)
      if (auto *SL = dyn_cast<StringLiteral>(E->IgnoreParenImpCasts())) {
        std::string T = normalizeCount(SL->getString());
        if (!T.empty())
          return T;
        error(S.getDiagnostics(), SL->getBeginLoc(),
              "the count of '" + Attr.getNormalizedFullName() +
                  "' must be a parameter name or an integer constant");
        return std::nullopt;
      }
    if (E) // [[sdrad::in(n)]] after the parameter n
      if (auto *DRE = dyn_cast<DeclRefExpr>(E->IgnoreParenImpCasts()))
        if (isa<ParmVarDecl>(DRE->getDecl()))
          return DRE->getDecl()->getName().str();
    if (E && !E->isValueDependent())
      if (auto V = E->getIntegerConstantExpr(S.getASTContext()))
        return llvm::toString(*V, 10);
    error(S.getDiagnostics(), E ? E->getExprLoc() : Attr.getLoc(),
          "the count of '" + Attr.getNormalizedFullName() +
              "' must be a parameter name or an integer constant");
    return std::nullopt;
  }

  AttrHandling handleDeclAttribute(Sema &S, Decl *D,
                                   const ParsedAttr &Attr) const override {
    ASTContext &Ctx = S.getASTContext();
    std::string Ann = std::string(sdrad::AnnPrefix) + Names::Word;
    if (isa<FunctionDecl>(D)) { // sdrad::shared on a function
      addAnnotation(S, D, "sdrad.retshared", {}, Attr.getRange());
      return AttributeApplied;
    }
    auto *P = cast<ParmVarDecl>(D);
    QualType T = P->getType();
    if (!T->isDependentType() && !T->isPointerType()) {
      error(S.getDiagnostics(), Attr.getLoc(),
            "'" + Attr.getNormalizedFullName() +
                "' applies only to pointer parameters, not to '" +
                T.getAsString() + "'");
      return AttributeNotApplied;
    }
    llvm::SmallVector<Expr *, 1> Args;
    if constexpr (hasCount(K)) {
      auto Count = countText(S, Attr);
      if (!Count)
        return AttributeNotApplied;
      Ann += ";count=" + *Count;
      // The element size travels as an argument so that it follows
      // template instantiation: sizeof(*p), or 1 for void.
      QualType Pointee = T->isPointerType() ? T->getPointeeType() : QualType();
      if (!Pointee.isNull() && !Pointee->isDependentType() &&
          (Pointee->isVoidType() || Pointee->isFunctionType())) {
        if (Pointee->isFunctionType()) {
          error(S.getDiagnostics(), Attr.getLoc(),
                "cannot copy a function; use sdrad::shared");
          return AttributeNotApplied;
        }
        Args.push_back(IntegerLiteral::Create(
            Ctx, llvm::APInt(Ctx.getTypeSize(Ctx.getSizeType()), 1),
            Ctx.getSizeType(), Attr.getLoc()));
      } else if (!Pointee.isNull() && !Pointee->isDependentType() &&
                 Pointee->isIncompleteType()) {
        error(S.getDiagnostics(), Attr.getLoc(),
              "cannot copy elements of incomplete type '" +
                  Pointee.getAsString() + "'; use sdrad::shared");
        return AttributeNotApplied;
      } else {
        QualType Elem = Pointee.isNull() ? T : Pointee;
        if (T->isDependentType() && !T->isPointerType())
          Elem = T; // checked again at instantiation
        ExprResult SizeOf = S.CreateUnaryExprOrTypeTraitExpr(
            Ctx.getTrivialTypeSourceInfo(Elem.getUnqualifiedType(),
                                         Attr.getLoc()),
            Attr.getLoc(), UETT_SizeOf, Attr.getRange());
        if (SizeOf.isInvalid())
          return AttributeNotApplied;
        Args.push_back(SizeOf.get());
      }
    }
    if constexpr (K == ParamKind::String) {
      if (T->isPointerType() && !T->getPointeeType()->isDependentType() &&
          !T->getPointeeType()->isCharType()) {
        error(S.getDiagnostics(), Attr.getLoc(),
              "'" + Attr.getNormalizedFullName() +
                  "' needs a pointer to char, not '" + T.getAsString() + "'");
        return AttributeNotApplied;
      }
    }
    addAnnotation(S, P, Ann, Args, Attr.getRange());
    return AttributeApplied;
  }
};

//===----------------------------------------------------------------------===//
// Whole-function checks, run before code generation sees the function
//===----------------------------------------------------------------------===//

class IsolateChecker {
  CompilerInstance &CI;
  DiagnosticsEngine &DE;
  llvm::DenseSet<const Decl *> Seen;
  /// Named domains seen in this translation unit: policy and where.
  llvm::StringMap<std::pair<std::string, SourceLocation>> Domains;

public:
  explicit IsolateChecker(CompilerInstance &CI)
      : CI(CI), DE(CI.getDiagnostics()) {}

  void visit(Decl *D) {
    if (!D)
      return;
    if (auto *FTD = dyn_cast<FunctionTemplateDecl>(D))
      return visit(FTD->getTemplatedDecl());
    if (auto *FD = dyn_cast<FunctionDecl>(D))
      return checkFunction(FD);
    if (auto *CTD = dyn_cast<ClassTemplateDecl>(D))
      return visit(CTD->getTemplatedDecl());
    if (isa<NamespaceDecl, LinkageSpecDecl, ExportDecl, CXXRecordDecl>(D))
      for (Decl *Inner : cast<DeclContext>(D)->decls())
        visit(Inner);
  }

private:
  /// The annotation attrs of \p D that are ours, with their parse.
  static llvm::SmallVector<std::pair<AnnotateAttr *, Annotation>, 2>
  annotations(const Decl *D) {
    llvm::SmallVector<std::pair<AnnotateAttr *, Annotation>, 2> Out;
    for (auto *A : D->specific_attrs<AnnotateAttr>())
      if (auto An = parseAnnotation(A))
        Out.push_back({A, *An});
    return Out;
  }

  void checkFunction(FunctionDecl *FD) {
    if (!Seen.insert(FD).second || FD->isTemplateInstantiation())
      return;
    // Only check what was written on this declaration; redeclarations that
    // merely inherit the annotations were checked where they were written.
    bool Own = false, Isolated = false;
    for (auto &[A, An] : annotations(FD)) {
      Own |= !A->isInherited();
      Isolated |= An.Kind == "isolate";
    }
    for (ParmVarDecl *P : FD->parameters())
      for (auto &[A, An] : annotations(P))
        Own |= !A->isInherited() && isParamKind(An.Kind);
    if (!Own)
      return;
    if (!Isolated) {
      for (ParmVarDecl *P : FD->parameters())
        for (auto &[A, An] : annotations(P))
          if (isParamKind(An.Kind) && !A->isInherited())
            warning(DE, A->getLocation(),
                    "sdrad parameter annotation ignored: '" + FD->getName() +
                        "' is not marked sdrad::isolate");
      return;
    }
    checkIsolated(FD);
  }

  void checkIsolated(FunctionDecl *FD) {
    llvm::StringRef Domain, Policy;
    const AnnotateAttr *DomainAttr = nullptr;
    bool RetShared = false;
    for (auto &[A, An] : annotations(FD)) {
      if (An.Kind == "retshared")
        RetShared = true;
      if (An.Kind != "isolate")
        continue;
      RetShared |= An.get("shared") == "1";
      llvm::StringRef D = An.get("domain");
      if (DomainAttr && (D != Domain || An.get("policy") != Policy)) {
        const AnnotateAttr *Later = A->isInherited() ? DomainAttr : A;
        const AnnotateAttr *Earlier = A->isInherited() ? A : DomainAttr;
        error(DE, Later->getLocation(),
              "'" + FD->getName() + "' is isolated in two different ways: " +
                  "domain '" + (D.empty() ? "<own>" : D) + "' (" +
                  An.get("policy") + ") and domain '" +
                  (Domain.empty() ? "<own>" : Domain) + "' (" + Policy + ")");
        note(DE, Earlier->getLocation(), "previous sdrad::isolate is here");
        return;
      }
      DomainAttr = A;
      Domain = D;
      Policy = An.get("policy");
    }
    if (!Domain.empty()) {
      auto [It, New] = Domains.try_emplace(
          Domain, Policy.str(), DomainAttr->getLocation());
      if (!New && It->second.first != Policy) {
        error(DE, DomainAttr->getLocation(),
              "domain '" + Domain + "' is used with policy '" + Policy +
                  "' here and '" + It->second.first +
                  "' elsewhere; a domain has one policy");
        note(DE, It->second.second, "domain '" + Domain + "' used here");
        return;
      }
    }
    if (FD->isVariadic()) {
      error(DE, DomainAttr->getLocation(),
            "sdrad::isolate cannot be applied to variadic function '" +
                FD->getName() + "'");
      return;
    }
    if (auto *MD = dyn_cast<CXXMethodDecl>(FD); MD && !MD->isStatic()) {
      error(DE, DomainAttr->getLocation(),
            "sdrad::isolate is not supported on non-static member function '" +
                FD->getName() + "'; isolate a static or free function instead");
      return;
    }
    if (FD->isMain()) {
      error(DE, DomainAttr->getLocation(), "main cannot be isolated");
      return;
    }
    // Warnings about the signature were given where sdrad::isolate was
    // written; a redeclaration that only adds parameter annotations gets
    // the errors again, not the warnings.
    bool Written = !DomainAttr->isInherited();
    bool Confidential = Policy == "confidentiality";
    for (ParmVarDecl *P : FD->parameters())
      checkParam(FD, P, Confidential, Written);
    QualType Ret = FD->getReturnType();
    if (Written && Ret->isPointerType() && !RetShared)
      warning(DE, FD->getLocation(),
              "'" + FD->getName() +
                  "' returns a pointer from an isolated domain; after a fault "
                  "its memory is discarded (add 'shared' to SDRAD_ISOLATE or "
                  "sdrad::shared on the function if that is intended)");
  }

  void checkParam(FunctionDecl *FD, ParmVarDecl *P, bool Confidential,
                  bool Written) {
    QualType T = P->getType();
    const Annotation *Kind = nullptr;
    AnnotateAttr *KindAttr = nullptr;
    auto Anns = annotations(P);
    for (auto &[A, An] : Anns) {
      if (!isParamKind(An.Kind))
        continue;
      if (Kind && Kind->Kind != An.Kind) {
        error(DE, A->getLocation(),
              "parameter '" + P->getName() + "' is annotated both '" +
                  Kind->Kind + "' and '" + An.Kind + "'");
        return;
      }
      Kind = &An;
      KindAttr = A;
    }
    if (!Kind) {
      if (T->isDependentType() ||
          (!T->isPointerType() && !T->isReferenceType()) ||
          (!Written && !Confidential))
        return;
      llvm::StringRef Fix =
          CI.getPreprocessor().isMacroDefined("SDRAD_SHARED")
              ? "SDRAD_SHARED "
              : "__attribute__((sdrad_shared)) ";
      std::string Msg =
          ("pointer parameter '" + P->getName() +
           "' of isolated function '" + FD->getName() +
           "' has no sdrad annotation; it is passed as is (shared)" +
           (Confidential ? " but the confidentiality policy forbids the domain "
                           "to read it"
                         : ""))
              .str();
      SourceLocation Loc = P->getBeginLoc();
      auto DB = report(DE, P->getLocation().isValid() ? P->getLocation() : Loc,
                       Confidential ? DiagnosticsEngine::Error
                                    : DiagnosticsEngine::Warning,
                       Msg + "; annotate it in(n), out(n), inout(n), string "
                             "or shared");
      if (Loc.isValid())
        DB << FixItHint::CreateInsertion(Loc, Fix);
      return;
    }
    llvm::StringRef K = Kind->Kind;
    if ((K == "out" || K == "inout") && !T->isDependentType() &&
        T->isPointerType() &&
        T->getPointeeType().isConstQualified()) {
      error(DE, KindAttr->getLocation(),
            "'" + K + "' parameter '" + P->getName() +
                "' points to const: the domain cannot write results to it; "
                "use 'in'");
      return;
    }
    llvm::StringRef Count = Kind->get("count");
    if (Count.empty() || llvm::isDigit(Count[0]))
      return;
    ParmVarDecl *CountParam = nullptr;
    for (ParmVarDecl *Q : FD->parameters())
      if (Q->getName() == Count)
        CountParam = Q;
    if (!CountParam) {
      std::string Names;
      for (ParmVarDecl *Q : FD->parameters())
        if (Q->getType()->isIntegerType())
          Names += (Names.empty() ? "'" : ", '") + Q->getName().str() + "'";
      error(DE, KindAttr->getLocation(),
            "count of '" + K + "' parameter '" + P->getName() +
                "' names '" + Count + "', which is not a parameter of '" +
                FD->getName() + "'");
      if (!Names.empty())
        note(DE, FD->getLocation(), "integer parameters: " + Names);
      return;
    }
    QualType CT = CountParam->getType();
    if (!CT->isDependentType() &&
        (!CT->isIntegerType() || CT->isBooleanType())) {
      error(DE, KindAttr->getLocation(),
            "count of '" + K + "' parameter '" + P->getName() +
                "' names parameter '" + Count + "' of type '" +
                CT.getAsString() + "', which is not an integer");
      note(DE, CountParam->getLocation(), "'" + Count + "' declared here");
      return;
    }
    std::string Marker = "sdrad.count;name=" + Count.str();
    for (auto *A : CountParam->specific_attrs<AnnotateAttr>())
      if (A->getAnnotation() == Marker)
        return;
    CountParam->addAttr(AnnotateAttr::Create(
        CI.getASTContext(), Marker, nullptr, 0, CountParam->getSourceRange()));
  }
};

class IsolateConsumer : public ASTConsumer {
  CompilerInstance &CI;
  IsolateChecker Checker;

public:
  explicit IsolateConsumer(CompilerInstance &CI) : CI(CI), Checker(CI) {}

  bool HandleTopLevelDecl(DeclGroupRef DG) override {
    for (Decl *D : DG)
      Checker.visit(D);
    // Static fallbacks seen before they were named (now marked used): let
    // the whole consumer chain, code generation included, see them again.
    std::vector<FunctionDecl *> Pending;
    Pending.swap(pendingDefinitions());
    if (!Pending.empty() && CI.hasASTConsumer())
      for (FunctionDecl *FD : Pending)
        CI.getASTConsumer().HandleTopLevelDecl(DeclGroupRef(FD));
    return true;
  }
  void HandleInlineFunctionDefinition(FunctionDecl *FD) override {
    Checker.visit(FD);
  }
  void HandleInterestingDecl(DeclGroupRef DG) override {
    HandleTopLevelDecl(DG);
  }
};

//===----------------------------------------------------------------------===//
// The plugin action: consumer + pass plugin registration
//===----------------------------------------------------------------------===//

/// The path of SDRaDPlugin.so, set by it when it loads this object.
std::string &passPluginPath() {
  static std::string Path;
  return Path;
}

class IsolateAction : public PluginASTAction {
protected:
  std::unique_ptr<ASTConsumer> CreateASTConsumer(CompilerInstance &CI,
                                                 llvm::StringRef) override {
    registerPass(CI);
    sdrad::compat::announcePlugin(CI.getPreprocessor());
    return std::make_unique<IsolateConsumer>(CI);
  }

  bool ParseArgs(const CompilerInstance &,
                 const std::vector<std::string> &) override {
    return true;
  }

  ActionType getActionType() override { return AddBeforeMainAction; }

private:
  static void registerPass(CompilerInstance &CI) {
    const std::string &Self = passPluginPath();
    if (Self.empty())
      return;
    auto &Plugins = CI.getCodeGenOpts().PassPlugins;
    for (const std::string &P : Plugins) {
      llvm::SmallString<256> Real;
      if (P == Self || (!llvm::sys::fs::real_path(P, Real) && Real == Self))
        return; // already there (-fpass-plugin= given too)
    }
    if (!sdrad::compat::addPassPlugin(CI.getCodeGenOpts(), Self))
      error(CI.getDiagnostics(), SourceLocation(),
            "SDRaD: cannot register the sdrad-isolate pass of " + Self +
                "; [[sdrad::isolate]] would have no effect");
  }
};

} // namespace

/// Called by SDRaDPlugin.so right after it loaded this object into clang.
extern "C" LLVM_ATTRIBUTE_VISIBILITY_DEFAULT void
sdrad_frontend_set_pass_plugin(const char *Path) {
  passPluginPath() = Path;
}

static ParsedAttrInfoRegistry::Add<IsolateAttrInfo>
    XIsolate("sdrad_isolate", "run a function in its own memory domain");
static ParsedAttrInfoRegistry::Add<ParamAttrInfo<ParamKind::In>>
    XIn("sdrad_in", "copy n elements into the domain");
static ParsedAttrInfoRegistry::Add<ParamAttrInfo<ParamKind::Out>>
    XOut("sdrad_out", "copy n elements out of the domain on success");
static ParsedAttrInfoRegistry::Add<ParamAttrInfo<ParamKind::InOut>>
    XInOut("sdrad_inout", "copy n elements in, and out on success");
static ParsedAttrInfoRegistry::Add<ParamAttrInfo<ParamKind::String>>
    XString("sdrad_string", "copy a NUL-terminated string into the domain");
static ParsedAttrInfoRegistry::Add<ParamAttrInfo<ParamKind::Shared>>
    XShared("sdrad_shared", "pass a pointer as is");
static FrontendPluginRegistry::Add<IsolateAction>
    XAction("sdrad", "SDRaD-C++: [[sdrad::isolate]] checks and pass");
