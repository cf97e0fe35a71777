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
//   function:  "sdrad.isolate;domain=NAME;policy=P;value=V"   args: {&fallback}
//   parameter: "sdrad.in;count=C" (out, inout)                 args: {sizeof *p}
//              "sdrad.string", "sdrad.shared"
//   count:     "sdrad.count;name=N" on an integer parameter used as a count
constexpr const char *AnnIsolate = "sdrad.isolate";
constexpr const char *AnnPrefix = "sdrad.";

// The IR contract (function attributes).
constexpr const char *AttrDomain = "sdrad-domain";
constexpr const char *AttrPolicy = "sdrad-policy";
/// System-call policy of the domain: "eperm" or "any" (absent: default).
constexpr const char *AttrSyscalls = "sdrad-syscalls";
constexpr const char *AttrFallback = "sdrad-fallback";
constexpr const char *AttrFallbackValue = "sdrad-fallback-value";
// The IR contract (parameter attributes).
constexpr const char *AttrIn = "sdrad-in";
constexpr const char *AttrOut = "sdrad-out";
constexpr const char *AttrInOut = "sdrad-inout";
constexpr const char *AttrString = "sdrad-string";
constexpr const char *AttrShared = "sdrad-shared";
constexpr const char *AttrElemSize = "sdrad-elem-size";
// Markers the pass leaves on what it generated.
constexpr const char *AttrThunk = "sdrad-thunk";
constexpr const char *AttrBody = "sdrad-body";
constexpr const char *AttrEntry = "sdrad-entry";

} // namespace sdrad

#endif
