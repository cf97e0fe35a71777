//===- Contract.h - Names shared by the SDRaD frontend and pass -*- C++ -*-===//
//
// The frontend half of the plugin (SDRaDAttributes.cpp) talks to the pass
// (SDRaDIsolate.cpp) only through IR.  Clang can attach plugin data to IR only
// as `annotate` attributes, so the frontend writes annotations and the pass
// first lowers them into the documented IR contract (string attributes, see
// docs/plugin.md), which hand-written IR uses directly.
//
//===----------------------------------------------------------------------===//
#ifndef SDRAD_PLUGIN_CONTRACT_H
#define SDRAD_PLUGIN_CONTRACT_H

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace sdrad {

//===----------------------------------------------------------------------===//
// Annotation strings written by the frontend, read by the pass:
//   "sdrad.KIND;key=value;key=value", with annotate() arguments.
//===----------------------------------------------------------------------===//
constexpr const char *AnnPrefix = "sdrad.";
constexpr const char *AnnIsolate = "sdrad.isolate";

/// The KIND part.
namespace ann {
//   function:  isolate;domain=NAME;policy=P;value=V;okif=PRED V;shared=1;
//              rethrow=1;this=M;syscalls=S                args: {&fallback}
constexpr const char *Isolate = "isolate";
//   function:  settings;timeout_ms=N;heap_limit=BYTES;init=I;init_name=F;
//              on_discard=J;on_discard_name=G
//              args: the functions, I and J their indices (per-domain
//              settings: sdrad_set_timeout & co. at registration)
constexpr const char *Settings = "settings";
//   parameter: in;count=C[;copyback=if-ok,returned][;deep=1]
//              args: {sizeof *p[, data, size, make, destroy]}
constexpr const char *In = "in";
constexpr const char *Out = "out";
constexpr const char *InOut = "inout";
constexpr const char *String = "string";
constexpr const char *Shared = "shared";
//   count:     count;name=N on an integer parameter used as a count
constexpr const char *Count = "count";
//   function:  retshared (sdrad::shared on a function)
constexpr const char *RetShared = "retshared";
//   result:    retcopy   args: {&copy_out, &destroy, &make_default}
constexpr const char *RetCopy = "retcopy";
//   rethrow:   rethrow   args: {&run_catching, &throw_fault}
constexpr const char *Rethrow = "rethrow";
//   member:    this;mode=M;size=N
constexpr const char *This = "this";
} // namespace ann

/// The keys.
namespace key {
constexpr const char *Domain = "domain", *Policy = "policy", *Value = "value",
                     *OkIf = "okif", *Shared = "shared", *Rethrow = "rethrow",
                     *This = "this", *Syscalls = "syscalls", *Count = "count",
                     *CopyBack = "copyback", *Deep = "deep", *Name = "name",
                     *Mode = "mode", *Size = "size", *ByValue = "byvalue",
                     *TimeoutMs = "timeout_ms", *HeapLimit = "heap_limit",
                     *Init = "init", *OnDiscard = "on_discard",
                     // the functions' names, for the frontend's checks
                     *InitName = "init_name", *OnDiscardName = "on_discard_name";
} // namespace key

/// Policy names (annotation and "sdrad-policy").
constexpr const char *PolicyIntegrity = "integrity";
constexpr const char *PolicyConfidentiality = "confidentiality";

/// A parsed "sdrad.KIND;key=value;..." annotation.
struct Annotation {
  llvm::StringRef Kind;
  llvm::SmallVector<std::pair<llvm::StringRef, llvm::StringRef>, 4> Fields;

  llvm::StringRef get(llvm::StringRef Key) const {
    for (auto &[K, V] : Fields)
      if (K == Key)
        return V;
    return {};
  }
  bool is(const char *K) const { return Kind == K; }
};

/// Parses \p S; std::nullopt if it is not one of ours.
inline std::optional<Annotation> parseAnnotation(llvm::StringRef S) {
  if (!S.consume_front(AnnPrefix))
    return std::nullopt;
  llvm::SmallVector<llvm::StringRef, 4> Parts;
  S.split(Parts, ';');
  Annotation A;
  A.Kind = Parts[0];
  for (llvm::StringRef P : llvm::drop_begin(Parts))
    A.Fields.push_back(P.split('='));
  return A;
}

/// Builds "sdrad.KIND;key=value;...".
class AnnotationText {
  std::string S;

public:
  explicit AnnotationText(const char *Kind) : S(AnnPrefix) { S += Kind; }
  /// Adds key=value (nothing when \p Value is empty).
  AnnotationText &add(const char *Key, llvm::StringRef Value) {
    if (!Value.empty())
      S.append(";").append(Key).append("=").append(Value.str());
    return *this;
  }
  const std::string &str() const { return S; }
};

// The IR contract (function attributes).
constexpr const char *AttrDomain = "sdrad-domain";
constexpr const char *AttrPolicy = "sdrad-policy";
/// System-call policy of the domain: "eperm" or "any" (absent: default).
constexpr const char *AttrSyscalls = "sdrad-syscalls";
constexpr const char *AttrFallback = "sdrad-fallback";
constexpr const char *AttrFallbackValue = "sdrad-fallback-value";
constexpr const char *AttrOkIf = "sdrad-ok-if"; // "<icmp predicate> <int|null>"
// A result that owns memory (sret): void copy(ptr dst, ptr src) run in the
// caller after success, void destroy(ptr) run in the domain afterwards,
// void make_default(ptr) for the failure result without a fallback.
constexpr const char *AttrResultCopy = "sdrad-result-copy";
constexpr const char *AttrResultDestroy = "sdrad-result-destroy";
constexpr const char *AttrResultDefault = "sdrad-result-default";
// rethrow: a failed call throws in the caller.  "sdrad-rethrow-run" is
// i32 run(ptr entry, ptr blk, ptr what) run in the domain around the entry
// (1: an exception escaped, what() copied), "sdrad-rethrow-throw" is
// void throw(ptr domain, ptr what_or_null), noreturn, run in the caller.
constexpr const char *AttrRethrow = "sdrad-rethrow";
constexpr const char *AttrRethrowRun = "sdrad-rethrow-run";
constexpr const char *AttrRethrowThrow = "sdrad-rethrow-throw";
constexpr unsigned RethrowWhatSize = 256; // sdrad::detail::what_size
// The IR contract (parameter attributes).
constexpr const char *AttrIn = "sdrad-in";
constexpr const char *AttrOut = "sdrad-out";
constexpr const char *AttrInOut = "sdrad-inout";
constexpr const char *AttrString = "sdrad-string";
constexpr const char *AttrShared = "sdrad-shared";
constexpr const char *AttrElemSize = "sdrad-elem-size";
constexpr const char *AttrCopyBack = "sdrad-copy-back"; // "if-ok", "returned"
// With "sdrad-in"="1" or "sdrad-inout"="1": a deep copy of one C++
// object: "SIZE;PACK;MAKE;DESTROY", symbols of i64 size(ptr obj) and i32
// pack(ptr obj, ptr dst, i64 n) (called in the caller: pack writes the n =
// size() bytes into the domain's zero-filled copy, never more, and returns
// non-zero if the object no longer has that size: the call then fails),
// void make(ptr slot, ptr copy, i64 n)
// and void destroy(ptr slot) (called in the domain: the body gets the
// slot; an in object is destroyed after the body); "sdrad-elem-size" is
// the object's size.
constexpr const char *AttrInDeep = "sdrad-in-deep";
// With "sdrad-out"="1" or "sdrad-inout"="1": an object that owns memory,
// copied back: "DEFAULT;ASSIGN;DESTROY", void make_default(ptr slot) (in
// the domain, out only), void assign(ptr caller_obj, ptr slot) (in the
// caller after a successful call, if_ok respected), void destroy(ptr slot)
// (in the domain, after the copy back or when an exception leaves the
// body).
constexpr const char *AttrOutDeep = "sdrad-out-deep";
// A class passed by value in memory (a byval argument) and deep-copied in
// has "sdrad-in"="1" and "sdrad-in-deep" on that argument: the entry
// passes the domain's object in its place.
// A class passed by value in registers (std::string_view, std::span) and
// deep-copied in: on its first IR argument, with "sdrad-in"="1" and
// "sdrad-in-deep", "N@OFF,N@OFF,..." lists the IR arguments that hold its
// bytes and their offsets in the object; the others carry
// "sdrad-in-part".  The thunk rebuilds the object from them, the entry
// passes the domain's object's bytes in their place.
constexpr const char *AttrInParts = "sdrad-in-parts";
constexpr const char *AttrInPart = "sdrad-in-part";
// Markers the pass leaves on what it generated.
constexpr const char *AttrThunk = "sdrad-thunk";
constexpr const char *AttrBody = "sdrad-body";
constexpr const char *AttrEntry = "sdrad-entry";
// Per-domain settings (issue 14): "sdrad-timeout-ms" and "sdrad-heap-limit"
// are decimal integers > 0 (milliseconds, bytes); "sdrad-init" and
// "sdrad-on-discard" name `void fn(void)` functions.  Registered with
// __sdrad_domain_handle_with (sdrad/abi.h).
constexpr const char *AttrTimeoutMs = "sdrad-timeout-ms";
constexpr const char *AttrHeapLimit = "sdrad-heap-limit";
constexpr const char *AttrInit = "sdrad-init";
constexpr const char *AttrOnDiscard = "sdrad-on-discard";

/// Every function attribute of the contract: the body and the finished
/// thunk carry none of them.
constexpr const char *ContractFnAttrs[] = {
    AttrDomain,        AttrPolicy,        AttrSyscalls,      AttrFallback,
    AttrFallbackValue, AttrOkIf,          AttrResultCopy,    AttrResultDestroy,
    AttrResultDefault, AttrRethrow,       AttrRethrowRun,    AttrRethrowThrow,
    AttrTimeoutMs,     AttrHeapLimit,     AttrInit,          AttrOnDiscard};
/// Every parameter attribute of the contract.
constexpr const char *ContractParamAttrs[] = {
    AttrIn,       AttrOut,      AttrInOut,  AttrString,
    AttrShared,   AttrElemSize, AttrCopyBack, AttrInDeep,
    AttrOutDeep,  AttrInParts,  AttrInPart};

} // namespace sdrad

#endif
