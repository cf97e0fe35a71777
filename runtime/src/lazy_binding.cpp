// Programs linked without -z now bind their PLT lazily: the first call
// through an entry runs the dynamic linker, which writes the executable's
// GOT.  Under pku that GOT is root memory (keys.cpp), so the first call of
// each imported function from inside a domain would be a key violation.
// At start-up (root, before the executable's data is tagged) every
// JUMP_SLOT of the executable is resolved here, as -z now would have done.
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

namespace sdrad {
namespace {

struct DynInfo {
  const ElfW(Rela) *jmprel = nullptr;
  size_t pltrelsz = 0;
  const ElfW(Sym) *symtab = nullptr;
  const char *strtab = nullptr;
  const ElfW(Half) *versym = nullptr;
  const ElfW(Verneed) *verneed = nullptr;
  bool bind_now = false;
  bool rela = true;
};

// d_ptr values: glibc relocates them in place; unrelocated ones are offsets.
template <class T>
const T *dyn_ptr(uintptr_t base, ElfW(Addr) v) {
  return (const T *)(v >= base ? v : v + base);
}

DynInfo read_dynamic(const dl_phdr_info *info) {
  DynInfo d;
  const ElfW(Dyn) *dyn = nullptr;
  for (int i = 0; i < info->dlpi_phnum; ++i)
    if (info->dlpi_phdr[i].p_type == PT_DYNAMIC) dyn = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
  if (!dyn) return d;
  uintptr_t b = info->dlpi_addr;
  for (; dyn->d_tag != DT_NULL; ++dyn) {
    switch (dyn->d_tag) {
      case DT_JMPREL: d.jmprel = dyn_ptr<ElfW(Rela)>(b, dyn->d_un.d_ptr); break;
      case DT_PLTRELSZ: d.pltrelsz = dyn->d_un.d_val; break;
      case DT_PLTREL: d.rela = dyn->d_un.d_val == DT_RELA; break;
      case DT_SYMTAB: d.symtab = dyn_ptr<ElfW(Sym)>(b, dyn->d_un.d_ptr); break;
      case DT_STRTAB: d.strtab = dyn_ptr<char>(b, dyn->d_un.d_ptr); break;
      case DT_VERSYM: d.versym = dyn_ptr<ElfW(Half)>(b, dyn->d_un.d_ptr); break;
      case DT_VERNEED: d.verneed = dyn_ptr<ElfW(Verneed)>(b, dyn->d_un.d_ptr); break;
      case DT_BIND_NOW: d.bind_now = true; break;
      case DT_FLAGS: d.bind_now |= (dyn->d_un.d_val & DF_BIND_NOW) != 0; break;
      case DT_FLAGS_1: d.bind_now |= (dyn->d_un.d_val & DF_1_NOW) != 0; break;
    }
  }
  return d;
}

// The version name a symbol index needs (DT_VERNEED), or nullptr.
const char *needed_version(const DynInfo &d, size_t sym) {
  if (!d.versym || !d.verneed) return nullptr;
  ElfW(Half) want = d.versym[sym] & 0x7fff;
  if (want < 2) return nullptr;
  for (const ElfW(Verneed) *vn = d.verneed;; vn = (const ElfW(Verneed) *)((const char *)vn + vn->vn_next)) {
    const ElfW(Vernaux) *va = (const ElfW(Vernaux) *)((const char *)vn + vn->vn_aux);
    for (unsigned i = 0; i < vn->vn_cnt; ++i, va = (const ElfW(Vernaux) *)((const char *)va + va->vna_next))
      if (va->vna_other == want) return d.strtab + va->vna_name;
    if (!vn->vn_next) return nullptr;
  }
}

struct Result {
  size_t resolved = 0, unresolved = 0;
  const char *first_missing = nullptr;
  bool lazy = false;
};

int resolve_exe(dl_phdr_info *info, size_t, void *p) {
  auto *r = (Result *)p;
  DynInfo d = read_dynamic(info);
  if (d.bind_now || !d.jmprel || !d.pltrelsz || !d.symtab || !d.strtab) return 1;
  if (!d.rela) {
    r->lazy = true;
    r->first_missing = "(REL-format PLT)";
    return 1;
  }
  r->lazy = true;
  for (size_t i = 0; i < d.pltrelsz / sizeof(ElfW(Rela)); ++i) {
    const ElfW(Rela) &rel = d.jmprel[i];
    if (ELF64_R_TYPE(rel.r_info) != R_X86_64_JUMP_SLOT) continue;  // IRELATIVE: done by ld.so
    size_t sym = ELF64_R_SYM(rel.r_info);
    const char *name = d.strtab + d.symtab[sym].st_name;
    const char *ver = needed_version(d, sym);
    void *v = ver ? dlvsym(RTLD_DEFAULT, name, ver) : nullptr;
    if (!v) v = dlsym(RTLD_DEFAULT, name);
    if (!v) {
      // A weak undefined function: calling it would fault in any case.
      if (ELF64_ST_BIND(d.symtab[sym].st_info) != STB_WEAK && !r->first_missing) r->first_missing = name;
      ++r->unresolved;
      continue;
    }
    *(void **)(info->dlpi_addr + rel.r_offset) = (void *)((uintptr_t)v + rel.r_addend);
    ++r->resolved;
  }
  return 1;  // the executable only (its GOT is the one tagged root)
}

}  // namespace

void resolve_lazy_plt() {
  Result r;
  dl_iterate_phdr(resolve_exe, &r);
  if (!r.lazy) return;
  if (r.first_missing && g_shared.pku)
    fatal("the program is linked with lazy binding and its PLT entry for %s cannot be resolved at start-up: "
          "under pku its first call from a domain would write root memory. Link with -Wl,-z,now",
          r.first_missing);
  log_line("lazy binding: resolved %zu PLT entries of the executable at start-up (%zu left unresolved)",
           r.resolved, r.unresolved);
}

}  // namespace sdrad
