//===- LLVMCompat.h - LLVM API differences between LLVM 16 and 22 -*- C++ -*-===//
//
// The plugin builds against LLVM 16 to 22.  Where the LLVM API the pass
// uses differs between those versions, it calls the function here, so that
// SDRaDIsolate.cpp and SDRaDPlugin.cpp read the same for each of them.
//
//===----------------------------------------------------------------------===//

#ifndef SDRAD_PLUGIN_LLVMCOMPAT_H
#define SDRAD_PLUGIN_LLVMCOMPAT_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/IR/MDBuilder.h"
#include "llvm/Support/Compiler.h"
#include "llvm/Support/xxhash.h"

#include <cstdint>

// Exported entry points (llvmGetPassPluginInfo); LLVM 17 named it.
#ifndef LLVM_ATTRIBUTE_VISIBILITY_DEFAULT
#define LLVM_ATTRIBUTE_VISIBILITY_DEFAULT __attribute__((visibility("default")))
#endif

namespace sdrad::compat {

/// The 64-bit hash that shortens long domain names: XXH3 (LLVM 17 on).
/// LLVM 16 has only XXH64, so a plugin built against LLVM 16 gives a long
/// name another hash than one built against a newer LLVM (docs/plugin.md):
/// objects of one program must be compiled by one plugin build.
inline uint64_t domainNameHash(llvm::StringRef Name) {
#if LLVM_VERSION_MAJOR >= 17
  return llvm::xxh3_64bits(Name);
#else
  return llvm::xxHash64(Name);
#endif
}

/// Branch weights that say "almost always taken" / "almost never taken":
/// MDBuilder::create{Likely,Unlikely}BranchWeights (LLVM 19 on), spelled
/// out with the same weights for older LLVM.
inline llvm::MDNode *likelyBranchWeights(llvm::MDBuilder &MDB) {
#if LLVM_VERSION_MAJOR >= 19
  return MDB.createLikelyBranchWeights();
#else
  return MDB.createBranchWeights((1U << 20) - 1, 1);
#endif
}

inline llvm::MDNode *unlikelyBranchWeights(llvm::MDBuilder &MDB) {
#if LLVM_VERSION_MAJOR >= 19
  return MDB.createUnlikelyBranchWeights();
#else
  return MDB.createBranchWeights(1, (1U << 20) - 1);
#endif
}

} // namespace sdrad::compat

#endif // SDRAD_PLUGIN_LLVMCOMPAT_H
