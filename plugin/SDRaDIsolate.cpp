//===- SDRaDIsolate.cpp - Domain entry thunks for isolated functions -----===//
//
// Two steps:
//
//  1. Lowering.  The frontend can only reach the IR through `annotate`
//     attributes (llvm.global.annotations for functions, llvm.var.annotation
//     calls for parameters).  They are turned into the IR contract of
//     docs/plugin.md: "sdrad-domain", "sdrad-policy", "sdrad-fallback",
//     "sdrad-fallback-value" on the function, "sdrad-in"/"-out"/"-inout"
//     (count: a constant or "argN"), "sdrad-elem-size", "sdrad-string",
//     "sdrad-shared" on its parameters, and the domain's settings
//     ("sdrad-timeout-ms", "sdrad-heap-limit", "sdrad-init",
//     "sdrad-on-discard").  Hand-written IR starts here.  Anything the pass
//     does not know (a kind, a policy, a count) is an error at the function,
//     never a default.
//
//  2. Isolation.  For each definition F with "sdrad-domain":
//       F.sdrad_body   internal, noinline, sspstrong: F's original body
//       F.sdrad_entry  void(ptr blk): unpacks the block, calls the body,
//                      stores the result in the block
//       F              the thunk: keeps the symbol, linkage, visibility,
//                      calling convention and ABI attributes, and runs the
//                      call sequence of sdrad/abi.h.
//
//===----------------------------------------------------------------------===//

#include "SDRaDIsolate.h"
#include "Contract.h"
#include "LLVMCompat.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/Statistic.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DataLayout.h"
#include "llvm/IR/DerivedTypes.h"
#include "llvm/IR/DiagnosticInfo.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/Transforms/Utils/ModuleUtils.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/MDBuilder.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Debug.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"

#include <optional>

#define DEBUG_TYPE "sdrad-isolate"

using namespace llvm;

STATISTIC(NumThunks, "Isolated functions turned into domain entry thunks");
STATISTIC(NumCopies, "Argument copies made by thunks");
STATISTIC(NumLowered, "Frontend annotations lowered to the IR contract");

namespace {

constexpr unsigned AbiVersion = 1;  // SDRAD_ABI_VERSION
constexpr unsigned MaxDomainName = 63; // the runtime keeps names < 64 bytes
constexpr uint64_t BlockAlign = 16; // __sdrad_block_alloc's alignment
constexpr uint64_t MaxInlineBlock = 4096; // SDRAD_MAX_INLINE_BLOCK (abi.h)
/// SDRAD_CARRIED_CANARY (abi.h): the word after a buffer carried in the
/// block.  Its low byte is NUL, so a string overflow cannot rewrite it.
constexpr uint64_t CarriedCanary = 0x5d4ad0c0a75afe00ULL;
/// Room past the largest block for the padding stores after the last
/// carried buffer (see emitCarried).
constexpr uint64_t CarrySlack = 32;

//===----------------------------------------------------------------------===//
// Step 1: annotations -> IR contract
//===----------------------------------------------------------------------===//

/// An error at \p F: with clang, a diagnostic at the function's source
/// location (clang maps the function back to its declaration); with opt,
/// an error naming the function.  Either way the compile fails.
void diagnoseError(const Function &F, const Twine &Msg) {
  F.getContext().diagnose(DiagnosticInfoUnsupported(
      F, "sdrad-isolate: " + Msg, DiagnosticLocation(F.getSubprogram())));
}

/// The C string a `ptr @.str` annotation operand points to.
std::optional<StringRef> annotationString(Value *V) {
  auto *GV = dyn_cast<GlobalVariable>(V->stripPointerCasts());
  if (!GV || !GV->hasInitializer())
    return std::nullopt;
  auto *CDA = dyn_cast<ConstantDataArray>(GV->getInitializer());
  if (!CDA || !CDA->isCString())
    return std::nullopt;
  return CDA->getAsCString();
}

/// Operand \p I of an annotation argument struct (`ptr @.args`).
Constant *annotationArg(Value *V, unsigned I) {
  auto *GV = dyn_cast<GlobalVariable>(V->stripPointerCasts());
  if (!GV || !GV->hasInitializer())
    return nullptr;
  auto *CS = dyn_cast<ConstantStruct>(GV->getInitializer());
  if (!CS || I >= CS->getNumOperands())
    return nullptr;
  return CS->getOperand(I);
}

using sdrad::Annotation;
using sdrad::parseAnnotation;
namespace ann = sdrad::ann;
namespace key = sdrad::key;

void applyIsolateAnnotation(Function &F, const Annotation &A, Value *Args) {
  if (F.hasFnAttribute(sdrad::AttrDomain))
    return; // duplicate (declaration and definition both annotated)
  LLVM_DEBUG(dbgs() << "sdrad-isolate: " << F.getName() << ": domain '"
                    << A.get(key::Domain) << "', policy "
                    << A.get(key::Policy) << "\n");
  ++NumLowered;
  F.addFnAttr(sdrad::AttrDomain, A.get(key::Domain));
  F.addFnAttr(sdrad::AttrPolicy, A.get(key::Policy));
  if (StringRef V = A.get(key::Value); !V.empty())
    F.addFnAttr(sdrad::AttrFallbackValue, V);
  if (StringRef V = A.get(key::OkIf); !V.empty())
    F.addFnAttr(sdrad::AttrOkIf, V);
  if (A.get(key::Rethrow) == "1")
    F.addFnAttr(sdrad::AttrRethrow);
  if (StringRef V = A.get(key::Syscalls); !V.empty())
    F.addFnAttr(sdrad::AttrSyscalls, V);
  if (Constant *FB = annotationArg(Args, 0)) {
    auto *FBF = dyn_cast<Function>(FB->stripPointerCasts());
    if (!FBF)
      diagnoseError(F, "the fallback of the sdrad.isolate annotation is not "
                       "a function");
    else
      F.addFnAttr(sdrad::AttrFallback, FBF->getName());
  }
}

/// "sdrad.this;mode=M;size=N": `this` (the first argument that is not
/// sret) crosses like a pointer parameter to one N-byte object.
void applyThisAnnotation(Function &F, const Annotation &A) {
  Argument *This = nullptr;
  for (Argument &Arg : F.args())
    if (!Arg.hasStructRetAttr()) {
      This = &Arg;
      break;
    }
  StringRef Mode = A.get(key::Mode);
  if (!This || !This->getType()->isPointerTy() ||
      (Mode != "shared" && Mode != "in" && Mode != "inout")) {
    diagnoseError(F, "bad sdrad.this annotation (mode '" + Mode +
                         "'): needs a pointer first argument and mode in, "
                         "inout or shared");
    return;
  }
  unsigned No = This->getArgNo();
  LLVMContext &C = F.getContext();
  if (Mode == "shared") {
    F.addParamAttr(No, Attribute::get(C, sdrad::AttrShared));
    return;
  }
  F.addParamAttr(No, Attribute::get(C, Mode == "inout" ? sdrad::AttrInOut
                                                       : sdrad::AttrIn,
                                    "1"));
  F.addParamAttr(No, Attribute::get(C, sdrad::AttrElemSize, A.get(key::Size)));
}

/// The function operand \p I of an annotation's arguments, or null.
Function *annotationFunction(Value *Args, unsigned I) {
  Constant *C = Args ? annotationArg(Args, I) : nullptr;
  return C ? dyn_cast<Function>(C->stripPointerCasts()) : nullptr;
}

/// "sdrad.settings;timeout_ms=N;heap_limit=B;init=I;on_discard=J"
/// {functions}: the domain's settings, lowered to "sdrad-timeout-ms",
/// "sdrad-heap-limit", "sdrad-init" and "sdrad-on-discard" (checked, like
/// hand-written ones, when the thunk is made).
void applySettingsAnnotation(Function &F, const Annotation &A, Value *Args) {
  if (F.hasFnAttribute(sdrad::AttrTimeoutMs) ||
      F.hasFnAttribute(sdrad::AttrHeapLimit) ||
      F.hasFnAttribute(sdrad::AttrInit) || F.hasFnAttribute(sdrad::AttrOnDiscard))
    return; // duplicate (declaration and definition both annotated)
  ++NumLowered;
  for (auto [K, Attr] : {std::pair{key::TimeoutMs, sdrad::AttrTimeoutMs},
                         {key::HeapLimit, sdrad::AttrHeapLimit}})
    if (StringRef V = A.get(K); !V.empty())
      F.addFnAttr(Attr, V);
  for (auto [K, Attr] : {std::pair{key::Init, sdrad::AttrInit},
                         {key::OnDiscard, sdrad::AttrOnDiscard}}) {
    StringRef V = A.get(K);
    if (V.empty())
      continue;
    unsigned Idx;
    Function *Fn = V.getAsInteger(10, Idx) ? nullptr
                                           : annotationFunction(Args, Idx);
    // Never silently without it: an empty name is an error in planSettings.
    F.addFnAttr(Attr, Fn ? Fn->getName() : StringRef());
  }
}

/// "sdrad.retcopy" {&copy, &destroy, &make_default}: the result's
/// marshalling helpers (<sdrad/boundary.h>).
void applyResultCopyAnnotation(Function &F, Value *Args) {
  if (!Args)
    return;
  const char *Keys[] = {sdrad::AttrResultCopy, sdrad::AttrResultDestroy,
                        sdrad::AttrResultDefault};
  for (unsigned I = 0; I < 3; ++I)
    if (Function *HF = annotationFunction(Args, I))
      F.addFnAttr(Keys[I], HF->getName());
}

/// Moves our entries out of llvm.global.annotations into function
/// attributes.  Returns true if anything changed.
bool lowerGlobalAnnotations(Module &M) {
  GlobalVariable *GA = M.getNamedGlobal("llvm.global.annotations");
  if (!GA || !GA->hasInitializer())
    return false;
  auto *Arr = dyn_cast<ConstantArray>(GA->getInitializer());
  if (!Arr)
    return false;
  SmallVector<Constant *, 8> Keep;
  bool Changed = false;
  for (Use &U : Arr->operands()) {
    auto *Entry = cast<Constant>(U.get());
    auto *CS = dyn_cast<ConstantStruct>(Entry);
    std::optional<Annotation> A;
    if (CS && CS->getNumOperands() >= 2)
      if (auto Str = annotationString(CS->getOperand(1)))
        A = parseAnnotation(*Str);
    if (!A) {
      Keep.push_back(Entry);
      continue;
    }
    Changed = true;
    auto *F = dyn_cast<Function>(CS->getOperand(0)->stripPointerCasts());
    Value *Args = CS->getNumOperands() > 4 ? CS->getOperand(4) : nullptr;
    if (!F)
      continue;
    if (A->is(ann::Isolate))
      applyIsolateAnnotation(*F, *A, Args);
    else if (A->is(ann::Settings))
      applySettingsAnnotation(*F, *A, Args);
    else if (A->is(ann::Rethrow)) {
      for (unsigned I = 0; I < 2; ++I)
        if (Function *HF = annotationFunction(Args, I))
          F->addFnAttr(I ? sdrad::AttrRethrowThrow : sdrad::AttrRethrowRun,
                       HF->getName());
    } else if (A->is(ann::This))
      applyThisAnnotation(*F, *A);
    else if (A->is(ann::RetCopy))
      applyResultCopyAnnotation(*F, Args);
    else if (!A->is(ann::RetShared)) // retshared: for the frontend only
      diagnoseError(*F, "unknown annotation '" + *annotationString(
                            CS->getOperand(1)) + "'");
  }
  if (!Changed)
    return false;
  if (Keep.empty()) {
    GA->eraseFromParent();
    return true;
  }
  auto *Ty = ArrayType::get(Arr->getType()->getElementType(), Keep.size());
  auto *NewGA = new GlobalVariable(M, Ty, GA->isConstant(), GA->getLinkage(),
                                   ConstantArray::get(Ty, Keep), "", GA);
  NewGA->setSection(GA->getSection());
  NewGA->takeName(GA);
  GA->eraseFromParent();
  return true;
}

std::string typeName(const Function &F) {
  std::string S;
  raw_string_ostream OS(S);
  F.getReturnType()->print(OS);
  return S;
}

/// The argument whose value a parameter's alloca holds (clang stores each
/// parameter into its alloca in the entry block).
Argument *argumentStoredTo(Value *Slot) {
  Slot = Slot->stripPointerCasts();
  if (auto *A = dyn_cast<Argument>(Slot))
    return A;
  for (User *U : Slot->users())
    if (auto *SI = dyn_cast<StoreInst>(U))
      if (SI->getPointerOperand() == Slot)
        if (auto *A = dyn_cast<Argument>(SI->getValueOperand()))
          return A;
  return nullptr;
}

/// The arguments clang stores into the alloca of a class parameter passed
/// by value in registers (coerced: `store i64 %s.coerce0, ptr %s`, `store
/// ptr %s.coerce1, ptr (gep %s, 8)`), with their offsets; returns the first
/// (lowest-numbered) one, or null if the alloca is filled any other way.
Argument *argumentsStoredTo(Value *Slot, Function &F,
                            SmallVectorImpl<std::pair<Argument *, uint64_t>> &Parts) {
  const DataLayout &DL = F.getParent()->getDataLayout();
  Slot = Slot->stripPointerCasts();
  if (!isa<AllocaInst>(Slot))
    return nullptr;
  auto Stored = [&](Value *Ptr, uint64_t Off) {
    for (User *U : Ptr->users())
      if (auto *SI = dyn_cast<StoreInst>(U))
        if (SI->getPointerOperand() == Ptr)
          if (auto *A = dyn_cast<Argument>(SI->getValueOperand()))
            Parts.push_back({A, Off});
  };
  Stored(Slot, 0);
  for (User *U : Slot->users())
    if (auto *GEP = dyn_cast<GetElementPtrInst>(U)) {
      APInt Off(DL.getIndexTypeSizeInBits(GEP->getType()), 0);
      if (GEP->getPointerOperand() == Slot &&
          GEP->accumulateConstantOffset(DL, Off))
        Stored(GEP, Off.getZExtValue());
    }
  if (Parts.empty())
    return nullptr;
  llvm::sort(Parts, [](auto &X, auto &Y) {
    return X.first->getArgNo() < Y.first->getArgNo();
  });
  return Parts.front().first;
}

/// Turns the llvm.var.annotation calls the frontend left on parameters into
/// parameter attributes, and removes them.
bool lowerParamAnnotations(Function &F) {
  struct ParamAnn {
    Argument *Arg;
    Annotation A;
    uint64_t ElemSize;
    // deep in: size, pack, make, destroy; out: default, assign, destroy;
    // inout: the four, then the three
    Constant *Helpers[7];
    SmallVector<std::pair<Argument *, uint64_t>, 2> Parts; // by value
  };
  SmallVector<ParamAnn, 4> Params;
  StringMap<unsigned> CountArgs;
  SmallVector<Instruction *, 4> Dead;
  for (Instruction &I : instructions(F)) {
    auto *II = dyn_cast<IntrinsicInst>(&I);
    if (!II || II->getIntrinsicID() != Intrinsic::var_annotation)
      continue;
    auto Str = annotationString(II->getArgOperand(1));
    std::optional<Annotation> A = Str ? parseAnnotation(*Str) : std::nullopt;
    if (!A)
      continue;
    Dead.push_back(II);
    SmallVector<std::pair<Argument *, uint64_t>, 2> Parts;
    bool ByValue = A->get(key::ByValue) == "1";
    Argument *Arg = ByValue ? argumentsStoredTo(II->getArgOperand(0), F, Parts)
                            : argumentStoredTo(II->getArgOperand(0));
    if (ByValue && !Arg) // passed in memory: the byval argument itself
      if (auto *BV = dyn_cast<Argument>(
              II->getArgOperand(0)->stripPointerCasts());
          BV && BV->hasByValAttr())
        Arg = BV;
    if (A->is(ann::Count)) {
      if (Arg) // else: a count that is used is an error below
        CountArgs[A->get(key::Name)] = Arg->getArgNo();
      continue;
    }
    if (!Arg) {
      // Never passed as is for want of finding it.
      if (ByValue)
        diagnoseError(F, "cannot find the IR arguments of a class parameter "
                         "passed by value (" + *Str + "): neither registers "
                         "stored into its slot nor a byval argument; pass it "
                         "as a const reference instead (deep-copied in "
                         "the same way)");
      else if (F.hasFnAttribute(sdrad::AttrDomain))
        diagnoseError(F, "annotation '" + *Str + "' on something that is "
                                                 "not a parameter");
      continue;
    }
    uint64_t Elem = 1;
    bool Counted = A->is(ann::In) || A->is(ann::Out) || A->is(ann::InOut);
    if (auto *CI = dyn_cast_or_null<ConstantInt>(
            annotationArg(II->getArgOperand(4), 0)))
      Elem = CI->getZExtValue();
    else if (Counted && F.hasFnAttribute(sdrad::AttrDomain))
      diagnoseError(F, "annotation '" + *Str + "' without its element size");
    ParamAnn PA{Arg, *A, Elem, {}, Parts};
    for (unsigned I = 0; I < 7; ++I)
      PA.Helpers[I] = annotationArg(II->getArgOperand(4), I + 1);
    Params.push_back(PA);
  }
  for (Instruction *I : Dead)
    I->eraseFromParent();
  if (!F.hasFnAttribute(sdrad::AttrDomain))
    return !Dead.empty();
  for (ParamAnn &P : Params) {
    unsigned No = P.Arg->getArgNo();
    StringRef Kind = P.A.Kind;
    if (Kind == ann::String) {
      F.addParamAttr(No, Attribute::get(F.getContext(), sdrad::AttrString));
      continue;
    }
    if (Kind == ann::Shared) {
      F.addParamAttr(No, Attribute::get(F.getContext(), sdrad::AttrShared));
      continue;
    }
    const char *Attr = Kind == ann::In      ? sdrad::AttrIn
                       : Kind == ann::Out   ? sdrad::AttrOut
                       : Kind == ann::InOut ? sdrad::AttrInOut
                                            : nullptr;
    if (!Attr) {
      diagnoseError(F, "unknown annotation 'sdrad." + Kind + "' on parameter " +
                           Twine(No));
      continue;
    }
    StringRef Count = P.A.get(key::Count);
    std::string Spec = Count.str();
    if (!Count.empty() && !isDigit(Count[0])) {
      auto It = CountArgs.find(Count);
      if (It == CountArgs.end()) {
        // The frontend marks every count parameter it checked; a count
        // without its mark is a frontend bug, never a silent zero.
        diagnoseError(F, "count '" + Count + "' of parameter " + Twine(No) +
                             " not found among the parameters marked as "
                             "counts; the call cannot be isolated");
        continue;
      } else {
        Spec = "arg" + utostr(It->second);
      }
    }
    LLVM_DEBUG(dbgs() << "sdrad-isolate: " << F.getName() << ": parameter "
                      << No << ": " << Attr << "=" << Spec << ", "
                      << P.ElemSize << "-byte elements\n");
    ++NumLowered;
    F.addParamAttr(No, Attribute::get(F.getContext(), Attr, Spec));
    F.addParamAttr(No, Attribute::get(F.getContext(), sdrad::AttrElemSize,
                                      utostr(P.ElemSize)));
    if (StringRef CB = P.A.get(key::CopyBack); !CB.empty())
      F.addParamAttr(No,
                     Attribute::get(F.getContext(), sdrad::AttrCopyBack, CB));
    // Helper symbols From..From+N-1, ';'-separated.
    auto Names = [&](unsigned From, unsigned N) {
      std::string Out;
      for (unsigned I = From; I < From + N; ++I) {
        auto *H = dyn_cast_or_null<Function>(
            P.Helpers[I] ? P.Helpers[I]->stripPointerCasts() : nullptr);
        Out += (I > From ? ";" : "") + (H ? H->getName().str() : "");
      }
      return Out;
    };
    StringRef Deep = P.A.get(key::Deep);
    if (Deep == "1" || Deep == "inout")
      F.addParamAttr(No, Attribute::get(F.getContext(), sdrad::AttrInDeep,
                                        Names(0, 4)));
    if (Deep == "out" || Deep == "inout")
      F.addParamAttr(No, Attribute::get(F.getContext(), sdrad::AttrOutDeep,
                                        Names(Deep == "out" ? 0 : 4, 3)));
    if (!P.Parts.empty()) {
      std::string List;
      for (auto [PA, Off] : P.Parts) {
        List += (List.empty() ? "" : ",") + utostr(PA->getArgNo()) + "@" +
                utostr(Off);
        if (PA != P.Arg)
          F.addParamAttr(PA->getArgNo(),
                         Attribute::get(F.getContext(), sdrad::AttrInPart));
      }
      F.addParamAttr(No, Attribute::get(F.getContext(), sdrad::AttrInParts,
                                        List));
    }
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Step 2: the thunk
//===----------------------------------------------------------------------===//

enum class ArgKind { Value, ByVal, SRet, In, Out, InOut, String, Shared };

/// How one IR argument crosses into the domain.
struct ArgPlan {
  ArgKind Kind = ArgKind::Value;
  Type *SlotTy = nullptr;      // its field in the block
  std::optional<uint64_t> ConstCount;
  std::optional<unsigned> CountArg;
  uint64_t ElemSize = 1;
  Function *Deep[4] = {};      // deep in: size, pack, make, destroy
  Function *OutDeep[3] = {};   // deep out: make_default, assign, destroy
  unsigned LenField = 0, ObjField = 0; // deep: i64 length, the object
  SmallVector<std::pair<unsigned, uint64_t>, 2> Parts; // by value: args
  bool IsPart = false;         // bytes of another argument's object
  bool ByValDeep = false;      // deep in, passed by value in memory (byval)
  Value *Given = nullptr;      // thunk: deep object present (non-null)
  bool IfOk = false;           // copy back only if "sdrad-ok-if" holds
  bool Returned = false;       // copy back only as many as returned
  unsigned Field = 0;          // index in the block struct
  Value *Bytes = nullptr;      // thunk-side byte count (copies)
  Value *Copy = nullptr;       // thunk-side copy pointer (copies)
  Value *Carried = nullptr;    // thunk: i1, the buffer travels in the block
  Value *Off = nullptr, *Len = nullptr; // thunk: where, and its bytes

  bool isCopy() const {
    return Kind == ArgKind::In || Kind == ArgKind::Out ||
           Kind == ArgKind::InOut || Kind == ArgKind::String;
  }
  bool copiesBack() const {
    return Kind == ArgKind::Out || Kind == ArgKind::InOut;
  }
  bool isDeep() const { return Deep[0] || OutDeep[0]; }
  /// A buffer that may travel in the block (docs/abi.md, "Carried buffers").
  bool isCarriable() const { return isCopy() && !isDeep(); }
};

/// The runtime entry points of sdrad/abi.h.
struct RuntimeABI {
  StructType *RefTy;
  StructType *SettingsTy;
  FunctionCallee DomainHandle, DomainHandleWith, BlockAlloc, BlockFree, CopyIn, CopyString,
      Call, CallWith, CopiesEnd, CopyFault, RegisterEntries, StrNLen;
  /// struct __sdrad_copy_end { ptr copy, dst; i64 bytes; }
  StructType *CopyEndTy;

  explicit RuntimeABI(Module &M) {
    LLVMContext &C = M.getContext();
    Type *I64 = Type::getInt64Ty(C), *I32 = Type::getInt32Ty(C);
    Type *Ptr = PointerType::getUnqual(C), *Void = Type::getVoidTy(C);
    RefTy = StructType::getTypeByName(C, "struct.__sdrad_domain_ref");
    if (!RefTy)
      RefTy = StructType::create(C, {I64, Ptr, I32, I32},
                                 "struct.__sdrad_domain_ref");
    AttributeList NoUnwind = AttributeList::get(
        C, AttributeList::FunctionIndex, {Attribute::NoUnwind});
    auto Decl = [&](StringRef Name, Type *Ret, ArrayRef<Type *> Params) {
      return M.getOrInsertFunction(
          Name, FunctionType::get(Ret, Params, false), NoUnwind);
    };
    DomainHandle = Decl("__sdrad_domain_handle", I64, {Ptr});
    // struct __sdrad_domain_settings { u32 timeout_ms, reserved; u64
    // heap_limit; void (*init)(void), (*on_discard)(void); }
    SettingsTy = StructType::getTypeByName(C, "struct.__sdrad_domain_settings");
    if (!SettingsTy)
      SettingsTy = StructType::create(C, {I32, I32, I64, Ptr, Ptr},
                                      "struct.__sdrad_domain_settings");
    DomainHandleWith = Decl("__sdrad_domain_handle_with", I64, {Ptr, Ptr});
    BlockAlloc = Decl("__sdrad_block_alloc", Ptr, {I64, I64});
    BlockFree = Decl("__sdrad_block_free", Void, {I64, Ptr});
    CopyIn = Decl("__sdrad_copy_in", Ptr, {I64, Ptr, I64});
    CopyString = Decl("__sdrad_copy_string", Ptr, {I64, Ptr});
    Call = Decl("__sdrad_call", I32, {I64, Ptr, Ptr});
    CallWith = Decl("__sdrad_call_with", I32, {I64, Ptr, Ptr, I64});
    CopiesEnd = Decl("__sdrad_copies_end", I32, {I64, Ptr, I64});
    CopyFault = Decl("__sdrad_copy_fault", Void, {});
    cast<Function>(CopyFault.getCallee())->setDoesNotReturn();
    StrNLen = M.getOrInsertFunction("strnlen", FunctionType::get(I64, {Ptr, I64}, false));
    CopyEndTy = StructType::getTypeByName(C, "struct.__sdrad_copy_end");
    if (!CopyEndTy)
      CopyEndTy = StructType::create(C, {Ptr, Ptr, I64},
                                     "struct.__sdrad_copy_end");
    RegisterEntries = Decl("__sdrad_register_entries", I32, {Ptr, I64});
  }
};

std::string fileName(StringRef Path) {
  size_t Slash = Path.find_last_of('/');
  return (Slash == StringRef::npos ? Path : Path.substr(Slash + 1)).str();
}

/// The domain name: the one given, or the function's own symbol (made
/// unique per file for local symbols and shortened to fit the runtime).
std::string domainName(const Function &F) {
  std::string Name = F.getFnAttribute(sdrad::AttrDomain).getValueAsString().str();
  if (!Name.empty())
    return Name;
  Name = F.getName().str();
  if (F.hasLocalLinkage())
    Name += "@" + fileName(F.getParent()->getSourceFileName());
  if (Name.size() > MaxDomainName)
    Name = Name.substr(0, MaxDomainName - 17) + "#" +
           utohexstr(sdrad::compat::domainNameHash(Name), /*LowerCase=*/true, /*Width=*/16);
  return Name;
}


/// The "sdrad-policy" and "sdrad-syscalls" of \p F as
/// __sdrad_domain_ref.policy; std::nullopt (after an error) for a value that
/// is not one of the documented ones: never a silent default.
std::optional<unsigned> refPolicy(const Function &F) {
  StringRef Policy = F.getFnAttribute(sdrad::AttrPolicy).getValueAsString();
  std::optional<unsigned> P;
  if (Policy.empty() || Policy == sdrad::PolicyIntegrity)
    P = 0; // SDRAD_POLICY_INTEGRITY
  else if (Policy == sdrad::PolicyConfidentiality)
    P = 1; // SDRAD_POLICY_CONFIDENTIALITY
  if (!P) {
    diagnoseError(F, "unknown sdrad-policy '" + Policy +
                         "'; expected 'integrity' or 'confidentiality'");
    return std::nullopt;
  }
  // SDRAD_POLICY_SYSCALLS_EPERM / _ANY (sdrad/abi.h) in bits 8-11.
  StringRef Sys = F.getFnAttribute(sdrad::AttrSyscalls).getValueAsString();
  std::optional<unsigned> S;
  if (Sys.empty() || Sys == "default")
    S = 0;
  else if (Sys == "eperm")
    S = 1u << 8;
  else if (Sys == "any")
    S = 2u << 8;
  if (!S) {
    diagnoseError(F, "unknown sdrad-syscalls '" + Sys +
                         "'; expected 'default', 'eperm' or 'any'");
    return std::nullopt;
  }
  return *P | *S;
}


class Isolator {
  Module &M;
  LLVMContext &C;
  const DataLayout &DL;
  RuntimeABI RT;
  StringMap<GlobalVariable *> Refs;
  /// Every function a thunk passes to __sdrad_call(_with), with the
  /// domain reference it runs in (registered by registerEntries()).
  SmallVector<std::pair<Function *, GlobalVariable *>, 8> Entries;
  /// The current function's result helpers ("sdrad-result-*"), or null.
  struct {
    Function *Copy = nullptr, *Destroy = nullptr, *Default = nullptr;
    Function *Drop = nullptr; // F.sdrad_drop: destroy in the domain
  } Res;
  /// The thunk being emitted (emitThunk and its steps).
  struct {
    GlobalVariable *Ref = nullptr;
    StructType *BlockTy = nullptr;
    BasicBlock *EntryBB = nullptr, *FailBB = nullptr;
    Value *H = nullptr;   // the domain handle
    Value *Blk = nullptr; // the argument block
    bool Inline = false;  // in the frame, __sdrad_call_with
    bool Carry = false;   // buffers may travel in the block (Inline)
    Value *Tail = nullptr; // Carry: the block's bytes so far (i64)
    const ArgPlan *PlanBase = nullptr;
    Value *Result = nullptr; // the result slot, read after the call
    Value *Threw = nullptr;  // rethrow: an exception escaped the body (i1)
  } Th;
  MDBuilder MDB;
  /// Per domain reference: the settings of its functions (merged) and
  /// their constant (__sdrad_domain_settings).
  struct Settings {
    uint64_t TimeoutMs = 0, HeapLimit = 0;
    Function *Init = nullptr, *OnDiscard = nullptr;
    GlobalVariable *GV = nullptr;
  };
  DenseMap<GlobalVariable *, Settings> DomainSettings;
  /// The current function's rethrow helpers ("sdrad-rethrow-*"), or null.
  struct {
    Function *Run = nullptr, *Throw = nullptr;
    unsigned ExcField = 0, WhatField = 0; // i32, [256 x i8] in the block
  } Rt;

public:
  explicit Isolator(Module &M)
      : M(M), C(M.getContext()), DL(M.getDataLayout()), RT(M),
        MDB(M.getContext()) {}

  /// The domain reference of each function to isolate, with the settings
  /// its functions give ("sdrad-timeout-ms" & co.): values must agree
  /// within the module.  False after an error.
  bool planDomains(ArrayRef<Function *> Todo);
  bool isolate(Function &F);
  /// A constructor that registers each domain with settings at start-up,
  /// in root (only root may set them): __sdrad_domain_handle_with.
  void registerSettings();

private:
  GlobalVariable *domainRef(StringRef Name, unsigned Policy);
  DenseMap<Function *, GlobalVariable *> RefOf;
  bool readSettings(Function &F, Settings &S);
  bool mergeSettings(Function &F, Settings &Into, const Settings &S);

public:
  /// Emits the module's (entry, domain reference) table and a constructor
  /// that registers it with the runtime (__sdrad_register_entries): from
  /// inside a domain, a nested call may only name one of these.
  void registerEntries();

private:
  bool planArgs(Function &F, SmallVectorImpl<ArgPlan> &Plan);
  bool planDeep(Function &F, Argument &A, ArgPlan &P);
  bool planDeepByVal(Function &F, Argument &A, ArgPlan &P);
  /// Fills the block for a deep (owning-class) parameter; ORs into \p Lost
  /// whether a copy could not be made.
  void fillDeep(IRBuilder<> &B, Function &F, Argument &A, ArgPlan &P,
                Value *&Lost);
  Function *makeDrop(Function &F, StructType *BlockTy, ArrayRef<ArgPlan> Plan,
                     unsigned SRetField);
  Function *moveBody(Function &F);
  Function *makeEntry(Function &F, Function &Body, StructType *BlockTy,
                      ArrayRef<ArgPlan> Plan, bool HasRetField);
  /// Makes \p F the thunk: the call sequence of docs/abi.md, one step per
  /// member below, each leaving the builder where the next step starts.
  void emitThunk(Function &F, GlobalVariable *Ref, Function &Entry,
                 StructType *BlockTy, MutableArrayRef<ArgPlan> Plan,
                 bool HasRetField);
  /// h = ref.handle; if (h <= 0) h = __sdrad_domain_handle(&ref) (or
  /// __sdrad_domain_handle_with(&ref, &settings)); h < 0 fails.
  void emitHandle(IRBuilder<> &B);
  /// The argument block: zeroed in the frame (at most 4096 bytes), else
  /// __sdrad_block_alloc (NULL fails).
  void emitBlock(IRBuilder<> &B);
  /// Stores the arguments in the block and copies the buffers; a non-NULL
  /// buffer without a copy frees what was made and fails.
  void emitArguments(IRBuilder<> &B, Function &F,
                     MutableArrayRef<ArgPlan> Plan);
  /// One buffer's copy, stored in its field; returns "it was lost" (i1).
  Value *emitCopy(IRBuilder<> &B, Function &F, ArgPlan &P, Argument &A);
  /// The same for a buffer that fits in the rest of the block: it travels
  /// there (its field holds its offset, tagged), else as emitCopy.
  Value *emitCarried(IRBuilder<> &B, Function &F, ArgPlan &P, Argument &A);
  /// count * element size, saturated to SIZE_MAX on overflow.
  Value *emitByteCount(IRBuilder<> &B, Function &F, ArgPlan &P);
  /// __sdrad_call(_with), then __sdrad_copies_end of the copies; any
  /// non-zero status fails.  Leaves the builder in "success".
  void emitCall(IRBuilder<> &B, Function &F, Function &Entry,
                ArrayRef<ArgPlan> Plan, bool HasRetField);
  /// After a successful call: one __sdrad_copies_end for every copy (checks
  /// all canaries, copies out/inout back, frees), in one gate crossing.
  /// \p Back: copyBackTo of each parameter, if already computed.
  void emitCopiesEnd(IRBuilder<> &B, Function &F, ArrayRef<ArgPlan> Plan,
                     ArrayRef<std::pair<Value *, Value *>> Back = {});
  /// The same when buffers may be carried: __sdrad_copies_end of the
  /// copies that were not carried (if any), then the carried ones back.
  void emitCarriedEnd(IRBuilder<> &B, Function &F, ArrayRef<ArgPlan> Plan);
  /// Where and how much an out / inout buffer goes back after success
  /// ({NULL, 0} for in and strings; NULL too when it must not go back).
  std::pair<Value *, Value *> copyBackTo(IRBuilder<> &B, Function &F,
                                         const ArgPlan &P, Value *&Ok);
  /// rethrow: an exception that escaped the body is thrown in the caller.
  void emitRethrowCheck(IRBuilder<> &B, ArrayRef<ArgPlan> Plan);
  /// Copies out/inout back, the sret result, frees, returns the result.
  void emitSuccess(IRBuilder<> &B, Function &F, ArrayRef<ArgPlan> Plan,
                   bool HasRetField);
  /// __sdrad_block_free of every copy made (unless \p Copies is false:
  /// __sdrad_copies_end freed them) and of an allocated block.
  void emitFrees(IRBuilder<> &B, ArrayRef<ArgPlan> Plan, StringRef Name,
                 bool Copies = true);
  /// The block is built in the thunk's frame (__sdrad_call_with), so
  /// buffers may travel in it.
  bool blockInFrame(StructType *BlockTy) const {
    return DL.getTypeAllocSize(BlockTy) <= MaxInlineBlock && !Res.Drop;
  }
  MDNode *likely() { return sdrad::compat::likelyBranchWeights(MDB); }
  MDNode *unlikely() { return sdrad::compat::unlikelyBranchWeights(MDB); }
  void emitAlternate(IRBuilder<> &B, Function &F);
  static void ifNonNull(IRBuilder<> &B, Value *P, StringRef Name,
                        function_ref<void(IRBuilder<> &)> Then);
  static void ifTrue(IRBuilder<> &B, Value *Cond, StringRef Name,
                     function_ref<void(IRBuilder<> &)> Then);
  static Value *okIf(IRBuilder<> &B, Function &F, Value *Result);
  bool planResult(Function &F, ArrayRef<ArgPlan> Plan, StructType *BlockTy);
  bool planRethrow(Function &F);
  Function *makeCatchingEntry(Function &F, Function &Entry,
                              StructType *BlockTy);
  static Value *returnedBytes(IRBuilder<> &B, const ArgPlan &P,
                              Value *Result);
};

/// "sdrad-ok-if"="<icmp predicate> <integer or null>": the comparison of
/// the return value that makes a call successful for if-ok copy-backs.
struct OkIf {
  CmpInst::Predicate Pred;
  StringRef Value; // decimal integer or "null"
};

std::optional<OkIf> parseOkIf(const Function &F) {
  auto [Name, V] =
      F.getFnAttribute(sdrad::AttrOkIf).getValueAsString().split(' ');
  auto Pred = StringSwitch<std::optional<CmpInst::Predicate>>(Name)
                  .Case("eq", CmpInst::ICMP_EQ)
                  .Case("ne", CmpInst::ICMP_NE)
                  .Case("slt", CmpInst::ICMP_SLT)
                  .Case("sle", CmpInst::ICMP_SLE)
                  .Case("sgt", CmpInst::ICMP_SGT)
                  .Case("sge", CmpInst::ICMP_SGE)
                  .Case("ult", CmpInst::ICMP_ULT)
                  .Case("ule", CmpInst::ICMP_ULE)
                  .Case("ugt", CmpInst::ICMP_UGT)
                  .Case("uge", CmpInst::ICMP_UGE)
                  .Default(std::nullopt);
  Type *RetTy = F.getReturnType();
  APInt Ignored;
  bool IntOk = RetTy->isIntegerTy() && !V.getAsInteger(10, Ignored);
  bool PtrOk = Pred && RetTy->isPointerTy() && V == "null" &&
               (*Pred == CmpInst::ICMP_EQ || *Pred == CmpInst::ICMP_NE);
  if (!Pred || (!IntOk && !PtrOk))
    return std::nullopt;
  return OkIf{*Pred, V};
}

GlobalVariable *Isolator::domainRef(StringRef Name, unsigned Policy) {
  std::string Key = (Name + "/" + Twine(Policy)).str();
  if (GlobalVariable *GV = Refs.lookup(Key))
    return GV;
  IRBuilder<> B(C);
  Constant *Str = ConstantDataArray::getString(C, Name);
  auto *NameGV = new GlobalVariable(M, Str->getType(), true,
                                    GlobalValue::PrivateLinkage, Str,
                                    "__sdrad_domain_name." + Name);
  NameGV->setUnnamedAddr(GlobalValue::UnnamedAddr::Global);
  NameGV->setAlignment(Align(1));
  Constant *Init = ConstantStruct::get(
      RT.RefTy, {B.getInt64(0), NameGV, B.getInt32(Policy),
                 B.getInt32(AbiVersion)});
  auto *GV = new GlobalVariable(M, RT.RefTy, /*isConstant=*/false,
                                GlobalValue::InternalLinkage, Init,
                                "__sdrad_domain_ref." + Name);
  GV->setAlignment(Align(8));
  Refs[Key] = GV;
  return GV;
}

/// Reads the settings attributes of \p F (absent: 0 / null).
bool Isolator::readSettings(Function &F, Settings &S) {
  for (auto [Attr, Out, Max] :
       {std::tuple{sdrad::AttrTimeoutMs, &S.TimeoutMs, uint64_t(UINT32_MAX)},
        {sdrad::AttrHeapLimit, &S.HeapLimit, uint64_t(UINT64_MAX)}}) {
    if (!F.hasFnAttribute(Attr))
      continue;
    StringRef V = F.getFnAttribute(Attr).getValueAsString();
    if (V.getAsInteger(10, *Out) || *Out == 0 || *Out > Max) {
      diagnoseError(F, "bad " + Twine(Attr) + " '" + V +
                           "': expected a decimal integer from 1 to " +
                           Twine(Max));
      return false;
    }
  }
  for (auto [Attr, Out] : {std::pair{sdrad::AttrInit, &S.Init},
                           {sdrad::AttrOnDiscard, &S.OnDiscard}}) {
    if (!F.hasFnAttribute(Attr))
      continue;
    StringRef Name = F.getFnAttribute(Attr).getValueAsString();
    auto *Ty = FunctionType::get(Type::getVoidTy(C), false);
    Function *Fn = Name.empty() ? nullptr : M.getFunction(Name);
    if (!Fn && !Name.empty())
      Fn = Function::Create(Ty, GlobalValue::ExternalLinkage, Name, &M);
    if (!Fn || Fn->getFunctionType() != Ty) {
      diagnoseError(F, Twine(Attr) + " '" + Name +
                           "' must name a function of type void(void)");
      return false;
    }
    *Out = Fn;
  }
  return true;
}

/// Merges \p S into \p Into: a value given by two functions of the same
/// domain must be the same.
bool Isolator::mergeSettings(Function &F, Settings &Into, const Settings &S) {
  auto Merge = [&](auto &Have, auto Give, const char *What) {
    if (Give && Have && Have != Give) {
      diagnoseError(F, Twine("conflicting ") + What +
                           " for a domain it shares with an earlier "
                           "function of this module");
      return false;
    }
    if (Give)
      Have = Give;
    return true;
  };
  return Merge(Into.TimeoutMs, S.TimeoutMs, sdrad::AttrTimeoutMs) &&
         Merge(Into.HeapLimit, S.HeapLimit, sdrad::AttrHeapLimit) &&
         Merge(Into.Init, S.Init, sdrad::AttrInit) &&
         Merge(Into.OnDiscard, S.OnDiscard, sdrad::AttrOnDiscard);
}

bool Isolator::planDomains(ArrayRef<Function *> Todo) {
  bool Ok = true;
  for (Function *F : Todo) {
    if (F->isDeclaration() || F->hasAvailableExternallyLinkage())
      continue;
    std::optional<unsigned> Policy = refPolicy(*F);
    Settings S;
    if (!Policy || !readSettings(*F, S)) {
      Ok = false;
      continue;
    }
    GlobalVariable *Ref = domainRef(domainName(*F), *Policy);
    RefOf[F] = Ref;
    LLVM_DEBUG(dbgs() << "sdrad-isolate: " << F->getName() << ": settings "
                      << S.TimeoutMs << " ms, " << S.HeapLimit << " bytes, init "
                      << (S.Init ? S.Init->getName() : "-") << ", on_discard "
                      << (S.OnDiscard ? S.OnDiscard->getName() : "-") << "\n");
    Ok &= mergeSettings(*F, DomainSettings[Ref], S);
  }
  Type *Ptr = PointerType::getUnqual(C);
  for (auto &[Ref, S] : DomainSettings) {
    if (!S.TimeoutMs && !S.HeapLimit && !S.Init && !S.OnDiscard)
      continue;
    auto Fn = [&](Function *F) -> Constant * {
      return F ? static_cast<Constant *>(F) : ConstantPointerNull::get(
                                                  cast<PointerType>(Ptr));
    };
    Constant *Init = ConstantStruct::get(
        RT.SettingsTy,
        {ConstantInt::get(Type::getInt32Ty(C), S.TimeoutMs),
         ConstantInt::get(Type::getInt32Ty(C), 0),
         ConstantInt::get(Type::getInt64Ty(C), S.HeapLimit), Fn(S.Init),
         Fn(S.OnDiscard)});
    S.GV = new GlobalVariable(
        M, RT.SettingsTy, /*isConstant=*/true, GlobalValue::PrivateLinkage,
        Init, "__sdrad_domain_settings." +
                  Ref->getName().drop_front(strlen("__sdrad_domain_ref.")));
    S.GV->setAlignment(Align(8));
  }
  return Ok;
}

void Isolator::registerSettings() {
  SmallVector<std::pair<GlobalVariable *, GlobalVariable *>, 4> With;
  for (auto &[Ref, S] : DomainSettings)
    if (S.GV && !Ref->use_empty())
      With.push_back({Ref, S.GV});
  if (With.empty())
    return;
  Function *Ctor = Function::Create(
      FunctionType::get(Type::getVoidTy(C), false),
      GlobalValue::InternalLinkage, "sdrad.register_settings", &M);
  IRBuilder<> B(BasicBlock::Create(C, "entry", Ctor));
  // The result is the thunks' business: a conflict makes every call of
  // the domain through this module fail (and the runtime says why).
  for (auto &[Ref, GV] : With)
    B.CreateCall(RT.DomainHandleWith, {Ref, GV});
  B.CreateRetVoid();
  appendToGlobalCtors(M, Ctor, 65535);
}

void Isolator::registerEntries() {
  if (Entries.empty())
    return;
  Type *Ptr = PointerType::getUnqual(C);
  StructType *EntryTy = StructType::get(C, {Ptr, Ptr});
  SmallVector<Constant *, 8> Elems;
  for (auto &[E, R] : Entries)
    Elems.push_back(ConstantStruct::get(EntryTy, {E, R}));
  ArrayType *AT = ArrayType::get(EntryTy, Elems.size());
  auto *Table = new GlobalVariable(M, AT, /*isConstant=*/true,
                                   GlobalValue::PrivateLinkage,
                                   ConstantArray::get(AT, Elems),
                                   "__sdrad_entries");
  Function *Ctor = Function::Create(
      FunctionType::get(Type::getVoidTy(C), false),
      GlobalValue::InternalLinkage, "sdrad.register_entries", &M);
  IRBuilder<> B(BasicBlock::Create(C, "entry", Ctor));
  B.CreateCall(RT.RegisterEntries, {Table, B.getInt64(Elems.size())});
  B.CreateRetVoid();
  appendToGlobalCtors(M, Ctor, 65535);
}

std::optional<uint64_t> parseUInt(StringRef S) {
  uint64_t V;
  if (S.getAsInteger(0, V))
    return std::nullopt;
  return V;
}

/// Reads the parameter attributes of \p F into a plan per IR argument.
/// Whether "sdrad-fallback-value" (if any) is a constant of F's return
/// type: a decimal integer, a floating-point literal, or null for a
/// pointer.  emitAlternate relies on it.
bool validFallbackValue(const Function &F) {
  StringRef Text =
      F.getFnAttribute(sdrad::AttrFallbackValue).getValueAsString();
  if (Text.empty())
    return true;
  Type *RetTy = F.getReturnType();
  if (RetTy->isPointerTy())
    return Text == "null";
  if (RetTy->isIntegerTy()) {
    StringRef Digits = Text;
    Digits.consume_front("-");
    APInt V;
    return !Digits.getAsInteger(10, V);
  }
  double D;
  return RetTy->isFloatingPointTy() && !Text.getAsDouble(D);
}

bool Isolator::planArgs(Function &F, SmallVectorImpl<ArgPlan> &Plan) {
  if (!validFallbackValue(F)) {
    diagnoseError(F, "bad sdrad-fallback-value '" +
                         F.getFnAttribute(sdrad::AttrFallbackValue)
                             .getValueAsString() +
                         "' for return type " + Twine(typeName(F)));
    return false;
  }
  if (F.hasFnAttribute(sdrad::AttrOkIf) && !parseOkIf(F)) {
    diagnoseError(F, "bad sdrad-ok-if '" +
                         F.getFnAttribute(sdrad::AttrOkIf).getValueAsString() +
                         "' for return type " + Twine(typeName(F)));
    return false;
  }
  if (F.getReturnType()->isIntegerTy() &&
      F.getReturnType()->getIntegerBitWidth() > 64)
    for (Argument &A : F.args())
      if (F.getAttributes()
              .getParamAttr(A.getArgNo(), sdrad::AttrCopyBack)
              .isValid()) {
        diagnoseError(F, "a copy-back needs a return type of at most 64 bits");
        return false;
      }
  for (Argument &A : F.args()) {
    unsigned No = A.getArgNo();
    ArgPlan P;
    P.SlotTy = A.getType();
    auto Str = [&](const char *K) {
      return F.getAttributes().getParamAttr(No, K);
    };
    bool DeepByVal = A.hasByValAttr() && Str(sdrad::AttrIn).isValid() &&
                     Str(sdrad::AttrInDeep).isValid();
    if (A.hasByValAttr() && !DeepByVal) {
      P.Kind = ArgKind::ByVal;
      P.SlotTy = A.getParamByValType();
    } else if (A.hasStructRetAttr()) {
      P.Kind = ArgKind::SRet;
      P.SlotTy = A.getParamStructRetType();
    } else if (Str(sdrad::AttrString).isValid()) {
      P.Kind = ArgKind::String;
    } else if (Str(sdrad::AttrShared).isValid()) {
      P.Kind = ArgKind::Shared;
    } else {
      for (auto [Name, Kind] : {std::pair{sdrad::AttrIn, ArgKind::In},
                                {sdrad::AttrOut, ArgKind::Out},
                                {sdrad::AttrInOut, ArgKind::InOut}}) {
        Attribute At = Str(Name);
        if (!At.isValid())
          continue;
        P.Kind = Kind;
        StringRef Count = At.getValueAsString();
        if (Count.consume_front("arg")) {
          auto Idx = parseUInt(Count);
          if (!Idx || *Idx >= F.arg_size() ||
              !F.getArg(*Idx)->getType()->isIntegerTy()) {
            diagnoseError(F, "bad count 'arg" + Count + "' on parameter " +
                                 Twine(No));
            return false;
          }
          P.CountArg = *Idx;
        } else if (auto N = parseUInt(Count)) {
          P.ConstCount = *N;
        } else {
          diagnoseError(F, "bad count '" + Count + "' on parameter " +
                               Twine(No));
          return false;
        }
        if (auto E = parseUInt(
                Str(sdrad::AttrElemSize).getValueAsString()))
          P.ElemSize = *E;
        if (Attribute CB = Str(sdrad::AttrCopyBack); CB.isValid()) {
          SmallVector<StringRef, 2> Opts;
          CB.getValueAsString().split(Opts, ',', -1, false);
          for (StringRef O : Opts) {
            P.IfOk |= O == "if-ok";
            P.Returned |= O == "returned";
            if (O != "if-ok" && O != "returned") {
              diagnoseError(F, "unknown sdrad-copy-back '" + O +
                                   "' on parameter " + Twine(No));
              return false;
            }
          }
          if (!P.copiesBack()) {
            diagnoseError(F, "sdrad-copy-back on parameter " + Twine(No) +
                                 ", which is not out or inout");
            return false;
          }
          if (P.IfOk && !F.hasFnAttribute(sdrad::AttrOkIf)) {
            diagnoseError(F, "parameter " + Twine(No) +
                                 " is copied back if-ok, but the function "
                                 "has no sdrad-ok-if");
            return false;
          }
          if (P.Returned && !F.getReturnType()->isIntegerTy()) {
            diagnoseError(F, "parameter " + Twine(No) +
                                 " is copied back as returned, but the "
                                 "function does not return an integer");
            return false;
          }
        }
      }
    }
    if (!planDeep(F, A, P))
      return false;
    if (DeepByVal && !planDeepByVal(F, A, P))
      return false;
    if (A.hasInAllocaAttr() || A.hasPreallocatedAttr() ||
        A.hasSwiftErrorAttr() || A.hasAttribute(Attribute::SwiftSelf) ||
        A.hasAttribute(Attribute::SwiftAsync) || A.hasNestAttr()) {
      diagnoseError(F, "parameter " + Twine(No) +
                           " cannot be passed through an argument block");
      return false;
    }
    if (F.getAttributes().getParamAttr(No, sdrad::AttrInPart).isValid())
      P.IsPart = true;
    if (P.isCopy() && !A.getType()->isPointerTy() && P.Parts.empty()) {
      diagnoseError(F, "copy annotation on non-pointer parameter " +
                           Twine(No));
      return false;
    }
    Plan.push_back(P);
  }
  return true;
}

/// The deep-copy helpers of one parameter ("sdrad-in-deep",
/// "sdrad-out-deep", "sdrad-in-parts").  False after diagnosing.
bool Isolator::planDeep(Function &F, Argument &A, ArgPlan &P) {
  unsigned No = A.getArgNo();
  AttributeList AL = F.getAttributes();
  Attribute DI = AL.getParamAttr(No, sdrad::AttrInDeep);
  Attribute DO = AL.getParamAttr(No, sdrad::AttrOutDeep);
  Attribute DP = AL.getParamAttr(No, sdrad::AttrInParts);
  if (!DI.isValid() && !DO.isValid())
    return true;
  auto Lookup = [&](Attribute At, MutableArrayRef<Function *> Out) {
    SmallVector<StringRef, 4> Names;
    At.getValueAsString().split(Names, ';');
    for (unsigned I = 0; I < Out.size() && I < Names.size(); ++I)
      Out[I] = M.getFunction(Names[I]);
    return all_of(Out, [](Function *H) { return H != nullptr; });
  };
  bool InOk = !DI.isValid() || (P.Kind != ArgKind::Out && Lookup(DI, P.Deep));
  bool OutOk =
      !DO.isValid() || (P.Kind != ArgKind::In && Lookup(DO, P.OutDeep));
  if (!InOk || !OutOk || P.ConstCount != 1u ||
      (P.Kind == ArgKind::InOut && (!DI.isValid() || !DO.isValid())) ||
      (P.Kind == ArgKind::Out && !DO.isValid()) || P.Returned) {
    diagnoseError(F, "bad sdrad-in-deep/sdrad-out-deep on parameter " +
                         Twine(No) +
                         ": needs a count of \"1\", in: four functions of the "
                         "module, out: three, inout: both, and no 'returned'");
    return false;
  }
  if (Function *Pack = P.Deep[1]) {
    FunctionType *FT = Pack->getFunctionType();
    if (!FT->getReturnType()->isIntegerTy(32) || FT->getNumParams() != 3 ||
        !FT->getParamType(2)->isIntegerTy(64)) {
      diagnoseError(F, "the pack function '" + Pack->getName() +
                           "' of parameter " + Twine(No) +
                           " must be i32 (ptr obj, ptr dst, i64 n): it writes "
                           "at most n bytes and returns non-zero if the "
                           "object no longer has that size");
      return false;
    }
  }
  if (DP.isValid()) {
    SmallVector<StringRef, 2> Items;
    DP.getValueAsString().split(Items, ',');
    uint64_t Covered = 0;
    for (StringRef Item : Items) {
      auto [ArgNo, Off] = Item.split('@');
      auto N = parseUInt(ArgNo), O = parseUInt(Off);
      if (!N || !O || *N >= F.arg_size() || P.Kind != ArgKind::In) {
        diagnoseError(F, "bad sdrad-in-parts '" + DP.getValueAsString() +
                             "' on parameter " + Twine(No));
        return false;
      }
      P.Parts.push_back({unsigned(*N), *O});
      Covered = std::max(
          Covered, *O + DL.getTypeStoreSize(F.getArg(*N)->getType()));
    }
    if (Covered > P.ElemSize) {
      diagnoseError(F, "sdrad-in-parts on parameter " + Twine(No) +
                           " reach past the object's " + Twine(P.ElemSize) +
                           " bytes");
      return false;
    }
  }
  LLVM_DEBUG(dbgs() << "sdrad-isolate: " << F.getName() << ": parameter "
                    << No << ": deep copy" << (DI.isValid() ? " in" : "")
                    << (DO.isValid() ? " back" : "") << ", "
                    << P.ElemSize << "-byte object"
                    << (P.Parts.empty() ? "" : ", by value in parts") << "\n");
  return true;
}

/// A class passed by value in memory (byval) and deep-copied in: the
/// domain's object, in the block's 16-byte aligned storage, is passed in
/// place of the caller's, and the call copies its bytes into the body's
/// frame.  False after diagnosing.
bool Isolator::planDeepByVal(Function &F, Argument &A, ArgPlan &P) {
  Type *Ty = A.getParamByValType();
  uint64_t Size = DL.getTypeAllocSize(Ty);
  MaybeAlign Al = A.getParamAlign();
  if (P.Kind != ArgKind::In || !P.Parts.empty() || Size > P.ElemSize ||
      (Al && Al->value() > 16)) {
    diagnoseError(F, "byval parameter " + Twine(A.getArgNo()) +
                         " with sdrad-in-deep: needs sdrad-in, no "
                         "sdrad-in-parts, an sdrad-elem-size of at least its " +
                         Twine(Size) + " bytes and an alignment of at most 16");
    return false;
  }
  P.ByValDeep = true;
  return true;
}

/// Moves F's body into a new internal function and returns it.
Function *Isolator::moveBody(Function &F) {
  Function *Body = Function::Create(F.getFunctionType(),
                                    GlobalValue::InternalLinkage,
                                    F.getAddressSpace(),
                                    F.getName() + ".sdrad_body", &M);
  Body->copyAttributesFrom(&F);
  Body->setLinkage(GlobalValue::InternalLinkage);
  Body->setVisibility(GlobalValue::DefaultVisibility);
  Body->setDLLStorageClass(GlobalValue::DefaultStorageClass);
  Body->setUnnamedAddr(GlobalValue::UnnamedAddr::Global);
  Body->setComdat(F.getComdat());
  for (const char *K : sdrad::ContractFnAttrs)
    Body->removeFnAttr(K);
  Body->removeFnAttr(Attribute::AlwaysInline);
  Body->addFnAttr(Attribute::NoInline);
  if (!Body->hasFnAttribute(Attribute::StackProtectReq)) {
    Body->removeFnAttr(Attribute::StackProtect);
    Body->addFnAttr(Attribute::StackProtectStrong);
  }
  Body->addFnAttr(sdrad::AttrBody);
  for (unsigned I = 0, E = Body->arg_size(); I != E; ++I)
    for (const char *K : sdrad::ContractParamAttrs)
      Body->removeParamAttr(I, K);

  Body->splice(Body->end(), &F);
  for (auto [Old, New] : zip(F.args(), Body->args())) {
    Old.replaceAllUsesWith(&New);
    New.setName(Old.getName());
  }
  if (DISubprogram *SP = F.getSubprogram()) {
    Body->setSubprogram(SP);
    F.setSubprogram(nullptr);
  }
  if (F.hasPersonalityFn())
    F.setPersonalityFn(nullptr);
  return Body;
}

/// Call-site attributes for calling a function with F's signature.
AttributeList callAttrs(const Function &F, LLVMContext &C) {
  AttributeList AL = F.getAttributes();
  for (unsigned I = 0, E = F.arg_size(); I != E; ++I)
    for (const char *K : sdrad::ContractParamAttrs)
      AL = AL.removeParamAttribute(C, I, K);
  return AttributeList::get(C, AttributeSet(), AL.getRetAttrs(),
                            [&] {
                              SmallVector<AttributeSet, 8> P;
                              for (unsigned I = 0, E = F.arg_size(); I != E;
                                   ++I)
                                P.push_back(AL.getParamAttrs(I));
                              return P;
                            }());
}

/// Copies the target and frame attributes code generation depends on.
void copyCodegenAttrs(const Function &From, Function &To) {
  for (StringRef K : {"target-cpu", "target-features", "tune-cpu",
                      "frame-pointer", "probe-stack", "min-legal-vector-width"})
    if (From.hasFnAttribute(K))
      To.addFnAttr(From.getFnAttribute(K));
  if (From.hasFnAttribute(Attribute::UWTable))
    To.addFnAttr(From.getFnAttribute(Attribute::UWTable));
  if (From.hasFnAttribute(Attribute::OptimizeNone)) {
    To.addFnAttr(Attribute::OptimizeNone);
    To.addFnAttr(Attribute::NoInline);
  }
}

Align fieldAlign(const DataLayout &DL, Type *Ty) {
  return std::min(DL.getABITypeAlign(Ty), Align(BlockAlign));
}

Function *Isolator::makeEntry(Function &F, Function &Body,
                              StructType *BlockTy, ArrayRef<ArgPlan> Plan,
                              bool HasRetField) {
  auto *Ty = FunctionType::get(Type::getVoidTy(C), {PointerType::getUnqual(C)},
                               false);
  Function *Entry = Function::Create(Ty, GlobalValue::InternalLinkage,
                                     F.getName() + ".sdrad_entry", &M);
  Entry->setComdat(F.getComdat());
  Entry->setUnnamedAddr(GlobalValue::UnnamedAddr::Global);
  copyCodegenAttrs(F, *Entry);
  Entry->addFnAttr(sdrad::AttrEntry);
  Argument *Blk = Entry->getArg(0);
  Blk->setName("blk");
  Entry->addParamAttr(0, Attribute::NonNull);
  Entry->addParamAttr(0, Attribute::getWithAlignment(C, Align(BlockAlign)));

  IRBuilder<> B(BasicBlock::Create(C, "entry", Entry));
  const StructLayout *SL = DL.getStructLayout(BlockTy);
  SmallVector<Value *, 8> Args;
  SmallVector<std::pair<Value *, Value *>, 1> SRetCopies; // {tmp, slot}
  SmallVector<std::pair<const ArgPlan *, Value *>, 2> DeepObjs; // {P, given}
  DenseMap<unsigned, Value *> PartValues; // by value: the object's bytes
  SmallVector<std::pair<Value *, Value *>, 2> Guards; // carried: {i1, canary}
  for (auto [P, A] : zip(Plan, F.args())) {
    Value *Slot = B.CreateStructGEP(BlockTy, Blk, P.Field, A.getName() + ".slot");
    if (P.IsPart) {
      Args.push_back(PartValues.lookup(A.getArgNo()));
      if (!Args.back()) // an owner always comes first
        Args.back() = PoisonValue::get(A.getType());
      continue;
    }
    if (P.Kind == ArgKind::ByVal || P.Kind == ArgKind::SRet) {
      // The callee copies byval; sret writes here.  A slot is only as
      // aligned as the block (16) allows: over-aligned values go through a
      // suitably aligned temporary on the domain stack.
      Align Have = commonAlignment(Align(BlockAlign),
                                   SL->getElementOffset(P.Field));
      MaybeAlign Want = A.getParamAlign();
      if (!Want || *Want <= Have) {
        Args.push_back(Slot);
        continue;
      }
      uint64_t Size = DL.getTypeAllocSize(P.SlotTy);
      AllocaInst *Tmp = B.CreateAlloca(P.SlotTy, nullptr, A.getName() + ".aligned");
      Tmp->setAlignment(*Want);
      if (P.Kind == ArgKind::ByVal)
        B.CreateMemCpy(Tmp, *Want, Slot, Have, Size);
      else
        SRetCopies.push_back({Tmp, Slot});
      Args.push_back(Tmp);
    } else if (P.isDeep()) {
      // Rebuild the object from the copy (in, inout) or default-construct
      // it (out), here in the domain; null stays null.
      Value *Copy = B.CreateAlignedLoad(B.getPtrTy(), Slot, Align(8),
                                        A.getName() + ".copy");
      Value *Len = B.CreateAlignedLoad(
          B.getInt64Ty(), B.CreateStructGEP(BlockTy, Blk, P.LenField),
          Align(8), A.getName() + ".len");
      Value *Obj = B.CreateStructGEP(BlockTy, Blk, P.ObjField,
                                     A.getName() + ".obj");
      Value *Given = B.CreateIsNotNull(P.Kind == ArgKind::Out ? Len : Copy,
                                       A.getName() + ".given");
      Function *Make = P.Kind == ArgKind::Out ? P.OutDeep[0] : P.Deep[2];
      SmallVector<Value *, 3> MakeArgs{Obj};
      if (P.Kind != ArgKind::Out)
        MakeArgs.append({Copy, Len});
      ifTrue(B, Given, (A.getName() + ".make").str(), [&](IRBuilder<> &TB) {
        TB.CreateCall(Make, MakeArgs);
      });
      DeepObjs.push_back({&P, Given});
      if (P.ByValDeep) { // never null: the call copies the object
        Args.push_back(Obj);
        continue;
      }
      if (P.Parts.empty()) {
        Args.push_back(B.CreateSelect(
            Given, Obj, ConstantPointerNull::get(B.getPtrTy()), A.getName()));
        continue;
      }
      // By value: the domain's object's bytes in place of the caller's.
      for (auto [No, Off] : P.Parts) {
        Type *Ty = F.getArg(No)->getType();
        PartValues[No] = B.CreateAlignedLoad(
            Ty, B.CreateConstInBoundsGEP1_64(B.getInt8Ty(), Obj, Off),
            Align(1), F.getArg(No)->getName() + ".part");
      }
      Args.push_back(PartValues.lookup(A.getArgNo()));
      if (!Args.back())
        Args.back() = PoisonValue::get(A.getType());
    } else if (P.isCarriable() && blockInFrame(BlockTy)) {
      // A carried buffer's field is (offset << 32 | bytes << 1 | 1); a
      // copy's (16-aligned) or NULL is the pointer itself.
      StringRef N = A.getName();
      Value *V = B.CreateAlignedLoad(B.getPtrTy(), Slot, Align(8), N + ".field");
      Value *I = B.CreatePtrToInt(V, B.getInt64Ty(), N + ".bits");
      Value *Carried = B.CreateTrunc(I, B.getInt1Ty(), N + ".carried");
      // (plain GEPs: for a copy these are meaningless and unused)
      Value *InBlock = B.CreateGEP(B.getInt8Ty(), Blk,
                                   B.CreateLShr(I, 32, N + ".at"),
                                   N + ".inblock");
      Value *Bytes = B.CreateAnd(B.CreateLShr(I, 1), B.getInt64(0x7fffffff),
                                 N + ".size");
      Guards.push_back(
          {Carried, B.CreateGEP(B.getInt8Ty(), InBlock, Bytes, N + ".guard")});
      Args.push_back(B.CreateSelect(Carried, InBlock, V, N));
    } else
      Args.push_back(B.CreateAlignedLoad(P.SlotTy, Slot,
                                         fieldAlign(DL, P.SlotTy),
                                         A.getName()));
  }
  // An exception leaving the body (rethrow catches it around the entry)
  // must not leak the objects built in the domain: destroy them on the way.
  bool Cleanup = !DeepObjs.empty() && !Body.doesNotThrow();
  CallBase *Call;
  if (Cleanup) {
    if (!Entry->hasPersonalityFn())
      Entry->setPersonalityFn(
          Body.hasPersonalityFn()
              ? Body.getPersonalityFn()
              : cast<Constant>(
                    M.getOrInsertFunction(
                         "__gxx_personality_v0",
                         FunctionType::get(B.getInt32Ty(), true))
                        .getCallee()));
    auto *Normal = BasicBlock::Create(C, "returned", Entry);
    auto *Unwind = BasicBlock::Create(C, "unwind", Entry);
    Call = B.CreateInvoke(&Body, Normal, Unwind, Args);
    IRBuilder<> UB(Unwind);
    LandingPadInst *LP = UB.CreateLandingPad(
        StructType::get(C, {UB.getPtrTy(), UB.getInt32Ty()}), 0, "lp");
    LP->setCleanup(true);
    for (const auto &D : DeepObjs) {
      const ArgPlan *P = D.first;
      ifTrue(UB, D.second, "destroy.unwind", [&](IRBuilder<> &TB) {
        TB.CreateCall(P->Deep[3] ? P->Deep[3] : P->OutDeep[2],
                      {TB.CreateStructGEP(BlockTy, Blk, P->ObjField)});
      });
    }
    UB.CreateResume(LP);
    B.SetInsertPoint(Normal);
  } else {
    Call = B.CreateCall(&Body, Args);
  }
  Call->setCallingConv(Body.getCallingConv());
  Call->setAttributes(callAttrs(Body, C));
  // in objects end with the call; out and inout ones once copied back
  // (F.sdrad_drop).
  for (const auto &D : DeepObjs) {
    const ArgPlan *P = D.first;
    if (P->Kind == ArgKind::In)
      ifTrue(B, D.second, "destroy", [&](IRBuilder<> &TB) {
        TB.CreateCall(P->Deep[3],
                      {TB.CreateStructGEP(BlockTy, Blk, P->ObjField)});
      });
  }
  // The body returned: a carried buffer overrun is the domain's fault.
  for (auto [Carried, Guard] : Guards) {
    auto *CheckBB = BasicBlock::Create(C, "check.carried", Entry);
    auto *FaultBB = BasicBlock::Create(C, "overrun", Entry);
    auto *Next = BasicBlock::Create(C, "intact", Entry);
    B.CreateCondBr(Carried, CheckBB, Next);
    B.SetInsertPoint(CheckBB);
    Value *Word = B.CreateAlignedLoad(B.getInt64Ty(), Guard, Align(1),
                                      Guard->getName() + ".word");
    B.CreateCondBr(B.CreateICmpNE(Word, B.getInt64(CarriedCanary), "broken"),
                   FaultBB, Next, unlikely());
    IRBuilder<> FB(FaultBB);
    FB.CreateCall(RT.CopyFault)->setDoesNotReturn();
    FB.CreateUnreachable();
    B.SetInsertPoint(Next);
  }
  for (auto [Tmp, Slot] : SRetCopies) {
    auto *AI = cast<AllocaInst>(Tmp);
    B.CreateMemCpy(Slot, Align(1), AI, AI->getAlign(),
                   DL.getTypeAllocSize(AI->getAllocatedType()));
  }
  if (HasRetField) {
    Type *RetTy = F.getReturnType();
    B.CreateAlignedStore(Call, B.CreateStructGEP(BlockTy, Blk, 0, "ret.slot"),
                         fieldAlign(DL, RetTy));
  }
  B.CreateRetVoid();
  return Entry;
}

/// Emits `if (P) Then()` and leaves \p B after it.
void Isolator::ifNonNull(IRBuilder<> &B, Value *P, StringRef Name,
                         function_ref<void(IRBuilder<> &)> Then) {
  ifTrue(B, B.CreateIsNotNull(P, P->getName() + ".nonnull"), Name, Then);
}

void Isolator::ifTrue(IRBuilder<> &B, Value *Cond, StringRef Name,
                      function_ref<void(IRBuilder<> &)> Then) {
  Function *F = B.GetInsertBlock()->getParent();
  LLVMContext &C = F->getContext();
  auto *ThenBB = BasicBlock::Create(C, Name, F);
  auto *Done = BasicBlock::Create(C, Name + ".done", F);
  B.CreateCondBr(Cond, ThenBB, Done);
  B.SetInsertPoint(ThenBB);
  Then(B);
  B.CreateBr(Done);
  B.SetInsertPoint(Done);
}

/// Whether the result satisfies "sdrad-ok-if" (nullptr without it).
Value *Isolator::okIf(IRBuilder<> &B, Function &F, Value *Result) {
  std::optional<OkIf> O = parseOkIf(F);
  if (!O || !Result)
    return nullptr;
  Value *Rhs;
  if (O->Value == "null") {
    Rhs = ConstantPointerNull::get(cast<PointerType>(Result->getType()));
  } else {
    APInt V;
    O->Value.getAsInteger(10, V);
    Rhs = ConstantInt::get(Result->getType(),
                           V.sextOrTrunc(Result->getType()->getIntegerBitWidth()));
  }
  return B.CreateICmp(O->Pred, Result, Rhs, "ok.if");
}

/// The bytes to copy back for a "returned" copy-back: the returned element
/// count, none if negative, at most the copy's count.
Value *Isolator::returnedBytes(IRBuilder<> &B, const ArgPlan &P,
                               Value *Result) {
  Value *N = B.CreateSExtOrTrunc(Result, B.getInt64Ty(), "ret.count");
  N = B.CreateSelect(B.CreateICmpSLT(N, B.getInt64(0)), B.getInt64(0), N);
  Value *Cap = B.CreateUDiv(P.Bytes, B.getInt64(P.ElemSize), "cap");
  N = B.CreateSelect(B.CreateICmpULT(N, Cap), N, Cap, "copy.count");
  return B.CreateMul(N, B.getInt64(P.ElemSize), "copy.bytes");
}

/// The alternate action: the fallback's result, the fallback value, or zero.
void Isolator::emitAlternate(IRBuilder<> &B, Function &F) {
  Type *RetTy = F.getReturnType();
  StringRef FBName = F.getFnAttribute(sdrad::AttrFallback).getValueAsString();
  if (!FBName.empty()) {
    Function *FB = M.getFunction(FBName);
    if (!FB) {
      FB = Function::Create(F.getFunctionType(), GlobalValue::ExternalLinkage,
                            FBName, &M);
      FB->setCallingConv(F.getCallingConv());
      FB->setAttributes(callAttrs(F, C));
    }
    SmallVector<Value *, 8> Args(make_pointer_range(F.args()));
    CallInst *Call = B.CreateCall(F.getFunctionType(), FB, Args);
    Call->setCallingConv(F.getCallingConv());
    Call->setAttributes(callAttrs(F, C));
    if (RetTy->isVoidTy())
      B.CreateRetVoid();
    else
      B.CreateRet(Call);
    return;
  }
  for (Argument &A : F.args())
    if (A.hasStructRetAttr() && Res.Default) // a default-constructed one
      B.CreateCall(Res.Default, {&A});
    else if (A.hasStructRetAttr()) // zero the caller's return slot
      B.CreateMemSet(&A, B.getInt8(0),
                     DL.getTypeAllocSize(A.getParamStructRetType()),
                     A.getParamAlign().valueOrOne());
  if (RetTy->isVoidTy()) {
    B.CreateRetVoid();
    return;
  }
  Constant *V = Constant::getNullValue(RetTy);
  StringRef Text =
      F.getFnAttribute(sdrad::AttrFallbackValue).getValueAsString();
  if (!Text.empty() && Text != "null") {
    if (auto *IT = dyn_cast<IntegerType>(RetTy))
      V = ConstantInt::get(IT, Text, 10);
    else if (RetTy->isFloatingPointTy())
      V = ConstantFP::get(RetTy, Text);
  }
  B.CreateRet(V);
}

void Isolator::emitThunk(Function &F, GlobalVariable *Ref, Function &Entry,
                         StructType *BlockTy, MutableArrayRef<ArgPlan> Plan,
                         bool HasRetField) {
  Entries.push_back({&Entry, Ref});
  if (Res.Drop)
    Entries.push_back({Res.Drop, Ref});
  Th = {};
  Th.Ref = Ref;
  Th.BlockTy = BlockTy;
  Th.EntryBB = BasicBlock::Create(C, "entry", &F);
  Th.FailBB = BasicBlock::Create(C, "fail", &F);
  Th.Carry = blockInFrame(BlockTy) && any_of(Plan, [](const ArgPlan &P) {
               return P.isCarriable();
             });
  IRBuilder<> B(Th.EntryBB);
  emitHandle(B);
  emitBlock(B);
  emitArguments(B, F, Plan);
  emitCall(B, F, Entry, Plan, HasRetField);
  if (Rt.Run)
    emitRethrowCheck(B, Plan);
  emitSuccess(B, F, Plan, HasRetField);
  // Failure: the instance is gone (or was never entered).
  B.SetInsertPoint(Th.FailBB);
  if (Rt.Run) {
    B.CreateCall(Rt.Throw,
                 {Ref->getInitializer()->getAggregateElement(1u),
                  ConstantPointerNull::get(B.getPtrTy())});
    B.CreateUnreachable();
  } else {
    emitAlternate(B, F);
  }
  Th.FailBB->moveAfter(&F.back());
}

void Isolator::emitHandle(IRBuilder<> &B) {
  auto *RegisterBB = BasicBlock::Create(C, "register", B.GetInsertBlock()->getParent());
  auto *ReadyBB = BasicBlock::Create(C, "ready", B.GetInsertBlock()->getParent());
  if (Rt.Run) // throw_fault reports the fault of this call only
    B.CreateCall(M.getOrInsertFunction(
        "sdrad_clear_fault", FunctionType::get(B.getVoidTy(), false)));
  // The runtime may store the handle from another thread: a relaxed atomic
  // load (a plain mov on x86-64).
  LoadInst *Cached =
      B.CreateAlignedLoad(B.getInt64Ty(), Th.Ref, Align(8), "handle");
  Cached->setAtomic(AtomicOrdering::Monotonic);
  B.CreateCondBr(B.CreateICmpSLE(Cached, B.getInt64(0), "unregistered"),
                 RegisterBB, ReadyBB, unlikely());
  B.SetInsertPoint(RegisterBB);
  GlobalVariable *Settings = DomainSettings.lookup(Th.Ref).GV;
  Value *Registered =
      Settings ? B.CreateCall(RT.DomainHandleWith, {Th.Ref, Settings},
                              "handle.new")
               : B.CreateCall(RT.DomainHandle, {Th.Ref}, "handle.new");
  B.CreateBr(ReadyBB);
  B.SetInsertPoint(ReadyBB);
  PHINode *H = B.CreatePHI(B.getInt64Ty(), 2, "h");
  H->addIncoming(Cached, Th.EntryBB);
  H->addIncoming(Registered, RegisterBB);
  Th.H = H;
  auto *AllocBB = BasicBlock::Create(C, "alloc", B.GetInsertBlock()->getParent());
  B.CreateCondBr(B.CreateICmpSLT(H, B.getInt64(0), "bad.handle"), Th.FailBB,
                 AllocBB, unlikely());
  B.SetInsertPoint(AllocBB);
}

void Isolator::emitBlock(IRBuilder<> &B) {
  Function *F = B.GetInsertBlock()->getParent();
  auto *FillBB = BasicBlock::Create(C, "fill", F);
  uint64_t BlockSize = DL.getTypeAllocSize(Th.BlockTy);
  Th.Inline = blockInFrame(Th.BlockTy);
  if (Th.Inline) {
    IRBuilder<> AB(Th.EntryBB, Th.EntryBB->begin());
    // With buffers: room for them after the block, up to the limit.
    Type *Ty = Th.Carry ? ArrayType::get(AB.getInt8Ty(),
                                         MaxInlineBlock + CarrySlack)
                        : static_cast<Type *>(Th.BlockTy);
    AllocaInst *Local = AB.CreateAlloca(Ty, nullptr, "blk");
    Local->setAlignment(Align(BlockAlign));
    Th.Blk = Local;
    // Zeroed: padding must not carry the caller's stack into the domain
    // (with buffers, up to where the first one starts).
    uint64_t Zeroed = Th.Carry ? alignTo(BlockSize, BlockAlign) : BlockSize;
    B.CreateMemSet(Th.Blk, B.getInt8(0), Zeroed, Align(BlockAlign));
    Th.Tail = B.getInt64(alignTo(BlockSize, BlockAlign));
    B.CreateBr(FillBB);
  } else {
    Th.Blk = B.CreateCall(RT.BlockAlloc, {Th.H, B.getInt64(BlockSize)}, "blk");
    B.CreateCondBr(B.CreateIsNull(Th.Blk, "no.block"), Th.FailBB, FillBB,
                   unlikely());
  }
  B.SetInsertPoint(FillBB);
}

Value *Isolator::emitByteCount(IRBuilder<> &B, Function &F, ArgPlan &P) {
  if (P.ConstCount) {
    uint64_t Bytes;
    if (__builtin_mul_overflow(*P.ConstCount, P.ElemSize, &Bytes))
      Bytes = UINT64_MAX;
    return B.getInt64(Bytes);
  }
  Value *Count =
      B.CreateZExtOrTrunc(F.getArg(*P.CountArg), B.getInt64Ty(), "count");
  if (P.ElemSize == 1)
    return Count;
  Value *Mul = B.CreateBinaryIntrinsic(Intrinsic::umul_with_overflow, Count,
                                       B.getInt64(P.ElemSize));
  return B.CreateSelect(B.CreateExtractValue(Mul, 1), B.getInt64(UINT64_MAX),
                        B.CreateExtractValue(Mul, 0),
                        F.getArg(&P - Th.PlanBase)->getName() + ".bytes");
}

Value *Isolator::emitCopy(IRBuilder<> &B, Function &F, ArgPlan &P,
                          Argument &A) {
  Value *Slot = B.CreateStructGEP(Th.BlockTy, Th.Blk, P.Field,
                                  A.getName() + ".slot");
  if (P.Kind == ArgKind::String) {
    // __sdrad_copy_string(h, NULL) is NULL.
    P.Copy = B.CreateCall(RT.CopyString, {Th.H, &A}, A.getName() + ".copy");
  } else {
    P.Bytes = emitByteCount(B, F, P);
    Value *Src = P.Kind == ArgKind::Out
                     ? ConstantPointerNull::get(B.getPtrTy())
                     : static_cast<Value *>(&A);
    // NULL stays NULL; otherwise copy in (zero-filled for out).
    BasicBlock *Before = B.GetInsertBlock();
    auto *CopyBB = BasicBlock::Create(C, A.getName() + ".copyin", &F);
    auto *Done = BasicBlock::Create(C, A.getName() + ".copied", &F);
    B.CreateCondBr(B.CreateIsNotNull(&A, A.getName() + ".nonnull"), CopyBB,
                   Done);
    B.SetInsertPoint(CopyBB);
    Value *Copied = B.CreateCall(RT.CopyIn, {Th.H, Src, P.Bytes});
    B.CreateBr(Done);
    B.SetInsertPoint(Done);
    PHINode *Phi = B.CreatePHI(B.getPtrTy(), 2, A.getName() + ".copy");
    Phi->addIncoming(ConstantPointerNull::get(B.getPtrTy()), Before);
    Phi->addIncoming(Copied, CopyBB);
    P.Copy = Phi;
  }
  // A non-NULL input without a copy: out of domain memory.
  Value *Lost = B.CreateAnd(B.CreateIsNotNull(&A, A.getName() + ".given"),
                            B.CreateIsNull(P.Copy, A.getName() + ".none"),
                            A.getName() + ".lost");
  B.CreateAlignedStore(P.Copy, Slot, fieldAlign(DL, P.SlotTy));
  return Lost;
}

void Isolator::emitArguments(IRBuilder<> &B, Function &F,
                             MutableArrayRef<ArgPlan> Plan) {
  Th.PlanBase = Plan.data();
  Value *Lost = nullptr;
  for (auto [P, A] : zip(Plan, F.args())) {
    if (P.Kind == ArgKind::SRet || P.IsPart)
      continue; // the return slot: written by the body; a part: the copy
    if (P.isDeep()) {
      fillDeep(B, F, A, P, Lost);
      continue;
    }
    if (P.isCopy()) {
      Value *LostThis =
          Th.Carry ? emitCarried(B, F, P, A) : emitCopy(B, F, P, A);
      Lost = Lost ? B.CreateOr(Lost, LostThis, "lost") : LostThis;
      continue;
    }
    Value *Slot = B.CreateStructGEP(Th.BlockTy, Th.Blk, P.Field,
                                    A.getName() + ".slot");
    Align SlotAlign = fieldAlign(DL, P.SlotTy);
    if (P.Kind == ArgKind::ByVal)
      B.CreateMemCpy(Slot, SlotAlign, &A, A.getParamAlign().valueOrOne(),
                     DL.getTypeAllocSize(P.SlotTy));
    else
      B.CreateAlignedStore(&A, Slot, SlotAlign);
  }
  auto *CallBB = BasicBlock::Create(C, "call", &F);
  if (!Lost) {
    B.CreateBr(CallBB);
    B.SetInsertPoint(CallBB);
    return;
  }
  auto *CleanupBB = BasicBlock::Create(C, "cleanup", &F);
  B.CreateCondBr(Lost, CleanupBB, CallBB, unlikely());
  // The call did not happen: give back what was taken, then fail.
  B.SetInsertPoint(CleanupBB);
  emitFrees(B, Plan, "free.partial");
  B.CreateBr(Th.FailBB);
  B.SetInsertPoint(CallBB);
}

void Isolator::emitFrees(IRBuilder<> &B, ArrayRef<ArgPlan> Plan,
                         StringRef Name, bool Copies) {
  for (const ArgPlan &P : Plan)
    if (P.Copy && Copies)
      ifNonNull(B, P.Copy, Name, [&](IRBuilder<> &TB) {
        TB.CreateCall(RT.BlockFree, {Th.H, P.Copy});
      });
  if (!Th.Inline)
    B.CreateCall(RT.BlockFree, {Th.H, Th.Blk});
}

void Isolator::emitCall(IRBuilder<> &B, Function &F, Function &Entry,
                        ArrayRef<ArgPlan> Plan, bool HasRetField) {
  uint64_t BlockSize = DL.getTypeAllocSize(Th.BlockTy);
  Value *St = Th.Inline ? B.CreateCall(RT.CallWith,
                                       {Th.H, &Entry, Th.Blk,
                                        Th.Carry ? Th.Tail
                                                 : B.getInt64(BlockSize)},
                                       "status")
                        : B.CreateCall(RT.Call, {Th.H, &Entry, Th.Blk},
                                       "status");
  BasicBlock *Next = BasicBlock::Create(C, "check", &F);
  B.CreateCondBr(B.CreateIsNull(St, "ok"), Next, Th.FailBB, likely());
  B.SetInsertPoint(Next);
  if (HasRetField)
    Th.Result = B.CreateAlignedLoad(
        F.getReturnType(), B.CreateStructGEP(Th.BlockTy, Th.Blk, 0, "ret.slot"),
        fieldAlign(DL, F.getReturnType()), "ret");
  if (Rt.Run)
    Th.Threw = B.CreateIsNotNull(
        B.CreateAlignedLoad(B.getInt32Ty(),
                            B.CreateStructGEP(Th.BlockTy, Th.Blk, Rt.ExcField),
                            Align(4), "exc"),
        "threw");
  if (Th.Carry)
    emitCarriedEnd(B, F, Plan);
  else
    emitCopiesEnd(B, F, Plan);
  B.GetInsertBlock()->setName("success");
}

std::pair<Value *, Value *> Isolator::copyBackTo(IRBuilder<> &B, Function &F,
                                                 const ArgPlan &P, Value *&Ok) {
  if (!P.copiesBack() || P.OutDeep[0]) // deep out: assigned after
    return {ConstantPointerNull::get(B.getPtrTy()), B.getInt64(0)};
  Argument *A = F.getArg(&P - Th.PlanBase);
  if (P.IfOk && !Ok)
    Ok = okIf(B, F, Th.Result);
  // Back to the caller's buffer (non-NULL: it has a copy) unless an
  // exception escaped or, for if_ok, the result says failure.
  Value *Back = Th.Threw ? B.CreateNot(Th.Threw) : nullptr;
  if (P.IfOk)
    Back = Back ? B.CreateAnd(Back, Ok) : Ok;
  Value *Dst = Back ? B.CreateSelect(Back, A, ConstantPointerNull::get(B.getPtrTy()),
                                     A->getName() + ".dst")
                    : static_cast<Value *>(A);
  Value *Bytes = P.Returned ? returnedBytes(B, P, Th.Result) : P.Bytes;
  return {Dst, Bytes};
}

void Isolator::emitCopiesEnd(IRBuilder<> &B, Function &F,
                             ArrayRef<ArgPlan> Plan,
                             ArrayRef<std::pair<Value *, Value *>> Back) {
  SmallVector<const ArgPlan *, 8> Copies;
  for (const ArgPlan &P : Plan)
    if (P.Copy)
      Copies.push_back(&P);
  if (Copies.empty())
    return;
  // (in reading order: the gate crossing, then what follows)
  auto *EndBB = Th.Carry ? BasicBlock::Create(C, "copies.end", &F) : nullptr;
  BasicBlock *Next =
      BasicBlock::Create(C, Th.Carry ? "copies.done" : "success", &F);
  if (Th.Carry) {
    // A carried buffer has no copy: no gate crossing when none was made.
    Value *Any = nullptr;
    for (const ArgPlan *P : Copies) {
      Value *Made = B.CreateIsNotNull(P->Copy, P->Copy->getName() + ".made");
      Any = Any ? B.CreateOr(Any, Made, "copies.any") : Made;
    }
    B.CreateCondBr(Any, EndBB, Next, unlikely());
    B.SetInsertPoint(EndBB);
  }
  ArrayType *ArrTy = ArrayType::get(RT.CopyEndTy, Copies.size());
  AllocaInst *Ends;
  {
    IRBuilder<> AB(Th.EntryBB, Th.EntryBB->begin());
    Ends = AB.CreateAlloca(ArrTy, nullptr, "copies");
  }
  Value *Ok = nullptr;
  for (unsigned I = 0; I < Copies.size(); ++I) {
    const ArgPlan *P = Copies[I];
    Argument *A = F.getArg(P - Plan.data());
    auto [Dst, Bytes] =
        Back.empty() ? copyBackTo(B, F, *P, Ok) : Back[P - Plan.data()];
    Value *E = B.CreateConstInBoundsGEP2_32(ArrTy, Ends, 0, I,
                                            A->getName() + ".end");
    StringRef N = A->getName();
    auto Field = [&](unsigned Idx, const char *Suffix) {
      return B.CreateStructGEP(RT.CopyEndTy, E, Idx, N + Suffix);
    };
    B.CreateAlignedStore(P->Copy, Field(0, ".end.copy"), Align(8));
    B.CreateAlignedStore(Dst, Field(1, ".end.dst"), Align(8));
    B.CreateAlignedStore(Bytes, Field(2, ".end.bytes"), Align(8));
  }
  Value *St = B.CreateCall(RT.CopiesEnd,
                           {Th.H, Ends, B.getInt64(Copies.size())}, "canary");
  B.CreateCondBr(B.CreateIsNull(St, "intact"), Next, Th.FailBB, likely());
  B.SetInsertPoint(Next);
}

Value *Isolator::emitCarried(IRBuilder<> &B, Function &F, ArgPlan &P,
                             Argument &A) {
  StringRef N = A.getName();
  Type *I8 = B.getInt8Ty();
  Value *Null = ConstantPointerNull::get(B.getPtrTy());
  Value *Slot = B.CreateStructGEP(Th.BlockTy, Th.Blk, P.Field, N + ".slot");
  Value *Tail = Th.Tail;
  bool String = P.Kind == ArgKind::String;
  Value *Bytes = P.Bytes = String ? nullptr : emitByteCount(B, F, P);
  BasicBlock *Before = B.GetInsertBlock();
  auto *SizeBB = BasicBlock::Create(C, N + ".measure", &F);
  auto *CarryBB = BasicBlock::Create(C, N + ".carry", &F);
  auto *CopyBB = BasicBlock::Create(C, N + ".copyin", &F);
  auto *Done = BasicBlock::Create(C, N + ".placed", &F);
  // NULL stays NULL.
  B.CreateCondBr(B.CreateIsNotNull(&A, N + ".nonnull"), SizeBB, Done);
  B.SetInsertPoint(SizeBB);
  if (String) // at most the limit is read: a longer one is not carried
    Bytes = B.CreateAdd(
        B.CreateCall(RT.StrNLen, {&A, B.getInt64(MaxInlineBlock)},
                     N + ".strlen"),
        B.getInt64(1), N + ".bytes");
  // buffer, canary word, padding to 16; never past the limit
  Value *Small = B.CreateICmpULE(Bytes, B.getInt64(MaxInlineBlock), N + ".small");
  Value *Span = B.CreateAnd(
      B.CreateAdd(B.CreateSelect(Small, Bytes, B.getInt64(MaxInlineBlock),
                                 N + ".clamped"),
                  B.getInt64(8 + BlockAlign - 1)),
      B.getInt64(~(BlockAlign - 1)), N + ".span");
  Value *End = B.CreateAdd(Tail, Span, N + ".next");
  Value *Fits = B.CreateAnd(
      Small, B.CreateICmpULE(End, B.getInt64(MaxInlineBlock), N + ".room"),
      N + ".fits");
  B.CreateCondBr(Fits, CarryBB, CopyBB, likely());

  B.SetInsertPoint(CarryBB);
  Value *Dst = B.CreateInBoundsGEP(I8, Th.Blk, Tail, N + ".inblock");
  if (P.Kind == ArgKind::Out)
    B.CreateMemSet(Dst, B.getInt8(0), Bytes, Align(BlockAlign));
  else
    B.CreateMemCpy(Dst, Align(BlockAlign), &A, Align(1), Bytes);
  Value *Guard = B.CreateInBoundsGEP(I8, Dst, Bytes, N + ".guard");
  B.CreateAlignedStore(B.getInt64(CarriedCanary), Guard, Align(1));
  // The padding after the canary: never the caller's stack.
  B.CreateMemSet(B.CreateConstInBoundsGEP1_64(I8, Guard, 8, N + ".pad"),
                 B.getInt8(0), BlockAlign, Align(1));
  Value *Tag = B.CreateIntToPtr(
      B.CreateOr(B.CreateOr(B.CreateShl(Tail, 32, N + ".at"),
                            B.CreateShl(Bytes, 1, N + ".size"), N + ".where"),
                 B.getInt64(1), N + ".carry.bits"),
      B.getPtrTy(), N + ".tag");
  B.CreateBr(Done);

  B.SetInsertPoint(CopyBB);
  Value *Copied =
      String ? B.CreateCall(RT.CopyString, {Th.H, &A}, N + ".made")
             : B.CreateCall(RT.CopyIn,
                            {Th.H, P.Kind == ArgKind::Out ? Null : &A, Bytes},
                            N + ".made");
  B.CreateBr(Done);

  B.SetInsertPoint(Done);
  auto Phi = [&](Type *Ty, Value *None, Value *InBlock, Value *Copy,
                 const Twine &Name) {
    PHINode *V = B.CreatePHI(Ty, 3, Name);
    V->addIncoming(None, Before);
    V->addIncoming(InBlock, CarryBB);
    V->addIncoming(Copy, CopyBB);
    return V;
  };
  Value *Field = Phi(B.getPtrTy(), Null, Tag, Copied, N + ".field");
  P.Copy = Phi(B.getPtrTy(), Null, Null, Copied, N + ".copy");
  P.Carried = Phi(B.getInt1Ty(), B.getFalse(), B.getTrue(), B.getFalse(),
                  N + ".carried");
  P.Len = Phi(B.getInt64Ty(), B.getInt64(0), Bytes, Bytes, N + ".len");
  if (String)
    P.Bytes = P.Len;
  P.Off = Tail;
  Th.Tail = Phi(B.getInt64Ty(), Tail, End, Tail, "tail");
  B.CreateAlignedStore(Field, Slot, Align(8));
  // A non-NULL input neither carried nor copied: out of domain memory.
  return B.CreateAnd(B.CreateIsNotNull(&A, N + ".given"),
                     B.CreateIsNull(Field, N + ".none"), N + ".lost");
}

void Isolator::emitCarriedEnd(IRBuilder<> &B, Function &F,
                              ArrayRef<ArgPlan> Plan) {
  // (The entry checked the carried buffers' canaries, in the domain.)
  Value *Ok = nullptr;
  SmallVector<std::pair<Value *, Value *>, 8> Back;
  for (const ArgPlan &P : Plan)
    Back.push_back(P.Copy ? copyBackTo(B, F, P, Ok)
                          : std::pair<Value *, Value *>{nullptr, nullptr});
  emitCopiesEnd(B, F, Plan, Back);
  for (const ArgPlan &P : Plan) {
    if (!P.Carried || !P.copiesBack())
      continue;
    Argument *A = F.getArg(&P - Plan.data());
    Value *Dst = Back[&P - Plan.data()].first;
    Value *Bytes = Back[&P - Plan.data()].second;
    Value *To = B.CreateAnd(P.Carried, B.CreateIsNotNull(Dst, A->getName() + ".to"),
                            A->getName() + ".back");
    ifTrue(B, To, (A->getName() + ".copyback").str(), [&](IRBuilder<> &TB) {
      TB.CreateMemCpy(Dst, Align(1),
                      TB.CreateInBoundsGEP(B.getInt8Ty(), Th.Blk, P.Off,
                                           A->getName() + ".from"),
                      Align(BlockAlign), Bytes);
    });
  }
}

void Isolator::emitRethrowCheck(IRBuilder<> &B, ArrayRef<ArgPlan> Plan) {
  Function *F = B.GetInsertBlock()->getParent();
  auto *ThrowBB = BasicBlock::Create(C, "rethrow", F);
  auto *OkBB = BasicBlock::Create(C, "returned", F);
  B.CreateCondBr(Th.Threw, ThrowBB, OkBB, unlikely());
  B.SetInsertPoint(ThrowBB);
  Type *WhatTy = ArrayType::get(B.getInt8Ty(), sdrad::RethrowWhatSize);
  AllocaInst *What;
  {
    IRBuilder<> AB(Th.EntryBB, Th.EntryBB->begin());
    What = AB.CreateAlloca(WhatTy, nullptr, "what");
  }
  B.CreateMemCpy(What, Align(1),
                 B.CreateStructGEP(Th.BlockTy, Th.Blk, Rt.WhatField), Align(1),
                 sdrad::RethrowWhatSize);
  emitFrees(B, Plan, "free.exc", /*Copies=*/false);
  B.CreateCall(Rt.Throw,
               {Th.Ref->getInitializer()->getAggregateElement(1u), What});
  B.CreateUnreachable();
  B.SetInsertPoint(OkBB);
}

void Isolator::emitSuccess(IRBuilder<> &B, Function &F,
                           ArrayRef<ArgPlan> Plan, bool HasRetField) {
  Value *Result = Th.Result;
  Value *Ok = okIf(B, F, Result);
  for (const ArgPlan &P : Plan)
    if (P.OutDeep[0]) {
      // *caller = domain's object: a deep copy made here, in the caller.
      Argument *A = F.getArg(&P - Plan.data());
      Value *Given = P.IfOk ? B.CreateAnd(P.Given, Ok, A->getName() + ".ok")
                            : P.Given;
      ifTrue(B, Given, (A->getName() + ".assign").str(),
             [&](IRBuilder<> &TB) {
               TB.CreateCall(P.OutDeep[1],
                             {A, TB.CreateStructGEP(Th.BlockTy, Th.Blk,
                                                    P.ObjField)});
             });
    }
  for (auto [P, A] : zip(Plan, F.args()))
    if (P.Kind == ArgKind::SRet && Res.Copy) {
      // Deep copy into the caller's slot (here, in the caller), then
      // destroy the domain's object in the domain; a fault there only
      // discards the domain.
      B.CreateCall(Res.Copy,
                   {&A, B.CreateStructGEP(Th.BlockTy, Th.Blk, P.Field)});
    } else if (P.Kind == ArgKind::SRet) {
      B.CreateMemCpy(&A, A.getParamAlign().valueOrOne(),
                     B.CreateStructGEP(Th.BlockTy, Th.Blk, P.Field),
                     fieldAlign(DL, P.SlotTy), DL.getTypeAllocSize(P.SlotTy));
    }
  if (Res.Drop) // a fault there only discards the domain
    B.CreateCall(RT.Call, {Th.H, Res.Drop, Th.Blk}, "drop.status");
  emitFrees(B, Plan, "free", /*Copies=*/false);
  if (Result)
    B.CreateRet(Result);
  else
    B.CreateRetVoid();
}

/// Fills the block for a deep parameter, in the caller: in/inout get a
/// zero-filled copy of size() bytes that pack() writes (NULL stays NULL),
/// out only whether there is an object.  A by-value class is first put
/// back together from its IR arguments in the thunk's frame.
void Isolator::fillDeep(IRBuilder<> &B, Function &F, Argument &A, ArgPlan &P,
                        Value *&Lost) {
  StructType *BlockTy = Th.BlockTy;
  Value *Blk = Th.Blk, *H = Th.H;
  BasicBlock *EntryBB = Th.EntryBB;
  Value *Obj = &A;
  if (!P.Parts.empty()) {
    IRBuilder<> AB(EntryBB, EntryBB->begin());
    AllocaInst *Tmp = AB.CreateAlloca(
        ArrayType::get(AB.getInt8Ty(), P.ElemSize), nullptr,
        A.getName() + ".whole");
    Tmp->setAlignment(Align(BlockAlign));
    for (auto [No, Off] : P.Parts)
      B.CreateAlignedStore(F.getArg(No),
                           B.CreateConstInBoundsGEP1_64(B.getInt8Ty(), Tmp, Off),
                           Align(1));
    Obj = Tmp;
  }
  P.Given = P.Parts.empty() ? B.CreateIsNotNull(&A, A.getName() + ".given")
                            : B.getTrue();
  Value *LenSlot = B.CreateStructGEP(BlockTy, Blk, P.LenField);
  Value *Slot = B.CreateStructGEP(BlockTy, Blk, P.Field);
  if (!P.Deep[0]) { // out: the domain default-constructs it
    B.CreateAlignedStore(B.CreateZExt(P.Given, B.getInt64Ty()), LenSlot,
                         Align(8));
    B.CreateAlignedStore(ConstantPointerNull::get(B.getPtrTy()), Slot,
                         Align(8));
    return;
  }
  BasicBlock *Before = B.GetInsertBlock();
  auto *PackBB = BasicBlock::Create(C, A.getName() + ".pack", &F);
  auto *Done = BasicBlock::Create(C, A.getName() + ".packed", &F);
  B.CreateCondBr(P.Given, PackBB, Done);
  B.SetInsertPoint(PackBB);
  Value *Bytes = B.CreateCall(P.Deep[0], {Obj}, A.getName() + ".bytes");
  Value *Copy = B.CreateCall(
      RT.CopyIn, {H, ConstantPointerNull::get(B.getPtrTy()), Bytes},
      A.getName() + ".zeroed");
  // pack() writes at most Bytes; non-zero: the object no longer has that
  // size (another thread changed it), so the copy is given back and the
  // call fails as if out of domain memory.
  auto *WriteBB = BasicBlock::Create(C, A.getName() + ".write", &F);
  auto *ChangedBB = BasicBlock::Create(C, A.getName() + ".changed", &F);
  B.CreateCondBr(B.CreateIsNotNull(Copy), WriteBB, Done);
  B.SetInsertPoint(WriteBB);
  Value *St = B.CreateCall(P.Deep[1], {Obj, Copy, Bytes},
                           A.getName() + ".pack.status");
  B.CreateCondBr(B.CreateIsNotNull(St, A.getName() + ".changed.now"),
                 ChangedBB, Done, unlikely());
  B.SetInsertPoint(ChangedBB);
  B.CreateCall(RT.BlockFree, {H, Copy});
  B.CreateBr(Done);
  B.SetInsertPoint(Done);
  Constant *Null = ConstantPointerNull::get(B.getPtrTy());
  PHINode *CopyPhi = B.CreatePHI(B.getPtrTy(), 4, A.getName() + ".copy");
  CopyPhi->addIncoming(Null, Before);
  CopyPhi->addIncoming(Null, PackBB);
  CopyPhi->addIncoming(Copy, WriteBB);
  CopyPhi->addIncoming(Null, ChangedBB);
  PHINode *BytesPhi = B.CreatePHI(B.getInt64Ty(), 4, A.getName() + ".len");
  BytesPhi->addIncoming(B.getInt64(0), Before);
  for (BasicBlock *BB : {PackBB, WriteBB, ChangedBB})
    BytesPhi->addIncoming(Bytes, BB);
  P.Copy = CopyPhi;
  P.Bytes = BytesPhi;
  B.CreateAlignedStore(BytesPhi, LenSlot, Align(8));
  B.CreateAlignedStore(CopyPhi, Slot, Align(8));
  // Given but no copy: out of domain memory.
  Value *LostThis = B.CreateAnd(P.Given, B.CreateIsNull(CopyPhi),
                                A.getName() + ".lost");
  Lost = Lost ? B.CreateOr(Lost, LostThis, "lost") : LostThis;
}

/// A result that owns memory ("sdrad-result-copy"): it is built in the
/// block, which therefore lives in the domain heap (an inline block travels
/// by copy, and the object's pointers into itself would dangle), copied
/// into the caller's slot by the copy helper, and destroyed in the domain
/// by F.sdrad_drop.
bool Isolator::planResult(Function &F, ArrayRef<ArgPlan> Plan,
                          StructType *BlockTy) {
  Res = {};
  if (!F.hasFnAttribute(sdrad::AttrResultCopy))
    return true;
  auto Helper = [&](const char *K) {
    return M.getFunction(F.getFnAttribute(K).getValueAsString());
  };
  Res.Copy = Helper(sdrad::AttrResultCopy);
  Res.Destroy = Helper(sdrad::AttrResultDestroy);
  Res.Default = Helper(sdrad::AttrResultDefault);
  const ArgPlan *SRet = find_if(Plan, [](const ArgPlan &P) {
    return P.Kind == ArgKind::SRet;
  });
  if (!Res.Copy || !Res.Destroy || !Res.Default ||
      SRet == Plan.end()) {
    diagnoseError(F, "sdrad-result-copy needs an sret result and the three "
                     "helpers (copy, destroy, make_default) in the module");
    return false;
  }
  Argument *A = F.getArg(SRet - Plan.begin());
  const StructLayout *SL = DL.getStructLayout(BlockTy);
  if (A->getParamAlign() &&
      *A->getParamAlign() > commonAlignment(Align(BlockAlign),
                                            SL->getElementOffset(SRet->Field))) {
    diagnoseError(F, "an over-aligned result that owns memory cannot be "
                     "returned from a domain");
    return false;
  }
  return true;
}

/// Whether the deep object of \p P is in the block (in the domain: the
/// caller's pointer was not null).  out: the length field says so (1);
/// in/inout: the copy pointer is not null.
static Value *deepGiven(IRBuilder<> &B, StructType *BlockTy, Value *Blk,
                        const ArgPlan &P) {
  if (P.Kind == ArgKind::Out)
    return B.CreateIsNotNull(
        B.CreateAlignedLoad(B.getInt64Ty(),
                            B.CreateStructGEP(BlockTy, Blk, P.LenField),
                            Align(8)),
        "given");
  return B.CreateIsNotNull(
      B.CreateAlignedLoad(B.getPtrTy(),
                          B.CreateStructGEP(BlockTy, Blk, P.Field), Align(8)),
      "given");
}

/// F.sdrad_drop(blk), run in the domain after a successful call (and the
/// copies back): destroys the result that owns memory and the out/inout
/// objects that own memory.  Null if there are none.
Function *Isolator::makeDrop(Function &F, StructType *BlockTy,
                             ArrayRef<ArgPlan> Plan, unsigned SRetField) {
  if (!Res.Copy && none_of(Plan, [](const ArgPlan &P) { return P.OutDeep[0]; }))
    return nullptr;
  Function *Drop = Function::Create(
      FunctionType::get(Type::getVoidTy(C), {PointerType::getUnqual(C)}, false),
      GlobalValue::InternalLinkage, F.getName() + ".sdrad_drop", &M);
  Drop->setComdat(F.getComdat());
  copyCodegenAttrs(F, *Drop);
  Drop->addFnAttr(sdrad::AttrEntry);
  Argument *Blk = Drop->getArg(0);
  IRBuilder<> B(BasicBlock::Create(C, "entry", Drop));
  if (Res.Copy)
    B.CreateCall(Res.Destroy, {B.CreateStructGEP(BlockTy, Blk, SRetField)});
  for (const ArgPlan &P : Plan)
    if (P.OutDeep[0])
      ifTrue(B, deepGiven(B, BlockTy, Blk, P), "drop", [&](IRBuilder<> &TB) {
        TB.CreateCall(P.OutDeep[2],
                      {TB.CreateStructGEP(BlockTy, Blk, P.ObjField)});
      });
  B.CreateRetVoid();
  return Drop;
}

/// rethrow: the helpers must be in the module.
bool Isolator::planRethrow(Function &F) {
  Rt = {};
  if (!F.hasFnAttribute(sdrad::AttrRethrow))
    return true;
  auto Helper = [&](const char *K) {
    return M.getFunction(F.getFnAttribute(K).getValueAsString());
  };
  Rt.Run = Helper(sdrad::AttrRethrowRun);
  Rt.Throw = Helper(sdrad::AttrRethrowThrow);
  if (!Rt.Run || !Rt.Throw) {
    diagnoseError(F, "sdrad-rethrow needs sdrad-rethrow-run and "
                     "sdrad-rethrow-throw functions in the module");
    Rt = {};
    return false;
  }
  // clang marks a body that cannot throw nounwind; the thunk now can.  (A
  // noexcept declaration is a frontend error.)
  F.removeFnAttr(Attribute::NoUnwind);
  return true;
}

/// F.sdrad_catching(blk): exc = run(F.sdrad_entry, blk, blk->what), in
/// the domain.
Function *Isolator::makeCatchingEntry(Function &F, Function &Entry,
                                      StructType *BlockTy) {
  Function *W = Function::Create(Entry.getFunctionType(),
                                 GlobalValue::InternalLinkage,
                                 F.getName() + ".sdrad_catching", &M);
  W->setComdat(F.getComdat());
  copyCodegenAttrs(F, *W);
  W->addFnAttr(sdrad::AttrEntry);
  Argument *Blk = W->getArg(0);
  IRBuilder<> B(BasicBlock::Create(C, "entry", W));
  Value *Exc = B.CreateCall(
      Rt.Run, {&Entry, Blk, B.CreateStructGEP(BlockTy, Blk, Rt.WhatField)},
      "exc");
  B.CreateStore(Exc, B.CreateStructGEP(BlockTy, Blk, Rt.ExcField));
  B.CreateRetVoid();
  return W;
}

bool Isolator::isolate(Function &F) {
  if (F.isDeclaration())
    return false;
  LLVM_DEBUG(dbgs() << "sdrad-isolate: " << F.getName() << "\n");
  if (F.hasAvailableExternallyLinkage()) {
    // The real definition (and its thunk) is elsewhere; never let this copy
    // of the body be inlined.
    F.deleteBody();
    return true;
  }
  if (F.isVarArg()) {
    diagnoseError(F, "cannot isolate variadic function " + F.getName());
    return false;
  }
  SmallVector<ArgPlan, 8> Plan;
  if (!planArgs(F, Plan) || !planRethrow(F))
    return false;

  // Block = { ret, arg0 (or its copy), arg1, ... }
  SmallVector<Type *, 8> Fields;
  Type *RetTy = F.getReturnType();
  bool HasRetField = !RetTy->isVoidTy();
  if (HasRetField)
    Fields.push_back(RetTy);
  for (ArgPlan &P : Plan) {
    P.Field = Fields.size();
    Fields.push_back(P.isCopy() ? PointerType::getUnqual(C) : P.SlotTy);
  }
  for (ArgPlan &P : Plan)
    if (P.isDeep()) {
      P.LenField = Fields.size();
      Fields.push_back(Type::getInt64Ty(C));
      P.ObjField = Fields.size();
      // The object, built in the domain: 16-byte aligned storage.
      uint64_t N = alignTo(P.ElemSize, 16) / 16;
      Fields.push_back(ArrayType::get(
          VectorType::get(Type::getInt32Ty(C), 4, false), N));
    }
  if (Rt.Run) {
    Rt.ExcField = Fields.size();
    Fields.push_back(Type::getInt32Ty(C));
    Rt.WhatField = Fields.size();
    Fields.push_back(ArrayType::get(Type::getInt8Ty(C), sdrad::RethrowWhatSize));
  }
  if (Fields.empty())
    Fields.push_back(Type::getInt8Ty(C));
  StructType *BlockTy =
      StructType::create(C, Fields, (F.getName() + ".sdrad_block").str());

  GlobalVariable *Ref = RefOf.lookup(&F);
  if (!Ref)
    return false; // planDomains diagnosed it
  std::string Domain = domainName(F);
  LLVM_DEBUG(dbgs() << "sdrad-isolate: " << F.getName() << " -> domain '"
                    << Domain << "', block " << *BlockTy << " ("
                    << DL.getTypeAllocSize(BlockTy) << " bytes)\n");
  ++NumThunks;
  NumCopies += count_if(Plan, [](const ArgPlan &P) { return P.isCopy(); });
  if (!planResult(F, Plan, BlockTy))
    return false;
  {
    auto *SRet = find_if(Plan, [](const ArgPlan &P) {
      return P.Kind == ArgKind::SRet;
    });
    Res.Drop = makeDrop(F, BlockTy, Plan,
                        SRet == Plan.end() ? 0 : SRet->Field);
  }
  Function *Body = moveBody(F);
  Function *Entry = makeEntry(F, *Body, BlockTy, Plan, HasRetField);
  if (Rt.Run)
    Entry = makeCatchingEntry(F, *Entry, BlockTy);

  // F is now the thunk.
  F.removeFnAttr(Attribute::Memory);
  F.removeFnAttr(Attribute::NoFree);
  F.removeFnAttr(Attribute::NoSync);
  F.removeFnAttr(Attribute::Naked);
  emitThunk(F, Ref, *Entry, BlockTy, Plan, HasRetField);
  // Done: "sdrad-domain" goes (so that a second run leaves F alone), the
  // thunk says which domain it enters.
  for (const char *K : sdrad::ContractFnAttrs)
    F.removeFnAttr(K);
  F.addFnAttr(sdrad::AttrThunk, Domain);
  return true;
}

/// Internal pointer globals that code stores a computed value into stay
/// globals the optimiser cannot see through (llvm.compiler.used).  Else
/// GlobalOpt turns one allocation stored once in such a global (a lazily
/// made library state: `static S *g; ... g = malloc(sizeof *g);`) into a
/// static variable: root memory, where sdrad_shared_allocations(1) was to
/// give memory domains may write, so the domain's first write faults.
/// Only GlobalOpt's analysis of those globals is given up.
static bool keepStoredPointerGlobals(Module &M) {
  SmallVector<GlobalValue *, 8> Keep;
  for (GlobalVariable &GV : M.globals()) {
    if (!GV.hasLocalLinkage() || !GV.getValueType()->isPointerTy())
      continue;
    bool Computed = any_of(GV.users(), [&](const User *U) {
      const auto *S = dyn_cast<StoreInst>(U);
      return S && S->getPointerOperand() == &GV &&
             !isa<Constant>(S->getValueOperand());
    });
    if (Computed)
      Keep.push_back(&GV);
  }
  if (Keep.empty())
    return false;
  LLVM_DEBUG(dbgs() << "sdrad-isolate: " << Keep.size()
                    << " internal pointer globals kept from GlobalOpt\n");
  appendToCompilerUsed(M, Keep);
  return true;
}

} // namespace

PreservedAnalyses sdrad::IsolatePass::run(Module &M,
                                          ModuleAnalysisManager &) {
  bool Changed = lowerGlobalAnnotations(M);
  Changed |= keepStoredPointerGlobals(M);
  SmallVector<Function *, 8> Todo;
  for (Function &F : M) {
    if (!F.isDeclaration())
      Changed |= lowerParamAnnotations(F);
    if (F.hasFnAttribute(sdrad::AttrDomain) && !F.isDeclaration())
      Todo.push_back(&F);
  }
  if (Todo.empty())
    return Changed ? PreservedAnalyses::none() : PreservedAnalyses::all();
  {
    Isolator I(M);
    I.planDomains(Todo);
    for (Function *F : Todo)
      Changed |= I.isolate(*F);
    I.registerEntries();
    I.registerSettings();
  }
  // Runtime entry points no thunk needed (e.g. __sdrad_copy_string).
  for (Function &F : make_early_inc_range(M))
    if (F.isDeclaration() && F.use_empty() &&
        F.getName().starts_with("__sdrad_"))
      F.eraseFromParent();
  return Changed ? PreservedAnalyses::none() : PreservedAnalyses::all();
}
