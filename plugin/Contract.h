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

namespace sdrad {

// Annotation strings written by the frontend.
//   function:  "sdrad.isolate;domain=NAME;policy=P;value=V;okif=PRED V"
//                                                              args: {&fallback}
//   parameter: "sdrad.in;count=C" (out, inout;copyback=if-ok,returned)
//                                                              args: {sizeof *p}
//              "sdrad.string", "sdrad.shared"
//   count:     "sdrad.count;name=N" on an integer parameter used as a count
//   result:    "sdrad.retcopy"   args: {&copy_out, &destroy, &make_default}
//   rethrow:   "sdrad.rethrow"   args: {&run_catching, &throw_fault}
constexpr const char *AnnIsolate = "sdrad.isolate";
constexpr const char *AnnPrefix = "sdrad.";

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
// object: "SIZE;PACK;MAKE;DESTROY", symbols of i64 size(ptr obj) and void
// pack(ptr obj, ptr dst) (called in the caller: pack writes size() bytes
// into the domain's zero-filled copy), void make(ptr slot, ptr copy, i64 n)
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

} // namespace sdrad

#endif
