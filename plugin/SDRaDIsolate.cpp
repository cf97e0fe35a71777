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
//     "sdrad-shared" on its parameters.  Hand-written IR starts here.
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
#include "llvm/IR/Constants.h"
#include "llvm/IR/DataLayout.h"
#include "llvm/IR/DerivedTypes.h"
#include "llvm/IR/IRBuilder.h"
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

//===----------------------------------------------------------------------===//
// Step 1: annotations -> IR contract
//===----------------------------------------------------------------------===//

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

/// "sdrad.KIND;k=v;..." -> KIND and its fields.
struct Annotation {
  StringRef Kind;
  SmallVector<std::pair<StringRef, StringRef>, 4> Fields;
  StringRef get(StringRef Key) const {
    for (auto &[K, V] : Fields)
      if (K == Key)
        return V;
    return {};
  }
};

std::optional<Annotation> parseAnnotation(StringRef S) {
  if (!S.consume_front(sdrad::AnnPrefix))
    return std::nullopt;
  SmallVector<StringRef, 4> Parts;
  S.split(Parts, ';');
  Annotation A;
  A.Kind = Parts[0];
  for (StringRef P : drop_begin(Parts))
    A.Fields.push_back(P.split('='));
  return A;
}

void applyIsolateAnnotation(Function &F, const Annotation &A, Value *Args) {
  if (F.hasFnAttribute(sdrad::AttrDomain))
    return; // duplicate (declaration and definition both annotated)
  LLVM_DEBUG(dbgs() << "sdrad-isolate: " << F.getName() << ": domain '"
                    << A.get("domain") << "', policy " << A.get("policy")
                    << "\n");
  ++NumLowered;
  F.addFnAttr(sdrad::AttrDomain, A.get("domain"));
  F.addFnAttr(sdrad::AttrPolicy, A.get("policy"));
  if (StringRef V = A.get("value"); !V.empty())
    F.addFnAttr(sdrad::AttrFallbackValue, V);
  if (StringRef V = A.get("syscalls"); !V.empty())
    F.addFnAttr(sdrad::AttrSyscalls, V);
  if (Constant *FB = annotationArg(Args, 0))
    if (auto *FBF = dyn_cast<Function>(FB->stripPointerCasts()))
      F.addFnAttr(sdrad::AttrFallback, FBF->getName());
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
    if (F && A->Kind == "isolate")
      applyIsolateAnnotation(*F, *A,
                             CS->getNumOperands() > 4 ? CS->getOperand(4)
                                                      : nullptr);
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

/// Turns the llvm.var.annotation calls the frontend left on parameters into
/// parameter attributes, and removes them.
bool lowerParamAnnotations(Function &F) {
  struct ParamAnn {
    Argument *Arg;
    Annotation A;
    uint64_t ElemSize;
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
    Argument *Arg = argumentStoredTo(II->getArgOperand(0));
    if (!Arg)
      continue;
    if (A->Kind == "count") {
      CountArgs[A->get("name")] = Arg->getArgNo();
      continue;
    }
    uint64_t Elem = 1;
    if (auto *CI = dyn_cast_or_null<ConstantInt>(
            annotationArg(II->getArgOperand(4), 0)))
      Elem = CI->getZExtValue();
    Params.push_back({Arg, *A, Elem});
  }
  for (Instruction *I : Dead)
    I->eraseFromParent();
  if (!F.hasFnAttribute(sdrad::AttrDomain))
    return !Dead.empty();
  for (ParamAnn &P : Params) {
    unsigned No = P.Arg->getArgNo();
    StringRef Kind = P.A.Kind;
    if (Kind == "string") {
      F.addParamAttr(No, Attribute::get(F.getContext(), sdrad::AttrString));
      continue;
    }
    if (Kind == "shared") {
      F.addParamAttr(No, Attribute::get(F.getContext(), sdrad::AttrShared));
      continue;
    }
    const char *Attr = Kind == "in"    ? sdrad::AttrIn
                       : Kind == "out" ? sdrad::AttrOut
                                       : sdrad::AttrInOut;
    StringRef Count = P.A.get("count");
    std::string Spec = Count.str();
    if (!Count.empty() && !isDigit(Count[0])) {
      auto It = CountArgs.find(Count);
      if (It == CountArgs.end()) {
        errs() << "sdrad-isolate: " << F.getName() << ": count '" << Count
               << "' of parameter " << No << " not found; using 0\n";
        Spec = "0";
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
  unsigned Field = 0;          // index in the block struct
  Value *Bytes = nullptr;      // thunk-side byte count (copies)
  Value *Copy = nullptr;       // thunk-side copy pointer (copies)

  bool isCopy() const {
    return Kind == ArgKind::In || Kind == ArgKind::Out ||
           Kind == ArgKind::InOut || Kind == ArgKind::String;
  }
  bool copiesBack() const {
    return Kind == ArgKind::Out || Kind == ArgKind::InOut;
  }
};

/// The runtime entry points of sdrad/abi.h.
struct RuntimeABI {
  StructType *RefTy;
  FunctionCallee DomainHandle, BlockAlloc, BlockFree, CopyIn, CopyString,
      Call, CallWith, CopyCheck, CopyOut;

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
    BlockAlloc = Decl("__sdrad_block_alloc", Ptr, {I64, I64});
    BlockFree = Decl("__sdrad_block_free", Void, {I64, Ptr});
    CopyIn = Decl("__sdrad_copy_in", Ptr, {I64, Ptr, I64});
    CopyString = Decl("__sdrad_copy_string", Ptr, {I64, Ptr});
    Call = Decl("__sdrad_call", I32, {I64, Ptr, Ptr});
    CallWith = Decl("__sdrad_call_with", I32, {I64, Ptr, Ptr, I64});
    CopyCheck = Decl("__sdrad_copy_check", I32, {I64, Ptr});
    CopyOut = Decl("__sdrad_copy_out", Void, {I64, Ptr, Ptr, I64});
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


class Isolator {
  Module &M;
  LLVMContext &C;
  const DataLayout &DL;
  RuntimeABI RT;
  StringMap<GlobalVariable *> Refs;

public:
  explicit Isolator(Module &M)
      : M(M), C(M.getContext()), DL(M.getDataLayout()), RT(M) {}

  bool isolate(Function &F);

private:
  GlobalVariable *domainRef(StringRef Name, unsigned Policy);
  bool planArgs(Function &F, SmallVectorImpl<ArgPlan> &Plan);
  Function *moveBody(Function &F);
  Function *makeEntry(Function &F, Function &Body, StructType *BlockTy,
                      ArrayRef<ArgPlan> Plan, bool HasRetField);
  void emitThunk(Function &F, StringRef Domain, Function &Entry,
                 StructType *BlockTy, MutableArrayRef<ArgPlan> Plan,
                 bool HasRetField);
  void emitAlternate(IRBuilder<> &B, Function &F);
  static void ifNonNull(IRBuilder<> &B, Value *P, StringRef Name,
                        function_ref<void(IRBuilder<> &)> Then);
};

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

std::optional<uint64_t> parseUInt(StringRef S) {
  uint64_t V;
  if (S.getAsInteger(0, V))
    return std::nullopt;
  return V;
}

/// Reads the parameter attributes of \p F into a plan per IR argument.
bool Isolator::planArgs(Function &F, SmallVectorImpl<ArgPlan> &Plan) {
  for (Argument &A : F.args()) {
    unsigned No = A.getArgNo();
    ArgPlan P;
    P.SlotTy = A.getType();
    auto Str = [&](const char *K) {
      return F.getAttributes().getParamAttr(No, K);
    };
    if (A.hasByValAttr()) {
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
            F.getContext().emitError("sdrad-isolate: " + F.getName() +
                                     ": bad count 'arg" + Count +
                                     "' on parameter " + Twine(No));
            return false;
          }
          P.CountArg = *Idx;
        } else if (auto N = parseUInt(Count)) {
          P.ConstCount = *N;
        } else {
          F.getContext().emitError("sdrad-isolate: " + F.getName() +
                                   ": bad count '" + Count +
                                   "' on parameter " + Twine(No));
          return false;
        }
        if (auto E = parseUInt(
                Str(sdrad::AttrElemSize).getValueAsString()))
          P.ElemSize = *E;
      }
    }
    if (A.hasInAllocaAttr() || A.hasPreallocatedAttr() ||
        A.hasSwiftErrorAttr() || A.hasAttribute(Attribute::SwiftSelf) ||
        A.hasAttribute(Attribute::SwiftAsync) || A.hasNestAttr()) {
      F.getContext().emitError("sdrad-isolate: " + F.getName() +
                               ": parameter " + Twine(No) +
                               " cannot be passed through an argument block");
      return false;
    }
    if (P.isCopy() && !A.getType()->isPointerTy()) {
      F.getContext().emitError("sdrad-isolate: " + F.getName() +
                               ": copy annotation on non-pointer parameter " +
                               Twine(No));
      return false;
    }
    Plan.push_back(P);
  }
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
  for (const char *K : {sdrad::AttrDomain, sdrad::AttrPolicy,
                        sdrad::AttrFallback, sdrad::AttrFallbackValue,
                        sdrad::AttrSyscalls})
    Body->removeFnAttr(K);
  Body->removeFnAttr(Attribute::AlwaysInline);
  Body->addFnAttr(Attribute::NoInline);
  if (!Body->hasFnAttribute(Attribute::StackProtectReq)) {
    Body->removeFnAttr(Attribute::StackProtect);
    Body->addFnAttr(Attribute::StackProtectStrong);
  }
  Body->addFnAttr(sdrad::AttrBody);
  for (unsigned I = 0, E = Body->arg_size(); I != E; ++I)
    for (const char *K : {sdrad::AttrIn, sdrad::AttrOut, sdrad::AttrInOut,
                          sdrad::AttrString, sdrad::AttrShared,
                          sdrad::AttrElemSize})
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
    for (const char *K : {sdrad::AttrIn, sdrad::AttrOut, sdrad::AttrInOut,
                          sdrad::AttrString, sdrad::AttrShared,
                          sdrad::AttrElemSize})
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
  for (auto [P, A] : zip(Plan, F.args())) {
    Value *Slot = B.CreateStructGEP(BlockTy, Blk, P.Field, A.getName() + ".slot");
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
    } else
      Args.push_back(B.CreateAlignedLoad(P.SlotTy, Slot,
                                         fieldAlign(DL, P.SlotTy),
                                         A.getName()));
  }
  CallInst *Call = B.CreateCall(&Body, Args);
  Call->setCallingConv(Body.getCallingConv());
  Call->setAttributes(callAttrs(Body, C));
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
  Function *F = B.GetInsertBlock()->getParent();
  LLVMContext &C = F->getContext();
  auto *ThenBB = BasicBlock::Create(C, Name, F);
  auto *Done = BasicBlock::Create(C, Name + ".done", F);
  B.CreateCondBr(B.CreateIsNotNull(P, P->getName() + ".nonnull"), ThenBB,
                 Done);
  B.SetInsertPoint(ThenBB);
  Then(B);
  B.CreateBr(Done);
  B.SetInsertPoint(Done);
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
    if (A.hasStructRetAttr()) // zero the caller's return slot
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

void Isolator::emitThunk(Function &F, StringRef Domain, Function &Entry,
                         StructType *BlockTy, MutableArrayRef<ArgPlan> Plan,
                         bool HasRetField) {
  StringRef Policy = F.getFnAttribute(sdrad::AttrPolicy).getValueAsString();
  // SDRAD_POLICY_SYSCALLS_EPERM / _ANY (sdrad/abi.h) in bits 8-11.
  StringRef Syscalls = F.getFnAttribute(sdrad::AttrSyscalls).getValueAsString();
  unsigned SyscallBits = Syscalls == "eperm" ? 1u << 8 : Syscalls == "any" ? 2u << 8 : 0;
  GlobalVariable *Ref =
      domainRef(Domain, (Policy == "confidentiality" ? 1 : 0) | SyscallBits);
  MDBuilder MDB(C);
  MDNode *Unlikely = sdrad::compat::unlikelyBranchWeights(MDB);
  MDNode *Likely = sdrad::compat::likelyBranchWeights(MDB);

  auto *EntryBB = BasicBlock::Create(C, "entry", &F);
  auto *RegisterBB = BasicBlock::Create(C, "register", &F);
  auto *ReadyBB = BasicBlock::Create(C, "ready", &F);
  auto *AllocBB = BasicBlock::Create(C, "alloc", &F);
  auto *FillBB = BasicBlock::Create(C, "fill", &F);
  auto *FailBB = BasicBlock::Create(C, "fail", &F);

  // h = ref.handle; if (h <= 0) h = __sdrad_domain_handle(&ref);
  IRBuilder<> B(EntryBB);
  // The runtime may store the handle from another thread: a relaxed atomic
  // load (a plain mov on x86-64).
  LoadInst *Cached =
      B.CreateAlignedLoad(B.getInt64Ty(), Ref, Align(8), "handle");
  Cached->setAtomic(AtomicOrdering::Monotonic);
  B.CreateCondBr(B.CreateICmpSLE(Cached, B.getInt64(0), "unregistered"),
                 RegisterBB, ReadyBB,
                 Unlikely);
  B.SetInsertPoint(RegisterBB);
  Value *Registered = B.CreateCall(RT.DomainHandle, {Ref}, "handle.new");
  B.CreateBr(ReadyBB);
  B.SetInsertPoint(ReadyBB);
  PHINode *H = B.CreatePHI(B.getInt64Ty(), 2, "h");
  H->addIncoming(Cached, EntryBB);
  H->addIncoming(Registered, RegisterBB);
  // if (h < 0) -> alternate action
  B.CreateCondBr(B.CreateICmpSLT(H, B.getInt64(0), "bad.handle"), FailBB,
                 AllocBB,
                 Unlikely);

  // A block of at most SDRAD_MAX_INLINE_BLOCK bytes is built in the thunk's
  // own frame and travels on the domain stack (__sdrad_call_with): no
  // allocation, one runtime call.  A larger one is allocated in the domain:
  // blk = __sdrad_block_alloc(h, sizeof(Block)); NULL -> alternate action.
  B.SetInsertPoint(AllocBB);
  uint64_t BlockSize = DL.getTypeAllocSize(BlockTy);
  bool Inline = BlockSize <= MaxInlineBlock;
  Value *Blk;
  if (Inline) {
    IRBuilder<> AB(EntryBB, EntryBB->begin());
    AllocaInst *Local = AB.CreateAlloca(BlockTy, nullptr, "blk");
    Local->setAlignment(Align(BlockAlign));
    Blk = Local;
    // Zeroed: padding must not carry the caller's stack into the domain.
    B.CreateMemSet(Blk, B.getInt8(0), BlockSize, Align(BlockAlign));
    B.CreateBr(FillBB);
  } else {
    Blk = B.CreateCall(RT.BlockAlloc, {H, B.getInt64(BlockSize)}, "blk");
    B.CreateCondBr(B.CreateIsNull(Blk, "no.block"), FailBB, FillBB, Unlikely);
  }

  // Store the arguments; copy the buffers.
  B.SetInsertPoint(FillBB);
  Value *Lost = B.getFalse();
  for (auto [P, A] : zip(Plan, F.args())) {
    Value *Slot = B.CreateStructGEP(BlockTy, Blk, P.Field, A.getName() + ".slot");
    Align SlotAlign = fieldAlign(DL, P.SlotTy);
    if (P.Kind == ArgKind::SRet)
      continue; // the return slot: written by the body
    if (P.Kind == ArgKind::ByVal) {
      B.CreateMemCpy(Slot, SlotAlign, &A, A.getParamAlign().valueOrOne(),
                     DL.getTypeAllocSize(P.SlotTy));
      continue;
    }
    if (!P.isCopy()) {
      B.CreateAlignedStore(&A, Slot, SlotAlign);
      continue;
    }
    if (P.Kind == ArgKind::String) {
      // __sdrad_copy_string(h, NULL) is NULL.
      P.Copy = B.CreateCall(RT.CopyString, {H, &A}, A.getName() + ".copy");
    } else {
      Value *Count =
          P.CountArg ? B.CreateZExtOrTrunc(F.getArg(*P.CountArg),
                                           B.getInt64Ty(), "count")
                     : B.getInt64(*P.ConstCount);
      // bytes = count * elem_size, saturated so that an overflow asks for
      // an impossible size (a NULL copy) instead of a short buffer.
      if (P.ConstCount) {
        uint64_t Bytes;
        if (__builtin_mul_overflow(*P.ConstCount, P.ElemSize, &Bytes))
          Bytes = UINT64_MAX;
        P.Bytes = B.getInt64(Bytes);
      } else if (P.ElemSize == 1) {
        P.Bytes = Count;
      } else {
        Value *Mul = B.CreateBinaryIntrinsic(
            Intrinsic::umul_with_overflow, Count, B.getInt64(P.ElemSize));
        P.Bytes = B.CreateSelect(B.CreateExtractValue(Mul, 1),
                                 B.getInt64(UINT64_MAX),
                                 B.CreateExtractValue(Mul, 0),
                                 A.getName() + ".bytes");
      }
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
      Value *Copied = B.CreateCall(RT.CopyIn, {H, Src, P.Bytes});
      B.CreateBr(Done);
      B.SetInsertPoint(Done);
      PHINode *Phi = B.CreatePHI(B.getPtrTy(), 2, A.getName() + ".copy");
      Phi->addIncoming(ConstantPointerNull::get(B.getPtrTy()), Before);
      Phi->addIncoming(Copied, CopyBB);
      P.Copy = Phi;
    }
    // A non-NULL input without a copy: out of domain memory.
    Value *LostThis = B.CreateAnd(B.CreateIsNotNull(&A, A.getName() + ".given"),
                                  B.CreateIsNull(P.Copy, A.getName() + ".none"),
                                  A.getName() + ".lost");
    Lost = Lost == B.getFalse() ? LostThis
                                : B.CreateOr(Lost, LostThis, "lost");
    B.CreateAlignedStore(P.Copy, Slot, SlotAlign);
  }

  auto *CallBB = BasicBlock::Create(C, "call", &F);
  if (Lost == B.getFalse()) {
    B.CreateBr(CallBB);
  } else {
    auto *CleanupBB = BasicBlock::Create(C, "cleanup", &F);
    B.CreateCondBr(Lost, CleanupBB, CallBB, Unlikely);
    // The call did not happen: give back what was taken, then fail.
    B.SetInsertPoint(CleanupBB);
    for (ArgPlan &P : Plan)
      if (P.Copy)
        ifNonNull(B, P.Copy, "free.partial", [&](IRBuilder<> &TB) {
          TB.CreateCall(RT.BlockFree, {H, P.Copy});
        });
    if (!Inline)
      B.CreateCall(RT.BlockFree, {H, Blk});
    B.CreateBr(FailBB);
  }

  // st = __sdrad_call(h, entry, blk)
  B.SetInsertPoint(CallBB);
  Value *St =
      Inline ? B.CreateCall(RT.CallWith, {H, &Entry, Blk, B.getInt64(BlockSize)}, "status")
             : B.CreateCall(RT.Call, {H, &Entry, Blk}, "status");
  BasicBlock *Next = BasicBlock::Create(C, "check", &F);
  B.CreateCondBr(B.CreateIsNull(St, "ok"), Next, FailBB, Likely);
  // if (st == 0) st = __sdrad_copy_check(h, c) for each copy, stop at the
  // first non-zero.
  for (ArgPlan &P : Plan) {
    if (!P.Copy)
      continue;
    B.SetInsertPoint(Next);
    Value *Check = B.CreateCall(RT.CopyCheck, {H, P.Copy}, "canary");
    Next = BasicBlock::Create(C, "check", &F);
    B.CreateCondBr(B.CreateIsNull(Check, "intact"), Next, FailBB, Likely);
  }
  Next->setName("success");
  B.SetInsertPoint(Next);

  // Success: copy out/inout back, read the result, free copies and block.
  for (ArgPlan &P : Plan)
    if (P.copiesBack()) {
      Argument *A = F.getArg(&P - Plan.data());
      ifNonNull(B, A, (A->getName() + ".copyout").str(),
                [&](IRBuilder<> &TB) {
                  TB.CreateCall(RT.CopyOut, {H, A, P.Copy, P.Bytes});
                });
    }
  Value *Result = nullptr;
  for (auto [P, A] : zip(Plan, F.args()))
    if (P.Kind == ArgKind::SRet)
      B.CreateMemCpy(&A, A.getParamAlign().valueOrOne(),
                     B.CreateStructGEP(BlockTy, Blk, P.Field),
                     fieldAlign(DL, P.SlotTy), DL.getTypeAllocSize(P.SlotTy));
  if (HasRetField)
    Result = B.CreateAlignedLoad(F.getReturnType(),
                                 B.CreateStructGEP(BlockTy, Blk, 0, "ret.slot"),
                                 fieldAlign(DL, F.getReturnType()), "ret");
  for (ArgPlan &P : Plan)
    if (P.Copy)
      ifNonNull(B, P.Copy, "free", [&](IRBuilder<> &TB) {
        TB.CreateCall(RT.BlockFree, {H, P.Copy});
      });
  if (!Inline)
    B.CreateCall(RT.BlockFree, {H, Blk});
  if (Result)
    B.CreateRet(Result);
  else
    B.CreateRetVoid();

  // Failure: the instance is gone (or was never entered).
  B.SetInsertPoint(FailBB);
  emitAlternate(B, F);
  FailBB->moveAfter(&F.back());
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
    C.emitError("sdrad-isolate: cannot isolate variadic function " +
                F.getName());
    return false;
  }
  SmallVector<ArgPlan, 8> Plan;
  if (!planArgs(F, Plan))
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
  if (Fields.empty())
    Fields.push_back(Type::getInt8Ty(C));
  StructType *BlockTy =
      StructType::create(C, Fields, (F.getName() + ".sdrad_block").str());

  std::string Domain = domainName(F);
  LLVM_DEBUG(dbgs() << "sdrad-isolate: " << F.getName() << " -> domain '"
                    << Domain << "', block " << *BlockTy << " ("
                    << DL.getTypeAllocSize(BlockTy) << " bytes)\n");
  ++NumThunks;
  NumCopies += count_if(Plan, [](const ArgPlan &P) { return P.isCopy(); });
  Function *Body = moveBody(F);
  Function *Entry = makeEntry(F, *Body, BlockTy, Plan, HasRetField);

  // F is now the thunk.
  F.removeFnAttr(Attribute::Memory);
  F.removeFnAttr(Attribute::NoFree);
  F.removeFnAttr(Attribute::NoSync);
  F.removeFnAttr(Attribute::Naked);
  emitThunk(F, Domain, *Entry, BlockTy, Plan, HasRetField);
  // Done: "sdrad-domain" goes (so that a second run leaves F alone), the
  // thunk says which domain it enters.
  F.removeFnAttr(sdrad::AttrDomain);
  F.removeFnAttr(sdrad::AttrPolicy);
  F.removeFnAttr(sdrad::AttrFallback);
  F.removeFnAttr(sdrad::AttrFallbackValue);
  F.removeFnAttr(sdrad::AttrSyscalls);
  F.addFnAttr(sdrad::AttrThunk, Domain);
  return true;
}

} // namespace

PreservedAnalyses sdrad::IsolatePass::run(Module &M,
                                          ModuleAnalysisManager &) {
  bool Changed = lowerGlobalAnnotations(M);
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
    for (Function *F : Todo)
      Changed |= I.isolate(*F);
  }
  // Runtime entry points no thunk needed (e.g. __sdrad_copy_string).
  for (Function &F : make_early_inc_range(M))
    if (F.isDeclaration() && F.use_empty() &&
        F.getName().starts_with("__sdrad_"))
      F.eraseFromParent();
  return Changed ? PreservedAnalyses::none() : PreservedAnalyses::all();
}
