//===- SDRaDIsolate.h - The sdrad-isolate module pass ----------*- C++ -*-===//
//
// Turns every function carrying the "sdrad-domain" attribute into a domain
// entry thunk that follows the contract in runtime/include/sdrad/abi.h; the
// original body moves to an internal function run by __sdrad_call.
//
//===----------------------------------------------------------------------===//
#ifndef SDRAD_PLUGIN_SDRADISOLATE_H
#define SDRAD_PLUGIN_SDRADISOLATE_H

#include "llvm/IR/PassManager.h"

namespace sdrad {

class IsolatePass : public llvm::PassInfoMixin<IsolatePass> {
public:
  llvm::PreservedAnalyses run(llvm::Module &M, llvm::ModuleAnalysisManager &);
  // The pass changes what the program does; it must run at -O0 too.
  static bool isRequired() { return true; }
};

} // namespace sdrad

#endif
