//===- SDRaDPlugin.cpp - Pass plugin entry point --------------------------===//
//
// Registers sdrad-isolate with the new pass manager.  The pass runs at the
// very start of every module pipeline (-O0 to -O3, and the pre-link half of
// -flto / -flto=thin), before any inlining or interprocedural optimisation
// can look through an isolated function.  It is registered again at the
// start of full LTO for IR that was produced without it; it is idempotent,
// so a second run finds nothing left to do.
//
//===----------------------------------------------------------------------===//

#include "LLVMCompat.h"
#include "SDRaDIsolate.h"

#include "llvm/Passes/PassBuilder.h"
// LLVM 22 moved PassPlugin.h from Passes/ to Plugins/.
#if __has_include("llvm/Plugins/PassPlugin.h")
#include "llvm/Plugins/PassPlugin.h"
#else
#include "llvm/Passes/PassPlugin.h"
#endif

using namespace llvm;

static void registerCallbacks(PassBuilder &PB) {
  PB.registerPipelineStartEPCallback(
      [](ModulePassManager &MPM, OptimizationLevel) {
        MPM.addPass(sdrad::IsolatePass());
      });
  PB.registerFullLinkTimeOptimizationEarlyEPCallback(
      [](ModulePassManager &MPM, OptimizationLevel) {
        MPM.addPass(sdrad::IsolatePass());
      });
  PB.registerPipelineParsingCallback(
      [](StringRef Name, ModulePassManager &MPM,
         ArrayRef<PassBuilder::PipelineElement>) {
        if (Name != "sdrad-isolate")
          return false;
        MPM.addPass(sdrad::IsolatePass());
        return true;
      });
}

extern "C" LLVM_ATTRIBUTE_VISIBILITY_DEFAULT PassPluginLibraryInfo llvmGetPassPluginInfo() {
  return {LLVM_PLUGIN_API_VERSION, "SDRaDPlugin", "0.1", registerCallbacks};
}
