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
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/Basic/DiagnosticSema.h"
#include "clang/Frontend/CompilerInstance.h"
#include "clang/Frontend/FrontendPluginRegistry.h"
#include "clang/Lex/Preprocessor.h"
#include "clang/Sema/Lookup.h"
#include "clang/Sema/ParsedAttr.h"
#include "clang/Sema/Sema.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <array>
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

DiagnosticBuilder note(DiagnosticsEngine &DE, SourceLocation Loc,
                       const llvm::Twine &Msg) {
  return report(DE, Loc, DiagnosticsEngine::Note, Msg.str());
}

/// The plugin's warnings, each in its own -Wsdrad-... group (all of them
/// also in -Wsdrad).  Clang 19 cannot put plugin diagnostics in warning
/// groups: a custom diagnostic keeps the level it was created with, so
/// -Werror, -w and -Wno-... would never reach it.  The plugin therefore
/// reads the -W options itself (the -fplugin-arg-sdrad-W... spelling as
/// well, which clang does not report as an unknown warning option).
enum class Warn { UnannotatedPointer, ReturnedPointer, IgnoredAnnotation,
                  LambdaCaptures };

llvm::StringRef warnGroup(Warn W) {
  switch (W) {
  case Warn::UnannotatedPointer:
    return "sdrad-unannotated-pointer";
  case Warn::ReturnedPointer:
    return "sdrad-returned-pointer";
  case Warn::IgnoredAnnotation:
    return "sdrad-ignored-annotation";
  case Warn::LambdaCaptures:
    return "sdrad-lambda-captures";
  }
  llvm_unreachable("unknown warning");
}

/// -W options given as -fplugin-arg-sdrad-W..., after the command line's.
std::vector<std::string> &pluginWarningOptions() {
  static std::vector<std::string> Opts;
  return Opts;
}

/// The level of warning \p W under the -W options (last one wins, as in
/// clang; -Wno-error=X and -Werror=X beat -Werror/-Wno-error).
DiagnosticsEngine::Level warningLevel(DiagnosticsEngine &DE, Warn W) {
  const DiagnosticOptions &O = DE.getDiagnosticOptions();
  if (O.IgnoreWarnings)
    return DiagnosticsEngine::Ignored;
  llvm::StringRef Group = warnGroup(W);
  bool Enabled = true, GlobalError = false;
  std::optional<bool> Error;
  auto Apply = [&](llvm::StringRef Opt) {
    bool Neg = Opt.consume_front("no-");
    if (Opt == "error") {
      GlobalError = !Neg;
      return;
    }
    if (Opt == "everything") {
      Enabled = !Neg;
      return;
    }
    bool IsError = Opt.consume_front("error=");
    if (Opt != Group && Opt != "sdrad")
      return;
    if (IsError) {
      Error = !Neg;
      Enabled |= !Neg;
    } else {
      Enabled = !Neg;
    }
  };
  for (const std::string &Opt : O.Warnings)
    Apply(Opt);
  for (const std::string &Opt : pluginWarningOptions())
    Apply(Opt);
  if (!Enabled)
    return DiagnosticsEngine::Ignored;
  return Error.value_or(GlobalError) ? DiagnosticsEngine::Error
                                     : DiagnosticsEngine::Warning;
}

/// Reports warning \p W (nothing if it is disabled), naming its group.
std::optional<DiagnosticBuilder> warn(DiagnosticsEngine &DE, Warn W,
                                      SourceLocation Loc,
                                      const llvm::Twine &Msg) {
  DiagnosticsEngine::Level L = warningLevel(DE, W);
  if (L == DiagnosticsEngine::Ignored)
    return std::nullopt;
  std::string Flag = (L == DiagnosticsEngine::Error ? " [-Werror,-W" : " [-W") +
                     warnGroup(W).str() + "]";
  return report(DE, Loc, L, Msg.str() + Flag);
}

//===----------------------------------------------------------------------===//
// Annotation strings
//===----------------------------------------------------------------------===//

using sdrad::Annotation;
namespace ann = sdrad::ann;
namespace key = sdrad::key;

std::optional<Annotation> parseAnnotation(const AnnotateAttr *A) {
  return sdrad::parseAnnotation(A->getAnnotation());
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
  std::string OkIf; // "== 0", ">= 0", "!= nullptr", "true", ...
  SourceLocation OkIfLoc;
  bool ReturnsShared = false;
  bool Rethrow = false;
  SourceLocation RethrowLoc;
  std::string This; // in, inout, shared: how `this` crosses
  SourceLocation ThisLoc;
  std::string Syscalls; // "" (default), "eperm" or "any"
  // Per-domain settings, as written (checked by settingsAnnotation()).
  struct Setting {
    std::string Text;
    SourceLocation Loc;
  } TimeoutMs, HeapLimit, Init, OnDiscard;
};

/// The per-domain settings among the isolate arguments: name and field.
constexpr std::pair<const char *, IsolateSpec::Setting IsolateSpec::*>
    SettingArgs[] = {{"timeout_ms", &IsolateSpec::TimeoutMs},
                     {"heap_limit", &IsolateSpec::HeapLimit},
                     {"init", &IsolateSpec::Init},
                     {"on_discard", &IsolateSpec::OnDiscard}};

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

/// A bare word is a domain name unless it is a number (SDRAD_ISOLATE(42)
/// stringifies 42) or a misspelt keyword; returns an error message or "".
std::string checkBareWord(llvm::StringRef W) {
  llvm::StringRef Digits = W;
  Digits.consume_front("-") || Digits.consume_front("+");
  if (!Digits.empty() && (llvm::isDigit(Digits.front()) || Digits.front() == '.'))
    return ("domain name '" + W +
            "' is a number, not a string; write it in quotes: "
            "SDRAD_ISOLATE(\"" + W + "\")")
        .str();
  if (!llvm::all_of(W, [](char C) { return llvm::isAlnum(C) || C == '_'; }))
    return "";
  static constexpr const char *Keywords[] = {
      "integrity", "confidentiality", "shared", "policy",
      "domain",    "fallback",        "fallback_value", "ok_if", "rethrow",
      "timeout_ms", "heap_limit",     "on_discard"};
  for (const char *K : Keywords) {
    llvm::StringRef KW = K;
    unsigned Max = KW.size() > 6 ? 2 : 1;
    if (W.edit_distance(KW, true, Max + 1) <= Max || W.equals_insensitive(KW))
      return ("unknown sdrad::isolate argument '" + W + "'; did you mean '" +
              KW + "'? (a domain of that name is written \"" + W + "\")")
          .str();
  }
  return "";
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
  if (Item == "rethrow") {
    Spec.Rethrow = true;
    Spec.RethrowLoc = Loc;
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
  bool Bare = Fn.empty() && Item.front() != '"' &&
              Item.find('(') == llvm::StringRef::npos;
  if (Bare) {
    if (std::string Err = checkBareWord(Item); !Err.empty())
      return Err;
  }
  if (Fn == "domain" || (Fn.empty() && Item.front() == '"') || Bare) {
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
  if (Fn == "this") {
    if (Arg != "in" && Arg != "inout" && Arg != "shared")
      return ("this(" + Arg + "): expected this(in), this(inout) or "
              "this(shared)").str();
    Spec.This = Arg.str();
    Spec.ThisLoc = Loc;
    return "";
  }
  for (auto [Name, Field] : SettingArgs) {
    if (Fn != Name)
      continue;
    IsolateSpec::Setting &Set = Spec.*Field;
    if (Arg.empty())
      return (Fn + "() needs " +
              (Set.Text.empty() && (Fn == "init" || Fn == "on_discard")
                   ? "a function name"
                   : "a value"))
          .str();
    if (!Set.Text.empty() && Set.Text != Arg)
      return (Fn + "() given twice: '" + Set.Text + "' and '" + Arg + "'")
          .str();
    Set = {Arg.str(), Loc};
    return "";
  }
  if (Fn == "ok_if") {
    if (Arg.empty())
      return "ok_if() needs a comparison with a constant, e.g. ok_if(== 0)";
    Spec.OkIf = Arg.str();
    Spec.OkIfLoc = Loc;
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
          "fallback(f), fallback_value(v), ok_if(cmp), rethrow, this(...), "
          "shared, syscalls(p), timeout_ms(n), heap_limit(n), init(f) or "
          "on_discard(f)")
      .str();
}

/// Normalises a fallback value for \p RetTy, or returns "" after diagnosing.
std::string checkFallbackValue(DiagnosticsEngine &DE, llvm::StringRef V,
                               QualType RetTy, SourceLocation Loc,
                               llvm::StringRef What = "fallback_value()") {
  std::string Norm = stripParens(V);
  V = Norm;
  RetTy = RetTy.getCanonicalType();
  if (RetTy->isVoidType()) {
    error(DE, Loc, What + " given for a function returning void");
    return "";
  }
  if (RetTy->isPointerType() || RetTy->isNullPtrType()) {
    if (V == "nullptr" || V == "NULL" || V == "0" || V == "__null" ||
        V == "(void*)0")
      return "null";
    error(DE, Loc,
          What + " of a function returning a pointer must be "
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
            What + " of a function returning an integer must be an "
            "integer literal");
      return "";
    }
    return ((Neg ? "-" : "") + llvm::toString(Val, 10, false));
  }
  if (RetTy->isRealFloatingType()) {
    double D;
    if (Digits.rtrim("fFlL").getAsDouble(D)) {
      error(DE, Loc,
            What + " of a function returning a floating-point "
            "value must be a number");
      return "";
    }
    return V.rtrim("fFlL").str();
  }
  error(DE, Loc,
        What + " is only possible for functions returning a "
        "scalar; use fallback(function) instead");
  return "";
}

/// ok_if(<op> <constant>) for return type \p RetTy as "<icmp predicate>
/// <value>" (the IR contract's "sdrad-ok-if"), or "" after diagnosing.
std::string checkOkIf(DiagnosticsEngine &DE, llvm::StringRef Text,
                      QualType RetTy, SourceLocation Loc) {
  RetTy = RetTy.getCanonicalType();
  if (RetTy->isDependentType() || RetTy->isUndeducedType() ||
      !(RetTy->isIntegralOrEnumerationType() || RetTy->isPointerType())) {
    error(DE, Loc,
          "ok_if() needs a function returning an integer, enumeration, bool "
          "or pointer, declared (not deduced or dependent), not '" +
              RetTy.getAsString() + "'");
    return "";
  }
  std::string T = stripParens(Text);
  llvm::StringRef R = T;
  llvm::StringRef Op = "==";
  for (llvm::StringRef Cand : {"==", "!=", "<=", ">=", "<", ">"})
    if (R.consume_front(Cand)) {
      Op = Cand;
      break;
    }
  std::string V = checkFallbackValue(DE, R, RetTy, Loc, "ok_if()");
  if (V.empty())
    return "";
  if (V == "null" && Op != "==" && Op != "!=") {
    error(DE, Loc, "ok_if() on a pointer compares with == or != only");
    return "";
  }
  bool Signed = RetTy->isSignedIntegerOrEnumerationType();
  llvm::StringRef Pred = llvm::StringSwitch<llvm::StringRef>(Op)
                             .Case("==", "eq")
                             .Case("!=", "ne")
                             .Case("<", Signed ? "slt" : "ult")
                             .Case("<=", Signed ? "sle" : "ule")
                             .Case(">", Signed ? "sgt" : "ugt")
                             .Default(Signed ? "sge" : "uge");
  return (Pred + " " + V).str();
}

/// Finds the function named \p Name of type \p Want (\p What: "fallback
/// function", ...; \p WantText: the type as the error says it).
FunctionDecl *lookupFunction(Sema &S, QualType Want, llvm::StringRef Name,
                             SourceLocation Loc, llvm::StringRef What,
                             llvm::StringRef WantText) {
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
      error(DE, Loc, What + " '" + Name + "': no namespace '" + P + "'");
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
    if (Ctx.hasSameFunctionTypeIgnoringExceptionSpec(Cand->getType(), Want))
      return Cand;
    // C before C23: `void f()` declares no parameters to speak of.
    auto *NoProto = Cand->getType()->getAs<FunctionNoProtoType>();
    auto *Proto = Want->getAs<FunctionProtoType>();
    if (NoProto && Proto && !Proto->getNumParams() &&
        Ctx.hasSameType(NoProto->getReturnType(), Proto->getReturnType()))
      return Cand;
  }
  if (!Found) {
    error(DE, Loc, What + " '" + Name + "' not found");
    return nullptr;
  }
  error(DE, Loc, What + " '" + Name + "' must have " + WantText);
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

/// Declarations (functions, parameters) on which an sdrad attribute was
/// rejected with an error: the whole-function checks skip their function,
/// so that one mistake gives one error and not a cascade of warnings about
/// what the rejected attribute would have said.
llvm::DenseSet<const Decl *> &rejectedDecls() {
  static llvm::DenseSet<const Decl *> Rejected;
  return Rejected;
}

ParsedAttrInfo::AttrHandling rejected(const Decl *D) {
  rejectedDecls().insert(D);
  return ParsedAttrInfo::AttributeNotApplied;
}

/// Static fallback definitions that code generation saw before they became
/// fallbacks; the consumer passes them on again.
std::vector<FunctionDecl *> &pendingDefinitions() {
  static std::vector<FunctionDecl *> Pending;
  return Pending;
}

/// `&FB` as an annotation argument.  A function referenced only from an
/// annotation is not emitted by code generation when it is static or
/// inline: mark it used, and if its definition has gone by already, send
/// it again.
Expr *annotationFunctionRef(Sema &S, FunctionDecl *FB, SourceLocation Loc) {
  ASTContext &Ctx = S.getASTContext();
  if (!FB->isExternallyVisible() || FB->isInlined()) {
    const FunctionDecl *Def = nullptr;
    if (FB->hasBody(Def) && !Def->isUsed(false) && !Def->hasAttr<UsedAttr>())
      pendingDefinitions().push_back(const_cast<FunctionDecl *>(Def));
    for (FunctionDecl *R : FB->redecls())
      if (!R->hasAttr<UsedAttr>())
        R->addAttr(UsedAttr::CreateImplicit(Ctx));
  }
  S.MarkFunctionReferenced(Loc, FB);
  auto *Ref = DeclRefExpr::Create(Ctx, NestedNameSpecifierLoc(),
                                  SourceLocation(), FB, false, Loc,
                                  FB->getType(), VK_LValue);
  return UnaryOperator::Create(Ctx, Ref, UO_AddrOf,
                               Ctx.getPointerType(FB->getType()), VK_PRValue,
                               OK_Ordinary, Loc, false, FPOptionsOverride());
}

/// A positive integer constant as written in timeout_ms(N) / heap_limit(N)
/// (macro-expanded: parentheses and u/l suffixes allowed).  \p Units: the
/// accepted unit suffixes and their factors.  std::nullopt after an error.
std::optional<uint64_t>
positiveConstant(DiagnosticsEngine &DE, const IsolateSpec::Setting &Set,
                 llvm::StringRef What, uint64_t Max,
                 llvm::ArrayRef<std::pair<char, uint64_t>> Units = {}) {
  std::string Norm = stripParens(Set.Text);
  llvm::StringRef T = Norm;
  uint64_t Factor = 1;
  for (auto [Suffix, F] : Units)
    if (!T.empty() && llvm::toUpper(T.back()) == Suffix) {
      T = T.drop_back();
      Factor = F;
    }
  if (T.consume_front("-") || T.consume_front("+")) {
    error(DE, Set.Loc, What + "(" + Set.Text + "): must be greater than 0");
    return std::nullopt;
  }
  llvm::APInt V;
  if (T.rtrim("uUlL").getAsInteger(0, V)) {
    error(DE, Set.Loc,
          What + "(" + Set.Text + "): expected an integer constant" +
              (Units.empty() ? "" : ", optionally followed by K, M or G"));
    return std::nullopt;
  }
  bool Overflow = V.getActiveBits() > 64;
  uint64_t N = Overflow ? 0 : V.getZExtValue();
  Overflow |= !Overflow && __builtin_mul_overflow(N, Factor, &N);
  if (!Overflow && N == 0) {
    error(DE, Set.Loc, What + "(" + Set.Text + "): must be greater than 0");
    return std::nullopt;
  }
  if (Overflow || N > Max) {
    error(DE, Set.Loc,
          What + "(" + Set.Text + "): too large (at most " +
              llvm::Twine(Max) + ")");
    return std::nullopt;
  }
  return N;
}

/// The "sdrad.settings" annotation for timeout_ms(), heap_limit(), init()
/// and on_discard() (with the functions in \p Args); "-" when none is
/// given, "" after an error.
std::string settingsAnnotation(Sema &S, const IsolateSpec &Spec,
                               llvm::SmallVectorImpl<Expr *> &Args) {
  DiagnosticsEngine &DE = S.getDiagnostics();
  if (llvm::all_of(SettingArgs, [&](auto &SA) {
        return (Spec.*SA.second).Text.empty();
      }))
    return "-";
  sdrad::AnnotationText T(ann::Settings);
  if (!Spec.TimeoutMs.Text.empty()) {
    auto Ms = positiveConstant(DE, Spec.TimeoutMs, "timeout_ms", UINT32_MAX);
    if (!Ms)
      return "";
    T.add(key::TimeoutMs, llvm::utostr(*Ms));
  }
  if (!Spec.HeapLimit.Text.empty()) {
    auto Bytes = positiveConstant(DE, Spec.HeapLimit, "heap_limit", UINT64_MAX,
                                  {{'K', 1ull << 10},
                                   {'M', 1ull << 20},
                                   {'G', 1ull << 30}});
    if (!Bytes)
      return "";
    T.add(key::HeapLimit, llvm::utostr(*Bytes));
  }
  ASTContext &Ctx = S.getASTContext();
  QualType VoidFn = Ctx.getFunctionType(Ctx.VoidTy, {},
                                        FunctionProtoType::ExtProtoInfo());
  for (auto [Key, NameKey, Set] :
       {std::tuple{key::Init, key::InitName, &Spec.Init},
        {key::OnDiscard, key::OnDiscardName, &Spec.OnDiscard}}) {
    if (Set->Text.empty())
      continue;
    FunctionDecl *Fn = lookupFunction(
        S, VoidFn, Set->Text, Set->Loc, (Twine(Key) + " function").str(),
        "type 'void (void)'");
    if (!Fn)
      return "";
    Args.push_back(annotationFunctionRef(S, Fn, Set->Loc));
    T.add(Key, llvm::utostr(Args.size() - 1))
        .add(NameKey, Fn->getQualifiedNameAsString());
  }
  return T.str();
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
      return rejected(D);
    IsolateSpec Spec;
    for (auto &[Text, Loc] : *Args)
      for (llvm::StringRef Item : splitTopLevel(Text))
        if (std::string Err = parseIsolateItem(Item, Spec, Loc);
            !Err.empty()) {
          error(DE, Loc, Err);
          return rejected(D);
        }

    llvm::SmallVector<Expr *, 1> AnnArgs;
    if (!Spec.FallbackName.empty()) {
      if (!Spec.FallbackValue.empty()) {
        error(DE, Spec.ValueLoc,
              "give either fallback() or fallback_value(), not both");
        return rejected(D);
      }
      FunctionDecl *FB = lookupFunction(
          S, FD->getType(), Spec.FallbackName, Spec.FallbackLoc,
          "fallback function",
          ("the same type as '" + FD->getName() + "' (" +
           FD->getType().getAsString() + ")")
              .str());
      if (!FB)
        return rejected(D);
      if (FB->getCanonicalDecl() == FD->getCanonicalDecl()) {
        error(DE, Spec.FallbackLoc, "a function cannot be its own fallback");
        return rejected(D);
      }
      AnnArgs.push_back(annotationFunctionRef(S, FB, Spec.FallbackLoc));
    }
    if (!Spec.FallbackValue.empty() &&
        FD->getReturnType()->isUndeducedType()) {
      error(DE, Spec.ValueLoc,
            "fallback_value() needs the return type, which is deduced here; "
            "declare it (e.g. '-> int' on a lambda)");
      return rejected(D);
    }
    if (!Spec.FallbackValue.empty() && !FD->getReturnType()->isDependentType()) {
      Spec.FallbackValue = checkFallbackValue(DE, Spec.FallbackValue,
                                              FD->getReturnType(), Spec.ValueLoc);
      if (Spec.FallbackValue.empty())
        return rejected(D);
    }

    if (Spec.Rethrow) {
      if (!S.getLangOpts().CPlusPlus) {
        error(DE, Spec.RethrowLoc, "rethrow needs C++ (it throws "
                                   "sdrad::domain_fault)");
        return rejected(D);
      }
      if (!Spec.FallbackName.empty() || !Spec.FallbackValue.empty()) {
        error(DE, Spec.RethrowLoc,
              "rethrow replaces the alternate result: give either rethrow "
              "or fallback()/fallback_value()");
        return rejected(D);
      }
    }
    if (!Spec.OkIf.empty()) {
      Spec.OkIf = checkOkIf(DE, Spec.OkIf, FD->getReturnType(), Spec.OkIfLoc);
      if (Spec.OkIf.empty())
        return rejected(D);
    }

    if (!Spec.This.empty()) {
      auto *MD = dyn_cast<CXXMethodDecl>(FD);
      if (!MD || MD->isStatic()) {
        error(DE, Spec.ThisLoc,
              "this(...) applies only to non-static member functions");
        return rejected(D);
      }
    }
    llvm::SmallVector<Expr *, 2> SettingsArgs;
    std::string Settings = settingsAnnotation(S, Spec, SettingsArgs);
    if (Settings.empty())
      return rejected(D);

    addAnnotation(S, D,
                  sdrad::AnnotationText(ann::Isolate)
                      .add(key::Domain, Spec.Domain) // none: its own
                      .add(key::Policy, Spec.Policy)
                      .add(key::OkIf, Spec.OkIf)
                      .add(key::Value, Spec.FallbackValue)
                      .add(key::Shared, Spec.ReturnsShared ? "1" : "")
                      .add(key::Rethrow, Spec.Rethrow ? "1" : "")
                      .add(key::This, Spec.This)
                      .add(key::Syscalls, Spec.Syscalls)
                      .str(),
                  AnnArgs, Attr.getRange());
    if (Settings != "-")
      addAnnotation(S, D, Settings, SettingsArgs, Attr.getRange());
    return AttributeApplied;
  }
};

//===----------------------------------------------------------------------===//
// Parameter annotations: [[sdrad::in(n)]], out(n), inout(n), string, shared
//===----------------------------------------------------------------------===//

enum class ParamKind { In, Out, InOut, String, Shared };

/// For a class T that can be deep-copied into the domain (a
/// sdrad::boundary_in<T>, or std::vector/optional/pair/tuple of such types
/// and scalars): references to sdrad::detail::boundary_in_ops<T>::{size,
/// pack, make, destroy}; empty otherwise (defined with the result types
/// below).
llvm::SmallVector<Expr *, 4> deepInHelpers(Sema &S, QualType T,
                                           SourceLocation Loc);

/// An owning class T as an out/inout parameter: the helpers the thunk
/// calls (in: boundary_in_ops, inout: both, out: boundary_out_ops::{
/// make_default, assign, destroy}) and the annotation fields, or an error
/// message that names the type and says what to do.
struct DeepParam {
  std::string Error;
  std::string Fields; // ";deep=..."
  llvm::SmallVector<Expr *, 8> Args;
};
DeepParam deepParam(Sema &S, QualType T, llvm::StringRef Kind,
                    bool Returned, SourceLocation Loc,
                    SourceRange Range);

/// One row per parameter attribute: everything that differs between them.
struct ParamKindInfo {
  const char *Word;    // "in": annotation kind, attribute name after sdrad_
  const char *Help;    // for the registry
  bool HasCount;       // one argument: the element count
  bool CopiesBack;     // copy-back options after the count (out, inout)
  bool OnFunctions;    // also on a function (shared: the returned pointer)
  ParsedAttrInfo::Spelling Spellings[5];
};

#define SDRAD_PARAM_SPELLINGS(W)                                               \
  {{ParsedAttr::AS_GNU, "sdrad_" W},                                         \
   {ParsedAttr::AS_CXX11, "sdrad::" W},                                      \
   {ParsedAttr::AS_C23, "sdrad::" W},                                        \
   {ParsedAttr::AS_CXX11, W}, /* see unscopedWorkaround() */                 \
   {ParsedAttr::AS_C23, W}}
constexpr ParamKindInfo ParamKinds[] = {
    {"in", "copy n elements into the domain", true, false, false,
     SDRAD_PARAM_SPELLINGS("in")},
    {"out", "copy n elements out of the domain on success", true, true, false,
     SDRAD_PARAM_SPELLINGS("out")},
    {"inout", "copy n elements in, and out on success", true, true, false,
     SDRAD_PARAM_SPELLINGS("inout")},
    {"string", "copy a NUL-terminated string into the domain", false, false,
     false, SDRAD_PARAM_SPELLINGS("string")},
    {"shared", "pass a pointer as is", false, false, true,
     SDRAD_PARAM_SPELLINGS("shared")},
};
#undef SDRAD_PARAM_SPELLINGS

static_assert(std::size(ParamKinds) == 5, "one row per ParamKind, in order");

constexpr const ParamKindInfo &paramKind(ParamKind K) {
  return ParamKinds[static_cast<unsigned>(K)];
}
constexpr bool hasCount(ParamKind K) { return paramKind(K).HasCount; }

template <ParamKind K> struct ParamAttrInfo : public ParsedAttrInfo {
  static constexpr const ParamKindInfo &Info = paramKind(K);

  ParamAttrInfo() {
    NumArgs = Info.HasCount ? 1 : 0;
    // out/inout: copy-back options after the count, [[sdrad::out(n, "if_ok")]]
    OptArgs = Info.CopiesBack ? 2 : 0;
    Spellings = Info.Spellings;
  }

  bool diagAppertainsToDecl(Sema &S, const ParsedAttr &Attr,
                            const Decl *D) const override {
    if (unscopedWorkaround(S, Attr) || sdrad::compat::argumentsDropped(S, Attr))
      return false;
    if (isa<ParmVarDecl>(D) || (Info.OnFunctions && isa<FunctionDecl>(D)))
      return true;
    sdrad::compat::diagWrongDeclType(
        S, Attr, Info.OnFunctions ? "parameters and functions" : "parameters");
    return false;
  }

  /// The count argument as annotation text: a parameter name or a number.
  /// Copy-back options: the items after the count in the first argument's
  /// text ("n, if_ok" from SDRAD_OUT(n, if_ok)) and any further arguments
  /// (string literals or identifiers).  std::nullopt after diagnosing.
  static std::optional<llvm::SmallVector<std::string, 2>>
  copyBackOptions(Sema &S, const ParsedAttr &Attr) {
    llvm::SmallVector<std::string, 2> Opts;
    auto Add = [&](llvm::StringRef O, SourceLocation Loc) {
      O = O.trim();
      if (O != "if_ok" && O != "returned") {
        error(S.getDiagnostics(), Loc,
              "unknown option '" + O + "' of '" +
                  Attr.getNormalizedFullName() +
                  "'; expected if_ok (copy back only if the function's "
                  "ok_if() holds) or returned (copy back only as many "
                  "elements as the function returns)");
        return false;
      }
      Opts.push_back(O == "if_ok" ? "if-ok" : "returned");
      return true;
    };
    for (unsigned I = 0, E = Attr.getNumArgs(); I < E; ++I) {
      if (Attr.isArgIdent(I)) {
        if (I && !Add(sdrad::compat::identName(Attr.getArgAsIdent(I)),
                      sdrad::compat::identLoc(Attr.getArgAsIdent(I))))
          return std::nullopt;
        continue;
      }
      Expr *Arg = Attr.getArgAsExpr(I);
      auto *SL = dyn_cast<StringLiteral>(Arg->IgnoreParenImpCasts());
      if (!SL) {
        if (I == 0)
          continue; // the count, as an expression
        error(S.getDiagnostics(), Arg->getExprLoc(),
              "options of '" + Attr.getNormalizedFullName() +
                  "' must be string literals or identifiers");
        return std::nullopt;
      }
      auto Items = splitTopLevel(SL->getString());
      for (llvm::StringRef Item : llvm::ArrayRef(Items).drop_front(I ? 0 : 1))
        if (!Add(Item, SL->getBeginLoc()))
          return std::nullopt;
    }
    if (!Info.CopiesBack && !Opts.empty()) {
      error(S.getDiagnostics(), Attr.getLoc(),
            "copy-back options apply to out and inout only");
      return std::nullopt;
    }
    return Opts;
  }

  std::optional<std::string> countText(Sema &S, const ParsedAttr &Attr) const {
    if (Attr.getNumArgs() && Attr.isArgIdent(0)) // [[sdrad::in(len)]]
      return sdrad::compat::identName(Attr.getArgAsIdent(0)).str();
    Expr *E = Attr.isArgExpr(0) ? Attr.getArgAsExpr(0) : nullptr;
    if (E)
      if (auto *SL = dyn_cast<StringLiteral>(E->IgnoreParenImpCasts())) {
        std::string T = normalizeCount(splitTopLevel(SL->getString())[0]);
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
    std::string Ann = std::string(sdrad::AnnPrefix) + Info.Word;
    if (isa<FunctionDecl>(D)) { // sdrad::shared on a function
      addAnnotation(S, D, sdrad::AnnotationText(ann::RetShared).str(), {},
                    Attr.getRange());
      return AttributeApplied;
    }
    auto *P = cast<ParmVarDecl>(D);
    QualType T = P->getType();
    bool Ref = T->isReferenceType();
    if (!T->isDependentType() && !T->isPointerType() &&
        !(Ref && K != ParamKind::String) &&
        !(K == ParamKind::Shared && T->isRecordType())) {
      error(S.getDiagnostics(), Attr.getLoc(),
            "'" + Attr.getNormalizedFullName() + "' applies only to " +
                (K == ParamKind::String || !Ctx.getLangOpts().CPlusPlus
                     ? "pointer"
                     : "pointer and reference") +
                " parameters, not to '" + T.getAsString() + "'");
      return rejected(D);
    }
    llvm::SmallVector<Expr *, 1> Args;
    if constexpr (hasCount(K)) {
      auto Count = countText(S, Attr);
      if (!Count)
        return rejected(D);
      if (Ref && *Count != "1") {
        error(S.getDiagnostics(), Attr.getLoc(),
              "a reference parameter is one object: the count of '" +
                  Attr.getNormalizedFullName() + "' must be 1, not '" +
                  *Count + "'");
        return rejected(D);
      }
      Ann += ";count=" + *Count;
      auto Opts = copyBackOptions(S, Attr);
      if (!Opts)
        return rejected(D);
      if (!Opts->empty())
        Ann += ";copyback=" + llvm::join(*Opts, ",");
      // The element size travels as an argument so that it follows
      // template instantiation: sizeof(*p), or 1 for void.
      QualType Pointee = T->isPointerType() || Ref ? T->getPointeeType()
                                                   : QualType();
      // A class template specialisation is complete once instantiated.
      if (!Pointee.isNull() && !Pointee->isDependentType() &&
          Pointee->isRecordType())
        (void)S.isCompleteType(Attr.getLoc(), Pointee);
      if (!Pointee.isNull() && !Pointee->isDependentType() &&
          (Pointee->isVoidType() || Pointee->isFunctionType())) {
        if (Pointee->isFunctionType()) {
          error(S.getDiagnostics(), Attr.getLoc(),
                "cannot copy a function; use sdrad::shared");
          return rejected(D);
        }
        Args.push_back(IntegerLiteral::Create(
            Ctx, llvm::APInt(Ctx.getTypeSize(Ctx.getSizeType()), 1),
            Ctx.getSizeType(), Attr.getLoc()));
      } else if (!Pointee.isNull() && !Pointee->isDependentType() &&
                 Pointee->isIncompleteType()) {
        error(S.getDiagnostics(), Attr.getLoc(),
              "cannot copy elements of incomplete type '" +
                  Pointee.getAsString() + "'; use sdrad::shared");
        return rejected(D);
      } else if (!Pointee.isNull() && !Pointee->isDependentType() &&
                 Pointee->isRecordType() && Ctx.getLangOpts().CPlusPlus &&
                 *Count == "1" &&
                 (!Pointee.isTriviallyCopyableType(Ctx) ||
                  (K == ParamKind::In &&
                   !deepInHelpers(S, Pointee, Attr.getLoc()).empty()))) {
        // (A view, std::string_view or std::span, is trivially copyable but
        // points at the caller's memory: deep-copied in as well.)
        // One object that owns memory: a deep copy in, out or both.
        if (K == ParamKind::In && !Pointee.isConstQualified()) {
          error(S.getDiagnostics(), Attr.getLoc(),
                "a deep-copied in parameter must be a const reference ('const " +
                    Pointee.getAsString() + " &'): the domain's changes would "
                    "be lost; use inout(1) to get them back");
          return rejected(D);
        }
        DeepParam DP =
            deepParam(S, Pointee, Info.Word,
                      Ann.find("returned") != std::string::npos,
                      Attr.getLoc(), Attr.getRange());
        if (!DP.Error.empty()) {
          error(S.getDiagnostics(), Attr.getLoc(), DP.Error);
          return rejected(D);
        }
        Ann += DP.Fields;
        Args.assign(DP.Args.begin(), DP.Args.end());
      } else if (!Pointee.isNull() && !Pointee->isDependentType() &&
                 Ctx.getLangOpts().CPlusPlus &&
                 !Pointee.isTriviallyCopyableType(Ctx)) {
        // A byte copy of e.g. std::string still points at the caller's
        // buffer (in) or, copied back, at the domain's memory (out).
        error(S.getDiagnostics(), Attr.getLoc(),
              "'" + Pointee.getUnqualifiedType().getAsString() +
                  "' is not trivially copyable: a byte copy of " +
                  (Ref ? "it" : "more than one") +
                  " would point into the caller's or the domain's memory; "
                  "pass one object (count 1, deep-copied), "
                  "sdrad::shared (read in place under integrity), or its "
                  "data as a pointer and a count");
        return rejected(D);
      } else {
        QualType Elem = Pointee.isNull() ? T : Pointee;
        if (T->isDependentType() && !T->isPointerType())
          Elem = T; // checked again at instantiation
        ExprResult SizeOf = S.CreateUnaryExprOrTypeTraitExpr(
            Ctx.getTrivialTypeSourceInfo(Elem.getUnqualifiedType(),
                                         Attr.getLoc()),
            Attr.getLoc(), UETT_SizeOf, Attr.getRange());
        if (SizeOf.isInvalid())
          return rejected(D);
        Args.push_back(SizeOf.get());
      }
    }
    if constexpr (K == ParamKind::String) {
      if (T->isPointerType() && !T->getPointeeType()->isDependentType() &&
          !T->getPointeeType()->isCharType()) {
        error(S.getDiagnostics(), Attr.getLoc(),
              "'" + Attr.getNormalizedFullName() +
                  "' needs a pointer to char, not '" + T.getAsString() + "'");
        return rejected(D);
      }
    }
    addAnnotation(S, P, Ann, Args, Attr.getRange());
    return AttributeApplied;
  }
};

//===----------------------------------------------------------------------===//
// Results by value: types that own memory (<sdrad/boundary.h>)
//===----------------------------------------------------------------------===//

/// How a type returned by value crosses back from the domain.
struct Crossing {
  bool Unsupported = false; // owns memory in a way the plugin cannot copy
  bool Pointer = false;     // holds a pointer (maybe into the domain)
  bool Deep = false;        // needs a deep copy (not trivially copyable)
  std::string Why;          // Unsupported: why
  std::string Where;        // Pointer: which member

  void add(const Crossing &O) {
    if (O.Unsupported && !Unsupported) {
      Unsupported = true;
      Why = O.Why;
    }
    if (O.Pointer && !Pointer) {
      Pointer = true;
      Where = O.Where;
    }
    Deep |= O.Deep;
  }
};

/// Classifies returned types and references the marshalling helpers of
/// <sdrad/boundary.h> for the ones that need a deep copy.
class ResultTypes {
  Sema &S;
  ASTContext &Ctx;

public:

  NamedDecl *lookupIn(DeclContext *DC, llvm::StringRef Name,
                      Sema::LookupNameKind Kind, SourceLocation Loc) {
    LookupResult R(S, DeclarationName(&Ctx.Idents.get(Name)), Loc, Kind);
    S.LookupQualifiedName(R, DC);
    return R.isSingleResult() ? R.getFoundDecl() : nullptr;
  }

  /// sdrad::NAME or sdrad::detail::NAME, a class template.
  ClassTemplateDecl *sdradTemplate(llvm::StringRef Name, bool Detail,
                                   SourceLocation Loc) {
    auto *NS = dyn_cast_or_null<NamespaceDecl>(
        lookupIn(Ctx.getTranslationUnitDecl(), "sdrad",
                 Sema::LookupNamespaceName, Loc));
    if (NS && Detail)
      NS = dyn_cast_or_null<NamespaceDecl>(
          lookupIn(NS, "detail", Sema::LookupNamespaceName, Loc));
    return NS ? dyn_cast_or_null<ClassTemplateDecl>(
                    lookupIn(NS, Name, Sema::LookupOrdinaryName, Loc))
              : nullptr;
  }

  /// TEMPLATE<T>, complete (instantiated) or null.
  CXXRecordDecl *specialize(ClassTemplateDecl *Tmpl, QualType T,
                            SourceLocation Loc) {
    if (!Tmpl)
      return nullptr;
    TemplateArgumentListInfo Args(Loc, Loc);
    Args.addArgument(TemplateArgumentLoc(
        TemplateArgument(T), Ctx.getTrivialTypeSourceInfo(T, Loc)));
    QualType Spec = sdrad::compat::checkTemplateId(S, TemplateName(Tmpl), Loc, Args);
    if (Spec.isNull() || !S.isCompleteType(Loc, Spec))
      return nullptr;
    return Spec->getAsCXXRecordDecl();
  }

  explicit ResultTypes(Sema &S) : S(S), Ctx(S.getASTContext()) {}

  Crossing classify(QualType T, SourceLocation Loc, unsigned Depth = 0) {
    T = T.getCanonicalType().getUnqualifiedType();
    std::string Name = T.getAsString(Ctx.getPrintingPolicy());
    Crossing R;
    if (T->isDependentType() || Depth > 32)
      return R;
    if (T->isReferenceType() || T->isAnyPointerType() ||
        T->isMemberPointerType() || T->isBlockPointerType()) {
      R.Pointer = true;
      R.Where = "'" + Name + "'";
      return R;
    }
    if (const ConstantArrayType *AT = Ctx.getAsConstantArrayType(T))
      return classify(AT->getElementType(), Loc, Depth + 1);
    const RecordDecl *RD = T->getAsRecordDecl();
    if (!RD || !RD->getDefinition())
      return R;
    auto *CRD = dyn_cast<CXXRecordDecl>(RD);
    if (CRD) {
      R.Deep = !CRD->isTriviallyCopyable();
      if (CXXRecordDecl *Traits = specialize(
              sdradTemplate("boundary_traits", false, Loc), T, Loc)) {
        for (QualType E : elements(Traits, Loc)) {
          Crossing C = classify(E, Loc, Depth + 1);
          if (C.Pointer)
            C.Where += " in '" + Name + "'";
          R.add(C);
        }
        return R;
      }
      if (R.Deep && (CRD->hasUserDeclaredCopyConstructor() ||
                     CRD->hasUserDeclaredDestructor() || CRD->isUnion())) {
        R.Unsupported = true;
        R.Why = "'" + Name +
                "' has a user-declared copy constructor or destructor and no "
                "sdrad::boundary_traits specialisation, so a copy may still "
                "refer to the domain's memory";
        return R;
      }
      for (const CXXBaseSpecifier &B : CRD->bases())
        R.add(classify(B.getType(), Loc, Depth + 1));
    }
    for (const FieldDecl *F : RD->fields()) {
      Crossing C = classify(F->getType(), Loc, Depth + 1);
      if (C.Pointer && C.Where.front() == '\'' &&
          C.Where.find(" in ") == std::string::npos)
        C.Where = "'" + Name + "::" + F->getName().str() + "'";
      R.add(C);
    }
    return R;
  }

  /// The element types a boundary_traits specialisation lists.
  llvm::SmallVector<QualType, 2> elements(CXXRecordDecl *Traits,
                                          SourceLocation Loc) {
    llvm::SmallVector<QualType, 2> Out;
    auto *TD = dyn_cast_or_null<TypedefNameDecl>(
        lookupIn(Traits, "elements", Sema::LookupOrdinaryName, Loc));
    if (!TD)
      return Out;
    auto *Spec = dyn_cast_or_null<ClassTemplateSpecializationDecl>(
        TD->getUnderlyingType()->getAsCXXRecordDecl());
    if (!Spec)
      return Out;
    for (const TemplateArgument &A : Spec->getTemplateArgs().asArray()) {
      if (A.getKind() == TemplateArgument::Pack) {
        for (const TemplateArgument &P : A.pack_elements())
          if (P.getKind() == TemplateArgument::Type)
            Out.push_back(P.getAsType());
      } else if (A.getKind() == TemplateArgument::Type) {
        Out.push_back(A.getAsType());
      }
    }
    return Out;
  }

  /// &sdrad::detail::boundary<T>::copy_out and ::destroy, referenced (so
  /// that they are instantiated and emitted), or an empty list.
  llvm::SmallVector<Expr *, 2> helpers(QualType T, SourceLocation Loc) {
    return helpersOf("boundary", {"copy_out", "destroy", "make_default"}, T,
                     Loc);
  }

  llvm::SmallVector<Expr *, 4>
  helpersOf(llvm::StringRef Tmpl, llvm::ArrayRef<llvm::StringRef> Names,
            QualType T, SourceLocation Loc) {
    llvm::SmallVector<Expr *, 4> Out;
    CXXRecordDecl *B = specialize(sdradTemplate(Tmpl, true, Loc), T, Loc);
    if (!B)
      return Out;
    for (llvm::StringRef Name : Names) {
      auto *MD = dyn_cast_or_null<CXXMethodDecl>(
          lookupIn(B, Name, Sema::LookupOrdinaryName, Loc));
      if (!MD || !MD->isStatic())
        return {};
      // Referenced only from an annotation, which does not make code
      // generation emit an inline function: mark it used.
      if (!MD->hasAttr<UsedAttr>())
        MD->addAttr(UsedAttr::CreateImplicit(Ctx));
      S.MarkFunctionReferenced(Loc, MD);
      // Instantiated now: the end-of-file instantiations may already have
      // run (an instantiated isolated function is checked during them).
      if (!MD->isDefined() && MD->isImplicitlyInstantiable())
        S.InstantiateFunctionDefinition(Loc, MD, /*Recursive=*/true,
                                        /*DefinitionRequired=*/true);
      auto *Ref = DeclRefExpr::Create(Ctx, NestedNameSpecifierLoc(),
                                      SourceLocation(), MD, false, Loc,
                                      MD->getType(), VK_LValue);
      Out.push_back(UnaryOperator::Create(
          Ctx, Ref, UO_AddrOf, Ctx.getPointerType(MD->getType()), VK_PRValue,
          OK_Ordinary, Loc, false, FPOptionsOverride()));
    }
    return Out;
  }
};

/// Why an aggregate that \p T holds (itself, or through boundary_traits
/// elements or fields) has no serial form in <sdrad/boundary.h>: bases,
/// array, bit-field or anonymous members, or more than 16 fields (the
/// header counts fields by brace initialisation and binds them with
/// structured bindings; these keep the two in step).  Empty if none.
std::string aggregateShapeProblem(ResultTypes &R, Sema &S, QualType T,
                                  SourceLocation Loc, unsigned Depth = 0) {
  ASTContext &Ctx = S.getASTContext();
  T = T.getCanonicalType().getUnqualifiedType();
  auto *RD = T->getAsCXXRecordDecl();
  if (Depth > 32 || !RD || !RD->hasDefinition() || T->isDependentType())
    return {};
  std::string Name = T.getAsString(Ctx.getPrintingPolicy());
  if (R.specialize(R.sdradTemplate("boundary_in", false, Loc), T, Loc))
    return {}; // the user's (or the header's) run of bytes
  if (CXXRecordDecl *Traits =
          R.specialize(R.sdradTemplate("boundary_traits", false, Loc), T, Loc)) {
    for (QualType E : R.elements(Traits, Loc))
      if (std::string P = aggregateShapeProblem(R, S, E, Loc, Depth + 1);
          !P.empty())
        return P;
    return {};
  }
  if (!RD->isAggregate() || RD->isUnion())
    return {}; // no serial form at all: said by the caller
  if (RD->getNumBases())
    return "'" + Name + "' has base classes";
  unsigned Fields = 0;
  for (const FieldDecl *F : RD->fields()) {
    ++Fields;
    if (F->isBitField() || F->isAnonymousStructOrUnion() ||
        F->getType()->isArrayType())
      return "'" + Name + "::" + F->getNameAsString() + "' is " +
             (F->isBitField() ? "a bit-field"
              : F->getType()->isArrayType() ? "an array"
                                            : "an anonymous member");
    if (std::string P = aggregateShapeProblem(R, S, F->getType(), Loc, Depth + 1);
        !P.empty())
      return P;
  }
  if (Fields > 16)
    return "'" + Name + "' has more than 16 fields";
  return {};
}

llvm::SmallVector<Expr *, 4> deepInHelpers(Sema &S, QualType T,
                                           SourceLocation Loc) {
  ResultTypes R(S);
  T = T.getCanonicalType().getUnqualifiedType();
  // Bytes without pointers need no deep copy (a C struct, say).
  if (T.isTriviallyCopyableType(S.getASTContext()) && !R.classify(T, Loc).Pointer)
    return {};
  if (!aggregateShapeProblem(R, S, T, Loc).empty())
    return {};
  if (!R.specialize(R.sdradTemplate("boundary_in_ops", true, Loc), T, Loc))
    return {};
  return R.helpersOf("boundary_in_ops", {"size", "pack", "make", "destroy"},
                     T, Loc);
}

DeepParam deepParam(Sema &S, QualType T, llvm::StringRef Kind, bool Returned,
                    SourceLocation Loc, SourceRange Range) {
  ASTContext &Ctx = S.getASTContext();
  ResultTypes R(S);
  DeepParam DP;
  std::string Name = T.getUnqualifiedType().getAsString(Ctx.getPrintingPolicy());
  T = T.getCanonicalType().getUnqualifiedType();
  bool In = Kind != "out", Out = Kind != "in";
  if (!R.sdradTemplate("boundary_in_ops", true, Loc)) {
    DP.Error = "'" + Name + "' owns memory and needs a deep copy: include "
               "<sdrad/isolate.h> (or <sdrad/boundary.h>) before it (C++17 "
               "or later)";
    return DP;
  }
  if (Out) {
    Crossing C = R.classify(T, Loc);
    if (C.Unsupported) {
      DP.Error = "'" + Kind.str() + "' parameter of type '" + Name +
                 "' cannot be copied back: " + C.Why +
                 "; specialise sdrad::boundary_traits (<sdrad/boundary.h>) if "
                 "its copy assignment makes a deep copy";
      return DP;
    }
    if (C.Pointer) {
      DP.Error = "'" + Kind.str() + "' parameter of type '" + Name +
                 "' holds a pointer (" + C.Where +
                 ") that would point into the domain's memory after the copy "
                 "back; return the data in a type that owns it";
      return DP;
    }
    if (Returned) {
      DP.Error = "copy-back option 'returned' counts elements of a buffer; "
                 "'" + Name + "' is one object, copied back whole";
      return DP;
    }
    auto *RD = T->getAsCXXRecordDecl();
    CXXMethodDecl *Assign =
        RD ? S.LookupCopyingAssignment(RD, Qualifiers::Const, false, 0)
           : nullptr;
    if (!Assign || Assign->isDeleted()) {
      DP.Error = "'" + Kind.str() + "' parameter of type '" + Name +
                 "' is copied back by copy assignment, which it does not "
                 "have; return it by value instead";
      return DP;
    }
    if (Kind == "out" && RD && !S.LookupDefaultConstructor(RD)) {
      DP.Error = "'out' parameter of type '" + Name +
                 "': the domain starts from a default-constructed object, "
                 "which it cannot make; use inout(1)";
      return DP;
    }
  }
  llvm::SmallVector<Expr *, 4> InH, OutH;
  if (In && (InH = deepInHelpers(S, T, Loc)).empty()) {
    std::string Shape = aggregateShapeProblem(R, S, T, Loc);
    DP.Error = "'" + Name + "' cannot be deep-copied into the domain: " +
               (Shape.empty()
                    ? std::string("it has no sdrad::boundary_in "
                                  "specialisation and is not a std::vector, "
                                  "std::optional, std::pair, std::tuple or "
                                  "aggregate of such types and scalars")
                    : Shape + ", which the serial form of aggregates does "
                              "not support") +
               "; specialise sdrad::boundary_in (<sdrad/boundary.h>)" +
               (Kind == "inout" ? ", or use out(1) if the domain need not "
                                  "read it"
                                : ", or pass its parts as parameters");
    return DP;
  }
  if (Out)
    OutH = R.helpersOf("boundary_out_ops",
                       {"make_default", "assign", "destroy"}, T, Loc);
  if (Out && OutH.size() != 3) {
    DP.Error = "'" + Name + "' cannot be copied back: "
               "sdrad::detail::boundary_out_ops is missing (include "
               "<sdrad/isolate.h>)";
    return DP;
  }
  if (int64_t Al = Ctx.getTypeAlignInChars(T).getQuantity(); Al > 16) {
    DP.Error = "'" + Name + "' is aligned to " + std::to_string(Al) +
               " bytes and cannot be deep-copied (the domain's copy is "
               "aligned to 16); pass its members as parameters";
    return DP;
  }
  ExprResult SizeOf = S.CreateUnaryExprOrTypeTraitExpr(
      Ctx.getTrivialTypeSourceInfo(T, Loc), Loc, UETT_SizeOf, Range);
  if (SizeOf.isInvalid()) {
    DP.Error = "cannot take the size of '" + Name + "'";
    return DP;
  }
  DP.Args.push_back(SizeOf.get());
  DP.Args.append(InH.begin(), InH.end());
  DP.Args.append(OutH.begin(), OutH.end());
  DP.Fields = Kind == "in" ? ";deep=1" : (";deep=" + Kind).str();
  return DP;
}

//===----------------------------------------------------------------------===//
// Whole-function checks, run before code generation sees the function
//===----------------------------------------------------------------------===//

class IsolateChecker {
  CompilerInstance &CI;
  DiagnosticsEngine &DE;
  llvm::DenseSet<const Decl *> Seen;
  /// Functions whose result type was checked (canonical declarations).
  llvm::DenseSet<const Decl *> ResultChecked;
  /// Named domains seen in this translation unit: policy and where.
  llvm::StringMap<std::pair<std::string, SourceLocation>> Domains;
  /// A function's settings (timeout_ms, heap_limit, init, on_discard) as
  /// text ("" when not given; functions by qualified name), and where.
  struct Settings {
    std::array<std::string, 4> Value;
    std::array<SourceLocation, 4> Loc;
  };
  static constexpr const char *SettingKeys[4] = {key::TimeoutMs, key::HeapLimit,
                                                 key::Init, key::OnDiscard};
  /// Named domains seen in this translation unit: their settings so far.
  llvm::StringMap<Settings> DomainSettings;

  static Settings settingsOf(const AnnotateAttr *A, const Annotation &An) {
    Settings S;
    for (unsigned I = 0; I < 4; ++I) {
      llvm::StringRef V = An.get(SettingKeys[I]);
      if (V.empty())
        continue;
      S.Loc[I] = A->getLocation();
      S.Value[I] = V.str();
      if (I == 2 || I == 3) // a function: by name
        S.Value[I] = An.get(I == 2 ? key::InitName : key::OnDiscardName).str();
    }
    return S;
  }

  /// Merges \p S into the settings of domain \p Domain: false (after an
  /// error) if a value differs from one given before.
  bool mergeDomainSettings(llvm::StringRef Domain, const Settings &S) {
    Settings &Have = DomainSettings[Domain];
    for (unsigned I = 0; I < 4; ++I) {
      if (S.Value[I].empty())
        continue;
      if (!Have.Value[I].empty() && Have.Value[I] != S.Value[I]) {
        error(DE, S.Loc[I],
              "domain '" + Domain + "' is given " + SettingKeys[I] + "(" +
                  S.Value[I] + ") here and " + SettingKeys[I] + "(" +
                  Have.Value[I] + ") elsewhere; a domain has one " +
                  SettingKeys[I]);
        note(DE, Have.Loc[I], "domain '" + Domain + "' given " +
                                  SettingKeys[I] + "(" + Have.Value[I] +
                                  ") here");
        return false;
      }
      if (Have.Value[I].empty())
        Have.Loc[I] = S.Loc[I]; // where it was first given
      Have.Value[I] = S.Value[I];
    }
    return true;
  }

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

  /// Whether an sdrad attribute of \p FD or of its parameters was rejected
  /// (with an error already).
  static bool isRejected(const FunctionDecl *FD) {
    const auto &R = rejectedDecls();
    for (const FunctionDecl *D : FD->redecls()) {
      if (R.contains(D))
        return true;
      for (const ParmVarDecl *P : D->parameters())
        if (R.contains(P))
          return true;
    }
    return false;
  }

  /// Checks the lambdas in \p FD's body, which are no top-level
  /// declarations: their call operators can be isolated too.
  void visitLambdas(FunctionDecl *FD) {
    struct Finder : RecursiveASTVisitor<Finder> {
      IsolateChecker &C;
      explicit Finder(IsolateChecker &C) : C(C) {}
      bool VisitLambdaExpr(LambdaExpr *LE) {
        if (CXXMethodDecl *Op = LE->getCallOperator())
          C.checkFunction(Op);
        if (FunctionTemplateDecl *T = LE->getDependentCallOperator())
          for (FunctionDecl *Spec : T->specializations())
            C.markCounts(Spec);
        return true;
      }
    };
    if (Stmt *Body = FD->getBody())
      Finder(*this).TraverseStmt(Body);
  }

  /// A definition of an isolated function (templates: each instantiation)
  /// returning a class by value: an owning type gets its marshalling
  /// helpers referenced in a "sdrad.retcopy" annotation, one that cannot
  /// be copied is an error, one that holds a pointer a warning.
  void checkResult(FunctionDecl *FD) {
    bool Definition = FD->doesThisDeclarationHaveABody();
    // Diagnosed once per function (declaration or definition, whichever
    // comes first); the helpers go on the definition.
    bool Diagnose = ResultChecked.insert(FD->getCanonicalDecl()).second;
    if (!Definition && !Diagnose)
      return;
    bool Isolated = false, RetShared = false, Marshalled = false;
    for (auto &[A, An] : annotations(FD)) {
      Isolated |= An.is(ann::Isolate);
      RetShared |= An.is(ann::RetShared) || An.get(key::Shared) == "1";
      Marshalled |= An.is(ann::RetCopy);
    }
    QualType Ret = FD->getReturnType();
    if (!Isolated || Marshalled || isRejected(FD) || Ret->isDependentType() ||
        Ret->isUndeducedType() || Ret->isPointerType() || Ret->isVoidType())
      return;
    SourceLocation Loc = FD->getLocation();
    ResultTypes Results(CI.getSema());
    Crossing C = Results.classify(Ret, Loc);
    std::string Type = Ret.getAsString();
    if (C.Unsupported) {
      if (!Diagnose)
        return;
      error(DE, Loc,
            "isolated function '" + FD->getName() + "' returns '" + Type +
                "' by value, which cannot cross the domain boundary: " +
                C.Why +
                "; specialise sdrad::boundary_traits (<sdrad/boundary.h>) if "
                "its copy constructor makes a deep copy, or return the data "
                "through an out(n) buffer");
      return;
    }
    if (C.Pointer && !RetShared && Diagnose)
      warn(DE, Warn::ReturnedPointer, Loc,
           "'" + FD->getName() + "' returns '" + Type +
               "', which holds a pointer (" + C.Where +
               ") that may point into the domain; after a fault its memory "
               "is discarded (add 'shared' to SDRAD_ISOLATE if it points "
               "elsewhere)");
    if (!C.Deep || !Definition)
      return;
    llvm::SmallVector<Expr *, 2> Helpers = Results.helpers(Ret, Loc);
    if (Helpers.size() != 3) {
      error(DE, Loc,
            "isolated function '" + FD->getName() + "' returns '" + Type +
                "', which needs a deep copy: include <sdrad/isolate.h> (or "
                "<sdrad/boundary.h>) before it");
      return;
    }
    bool HasFallback = false;
    for (auto &[A, An] : annotations(FD))
      HasFallback |= An.is(ann::Isolate) && A->args_size() > 0;
    CXXRecordDecl *RD = Ret->getAsCXXRecordDecl();
    if (!HasFallback && RD && !CI.getSema().LookupDefaultConstructor(RD)) {
      error(DE, Loc,
            "isolated function '" + FD->getName() + "' returns '" + Type +
                "', which has no default constructor for the result of a "
                "failed call: give it a fallback(f)");
      return;
    }
    addAnnotation(CI.getSema(), FD, sdrad::AnnotationText(ann::RetCopy).str(), Helpers,
                  FD->getSourceRange());
  }

  /// rethrow: the function must be able to throw; its definition gets the
  /// helpers of <sdrad/domain_fault.h> in a "sdrad.rethrow" annotation.
  void checkRethrow(FunctionDecl *FD) {
    bool Rethrow = false, Has = false;
    const AnnotateAttr *At = nullptr;
    for (auto &[A, An] : annotations(FD)) {
      if (An.is(ann::Isolate) && An.get(key::Rethrow) == "1") {
        Rethrow = true;
        At = A;
      }
      Has |= An.is(ann::Rethrow);
    }
    if (!Rethrow || Has || isRejected(FD))
      return;
    const auto *FPT = FD->getType()->getAs<FunctionProtoType>();
    if (FPT && FPT->isNothrow()) {
      if (!At->isInherited())
        error(DE, At->getLocation(),
              "'" + FD->getName() +
                  "' is noexcept, so rethrow could only terminate the "
                  "program; remove noexcept or rethrow");
      return;
    }
    if (!FD->doesThisDeclarationHaveABody())
      return;
    Sema &S = CI.getSema();
    ASTContext &Ctx = S.getASTContext();
    SourceLocation Loc = FD->getLocation();
    llvm::SmallVector<Expr *, 2> Args;
    for (llvm::StringRef Name : {"run_catching", "throw_fault"}) {
      FunctionDecl *H = sdradDetailFunction(S, Name, Loc);
      if (!H) {
        error(DE, At->getLocation(),
              "rethrow needs <sdrad/domain_fault.h>: include <sdrad/isolate.h> "
              "(with the runtime's include directory) before '" +
                  FD->getName() + "'");
        return;
      }
      const FunctionDecl *Def = nullptr;
      if (H->hasBody(Def) && !Def->isUsed(false) && !Def->hasAttr<UsedAttr>())
        pendingDefinitions().push_back(const_cast<FunctionDecl *>(Def));
      for (FunctionDecl *R : H->redecls())
        if (!R->hasAttr<UsedAttr>())
          R->addAttr(UsedAttr::CreateImplicit(Ctx));
      S.MarkFunctionReferenced(Loc, H);
      auto *Ref = DeclRefExpr::Create(Ctx, NestedNameSpecifierLoc(),
                                      SourceLocation(), H, false, Loc,
                                      H->getType(), VK_LValue);
      Args.push_back(UnaryOperator::Create(
          Ctx, Ref, UO_AddrOf, Ctx.getPointerType(H->getType()), VK_PRValue,
          OK_Ordinary, Loc, false, FPOptionsOverride()));
    }
    addAnnotation(S, FD, sdrad::AnnotationText(ann::Rethrow).str(), Args,
                  FD->getSourceRange());
    keepThrowing(FD, Loc);
  }

  /// Puts sdrad::detail::may_throw(false) at the start of \p FD's body, so
  /// that clang never marks it nounwind (and its callers' calls then go
  /// without landing pads): the thunk it becomes throws domain_fault.
  void keepThrowing(FunctionDecl *FD, SourceLocation Loc) {
    Sema &S = CI.getSema();
    ASTContext &Ctx = S.getASTContext();
    auto *Body = dyn_cast_or_null<CompoundStmt>(FD->getBody());
    FunctionDecl *MT = sdradDetailFunction(S, "may_throw", Loc);
    if (!Body || !MT) // a function-try-block can throw anyway
      return;
    const FunctionDecl *Def = nullptr;
    if (MT->hasBody(Def) && !Def->isUsed(false) && !Def->hasAttr<UsedAttr>())
      pendingDefinitions().push_back(const_cast<FunctionDecl *>(Def));
    for (FunctionDecl *R : MT->redecls())
      if (!R->hasAttr<UsedAttr>())
        R->addAttr(UsedAttr::CreateImplicit(Ctx));
    ExprResult Ref = S.BuildDeclRefExpr(MT, MT->getType(), VK_LValue, Loc);
    if (Ref.isInvalid())
      return;
    Expr *False = CXXBoolLiteralExpr::Create(Ctx, false, Ctx.BoolTy, Loc);
    ExprResult Call = S.BuildCallExpr(nullptr, Ref.get(), Loc, {False}, Loc);
    if (Call.isInvalid())
      return;
    llvm::SmallVector<Stmt *, 8> Stmts{Call.get()};
    Stmts.append(Body->body_begin(), Body->body_end());
    FD->setBody(CompoundStmt::Create(Ctx, Stmts,
                                     sdrad::compat::storedFPFeatures(Body),
                                     Body->getLBracLoc(), Body->getRBracLoc()));
  }

  static FunctionDecl *sdradDetailFunction(Sema &S, llvm::StringRef Name,
                                           SourceLocation Loc) {
    ASTContext &Ctx = S.getASTContext();
    DeclContext *DC = Ctx.getTranslationUnitDecl();
    for (llvm::StringRef NS : {"sdrad", "detail"}) {
      LookupResult R(S, DeclarationName(&Ctx.Idents.get(NS)), Loc,
                     Sema::LookupNamespaceName);
      S.LookupQualifiedName(R, DC);
      DC = R.getAsSingle<NamespaceDecl>();
      if (!DC)
        return nullptr;
    }
    LookupResult R(S, DeclarationName(&Ctx.Idents.get(Name)), Loc,
                   Sema::LookupOrdinaryName);
    S.LookupQualifiedName(R, DC);
    return R.getAsSingle<FunctionDecl>();
  }

  /// The definition of an isolated member function gets
  /// "sdrad.this;mode=M;size=N" (the class is complete only now).
  void markThis(FunctionDecl *FD) {
    auto *MD = dyn_cast<CXXMethodDecl>(FD);
    if (!MD || MD->isStatic() || MD->getParent()->isLambda() ||
        !FD->doesThisDeclarationHaveABody() || isRejected(FD) ||
        MD->getParent()->isDependentContext())
      return;
    llvm::StringRef Mode;
    for (auto &[A, An] : annotations(FD)) {
      if (An.is(ann::This))
        return; // done already
      if (An.is(ann::Isolate))
        Mode = An.get(key::This);
    }
    if (Mode.empty() ||
        (!MD->getParent()->isTriviallyCopyable() && Mode != "shared"))
      return; // diagnosed where sdrad::isolate was written
    uint64_t Size = CI.getASTContext()
                        .getTypeSizeInChars(sdrad::compat::recordType(
                            CI.getASTContext(), MD->getParent()))
                        .getQuantity();
    addAnnotation(CI.getSema(), FD,
                  sdrad::AnnotationText(ann::This)
                      .add(key::Mode, Mode)
                      .add(key::Size, llvm::utostr(Size))
                      .str(),
                  {}, FD->getSourceRange());
  }

  /// Class parameters by value of an isolated definition (templates: each
  /// instantiation).  A view (std::string_view, std::span<const T>: a
  /// pointer and a length in registers) and an owning type the domain can
  /// rebuild (std::string, std::vector<T>, ...: passed by address) get a
  /// deep in(1) annotation, so the domain reads its own copy, never the
  /// caller's memory.  Any other class holding a pointer or owning memory
  /// (std::unique_ptr, std::shared_ptr, std::function, std::map, a struct
  /// with a pointer member, ...) is an error naming the type, unless the
  /// parameter is sdrad::shared.
  void checkByValue(FunctionDecl *FD) {
    if (!FD->doesThisDeclarationHaveABody() || isRejected(FD))
      return;
    bool Isolated = false;
    for (auto &[A, An] : annotations(FD))
      Isolated |= An.Kind == "isolate";
    if (!Isolated)
      return;
    Sema &S = CI.getSema();
    ASTContext &Ctx = S.getASTContext();
    for (ParmVarDecl *P : FD->parameters()) {
      QualType T = P->getType();
      if (T->isDependentType() || !T->isRecordType())
        continue;
      bool Annotated = false;
      for (auto &[A, An] : annotations(P))
        Annotated |= isParamKind(An.Kind);
      if (Annotated)
        continue; // shared, or an annotation already rejected
      SourceLocation Loc =
          P->getLocation().isValid() ? P->getLocation() : FD->getLocation();
      std::string Name =
          T.getUnqualifiedType().getAsString(Ctx.getPrintingPolicy());
      llvm::SmallVector<Expr *, 4> Helpers;
      if (Ctx.getLangOpts().CPlusPlus && S.isCompleteType(Loc, T))
        Helpers = deepInHelpers(S, T, Loc);
      if (!Helpers.empty()) {
        ExprResult SizeOf = S.CreateUnaryExprOrTypeTraitExpr(
            Ctx.getTrivialTypeSourceInfo(
                T.getCanonicalType().getUnqualifiedType(), Loc),
            Loc, UETT_SizeOf, P->getSourceRange());
        if (SizeOf.isInvalid())
          continue;
        Helpers.insert(Helpers.begin(), SizeOf.get());
        bool View = T.isTriviallyCopyableType(Ctx);
        // The domain's object lives in 16-byte aligned storage; a view
        // passed in memory is passed from there.
        if (View && Ctx.getTypeAlignInChars(T).getQuantity() > 16) {
          error(DE, Loc,
                "parameter '" + P->getName() + "' of isolated function '" +
                    FD->getName() + "' has type '" + Name + "', aligned to " +
                    llvm::Twine(Ctx.getTypeAlignInChars(T).getQuantity())
                        .str() +
                    " bytes, which cannot be deep-copied into a domain (the "
                    "domain's copy is aligned to 16); pass its members as "
                    "parameters");
          continue;
        }
        addAnnotation(S, P,
                      std::string(sdrad::AnnPrefix) + "in;count=1;deep=1" +
                          (View ? ";byvalue=1" : ""),
                      Helpers, P->getSourceRange());
        continue;
      }
      Crossing C = ResultTypes(S).classify(T, Loc);
      if (!C.Unsupported && !C.Pointer && !C.Deep)
        continue; // bytes only: copied into the block
      std::string Why =
          C.Unsupported
              ? "it owns memory or a resource (it has a user-declared copy "
                "constructor or destructor) that the domain would share with "
                "the caller"
          : C.Pointer
              ? "it holds a pointer (" + C.Where +
                    ") that the domain would use as is, reading (and, if "
                    "it frees or keeps it, owning) the caller's memory"
              : "it owns memory that a copy of its bytes would share";
      if (!C.Unsupported && !C.Pointer && Ctx.getLangOpts().CPlusPlus) {
        ResultTypes R(S);
        if (std::string Shape = aggregateShapeProblem(R, S, T, Loc);
            !Shape.empty())
          Why += " (" + Shape + ", which the serial form of aggregates does "
                 "not support)";
      }
      error(DE, Loc,
            "parameter '" + P->getName() + "' of isolated function '" +
                FD->getName() + "' has type '" + Name +
                "', which cannot be passed by value into a domain: " + Why +
                (Ctx.getLangOpts().CPlusPlus
                     ? "; pass the data it holds as annotated parameters "
                       "(in(n), a const reference to a type with "
                       "sdrad::boundary_in), or mark it sdrad::shared to pass "
                       "it as is (integrity only)"
                     : "; pass the data it points to as annotated pointer "
                       "parameters (in(n), string), or mark it sdrad::shared "
                       "to pass it as is (integrity only)"));
    }
  }

  /// A template's in/out/inout(1) parameter whose type was dependent
  /// where the attribute was written (`SDRAD_OUT(1) T &out`) and is a
  /// class that owns memory in this instantiation: the annotation gets the
  /// deep-copy helpers now (a byte copy would share or leak memory), or an
  /// error.
  void deepenInstantiated(FunctionDecl *FD) {
    if (!FD->isTemplateInstantiation() || !CI.getLangOpts().CPlusPlus)
      return;
    Sema &S = CI.getSema();
    ASTContext &Ctx = S.getASTContext();
    for (ParmVarDecl *P : FD->parameters())
      for (auto &[A, An] : annotations(P)) {
        llvm::StringRef K = An.Kind;
        if ((K != "in" && K != "out" && K != "inout") || !An.get("deep").empty())
          continue;
        QualType T = P->getType();
        QualType Obj = T->isPointerType() || T->isReferenceType()
                           ? T->getPointeeType()
                           : QualType();
        if (Obj.isNull() || !Obj->isRecordType() ||
            !S.isCompleteType(P->getLocation(), Obj))
          continue;
        if (Obj.isTriviallyCopyableType(Ctx) &&
            (K != "in" || deepInHelpers(S, Obj, P->getLocation()).empty()))
          continue; // bytes (a view is deep-copied in)
        SourceLocation Loc = A->getLocation();
        if (An.get("count") != "1") {
          error(DE, Loc,
                "'" + Obj.getUnqualifiedType().getAsString(
                          Ctx.getPrintingPolicy()) +
                    "' is not trivially copyable: a byte copy of more than "
                    "one would point into the caller's or the domain's "
                    "memory; pass one object (count 1, deep-copied)");
          rejectedDecls().insert(P);
          break;
        }
        if (K == "in" && !Obj.isConstQualified()) {
          error(DE, Loc,
                "a deep-copied in parameter must be a const reference "
                "('const " + Obj.getAsString(Ctx.getPrintingPolicy()) +
                " &'): the domain's changes "
                "would be lost; use inout(1) to get them back");
          rejectedDecls().insert(P);
          break;
        }
        DeepParam DP = deepParam(S, Obj, K, An.get("copyback").contains("returned"),
                                 Loc, A->getRange());
        if (!DP.Error.empty()) {
          error(DE, Loc, DP.Error);
          rejectedDecls().insert(P);
          break;
        }
        std::string Ann = A->getAnnotation().str() + DP.Fields;
        AttrVec &Attrs = P->getAttrs();
        Attrs.erase(std::remove(Attrs.begin(), Attrs.end(), A), Attrs.end());
        addAnnotation(S, P, Ann, DP.Args, A->getRange());
        break;
      }
  }

  void checkFunction(FunctionDecl *FD) {
    if (!Seen.insert(FD).second)
      return;
    deepenInstantiated(FD);
    checkResult(FD);
    checkRethrow(FD);
    markThis(FD);
    checkByValue(FD);
    if (FD->isTemplateInstantiation())
      return;
    visitLambdas(FD);
    if (isRejected(FD))
      return;
    // Only check what was written on this declaration; redeclarations that
    // merely inherit the annotations were checked where they were written.
    bool Own = false, Isolated = false;
    for (auto &[A, An] : annotations(FD)) {
      Own |= !A->isInherited();
      Isolated |= An.is(ann::Isolate);
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
            warn(DE, Warn::IgnoredAnnotation, A->getLocation(),
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
      if (An.is(ann::RetShared))
        RetShared = true;
      if (!An.is(ann::Isolate))
        continue;
      RetShared |= An.get(key::Shared) == "1";
      llvm::StringRef D = An.get(key::Domain);
      if (DomainAttr && (D != Domain || An.get(key::Policy) != Policy)) {
        const AnnotateAttr *Later = A->isInherited() ? DomainAttr : A;
        const AnnotateAttr *Earlier = A->isInherited() ? A : DomainAttr;
        error(DE, Later->getLocation(),
              "'" + FD->getName() + "' is isolated in two different ways: " +
                  "domain '" + (D.empty() ? "<own>" : D) + "' (" +
                  An.get(key::Policy) + ") and domain '" +
                  (Domain.empty() ? "<own>" : Domain) + "' (" + Policy + ")");
        note(DE, Earlier->getLocation(), "previous sdrad::isolate is here");
        return;
      }
      DomainAttr = A;
      Domain = D;
      Policy = An.get(key::Policy);
    }
    const AnnotateAttr *SettingsAttr = nullptr;
    Settings Set;
    for (auto &[A, An] : annotations(FD)) {
      if (!An.is(ann::Settings))
        continue;
      Settings S = settingsOf(A, An);
      if (SettingsAttr && S.Value != Set.Value) {
        const AnnotateAttr *Later = A->isInherited() ? SettingsAttr : A;
        const AnnotateAttr *Earlier = A->isInherited() ? A : SettingsAttr;
        error(DE, Later->getLocation(),
              "'" + FD->getName() + "' is isolated in two different ways: "
                                    "different timeout_ms, heap_limit, init "
                                    "or on_discard");
        note(DE, Earlier->getLocation(), "previous sdrad::isolate is here");
        return;
      }
      SettingsAttr = A;
      Set = S;
    }
    if (!Domain.empty() && SettingsAttr && !mergeDomainSettings(Domain, Set))
      return;
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
    auto *Lambda = dyn_cast<CXXMethodDecl>(FD);
    if (Lambda && !Lambda->getParent()->isLambda())
      Lambda = nullptr;
    if (Lambda && Lambda->getParent()->capture_size()) {
      // The closure object (this) is passed as is.
      if (Policy == "confidentiality") {
        error(DE, DomainAttr->getLocation(),
              "an isolated lambda cannot capture under the confidentiality "
              "policy: the domain cannot read the closure; pass the values "
              "as annotated parameters");
        return;
      }
      warn(DE, Warn::LambdaCaptures, DomainAttr->getLocation(),
           "the captures of an isolated lambda are shared with the domain "
           "as is (read-only under integrity); pass them as annotated "
           "parameters to copy them");
    }
    if (auto *MD = dyn_cast<CXXMethodDecl>(FD);
        MD && !MD->isStatic() && !Lambda) {
      llvm::StringRef This;
      for (auto &[A, An] : annotations(FD))
        if (An.is(ann::Isolate) && !An.get(key::This).empty())
          This = An.get(key::This);
      if (isa<CXXConstructorDecl, CXXDestructorDecl>(MD)) {
        error(DE, DomainAttr->getLocation(),
              "constructors and destructors cannot be isolated; isolate a "
              "member function they call");
        return;
      }
      if (This.empty()) {
        error(DE, DomainAttr->getLocation(),
              "isolating non-static member function '" + FD->getName() +
                  "' needs to say how the object crosses: add this(in) (a "
                  "copy), this(inout) (a copy, copied back on success) or "
                  "this(shared) (read in place; integrity only) to its "
                  "SDRAD_ISOLATE");
        return;
      }
      if (This == "shared" && Policy == "confidentiality") {
        error(DE, DomainAttr->getLocation(),
              "this(shared) under the confidentiality policy: the domain "
              "cannot read the object; use this(in) or this(inout)");
        return;
      }
      if (This == "inout" && MD->isConst()) {
        error(DE, DomainAttr->getLocation(),
              "this(inout) on const member function '" + FD->getName() +
                  "': it cannot change the object; use this(in)");
        return;
      }
      const CXXRecordDecl *RD = MD->getParent();
      if (This != "shared" && !RD->isDependentContext() &&
          !RD->isTriviallyCopyable()) {
        error(DE, DomainAttr->getLocation(),
              "this(" + This + "): '" +
                  sdrad::compat::recordType(CI.getASTContext(), RD).getAsString(
                      CI.getASTContext().getPrintingPolicy()) +
                  "' is not trivially copyable, so a byte copy of the object "
                  "could still refer to the caller's or the domain's memory; "
                  "use this(shared) or isolate a function that takes the "
                  "data it needs");
        return;
      }
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
      warn(DE, Warn::ReturnedPointer, FD->getLocation(),
           "'" + FD->getName() +
               "' returns a pointer from an isolated domain; after a fault "
               "its memory is discarded (add 'shared' to SDRAD_ISOLATE or "
               "sdrad::shared on the function if that is intended)");
  }

  /// out(n, if_ok) needs ok_if() on the function; out(n, returned) an
  /// integer result.  False after diagnosing.
  bool checkCopyBack(FunctionDecl *FD, ParmVarDecl *P, const Annotation &An,
                     AnnotateAttr *At) {
    llvm::StringRef CB = An.get(key::CopyBack);
    if (CB.empty())
      return true;
    if (CB.contains("if-ok")) {
      bool HasOkIf = false;
      for (auto &[A, FAn] : annotations(FD))
        HasOkIf |= FAn.is(ann::Isolate) && !FAn.get(key::OkIf).empty();
      if (!HasOkIf) {
        error(DE, At->getLocation(),
              "'" + An.Kind + "' parameter '" + P->getName() +
                  "' is copied back if_ok, but '" + FD->getName() +
                  "' does not say what ok is: add ok_if(...) to its "
                  "SDRAD_ISOLATE, e.g. ok_if(== 0)");
        return false;
      }
    }
    QualType Ret = FD->getReturnType();
    if (CB.contains("returned") && !Ret->isDependentType() &&
        (!Ret->isIntegerType() || Ret->isBooleanType() ||
         CI.getASTContext().getTypeSize(Ret) > 64)) {
      error(DE, At->getLocation(),
            "'" + An.Kind + "' parameter '" + P->getName() +
                "' is copied back as returned, but '" + FD->getName() +
                "' returns '" + Ret.getAsString() +
                "', not an element count (an integer of at most 64 bits)");
      return false;
    }
    return true;
  }

  /// The annotation that makes an unannotated pointer or reference
  /// parameter of type \p T work, as source text ("" if none does):
  /// shared for pointers (the count is unknown); for a reference to a
  /// trivially copyable object in(1) (const, under confidentiality),
  /// inout(1) (non-const: under integrity the domain cannot write in
  /// place) or shared; shared for other references under integrity.
  std::string fixItFor(QualType T, bool Confidential) {
    bool Macros = CI.getPreprocessor().isMacroDefined("SDRAD_SHARED");
    auto Spell = [&](llvm::StringRef Kind, llvm::StringRef Count) {
      std::string Arg = Count.empty() ? "" : ("(" + Count + ")").str();
      if (Macros)
        return "SDRAD_" + Kind.upper() + Arg + " ";
      return ("__attribute__((sdrad_" + Kind + Arg + ")) ").str();
    };
    if (!T->isReferenceType())
      return Spell("shared", "");
    QualType Obj = T->getPointeeType();
    ASTContext &Ctx = CI.getASTContext();
    if (Obj->isIncompleteType() || !Obj.isTriviallyCopyableType(Ctx))
      return Confidential ? "" : Spell("shared", "");
    if (!Obj.isConstQualified())
      return Spell("inout", Macros ? "1" : "\"1\"");
    return Confidential ? Spell("in", Macros ? "1" : "\"1\"")
                        : Spell("shared", "");
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
      bool Ref = T->isReferenceType();
      std::string Fix = fixItFor(T, Confidential);
      std::string Msg =
          ((Ref ? "reference parameter '" : "pointer parameter '") +
           P->getName() + "' of isolated function '" + FD->getName() +
           "' has no sdrad annotation; it is passed as is (shared)" +
           (Confidential ? " but the confidentiality policy forbids the domain "
                           "to read it"
                         : ""))
              .str();
      SourceLocation Loc = P->getBeginLoc();
      SourceLocation At = P->getLocation().isValid() ? P->getLocation() : Loc;
      Msg += Ref ? "; annotate it in(1), out(1), inout(1) or shared"
                 : "; annotate it in(n), out(n), inout(n), string or shared";
      if (Confidential) {
        auto DB = error(DE, At, Msg);
        if (Loc.isValid() && !Fix.empty())
          DB << FixItHint::CreateInsertion(Loc, Fix);
      } else if (auto DB = warn(DE, Warn::UnannotatedPointer, At, Msg)) {
        if (Loc.isValid() && !Fix.empty())
          *DB << FixItHint::CreateInsertion(Loc, Fix);
      }
      return;
    }
    llvm::StringRef K = Kind->Kind;
    if (!checkCopyBack(FD, P, *Kind, KindAttr))
      return;
    if ((K == "out" || K == "inout") && !T->isDependentType() &&
        (T->isPointerType() || T->isReferenceType()) &&
        T->getPointeeType().isConstQualified()) {
      error(DE, KindAttr->getLocation(),
            "'" + K + "' parameter '" + P->getName() +
                "' points to const: the domain cannot write results to it; "
                "use 'in'");
      return;
    }
    warnPointerMembers(FD, P, *Kind, KindAttr, Confidential, Written);
    llvm::StringRef Count = Kind->get(key::Count);
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
    markCount(CountParam, Count);
  }

  /// A byte-copied in/out/inout object (trivially copyable, not deep) that
  /// holds a pointer: copied in, the domain reads the caller's memory
  /// through it (an error under confidentiality, C and C++); copied back,
  /// it may point into the domain's memory (C++: warnings).
  void warnPointerMembers(FunctionDecl *FD, ParmVarDecl *P,
                          const Annotation &An, AnnotateAttr *At,
                          bool Confidential, bool Written) {
    llvm::StringRef K = An.Kind;
    QualType T = P->getType();
    if ((K != "in" && K != "out" && K != "inout") || !An.get("deep").empty() ||
        T->isDependentType() || !(T->isPointerType() || T->isReferenceType()))
      return;
    QualType Obj = T->getPointeeType();
    if (!Obj->isRecordType() || Obj->isIncompleteType())
      return;
    Crossing C = ResultTypes(CI.getSema()).classify(Obj, At->getLocation());
    if (!C.Pointer)
      return;
    std::string Type = Obj.getUnqualifiedType().getAsString();
    if (K != "out" && Confidential) {
      error(DE, At->getLocation(),
            "'" + K + "' parameter '" + P->getName() + "' of type '" + Type +
                "' holds a pointer (" + C.Where +
                ") to memory the confidentiality policy forbids the domain "
                "to read; pass the data it points to as its own parameter");
      return;
    }
    // C code does this on purpose (e.g. offsets encoded in pointer fields
    // by a retrofit, test/e2e/memcached): the warnings are for C++.
    if (!Written || !CI.getLangOpts().CPlusPlus)
      return;
    if (K != "out")
      warn(DE, Warn::UnannotatedPointer, At->getLocation(),
           "'" + K + "' parameter '" + P->getName() + "' of type '" + Type +
               "' holds a pointer (" + C.Where +
               ") that is copied as is: the domain reads the caller's memory "
               "through it; pass the data it points to as its own parameter");
    if (K != "in")
      warn(DE, Warn::ReturnedPointer, At->getLocation(),
           "'" + K + "' parameter '" + P->getName() + "' of type '" + Type +
               "' holds a pointer (" + C.Where +
               ") that may point into the domain after the copy back; after "
               "a fault its memory is discarded");
  }

  /// Marks \p CountParam as the count named \p Count (the pass looks the
  /// names up among the marked parameters).
  void markCount(ParmVarDecl *CountParam, llvm::StringRef Count) {
    std::string Marker =
        sdrad::AnnotationText(ann::Count).add(key::Name, Count).str();
    for (auto *A : CountParam->specific_attrs<AnnotateAttr>())
      if (A->getAnnotation() == Marker)
        return;
    CountParam->addAttr(AnnotateAttr::Create(
        CI.getASTContext(), Marker, nullptr, 0, CountParam->getSourceRange()));
  }

  /// Marks the counts of a specialization instantiated before its pattern
  /// was checked (a generic lambda called in the body that defines it).
  void markCounts(FunctionDecl *FD) {
    for (ParmVarDecl *P : FD->parameters())
      for (auto &[A, An] : annotations(P)) {
        llvm::StringRef Count = An.get(key::Count);
        if (!isParamKind(An.Kind) || Count.empty() || llvm::isDigit(Count[0]))
          continue;
        for (ParmVarDecl *Q : FD->parameters())
          if (Q->getName() == Count && Q->getType()->isIntegerType())
            markCount(Q, Count);
      }
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

  /// -fplugin-arg-sdrad-W<option>: a -W<option> for the plugin's warnings
  /// (e.g. -fplugin-arg-sdrad-Wno-sdrad-returned-pointer).
  bool ParseArgs(const CompilerInstance &CI,
                 const std::vector<std::string> &Args) override {
    for (llvm::StringRef A : Args) {
      if (A.consume_front("W")) {
        pluginWarningOptions().push_back(A.str());
        continue;
      }
      error(CI.getDiagnostics(), SourceLocation(),
            "unknown argument '" + A +
                "' for the sdrad plugin (-fplugin-arg-sdrad-...); expected "
                "W<warning option>, e.g. Wno-sdrad-returned-pointer");
      return false;
    }
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
#define SDRAD_REGISTER_PARAM(K)                                                \
  static ParsedAttrInfoRegistry::Add<ParamAttrInfo<ParamKind::K>> X##K(      \
      ParamAttrInfo<ParamKind::K>::Info.Spellings[0].NormalizedFullName,     \
      ParamAttrInfo<ParamKind::K>::Info.Help);
SDRAD_REGISTER_PARAM(In)
SDRAD_REGISTER_PARAM(Out)
SDRAD_REGISTER_PARAM(InOut)
SDRAD_REGISTER_PARAM(String)
SDRAD_REGISTER_PARAM(Shared)
#undef SDRAD_REGISTER_PARAM
static FrontendPluginRegistry::Add<IsolateAction>
    XAction("sdrad", "SDRaD-C++: [[sdrad::isolate]] checks and pass");
