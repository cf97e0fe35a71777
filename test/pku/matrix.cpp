// matrix.cpp - the isolation matrix of SDRaD-C++ (docs/security.md).
//
// Each row runs one isolated function that tries something, with a
// checksum of the root's memory (globals, a root heap buffer, the caller's
// stack frame) before and after, then calls the same domain again to check
// that it still works.  One line per row:
//
//   ROW <name> | expected=<blocked|allowed|unblockable> | result=<...> |
//       root-unchanged=<yes|no> | next-call=<ok|fail> | verdict=<pass|FAIL|info>
//
// verdict=info: the row is reported but cannot fail the run (rows PKU
// cannot stop; rows that need protection keys when the backend is
// `unprotected`; known gaps).  Exit status 1 when any row has verdict=FAIL.
//
// Two builds of this file:
//   sdrad_pku_matrix         rows written against the runtime's thunk ABI
//                            (sdrad/abi.h: the block built by the caller and
//                            copied in, as the plugin's thunks do), plus
//                            rows through the SDRaD-compatible API;
//   sdrad_pku_matrix_plugin  (-DMATRIX_PLUGIN, -fplugin=SDRaDPlugin.so) the
//                            same attacks as [[sdrad::isolate]] functions.
// Every row runs in a child process (fork), so a row that hangs or kills
// its process is reported as HANG/CRASHED and the others still run.
//
// Rows that need addresses inside the runtime ("write_runtime_state",
// "write_runtime_shared_page", "jump_into_switch_gate*") use its hidden
// symbols sdrad_shared_page and sdrad_jump, which a static link
// (sdrad_runtime is libsdrad.a, whole archive) resolves; the offsets of
// SharedPage fields below mirror runtime/src/gate_macros.inc.
//
// Options (environment): MATRIX_VERBOSE=1 prints each row's last fault;
// MATRIX_NO_FORK=1 runs rows in one process; MATRIX_ROW_TIMEOUT=<s> (30);
// MATRIX_NO_KNOWN_GAPS=1 fails known gaps too.  Argument: a substring of
// the row names to run.
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "sdrad/abi.h"
#include "sdrad/sdrad.h"
#include "sdrad_api.h"

// ---------------------------------------------------------------------------
// Runtime internals used by two rows (see the header comment).
#include "../../runtime/src/asm_offsets.h"  // the shared page's offsets (checked in the runtime)
extern "C" {
extern char sdrad_shared_page[] __attribute__((visibility("hidden")));
void sdrad_jump(const void *ctx, int64_t value) __attribute__((visibility("hidden")));
}
namespace shared {
constexpr size_t kPku = SP_PKU, kRootKey = SP_ROOT_KEY, kStateBase = SP_STATE_BASE, kExitHead = SP_EXIT_HEAD;
template <class T>
T get(size_t off) {
  T v;
  memcpy(&v, sdrad_shared_page + off, sizeof v);
  return v;
}
}  // namespace shared

// ---------------------------------------------------------------------------
// Root memory.
struct RootGlobals {
  char victim[256];
  long secret;
  long config;
  char tail[256];
};
static RootGlobals g_root;
alignas(4096) static char g_victim_page[4096];  // for the mprotect rows
static char *g_root_heap;                        // 4096 bytes of root heap
static const size_t kHeapBuf = 4096;
static const long kSecret = 0x5ec2e75ec2e7L;
static const long kConfig = 4242;

// Key-0 memory shared by the threads rows (an anonymous mapping: the
// runtime only tags the executable's data, the main stack and its heaps).
struct Shared {
  volatile int arrived;
};
static Shared *g_sync;

template <class T>
static inline T opaque(T v) {
  __asm__ volatile("" : "+r"(v)::"memory");
  return v;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
  const unsigned char *c = (const unsigned char *)p;
  for (size_t i = 0; i < n; ++i) h = (h ^ c[i]) * 1099511628211ull;
  return h;
}

struct Frame {  // the caller's stack frame the rows attack
  char bytes[512];
};

static uint64_t root_checksum(const Frame *fr) {
  uint64_t h = 1469598103934665603ull;
  h = fnv(h, &g_root, sizeof g_root);
  h = fnv(h, g_victim_page, sizeof g_victim_page);
  h = fnv(h, g_root_heap, kHeapBuf);
  if (fr) h = fnv(h, fr->bytes, sizeof fr->bytes);
  return h;
}

static void root_fill(Frame *fr) {
  for (size_t i = 0; i < sizeof g_root.victim; ++i) g_root.victim[i] = (char)(i * 7 + 1);
  memset(g_root.tail, 0x3c, sizeof g_root.tail);
  g_root.secret = kSecret;
  g_root.config = kConfig;
  for (size_t i = 0; i < sizeof g_victim_page; ++i) g_victim_page[i] = (char)(i * 13 + 5);
  for (size_t i = 0; i < kHeapBuf; ++i) g_root_heap[i] = (char)(i * 3 + 9);
  memcpy(g_root_heap + 512, &kSecret, sizeof kSecret);  // a secret in the root heap
  for (size_t i = 0; i < sizeof fr->bytes; ++i) fr->bytes[i] = (char)(i * 11 + 2);
}

// ---------------------------------------------------------------------------
// Domains.
enum Dom { D_MAIN, D_CONF, D_OTHER, D_N1, D_N2, D_N3, D_COUNT };
static const char *const kDomName[D_COUNT] = {"matrix",    "matrix.conf", "matrix.other",
                                              "matrix.n1", "matrix.n2",   "matrix.n3"};
static int64_t g_h[D_COUNT];

struct FakeCtx {  // shaped like the runtime's JmpCtx (80 bytes)
  uint64_t regs[6], rsp, rip;
  uint32_t mxcsr, fpucw, pkru, pad;
};

// The argument block: lives in the domain's heap (domain code writes its
// results here, never into root memory).
struct Block {
  void *target;
  uintptr_t aux;
  long value;
  long out;
  long out2;
  int reached;
  int err;
  int level, fail_at;
  int64_t handles[4];
  int inner_status[4];
  FakeCtx fake;
  char text[128];
};

// One isolated call as the plugin's thunks make it (sdrad/abi.h): the
// block is built in the caller's memory, copied in, checked, copied out.
// Works from root and from inside a domain (nested calls).
static int32_t run_in(int64_t h, void (*entry)(void *), Block &io) {
  Block *b = (Block *)__sdrad_copy_in(h, &io, sizeof(Block));
  if (!b) return SDRAD_E_NO_MEMORY;
  int32_t st = __sdrad_call(h, entry, b);
  if (st == 0) st = __sdrad_copy_check(h, b);
  if (st == 0) {
    __sdrad_copy_out(h, &io, b, sizeof(Block));
    __sdrad_block_free(h, b);
  }
  return st;
}

// The follow-up call of every row: must succeed and compute the right value.
static void e_benign(void *p) {
  Block *b = (Block *)p;
  char *m = (char *)malloc(1000);
  if (!m) return;
  memset(m, 7, 1000);
  long s = 0;
  for (int i = 0; i < 1000; ++i) s += m[i];
  free(opaque(m));
  b->out = s;
}
static bool next_call_ok(int64_t h) {
  Block b{};
  return run_in(h, e_benign, b) == 0 && b.out == 7000;
}

// ---------------------------------------------------------------------------
// Isolated functions of the rows.
static void wrpkru(uint32_t v) {
  __asm__ volatile(".byte 0x0f,0x01,0xef" ::"a"(v), "c"(0), "d"(0) : "memory");
}

static void e_write(void *p) {
  Block *b = (Block *)p;
  volatile char *t = (volatile char *)b->target;
  for (int i = 0; i < 16; ++i) t[i] = (char)(t[i] ^ 0x5a);
  b->reached = 1;
}

// Writes the byte it reads: harmless if it goes through, still a write.
static void e_write_same(void *p) {
  Block *b = (Block *)p;
  volatile char *t = (volatile char *)b->target;
  char v = t[0];
  t[0] = v;
  b->reached = 1;
}

static void e_read(void *p) {
  Block *b = (Block *)p;
  b->out = *(volatile long *)b->target;
  b->reached = 1;
}

static void e_wrpkru_write(void *p) {
  Block *b = (Block *)p;
  wrpkru(0);  // the injected gadget: all keys read-write
  volatile char *t = (volatile char *)b->target;
  for (int i = 0; i < 16; ++i) t[i] = (char)(t[i] ^ 0x5a);
  b->reached = 1;
}

static volatile char *g_landing_target;
extern "C" void matrix_gate_landing() {
  // Reached only if the gate let us through with PKRU 0.
  for (int i = 0; i < 16; ++i) g_landing_target[i] = (char)(g_landing_target[i] ^ 0x5a);
  abort();
}

static void e_gate_jump(void *p) {
  Block *b = (Block *)p;
  b->fake.rip = (uint64_t)&matrix_gate_landing;
  b->fake.pkru = 0;
  uintptr_t at = b->aux;  // the WRPKRU inside sdrad_jump
  long misalign = b->value;  // 1: keep whatever stack alignment we have
  FakeCtx *ctx = &b->fake;
  uintptr_t land = (uintptr_t)&matrix_gate_landing;
  __asm__ volatile(
      "mov %[ctx], %%r8\n\t"
      "and $-16, %%rsp\n\t"
      "test %[misalign], %[misalign]\n\t"
      "jnz 1f\n\t"
      "sub $8, %%rsp\n\t"  /* as if sdrad_jump had been called */
      "1:\n\t"
      "lea -1024(%%rsp), %%r10\n\t"
      "and $-16, %%r10\n\t"
      "mov %[land], %%r11\n\t"
      "xor %%r9d, %%r9d\n\t"
      "xor %%eax, %%eax\n\t"
      "xor %%ecx, %%ecx\n\t"
      "xor %%edx, %%edx\n\t"
      "jmp *%[at]\n\t"
      :
      : [ctx] "r"(ctx), [land] "r"(land), [at] "r"(at), [misalign] "r"(misalign)
      : "rax", "rcx", "rdx", "r8", "r9", "r10", "r11", "memory");
  b->reached = 1;  // not reached either way
}

static void e_overflow_copy(void *p) {
  Block *b = (Block *)p;
  volatile char *c = (volatile char *)b->target;
  for (uintptr_t i = 0; i < b->aux + 32; ++i) c[i] = 'A';
  b->reached = 1;
}

__attribute__((noinline)) static void smash(size_t n) {
  char buf[16];
  volatile char *v = buf;
  for (size_t i = 0; i < n; ++i) v[i] = 'B';
  opaque(&buf[0]);
}
static void e_stack_smash(void *p) {
  Block *b = (Block *)p;
  smash((size_t)b->aux);
  b->reached = 1;
}

static void e_double_free(void *p) {
  Block *b = (Block *)p;
  void *m = opaque(malloc(48));
  free(m);
  free(opaque(m));
  b->reached = 1;
}

static void e_use_after_free(void *p) {
  Block *b = (Block *)p;
  char *m = opaque((char *)malloc(48));
  void *guard = opaque(malloc(48));  // keeps m out of the wilderness
  free(m);
  memset(opaque(m), 0x41, 48);  // writes through the dangling pointer
  void *q = opaque(malloc(48));  // reuses the chunk it scribbled over
  void *r = opaque(malloc(48));
  free(q);
  free(r);
  free(guard);
  b->reached = 1;
}

static void e_corrupt_metadata(void *p) {
  Block *b = (Block *)p;
  char *m = opaque((char *)malloc(32));
  memset(opaque(m - 16), 0xff, 16);  // the chunk header in front of it
  free(m);
  void *q = opaque(malloc(32));
  free(q);
  b->reached = 1;
}

static void e_abort(void *p) {
  abort();
  ((Block *)p)->reached = 1;
}

#pragma clang diagnostic ignored "-Winfinite-recursion"
__attribute__((noinline)) static int recurse(int n) {
  volatile char pad[256];
  pad[0] = (char)n;
  return recurse(n + 1) + pad[0];
}
static void e_recursion(void *p) {
  Block *b = (Block *)p;
  b->out = recurse(1);
  b->reached = 1;
}

static void e_throw_escapes(void *p) {
  (void)p;
  throw std::runtime_error("escapes the isolated function");
}

static void e_nested(void *p) {
  Block *b = (Block *)p;
  b->reached = 1;
  if (b->level == b->fail_at) abort();
  if (b->level < 3) {
    Block inner{};  // on this domain's stack, copied into the callee
    memcpy(inner.handles, b->handles, sizeof b->handles);
    inner.level = b->level + 1;
    inner.fail_at = b->fail_at;
    int32_t st = run_in(b->handles[b->level], e_nested, inner);
    b->inner_status[b->level] = st;
    if (st == 0) {
      for (int i = b->level + 1; i < 4; ++i) b->inner_status[i] = inner.inner_status[i];
      if (inner.err) b->err = inner.err;
      if (b->level + 1 < 3 && inner.out != 1) b->err = 2;
    }
    // the domain keeps running after its inner domain faulted
    b->out = next_call_ok(b->handles[b->level]) ? 1 : 0;
  }
}

// Allowed rows.
static void e_snprintf(void *p) {
  Block *b = (Block *)p;
  snprintf(b->text, sizeof b->text, "%d-%s-%.2f-%lx", 42, "ok", 3.5, 0xabcUL);
  char *m = (char *)malloc(64);
  snprintf(m, 64, "%s|%05d", b->text, 7);
  b->out = (long)strlen(m);
  free(m);
  b->reached = 1;
}

static void e_strtol(void *p) {
  Block *b = (Block *)p;
  errno = 0;
  b->out = strtol("999999999999999999999999", nullptr, 10);
  b->err = errno;
  errno = 0;
  b->out2 = strtol("-1234", nullptr, 10) + (errno ? 1000000 : 0);
  b->reached = 1;
}

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}
static void e_qsort(void *p) {
  Block *b = (Block *)p;
  int n = 2000;
  int *v = (int *)malloc(n * sizeof(int));
  unsigned s = 12345;
  for (int i = 0; i < n; ++i) v[i] = (int)((s = s * 1103515245u + 12345u) >> 8);
  qsort(v, n, sizeof(int), cmp_int);
  int sorted = 1;
  for (int i = 1; i < n; ++i) sorted &= v[i - 1] <= v[i];
  free(v);
  b->out = sorted;
  b->reached = 1;
}

static void e_malloc_free(void *p) {
  Block *b = (Block *)p;
  void *ptrs[512];
  long ok = 1;
  for (int round = 0; round < 4; ++round) {
    for (int i = 0; i < 512; ++i) {
      size_t n = 1 + (size_t)((i * 37 + round * 101) % 3000);
      ptrs[i] = malloc(n);
      if (!ptrs[i]) ok = 0;
      else memset(ptrs[i], i & 0xff, n);
    }
    for (int i = 0; i < 512; i += 2) {
      ptrs[i] = realloc(ptrs[i], 5000);
      if (!ptrs[i] || ((unsigned char *)ptrs[i])[0] != (i & 0xff)) ok = 0;
    }
    for (int i = 0; i < 512; ++i) free(ptrs[i]);
  }
  int *z = (int *)calloc(1000, sizeof(int));
  for (int i = 0; z && i < 1000; ++i) ok &= z[i] == 0;
  free(z);
  b->out = ok;
  b->reached = 1;
}

static void e_containers(void *p) {
  Block *b = (Block *)p;
  std::vector<std::string> v;
  std::map<int, std::string> m;
  std::unordered_map<std::string, int> u;
  for (int i = 0; i < 500; ++i) {
    v.push_back("item-" + std::to_string(i));
    m[i * 3] = v.back();
    u[v.back()] = i;
  }
  long s = 0;
  for (auto &kv : m) s += kv.first + (long)kv.second.size();
  for (auto &str : v) s += u[str];
  b->out = s;
  b->reached = 1;
}

static void e_exception_caught(void *p) {
  Block *b = (Block *)p;
  try {
    throw std::runtime_error("inside");
  } catch (const std::exception &e) {
    b->out = (long)strlen(e.what());
  }
  b->reached = 1;
}

// Rows PKU cannot stop.
static void e_pkey_mprotect(void *p) {
  Block *b = (Block *)p;
  b->out = syscall(SYS_pkey_mprotect, b->target, 4096, PROT_READ | PROT_WRITE, 0);
  b->err = b->out ? errno : 0;
  if (b->out == 0) {
    volatile char *t = (volatile char *)b->target;
    for (int i = 0; i < 16; ++i) t[i] = (char)(t[i] ^ 0x5a);
  }
  b->reached = 1;
}

static void e_mprotect(void *p) {
  Block *b = (Block *)p;
  b->out = mprotect(b->target, 4096, PROT_READ);
  b->err = b->out ? errno : 0;
  b->reached = 1;
}

static void e_proc_self_mem(void *p) {
  Block *b = (Block *)p;
  int fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    b->out = -1;
    b->err = errno;
    return;
  }
  char x[16];
  memset(x, 'M', sizeof x);
  b->out = pwrite(fd, x, sizeof x, (off_t)(uintptr_t)b->target);
  b->err = b->out < 0 ? errno : 0;
  close(fd);
  b->reached = 1;
}

// ---------------------------------------------------------------------------
// Rows.
enum Expect { BLOCKED, ALLOWED, UNBLOCKABLE };
static const char *const kExpectName[] = {"blocked", "allowed", "unblockable"};

struct Outcome {
  int32_t status = 0;   // of the call (or of the copy check)
  bool done = false;    // row set `result` itself
  std::string result;
  bool ok = false;      // for allowed rows: the function computed the right thing
  bool root_changed = false;  // root memory outside the checksum changed
};

struct Env {
  Frame *frame;
};

struct Row {
  const char *name;
  Expect expect;
  bool needs_pku;   // can only be blocked with protection keys (libc's state
                    // too: the unprotected backend does not compare it on
                    // returns unless SDRAD_LIBC_CHECK=always, libc_data_key.cpp)
  bool known_gap;   // should be blocked, the runtime does not (yet): info only
  Dom dom;
  Outcome (*fn)(Env &);
  int kind;         // the fault kind it must be blocked with (0: any)
};

static bool g_pku;

static bool g_verbose;  // MATRIX_VERBOSE=1: print the last fault of each row
static int g_rows, g_pass, g_fail, g_info;

static int last_fault_kind() {
  sdrad_fault f;
  return sdrad_last_fault(&f) ? f.kind : 0;
}

static std::string kind_name(int32_t st) {
  if (st > 0) return sdrad_fault_kind_name(st);
  if (st < 0) return sdrad_error_name(st);
  return "none";
}

static Outcome simple(int64_t h, void (*e)(void *), void *target, uintptr_t aux = 0) {
  Block b{};
  b.target = target;
  b.aux = aux;
  Outcome o;
  o.status = run_in(h, e, b);
  return o;
}

static Outcome r_write_global(Env &) { return simple(g_h[D_MAIN], e_write, g_root.victim); }
static Outcome r_write_root_heap(Env &) { return simple(g_h[D_MAIN], e_write, g_root_heap + 100); }
static Outcome r_write_caller_stack(Env &env) {
  return simple(g_h[D_MAIN], e_write, env.frame->bytes + 64);
}

static void *g_other_buf;
static void e_other_alloc(void *p) {
  Block *b = (Block *)p;
  char *m = (char *)malloc(256);
  memset(m, 0x77, 256);
  b->target = m;
}
static Outcome r_write_other_domain(Env &) {
  Block a{};
  Outcome o;
  if (run_in(g_h[D_OTHER], e_other_alloc, a) != 0 || !a.target) {
    o.done = true;
    o.result = "error(setup)";
    return o;
  }
  g_other_buf = a.target;
  o = simple(g_h[D_MAIN], e_write, g_other_buf);
  // The other domain's buffer must be intact too: read it from root.
  const char *c = (const char *)g_other_buf;
  bool intact = true;
  for (int i = 0; i < 256; ++i) intact &= c[i] == 0x77;
  if (o.status == 0) {
    o.done = true;
    o.result = intact ? "NOT BLOCKED(write did not land?)" : "NOT BLOCKED(other domain's heap changed)";
  } else if (!intact) {
    o.done = true;
    o.result = "NOT BLOCKED(other domain's heap changed, then " + kind_name(o.status) + ")";
  }
  return o;
}

// The mirrored SharedPage offsets still match the runtime's layout.
static bool shared_layout_ok() {
  uint32_t pku = shared::get<uint32_t>(shared::kPku);
  int32_t key = shared::get<int32_t>(shared::kRootKey);
  return pku == (g_pku ? 1u : 0u) && (g_pku ? key > 0 && key < 16 : key == -1);
}
static Outcome r_write_runtime_state(Env &) {
  uintptr_t base = shared::get<uintptr_t>(shared::kStateBase);
  if (!shared_layout_ok()) {
    Outcome o;
    o.done = true;
    o.result = "error(the runtime's SharedPage layout changed: update the offsets in matrix.cpp)";
    return o;
  }
  if (!base) {
    Outcome o;
    o.done = true;
    o.result = "skipped(no state region)";
    return o;
  }
  return simple(g_h[D_MAIN], e_write_same, (void *)(base + 64));
}

static Outcome r_write_shared_page(Env &) {
  return simple(g_h[D_MAIN], e_write_same, sdrad_shared_page + 256);
}

static Outcome r_read_secret(Env &) {
  Block b{};
  b.target = &g_root.secret;
  Outcome o;
  o.status = run_in(g_h[D_CONF], e_read, b);
  if (o.status == 0) {
    o.done = true;
    o.result = b.out == kSecret ? "NOT BLOCKED(secret read)" : "NOT BLOCKED(read returned junk)";
  }
  return o;
}
static Outcome r_read_secret_heap(Env &) {
  Block b{};
  b.target = g_root_heap + 512;
  Outcome o;
  o.status = run_in(g_h[D_CONF], e_read, b);
  if (o.status == 0) {
    o.done = true;
    o.result = b.out == kSecret ? "NOT BLOCKED(secret read)" : "NOT BLOCKED(read returned junk)";
  }
  return o;
}

static Outcome r_wrpkru_gadget(Env &) { return simple(g_h[D_MAIN], e_wrpkru_write, g_root.victim); }

static uintptr_t find_wrpkru(const void *fn, size_t max) {
  const unsigned char *c = (const unsigned char *)fn;
  for (size_t i = 0; i + 2 < max; ++i)
    if (c[i] == 0x0f && c[i + 1] == 0x01 && c[i + 2] == 0xef) return (uintptr_t)(c + i);
  return 0;
}
static Outcome gate_jump(long misalign) {
  uintptr_t at = find_wrpkru((const void *)&sdrad_jump, 256);
  Outcome o;
  if (!at) {
    o.done = true;
    o.result = "skipped(no WRPKRU found in sdrad_jump)";
    return o;
  }
  g_landing_target = g_root.victim;
  Block b{};
  b.aux = at;
  b.value = misalign;
  o.status = run_in(g_h[D_MAIN], e_gate_jump, b);
  return o;
}
static Outcome r_gate_jump(Env &) { return gate_jump(0); }
// The same with a stack pointer that is not 16-byte aligned as the ABI
// wants at a call: the runtime's violation path must cope with it too.
static Outcome r_gate_jump_misaligned(Env &) { return gate_jump(1); }

static Outcome r_overflow_copy(Env &) {
  char src[64];
  memset(src, 'i', sizeof src);
  int64_t h = g_h[D_MAIN];
  Outcome o;
  void *c = __sdrad_copy_in(h, src, sizeof src);
  Block io{};
  io.target = c;
  io.aux = sizeof src;
  Block *b = (Block *)__sdrad_copy_in(h, &io, sizeof io);
  if (!b || !c) {
    o.done = true;
    o.result = "error(copy_in)";
    return o;
  }
  o.status = __sdrad_call(h, e_overflow_copy, b);
  if (o.status == 0) o.status = __sdrad_copy_check(h, b);
  if (o.status == 0) o.status = __sdrad_copy_check(h, c);
  if (o.status == 0) {
    __sdrad_block_free(h, c);
    __sdrad_block_free(h, b);
    o.done = true;
    o.result = "NOT BLOCKED(canary intact?)";
  }
  return o;
}

static Outcome r_stack_smash(Env &) { return simple(g_h[D_MAIN], e_stack_smash, nullptr, 64); }
static Outcome r_double_free(Env &) { return simple(g_h[D_MAIN], e_double_free, nullptr); }
static Outcome r_use_after_free(Env &) { return simple(g_h[D_MAIN], e_use_after_free, nullptr); }
static Outcome r_corrupt_metadata(Env &) { return simple(g_h[D_MAIN], e_corrupt_metadata, nullptr); }
static Outcome r_abort(Env &) { return simple(g_h[D_MAIN], e_abort, nullptr); }
static Outcome r_recursion(Env &) { return simple(g_h[D_MAIN], e_recursion, nullptr); }
static Outcome r_exception_escapes(Env &) { return simple(g_h[D_MAIN], e_throw_escapes, nullptr); }

static Outcome nested(int fail_at) {
  Block b{};
  b.level = 1;
  b.fail_at = fail_at;
  b.handles[1] = g_h[D_N2];
  b.handles[2] = g_h[D_N3];
  Outcome o;
  o.status = run_in(g_h[D_N1], e_nested, b);
  o.done = true;
  if (fail_at == 1) {
    o.result = o.status == SDRAD_FAULT_ABORT ? "blocked(abort at depth 1, rewound to root)"
                                             : "UNEXPECTED(status " + kind_name(o.status) + ")";
    return o;
  }
  // The fault at depth d must come back to the caller at depth d-1 only;
  // every outer domain returns normally and can call again.
  bool good = o.status == 0 && b.err == 0 && b.inner_status[fail_at - 1] == SDRAD_FAULT_ABORT &&
              b.out == 1;
  for (int d = 1; d < fail_at - 1; ++d) good &= b.inner_status[d] == 0;
  char buf[200];
  if (o.status != 0)
    snprintf(buf, sizeof buf, "UNEXPECTED(the depth-1 domain itself faulted: %s, before or after the abort at depth %d)",
             kind_name(o.status).c_str(), fail_at);
  else
    snprintf(buf, sizeof buf, "%s(abort at depth %d, rewound to depth %d; outer calls returned normally)",
             good ? "blocked" : "UNEXPECTED", fail_at, fail_at - 1);
  o.result = buf;
  if (!good) o.status = 0;
  else o.status = SDRAD_FAULT_ABORT;
  return o;
}
static Outcome r_nested1(Env &) { return nested(1); }
static Outcome r_nested2(Env &) { return nested(2); }
static Outcome r_nested3(Env &) { return nested(3); }

// Two threads fault in their own instances of the same domain at once.
static void e_sync_fault(void *p) {
  Block *b = (Block *)p;
  __atomic_add_fetch(&g_sync->arrived, 1, __ATOMIC_SEQ_CST);
  for (long spin = 0; spin < 2000000000L && __atomic_load_n(&g_sync->arrived, __ATOMIC_SEQ_CST) < 2; ++spin) {
  }
  *(volatile int *)b->target = 1;  // NULL: SIGSEGV in both threads
  b->reached = 1;
}
struct ThreadResult {
  int32_t status;
  bool next_ok;
};
static void *thread_main(void *arg) {
  ThreadResult *r = (ThreadResult *)arg;
  Block b{};
  b.target = nullptr;
  r->status = run_in(g_h[D_MAIN], e_sync_fault, b);
  r->next_ok = next_call_ok(g_h[D_MAIN]);
  sdrad_release_instance(g_h[D_MAIN]);
  return nullptr;
}
// Two threads fault at once (each thread's main makes the faulting call
// and then a benign one); shared by the ABI and the plugin matrix.
static Outcome two_threads_row(void *(*main)(void *)) {
  g_sync->arrived = 0;
  pthread_t t[2];
  ThreadResult res[2] = {};
  for (int i = 0; i < 2; ++i) pthread_create(&t[i], nullptr, main, &res[i]);
  for (int i = 0; i < 2; ++i) pthread_join(t[i], nullptr);
  Outcome o;
  o.done = true;
  bool good = res[0].status > 0 && res[1].status > 0 && res[0].next_ok && res[1].next_ok;
  char buf[160];
  snprintf(buf, sizeof buf, "%s(thread 1: %s, thread 2: %s; next call in each: %s)",
           good ? "blocked" : "UNEXPECTED", kind_name(res[0].status).c_str(),
           kind_name(res[1].status).c_str(), res[0].next_ok && res[1].next_ok ? "ok" : "fail");
  o.result = buf;
  o.status = good ? SDRAD_FAULT_SEGV : 0;
  return o;
}
static Outcome r_two_threads(Env &) { return two_threads_row(thread_main); }

// A worker thread's stack frame (not the main stack).
struct StackRowResult {
  int32_t status;
  bool changed;
};
static void *thread_stack_main(void *arg) {
  StackRowResult *r = (StackRowResult *)arg;
  Frame fr;
  for (size_t i = 0; i < sizeof fr.bytes; ++i) fr.bytes[i] = (char)i;
  Block b{};
  b.target = fr.bytes + 64;
  r->status = run_in(g_h[D_MAIN], e_write, b);
  bool changed = false;
  for (size_t i = 0; i < sizeof fr.bytes; ++i) changed |= fr.bytes[i] != (char)i;
  r->changed = changed;
  sdrad_release_instance(g_h[D_MAIN]);
  return nullptr;
}
// A domain entered from a worker thread writes that thread's frame; shared
// by the ABI and the plugin matrix.
static Outcome thread_stack_row(void *(*main)(void *)) {
  pthread_t t;
  StackRowResult r{};
  pthread_create(&t, nullptr, main, &r);
  pthread_join(t, nullptr);
  Outcome o;
  o.status = r.status;
  o.root_changed = r.changed;
  if (r.status == 0 || r.changed) {
    o.done = true;
    o.result = r.changed ? (r.status ? "NOT BLOCKED(frame changed, then " + kind_name(r.status) + ")"
                                     : std::string("NOT BLOCKED(worker thread's frame changed)"))
                         : "NOT BLOCKED";
  }
  return o;
}
static Outcome r_write_thread_stack(Env &) { return thread_stack_row(thread_stack_main); }

// The domain longjmps to a jmp_buf the root saved before the call: control
// comes back to root code, but still with the domain's rights (and the
// runtime still believing the domain runs), so the root's next store to
// its own stack or globals must fault and rewind the domain.
static jmp_buf g_escape;
static volatile int g_escaped;
static void e_longjmp(void *p) {
  (void)p;
  longjmp(g_escape, 1);
}
__attribute__((noinline)) static Outcome r_longjmp(Env &) {
  Outcome o;
  g_escaped = 0;
  if (setjmp(g_escape) == 0) {
    o.status = simple(g_h[D_MAIN], e_longjmp, nullptr).status;
  } else {
    // Back in root code by the domain's longjmp.
    g_escaped = 1;
    g_root.victim[0] ^= 0x5a;
    o.status = 0;
    o.done = true;
    o.result = "NOT BLOCKED(escaped to root code, which wrote root memory)";
  }
  return o;
}

// SDRaD-compatible API: an execution domain (udi 2001) and a data domain
// (udi 2002) whose buffer the root filled.  The execution domain was not
// granted access to the data domain; it writes the buffer directly, or
// first calls sdrad_dprotect() itself to grant itself write access.
struct CompatArg {
  char *buf;
  int self_grant;
  int32_t grant_rc;
};
static int32_t c_write_data(CompatArg *a) {
  if (a->self_grant) a->grant_rc = sdrad_dprotect(2001, 2002, SDRAD_WRITE_ACCESS);
  volatile char *v = a->buf;
  for (int i = 0; i < 16; ++i) v[i] = 'W';
  return 1;
}
static Outcome compat_row(int self_grant) {
  Outcome o;
  o.done = true;
  int32_t e1 = sdrad_init(2002, SDRAD_DATA_DOMAIN);
  char *buf = (char *)sdrad_malloc(2002, 64);
  int32_t e2 = sdrad_init(2001, SDRAD_EXECUTION_DOMAIN | SDRAD_NONISOLATED_DOMAIN);
  if (e2 == 2001) {  // sdrad_init returning a second time: a fault rewound here
    o.result = "error(rewound into sdrad_init)";
    return o;
  }
  if (e1 != SDRAD_SUCCESSFUL_RETURNED || !buf ||
      (e2 != SDRAD_SUCCESSFUL_RETURNED && e2 != SDRAD_WARNING_SAVE_EC)) {
    o.result = "error(setup " + std::to_string(e1) + "/" + std::to_string(e2) + ")";
    return o;
  }
  memset(buf, 0x66, 64);
  CompatArg arg{buf, self_grant, 0};
  int32_t ret = 0;
  int32_t st = sdrad_call(2001, (int32_t(*)())(void *)c_write_data, &arg, sizeof arg, &ret);
  // A second call: a grant made during the first would apply from now on.
  arg.self_grant = 0;
  int32_t st2 = self_grant ? sdrad_call(2001, (int32_t(*)())(void *)c_write_data, &arg, sizeof arg, &ret) : st;
  bool intact = true;
  for (int i = 0; i < 64; ++i) intact &= buf[i] == 0x66;
  o.status = st == 2001 ? last_fault_kind() : 0;
  if (intact && st == 2001 && st2 == 2001) {
    o.result = "blocked(" + kind_name(o.status) + ")";
  } else if (!intact) {
    char b[200];
    if (self_grant)
      snprintf(b, sizeof b, "NOT BLOCKED(sdrad_dprotect from inside the domain returned %d; data domain written %s)",
               arg.grant_rc, st == SDRAD_SUCCESSFUL_RETURNED ? "in the same call" : "on the next call");
    else
      snprintf(b, sizeof b, "NOT BLOCKED(data domain written)");
    o.result = b;
  } else {
    o.result = "UNEXPECTED(status " + std::to_string(st) + "/" + std::to_string(st2) + ")";
  }
  return o;
}
// The execution domain destroys the data domain (whose memory the root
// still uses) from inside.
static int32_t c_destroy_data(CompatArg *a) {
  a->grant_rc = sdrad_destroy(2002, SDRAD_NO_HEAP_MERGE);
  return 1;
}
static Outcome r_compat_destroy_other(Env &) {
  Outcome o;
  o.done = true;
  int32_t e1 = sdrad_init(2002, SDRAD_DATA_DOMAIN);
  char *buf = (char *)sdrad_malloc(2002, 64);
  int32_t e2 = sdrad_init(2001, SDRAD_EXECUTION_DOMAIN | SDRAD_NONISOLATED_DOMAIN);
  if (e2 == 2001 || e1 != SDRAD_SUCCESSFUL_RETURNED || !buf ||
      (e2 != SDRAD_SUCCESSFUL_RETURNED && e2 != SDRAD_WARNING_SAVE_EC)) {
    o.result = "error(setup)";
    return o;
  }
  memset(buf, 0x66, 64);
  CompatArg arg{buf, 0, 0};
  int32_t ret = 0;
  int32_t st = sdrad_call(2001, (int32_t(*)())(void *)c_destroy_data, &arg, sizeof arg, &ret);
  void *probe = sdrad_malloc(2002, 8);  // NULL once the domain is gone
  if (st == SDRAD_SUCCESSFUL_RETURNED && arg.grant_rc == 0 && !probe) {
    o.result = "NOT BLOCKED(the data domain was destroyed from inside another domain; the root's pointers into it dangle)";
    return o;
  }
  bool intact = true;
  for (int i = 0; probe && i < 64; ++i) intact &= buf[i] == 0x66;
  if (probe && intact) {
    o.status = st == 2001 ? last_fault_kind() : 0;
    o.result = st == 2001 ? "blocked(" + kind_name(o.status) + ")"
                          : "blocked(refused: sdrad_destroy returned " + std::to_string(arg.grant_rc) + ")";
  } else {
    o.result = "UNEXPECTED(status " + std::to_string(st) + ", destroy " + std::to_string(arg.grant_rc) + ")";
  }
  return o;
}
static Outcome r_compat_data_domain(Env &) { return compat_row(0); }
static Outcome r_compat_dprotect_self_grant(Env &) { return compat_row(1); }

// Allowed rows.
static Outcome allowed(int64_t h, void (*e)(void *), bool (*check)(const Block &), void *target = nullptr) {
  Block b{};
  b.target = target;
  Outcome o;
  o.status = run_in(h, e, b);
  o.ok = o.status == 0 && b.reached && check(b);
  return o;
}
static Outcome r_read_global(Env &) {
  return allowed(g_h[D_MAIN], e_read, [](const Block &b) { return b.out == kConfig; }, &g_root.config);
}
static Outcome r_snprintf(Env &) {
  return allowed(g_h[D_MAIN], e_snprintf,
                 [](const Block &b) { return strcmp(b.text, "42-ok-3.50-abc") == 0 && b.out == 20; });
}
static Outcome r_strtol(Env &) {
  return allowed(g_h[D_MAIN], e_strtol,
                 [](const Block &b) { return b.out == LONG_MAX && b.err == ERANGE && b.out2 == -1234; });
}
static Outcome r_qsort(Env &) {
  return allowed(g_h[D_MAIN], e_qsort, [](const Block &b) { return b.out == 1; });
}
static Outcome r_malloc_free(Env &) {
  return allowed(g_h[D_MAIN], e_malloc_free, [](const Block &b) { return b.out == 1; });
}
static long containers_expected() {
  long s = 0;
  for (int i = 0; i < 500; ++i) s += i * 3 + (long)("item-" + std::to_string(i)).size() + i;
  return s;
}
static long g_containers_expected;
static Outcome r_containers(Env &) {
  g_containers_expected = containers_expected();
  return allowed(g_h[D_MAIN], e_containers, [](const Block &b) { return b.out == g_containers_expected; });
}
static Outcome r_exception_caught(Env &) {
  return allowed(g_h[D_MAIN], e_exception_caught, [](const Block &b) { return b.out == 6; });
}
static Outcome r_conf_compute(Env &) {
  return allowed(g_h[D_CONF], e_snprintf,
                 [](const Block &b) { return strcmp(b.text, "42-ok-3.50-abc") == 0 && b.out == 20; });
}

// Unblockable rows.
static void repair_victim_page() {
  int key = shared::get<int32_t>(shared::kRootKey);
  if (g_pku && key > 0) syscall(SYS_pkey_mprotect, g_victim_page, 4096, PROT_READ | PROT_WRITE, key);
  else mprotect(g_victim_page, 4096, PROT_READ | PROT_WRITE);
}
static Outcome r_pkey_mprotect(Env &) {
  Block b{};
  b.target = g_victim_page;
  Outcome o;
  o.status = run_in(g_h[D_MAIN], e_pkey_mprotect, b);
  if (o.status == 0) {
    o.done = true;
    o.result = b.out == 0 ? "NOT BLOCKED(page re-keyed to 0 and written)"
                          : std::string("refused by the kernel(") + strerror(b.err) + ")";
  }
  repair_victim_page();
  return o;
}
static Outcome r_mprotect(Env &) {
  Block b{};
  b.target = g_victim_page;
  Outcome o;
  o.status = run_in(g_h[D_MAIN], e_mprotect, b);
  if (o.status == 0) {
    o.done = true;
    o.result = b.out == 0 ? "NOT BLOCKED(root page made read-only: the root's next write would crash)"
                          : std::string("refused by the kernel(") + strerror(b.err) + ")";
  }
  repair_victim_page();
  return o;
}
static Outcome r_proc_self_mem(Env &) {
  Block b{};
  b.target = g_root.victim + 32;
  Outcome o;
  o.status = run_in(g_h[D_MAIN], e_proc_self_mem, b);
  if (o.status == 0) {
    o.done = true;
    if (b.out == 16) o.result = "NOT BLOCKED(16 bytes written through /proc/self/mem)";
    else if (b.out < 0) o.result = std::string("failed(") + strerror(b.err) + ")";
    else o.result = "NOT BLOCKED(short write)";
  }
  return o;
}

#ifdef MATRIX_PLUGIN
// ---------------------------------------------------------------------------
// The same attacks written as a program would write them: functions marked
// [[sdrad::isolate]], compiled with -fplugin=SDRaDPlugin.so, whose calls the
// plugin turns into thunks.  A faulting call returns 0 (the default
// alternate action); sdrad_last_fault() says what happened.  Domain names
// are the ones the ABI rows register, so both share the same domains.

[[sdrad::isolate("matrix")]] int p_write([[sdrad::shared]] char *t) {
  volatile char *v = t;
  for (int i = 0; i < 16; ++i) v[i] = (char)(v[i] ^ 0x5a);
  return 1;
}
[[sdrad::isolate("matrix")]] int p_write_same([[sdrad::shared]] char *t) {
  volatile char *v = t;
  char c = v[0];
  v[0] = c;
  return 1;
}
[[sdrad::isolate("matrix.conf", "confidentiality")]] long p_conf_read([[sdrad::shared]] const long *p) {
  return *(const volatile long *)p;
}
[[sdrad::isolate("matrix.other", "shared")]] char *p_other_alloc() {
  char *m = (char *)malloc(256);
  memset(m, 0x77, 256);
  return m;
}
[[sdrad::isolate("matrix")]] int p_overflow_inout([[sdrad::inout(n)]] char *buf, size_t n) {
  volatile char *v = buf;
  for (size_t i = 0; i < n + 32; ++i) v[i] = 'A';
  return 1;
}
[[sdrad::isolate("matrix")]] int p_stack_smash(size_t n) {
  smash(n);
  return 1;
}
[[sdrad::isolate("matrix")]] int p_double_free() {
  Block b{};
  e_double_free(&b);
  return 1;
}
[[sdrad::isolate("matrix")]] int p_use_after_free() {
  Block b{};
  e_use_after_free(&b);
  return 1;
}
[[sdrad::isolate("matrix")]] int p_corrupt_metadata() {
  Block b{};
  e_corrupt_metadata(&b);
  return 1;
}
[[sdrad::isolate("matrix")]] int p_abort() {
  abort();
  return 1;
}
[[sdrad::isolate("matrix")]] int p_recursion() { return recurse(1) ? 1 : 2; }
[[sdrad::isolate("matrix")]] int p_throw() {
  throw std::runtime_error("escapes the isolated function");
  return 1;
}

static int last_kind() {
  sdrad_fault f;
  return sdrad_last_fault(&f) ? f.kind : 0;
}
[[sdrad::isolate("matrix.n3")]] int p_n3(int fail_at) {
  if (fail_at == 3) abort();
  return 3;
}
// Each level returns its own number when everything below behaved: the
// inner call faulted where it should have (and the next inner call works),
// or returned normally.
[[sdrad::isolate("matrix.n2")]] int p_n2(int fail_at) {
  if (fail_at == 2) abort();
  sdrad_clear_fault();
  int r = p_n3(fail_at);
  if (fail_at == 3) return r == 0 && last_kind() == SDRAD_FAULT_ABORT && p_n3(0) == 3 ? 2 : -2;
  return r == 3 ? 2 : -2;
}
[[sdrad::isolate("matrix.n1")]] int p_n1(int fail_at) {
  if (fail_at == 1) abort();
  sdrad_clear_fault();
  int r = p_n2(fail_at);
  if (fail_at == 2) return r == 0 && last_kind() == SDRAD_FAULT_ABORT && p_n2(0) == 2 ? 1 : -1;
  return r == 2 ? 1 : -1;
}

[[sdrad::isolate("matrix")]] int p_sync_fault([[sdrad::shared]] Shared *s) {
  __atomic_add_fetch(&s->arrived, 1, __ATOMIC_SEQ_CST);
  for (long spin = 0; spin < 2000000000L && __atomic_load_n(&s->arrived, __ATOMIC_SEQ_CST) < 2; ++spin) {
  }
  *(volatile int *)opaque((int *)nullptr) = 1;
  return 1;
}
[[sdrad::isolate("matrix")]] int p_benign() {
  Block b{};
  e_benign(&b);
  return (int)b.out;
}

[[sdrad::isolate("matrix")]] long p_read_global() { return *(const volatile long *)&g_root.config; }
[[sdrad::isolate("matrix")]] int p_snprintf([[sdrad::out(n)]] char *out, size_t n) {
  snprintf(out, n, "%d-%s-%.2f-%lx", 42, "ok", 3.5, 0xabcUL);
  return (int)strlen(out);
}
[[sdrad::isolate("matrix")]] int p_strtol([[sdrad::out(1)]] long *out) {
  errno = 0;
  *out = strtol("999999999999999999999999", nullptr, 10);
  return errno;
}
[[sdrad::isolate("matrix")]] int p_qsort() {
  Block b{};
  e_qsort(&b);
  return (int)b.out;
}
[[sdrad::isolate("matrix")]] int p_malloc() {
  Block b{};
  e_malloc_free(&b);
  return (int)b.out;
}
[[sdrad::isolate("matrix")]] long p_containers() {
  Block b{};
  e_containers(&b);
  return b.out;
}
[[sdrad::isolate("matrix")]] long p_exception_caught() {
  Block b{};
  e_exception_caught(&b);
  return b.out;
}
[[sdrad::isolate("matrix.conf", "confidentiality")]] int p_conf_snprintf([[sdrad::out(n)]] char *out, size_t n) {
  snprintf(out, n, "%d-%s-%.2f-%lx", 42, "ok", 3.5, 0xabcUL);
  return (int)strlen(out);
}

[[sdrad::isolate("matrix")]] int p_wrpkru_write([[sdrad::shared]] char *t) {
  wrpkru(0);
  volatile char *v = t;
  for (int i = 0; i < 16; ++i) v[i] = (char)(v[i] ^ 0x5a);
  return 1;
}
[[sdrad::isolate("matrix")]] long p_pkey_mprotect([[sdrad::shared]] char *page) {
  long r = syscall(SYS_pkey_mprotect, page, 4096, PROT_READ | PROT_WRITE, 0);
  if (r == 0)
    for (int i = 0; i < 16; ++i) ((volatile char *)page)[i] ^= 0x5a;
  return r == 0 ? 1 : -errno;
}
[[sdrad::isolate("matrix")]] long p_mprotect([[sdrad::shared]] char *page) {
  return mprotect(page, 4096, PROT_READ) == 0 ? 1 : -errno;
}
[[sdrad::isolate("matrix")]] long p_proc_mem([[sdrad::shared]] char *t) {
  Block b{};
  b.target = t;
  e_proc_self_mem(&b);
  return b.out == 16 ? 1 : b.out < 0 ? -b.err : 2;
}

// Outcome of one plugin call: status = the fault kind recorded, if any.
static Outcome plugin_outcome() {
  Outcome o;
  o.status = last_kind();
  return o;
}
#define PCALL(expr) (sdrad_clear_fault(), (expr))

static Outcome rp_write_global(Env &) { PCALL(p_write(g_root.victim)); return plugin_outcome(); }
static Outcome rp_write_root_heap(Env &) { PCALL(p_write(g_root_heap + 100)); return plugin_outcome(); }
static Outcome rp_write_caller_stack(Env &env) { PCALL(p_write(env.frame->bytes + 64)); return plugin_outcome(); }
static Outcome rp_write_other_domain(Env &) {
  Outcome o;
  char *m = PCALL(p_other_alloc());
  if (!m) {
    o.done = true;
    o.result = "error(setup)";
    return o;
  }
  PCALL(p_write(m));
  o = plugin_outcome();
  bool intact = true;
  for (int i = 0; i < 256; ++i) intact &= m[i] == 0x77;
  if (!intact) {
    o.done = true;
    o.result = o.status ? "NOT BLOCKED(other domain's heap changed, then " + kind_name(o.status) + ")"
                        : std::string("NOT BLOCKED(other domain's heap changed)");
  }
  return o;
}
static Outcome rp_write_runtime_state(Env &) {
  uintptr_t base = shared::get<uintptr_t>(shared::kStateBase);
  if (!shared_layout_ok() || !base) {
    Outcome o;
    o.done = true;
    o.result = "error(the runtime's SharedPage layout changed: update the offsets in matrix.cpp)";
    return o;
  }
  PCALL(p_write_same((char *)(base + 64)));
  return plugin_outcome();
}
static Outcome rp_write_shared_page(Env &) { PCALL(p_write_same(sdrad_shared_page + 256)); return plugin_outcome(); }
static Outcome rp_conf_read(long *where) {
  long v = PCALL(p_conf_read(where));
  Outcome o = plugin_outcome();
  if (o.status == 0) {
    o.done = true;
    o.result = v == kSecret ? "NOT BLOCKED(secret read)" : "NOT BLOCKED(read returned junk)";
  }
  return o;
}
static Outcome rp_read_secret(Env &) { return rp_conf_read(&g_root.secret); }
static Outcome rp_read_secret_heap(Env &) { return rp_conf_read((long *)(g_root_heap + 512)); }
static Outcome rp_overflow(Env &) {
  char buf[64];
  memset(buf, 'i', sizeof buf);
  PCALL(p_overflow_inout(buf, sizeof buf));
  Outcome o = plugin_outcome();
  bool untouched = true;
  for (char c : buf) untouched &= c == 'i';
  if (o.status && !untouched) {
    o.done = true;
    o.result = "NOT BLOCKED(faulted, but the caller's buffer was written back)";
  }
  return o;
}
static Outcome rp_stack_smash(Env &) { PCALL(p_stack_smash(64)); return plugin_outcome(); }
static Outcome rp_double_free(Env &) { PCALL(p_double_free()); return plugin_outcome(); }
static Outcome rp_use_after_free(Env &) { PCALL(p_use_after_free()); return plugin_outcome(); }
static Outcome rp_corrupt_metadata(Env &) { PCALL(p_corrupt_metadata()); return plugin_outcome(); }
static Outcome rp_abort(Env &) { PCALL(p_abort()); return plugin_outcome(); }
static Outcome rp_recursion(Env &) { PCALL(p_recursion()); return plugin_outcome(); }
static Outcome rp_throw(Env &) { PCALL(p_throw()); return plugin_outcome(); }
static Outcome rp_nested(int fail_at) {
  int r = PCALL(p_n1(fail_at));
  Outcome o = plugin_outcome();
  o.done = true;
  char buf[160];
  if (fail_at == 1) {
    bool good = r == 0 && o.status == SDRAD_FAULT_ABORT;
    snprintf(buf, sizeof buf, "%s(abort at depth 1, rewound to root)", good ? "blocked" : "UNEXPECTED");
    if (!good) o.status = 0;
  } else {
    bool good = r == 1;  // every level checked the level below it
    snprintf(buf, sizeof buf, "%s(abort at depth %d, rewound to depth %d; outer calls returned normally)",
             good ? "blocked" : "UNEXPECTED", fail_at, fail_at - 1);
    o.status = good ? SDRAD_FAULT_ABORT : 0;
  }
  o.result = buf;
  return o;
}
static Outcome rp_nested1(Env &) { return rp_nested(1); }
static Outcome rp_nested2(Env &) { return rp_nested(2); }
static Outcome rp_nested3(Env &) { return rp_nested(3); }
static void *p_thread_main(void *arg) {
  ThreadResult *r = (ThreadResult *)arg;
  PCALL(p_sync_fault(g_sync));
  r->status = last_kind();
  r->next_ok = p_benign() == 7000;
  return nullptr;
}
static Outcome rp_two_threads(Env &) { return two_threads_row(p_thread_main); }
static void *p_thread_stack_main(void *arg) {
  StackRowResult *r = (StackRowResult *)arg;
  Frame fr;
  for (size_t i = 0; i < sizeof fr.bytes; ++i) fr.bytes[i] = (char)i;
  PCALL(p_write(fr.bytes + 64));
  r->status = last_kind();
  bool changed = false;
  for (size_t i = 0; i < sizeof fr.bytes; ++i) changed |= fr.bytes[i] != (char)i;
  r->changed = changed;
  return nullptr;
}
static Outcome rp_write_thread_stack(Env &) { return thread_stack_row(p_thread_stack_main); }
static Outcome rp_allowed(bool ok) {
  Outcome o = plugin_outcome();
  o.ok = o.status == 0 && ok;
  return o;
}
// The call must run in the domain the attribute names ("matrix"): its
// call counter goes up by one.
static Outcome rp_names_domain(Env &) {
  sdrad_domain_stats before{}, after{};
  sdrad_get_stats(g_h[D_MAIN], &before);
  int r = PCALL(p_benign());
  sdrad_get_stats(g_h[D_MAIN], &after);
  return rp_allowed(r == 7000 && after.calls == before.calls + 1);
}
static Outcome rp_read_global(Env &) { return rp_allowed(PCALL(p_read_global()) == kConfig); }
static Outcome rp_snprintf(Env &) {
  char out[64] = {};
  int n = PCALL(p_snprintf(out, sizeof out));
  return rp_allowed(n == 14 && !strcmp(out, "42-ok-3.50-abc"));
}
static Outcome rp_strtol(Env &) {
  long v = 0;
  int e = PCALL(p_strtol(&v));
  return rp_allowed(e == ERANGE && v == LONG_MAX);
}
static Outcome rp_qsort(Env &) { return rp_allowed(PCALL(p_qsort()) == 1); }
static Outcome rp_malloc(Env &) { return rp_allowed(PCALL(p_malloc()) == 1); }
static Outcome rp_containers(Env &) { return rp_allowed(PCALL(p_containers()) == containers_expected()); }
static Outcome rp_exception_caught(Env &) { return rp_allowed(PCALL(p_exception_caught()) == 6); }
static Outcome rp_conf_compute(Env &) {
  char out[64] = {};
  int n = PCALL(p_conf_snprintf(out, sizeof out));
  return rp_allowed(n == 14 && !strcmp(out, "42-ok-3.50-abc"));
}
static Outcome rp_unblockable(long r, const char *landed, bool repair) {
  Outcome o = plugin_outcome();
  if (repair) repair_victim_page();
  if (o.status == 0) {
    o.done = true;
    o.result = r == 1 ? std::string("NOT BLOCKED(") + landed + ")"
                      : std::string("refused by the kernel(") + strerror((int)-r) + ")";
  }
  return o;
}
static Outcome rp_wrpkru(Env &) {
  long r = PCALL(p_wrpkru_write(g_root.victim));
  return rp_unblockable(r, "root global written", false);
}
static Outcome rp_pkey_mprotect(Env &) {
  long r = PCALL(p_pkey_mprotect(g_victim_page));
  return rp_unblockable(r, "page re-keyed to 0 and written", true);
}
static Outcome rp_mprotect(Env &) {
  long r = PCALL(p_mprotect(g_victim_page));
  return rp_unblockable(r, "root page made read-only: the root's next write would crash", true);
}
static Outcome rp_proc_mem(Env &) {
  long r = PCALL(p_proc_mem(g_root.victim + 32));
  return rp_unblockable(r, "16 bytes written through /proc/self/mem", false);
}

static const Row kRows[] = {
    {"write_global", BLOCKED, true, false, D_MAIN, rp_write_global, SDRAD_FAULT_KEY_VIOLATION},
    {"write_root_heap", BLOCKED, true, false, D_MAIN, rp_write_root_heap, SDRAD_FAULT_KEY_VIOLATION},
    {"write_caller_stack", BLOCKED, true, false, D_MAIN, rp_write_caller_stack, SDRAD_FAULT_KEY_VIOLATION},
    {"write_worker_thread_caller_stack", BLOCKED, true, false, D_MAIN, rp_write_thread_stack, SDRAD_FAULT_KEY_VIOLATION},
    {"write_other_domain_heap", BLOCKED, true, false, D_MAIN, rp_write_other_domain, SDRAD_FAULT_KEY_VIOLATION},
    {"write_runtime_state", BLOCKED, true, false, D_MAIN, rp_write_runtime_state, SDRAD_FAULT_KEY_VIOLATION},
    {"write_runtime_shared_page", BLOCKED, false, false, D_MAIN, rp_write_shared_page, SDRAD_FAULT_SEGV},
    {"confidentiality_read_root_global", BLOCKED, true, false, D_CONF, rp_read_secret, SDRAD_FAULT_KEY_VIOLATION},
    {"confidentiality_read_root_heap", BLOCKED, true, false, D_CONF, rp_read_secret_heap, SDRAD_FAULT_KEY_VIOLATION},
    {"overflow_copied_in_buffer", BLOCKED, false, false, D_MAIN, rp_overflow, SDRAD_FAULT_CANARY},
    {"smash_own_stack", BLOCKED, false, false, D_MAIN, rp_stack_smash, SDRAD_FAULT_STACK_PROTECTOR},
    {"double_free", BLOCKED, false, false, D_MAIN, rp_double_free, SDRAD_FAULT_HEAP_CORRUPTION},
    {"use_after_free", BLOCKED, false, false, D_MAIN, rp_use_after_free, SDRAD_FAULT_HEAP_CORRUPTION},
    {"corrupt_allocator_metadata", BLOCKED, false, false, D_MAIN, rp_corrupt_metadata, SDRAD_FAULT_HEAP_CORRUPTION},
    {"abort", BLOCKED, false, false, D_MAIN, rp_abort, SDRAD_FAULT_ABORT},
    {"infinite_recursion", BLOCKED, false, false, D_MAIN, rp_recursion, SDRAD_FAULT_STACK_OVERFLOW},
    {"exception_escapes", BLOCKED, false, false, D_MAIN, rp_throw, SDRAD_FAULT_EXCEPTION},
    {"nested_fault_depth_1", BLOCKED, false, false, D_N1, rp_nested1, 0},
    {"nested_fault_depth_2", BLOCKED, false, false, D_N1, rp_nested2, 0},
    {"nested_fault_depth_3", BLOCKED, false, false, D_N1, rp_nested3, 0},
    {"two_threads_fault_at_once", BLOCKED, false, false, D_MAIN, rp_two_threads, 0},
    {"isolate_attribute_names_the_domain", ALLOWED, false, false, D_MAIN, rp_names_domain, 0},
    {"integrity_read_global", ALLOWED, false, false, D_MAIN, rp_read_global, 0},
    {"snprintf", ALLOWED, false, false, D_MAIN, rp_snprintf, 0},
    {"strtol_errno", ALLOWED, false, false, D_MAIN, rp_strtol, 0},
    {"qsort", ALLOWED, false, false, D_MAIN, rp_qsort, 0},
    {"malloc_free_realloc_calloc", ALLOWED, false, false, D_MAIN, rp_malloc, 0},
    {"cxx_containers", ALLOWED, false, false, D_MAIN, rp_containers, 0},
    {"cxx_exception_caught_inside", ALLOWED, false, false, D_MAIN, rp_exception_caught, 0},
    {"confidentiality_own_work", ALLOWED, false, false, D_CONF, rp_conf_compute, 0},
    {"own_wrpkru_then_write_global", UNBLOCKABLE, false, false, D_MAIN, rp_wrpkru, 0},
    // Stopped by syscall confinement.
    {"pkey_mprotect_root_page", BLOCKED, false, false, D_MAIN, rp_pkey_mprotect, SDRAD_FAULT_SYSCALL},
    {"mprotect_root_page", BLOCKED, false, false, D_MAIN, rp_mprotect, SDRAD_FAULT_SYSCALL},
    {"write_proc_self_mem", BLOCKED, false, false, D_MAIN, rp_proc_mem, SDRAD_FAULT_SYSCALL},
};
#else  // the thunk ABI, by hand
#include "boundary_rows.inc"
#include "redteam_rows.inc"
#include "syscall_rows.inc"
#include "gaps_rows.inc"
#include "redteam6_rows.inc"
#include "redteam7_rows.inc"
#include "redteam8_rows.inc"
#include "redteam8b_rows.inc"
#include "redteam9_rows.inc"
#include "redteam9b_rows.inc"
#include "redteam10_rows.inc"
#include "redteam11_rows.inc"
#include "redteam12_rows.inc"
static const Row kRows[] = {
    // name                       expect       pku    gap    domain   fn
    {"write_global", BLOCKED, true, false, D_MAIN, r_write_global, SDRAD_FAULT_KEY_VIOLATION},
    {"write_root_heap", BLOCKED, true, false, D_MAIN, r_write_root_heap, SDRAD_FAULT_KEY_VIOLATION},
    {"write_caller_stack", BLOCKED, true, false, D_MAIN, r_write_caller_stack, SDRAD_FAULT_KEY_VIOLATION},
    {"write_worker_thread_caller_stack", BLOCKED, true, false, D_MAIN, r_write_thread_stack, SDRAD_FAULT_KEY_VIOLATION},
    {"write_other_domain_heap", BLOCKED, true, false, D_MAIN, r_write_other_domain, SDRAD_FAULT_KEY_VIOLATION},
    {"write_runtime_state", BLOCKED, true, false, D_MAIN, r_write_runtime_state, SDRAD_FAULT_KEY_VIOLATION},
    {"write_runtime_shared_page", BLOCKED, false, false, D_MAIN, r_write_shared_page, SDRAD_FAULT_SEGV},
    {"confidentiality_read_root_global", BLOCKED, true, false, D_CONF, r_read_secret, SDRAD_FAULT_KEY_VIOLATION},
    {"confidentiality_read_root_heap", BLOCKED, true, false, D_CONF, r_read_secret_heap, SDRAD_FAULT_KEY_VIOLATION},
    {"longjmp_out_of_domain", BLOCKED, true, false, D_MAIN, r_longjmp, SDRAD_FAULT_KEY_VIOLATION},
    // The runtime's own boundary (boundary_rows.inc).
    {"gate_copy_out_to_root", BLOCKED, false, false, D_MAIN, r_gate_copy_out_to_root, SDRAD_FAULT_GATE},
    {"gate_copies_end_to_root", BLOCKED, false, false, D_MAIN, r_gate_copies_end_to_root, SDRAD_FAULT_GATE},
    {"gate_call_with_block_in_root", BLOCKED, false, false, D_MAIN, r_gate_call_with_root_block, SDRAD_FAULT_GATE},
    {"gate_copy_in_reads_root_secret", BLOCKED, false, false, D_CONF, r_gate_copy_in_reads_secret, SDRAD_FAULT_GATE},
    {"gate_compat_free_root_chunk", BLOCKED, false, false, D_MAIN, r_compat_free_root_chunk, SDRAD_FAULT_GATE},
    {"gate_compat_malloc_root_heap", BLOCKED, false, false, D_MAIN, r_compat_malloc_root_heap, SDRAD_FAULT_GATE},
    {"gate_release_other_instance", BLOCKED, false, false, D_MAIN, r_release_other_instance, SDRAD_FAULT_GATE},
    {"gate_compat_enter_foreign_domain", BLOCKED, false, false, D_MAIN, r_compat_enter_foreign_domain, SDRAD_FAULT_GATE},
    {"gate_compat_exit_to_chosen_address", BLOCKED, false, false, D_MAIN, r_compat_exit_to_chosen_address, SDRAD_FAULT_GATE},
    {"clear_thread_state_then_gate", BLOCKED, true, false, D_MAIN, r_clear_thread_state_then_gate, SDRAD_FAULT_KEY_VIOLATION},
    {"clear_thread_state_then_fault", BLOCKED, false, false, D_MAIN, r_clear_thread_state_then_fault, SDRAD_FAULT_SEGV},
    {"forge_domain_heap_header", BLOCKED, false, false, D_MAIN, r_forge_domain_heap_header, SDRAD_FAULT_HEAP_CORRUPTION},
    {"sibling_instance_read_confidentiality", BLOCKED, true, false, D_CONF, r_sibling_instance_read, SDRAD_FAULT_KEY_VIOLATION},
    {"sibling_instance_write_integrity", BLOCKED, true, false, D_MAIN, r_sibling_instance_write, SDRAD_FAULT_KEY_VIOLATION},
    {"stale_handle_gets_old_instance", BLOCKED, false, false, D_MAIN, r_stale_handle_instance, 0},
    {"overwrite_tls_canary", BLOCKED, false, false, D_MAIN, r_overwrite_tls_canary, SDRAD_FAULT_ROOT_STATE},
    {"overwrite_pointer_guard", BLOCKED, false, false, D_MAIN, r_overwrite_pointer_guard, SDRAD_FAULT_ROOT_STATE},
    {"redirect_exit_handler_list", BLOCKED, true, false, D_MAIN, r_redirect_exit_handlers, SDRAD_FAULT_ROOT_STATE},
    {"block_segv_then_fault", BLOCKED, false, false, D_MAIN, r_block_segv_then_fault, SDRAD_FAULT_SEGV},
    {"disable_altstack_then_overflow", BLOCKED, false, false, D_MAIN, r_disable_altstack, SDRAD_FAULT_GATE},
    {"segv_default_via_syscall_then_fault", BLOCKED, false, false, D_MAIN, r_segv_default_via_syscall, SDRAD_FAULT_GATE},
    {"compat_write_data_domain_not_granted", BLOCKED, true, false, D_MAIN, r_compat_data_domain, SDRAD_FAULT_KEY_VIOLATION},
    {"compat_dprotect_self_grant", BLOCKED, true, false, D_MAIN, r_compat_dprotect_self_grant, 0},
    {"compat_destroy_other_domain_from_inside", BLOCKED, false, false, D_MAIN, r_compat_destroy_other, 0},
    {"jump_into_switch_gate", BLOCKED, true, false, D_MAIN, r_gate_jump, SDRAD_FAULT_GATE},
    {"jump_into_switch_gate_misaligned_stack", BLOCKED, true, false, D_MAIN, r_gate_jump_misaligned, SDRAD_FAULT_GATE},
    {"overflow_copied_in_buffer", BLOCKED, false, false, D_MAIN, r_overflow_copy, SDRAD_FAULT_CANARY},
    {"smash_own_stack", BLOCKED, false, false, D_MAIN, r_stack_smash, SDRAD_FAULT_STACK_PROTECTOR},
    {"double_free", BLOCKED, false, false, D_MAIN, r_double_free, SDRAD_FAULT_HEAP_CORRUPTION},
    {"use_after_free", BLOCKED, false, false, D_MAIN, r_use_after_free, SDRAD_FAULT_HEAP_CORRUPTION},
    {"corrupt_allocator_metadata", BLOCKED, false, false, D_MAIN, r_corrupt_metadata, SDRAD_FAULT_HEAP_CORRUPTION},
    {"abort", BLOCKED, false, false, D_MAIN, r_abort, SDRAD_FAULT_ABORT},
    {"infinite_recursion", BLOCKED, false, false, D_MAIN, r_recursion, SDRAD_FAULT_STACK_OVERFLOW},
    {"exception_escapes", BLOCKED, false, false, D_MAIN, r_exception_escapes, SDRAD_FAULT_EXCEPTION},
    {"nested_fault_depth_1", BLOCKED, false, false, D_N1, r_nested1, 0},
    {"nested_fault_depth_2", BLOCKED, false, false, D_N1, r_nested2, 0},
    {"nested_fault_depth_3", BLOCKED, false, false, D_N1, r_nested3, 0},
    {"two_threads_fault_at_once", BLOCKED, false, false, D_MAIN, r_two_threads, 0},
    // Red-team rows (redteam_rows.inc).
    {"rt_glibc_sysv_signal_segv_default_then_later_fault", BLOCKED, false, false, D_MAIN, r_rt_sysv_signal, 0},
    {"rt_glibc___sigaction_segv_default_then_later_fault", BLOCKED, false, false, D_MAIN, r_rt___sigaction, 0},
    {"rt_glibc_sigblock_segv_then_later_fault", BLOCKED, false, false, D_MAIN, r_rt_sigblock, 0},
    {"rt_glibc_sighold_segv_then_later_fault", BLOCKED, false, false, D_MAIN, r_rt_sighold, 0},
    {"rt_confidentiality_read_other_domain_direct", BLOCKED, true, false, D_CONF, r_rt_conf_read_other_direct, SDRAD_FAULT_KEY_VIOLATION},
    {"rt_gate_copy_out_reads_other_domain", BLOCKED, false, false, D_CONF, r_rt_copy_out_reads_other, 0},
    {"rt_gate_copy_check_wipes_other_domain", BLOCKED, false, false, D_MAIN, r_rt_copy_check_wipes_other, 0},
    {"rt_thread_start_frame_return_address", BLOCKED, true, false, D_MAIN, r_rt_thread_start_frame, 0},
    {"rt_exhaust_keys_from_domain_then_sibling_write", BLOCKED, true, false, D_MAIN, r_rt_exhaust_keys_then_sibling_write, 0},
    {"rt_destroyed_domain_key_reused_reads_old_instance", BLOCKED, true, false, D_MAIN, r_rt_destroyed_key_reused, 0},
    {"rt_sibling_sprays_altstack_during_rewind", BLOCKED, true, false, D_MAIN, r_rt_altstack_race, 0},
    {"rt_compat_init_from_domain_hijacks_root_rewind", BLOCKED, false, false, D_MAIN, r_rt_compat_preinit_hijacks_rewind, 0},
    {"rt_nested_call_chosen_entry_writes_other_domain", BLOCKED, false, false, D_MAIN, r_rt_call_chosen_entry_other_domain, 0},
    {"rt_pthread_specific_untag_root_globals", BLOCKED, true, false, D_MAIN, r_rt_specific_untag_root_globals, 0},
    {"rt_confidentiality_reads_root_secret_via_nested_call", BLOCKED, true, false, D_CONF, r_rt_conf_reads_root_via_nested, 0},
    {"rt_domain_pthread_create_thread_gate_gives_root", BLOCKED, true, false, D_MAIN, r_rt_spawn_interposed, 0},
    {"rt_domain_libc_pthread_create_thread_gate_gives_root", BLOCKED, true, false, D_MAIN, r_rt_spawn_libc, 0},
    {"rt_pthread_key_destructor_pointer", BLOCKED, true, false, D_MAIN, r_rt_pthread_key_destructor, 0},
    {"rt_compat_exit_via_forged_unwind_info", BLOCKED, false, false, D_MAIN, r_rt_exit_forged_fde, 0},
    {"rt_compat_exit_to_first_byte_after_function", BLOCKED, false, false, D_MAIN, r_rt_exit_after_function, SDRAD_FAULT_GATE},
    {"rt_sibling_rewrites_frame_before_sigreturn", BLOCKED, true, false, D_MAIN, r_rt_frame_race_on_sigreturn, 0},
    {"rt_domain_rewrites_thread_stack_bounds_before_exit", BLOCKED, true, false, D_MAIN, r_rt_thread_exit_stack_bounds, 0},
    {"rt_domain_blocks_timeout_signal_then_loops", BLOCKED, false, false, D_MAIN, r_lv_block_timeout_signal, SDRAD_FAULT_TIMEOUT},
    {"rt_domain_ppoll_masks_timeout_signal", BLOCKED, false, false, D_MAIN, r_lv_ppoll_masks_timeout_signal, SDRAD_FAULT_SYSCALL},
    {"rt_thread_start_frame_descriptor_pointer", BLOCKED, true, false, D_MAIN, r_rt_thread_start_descriptor_pointer, 0},
    {"rt_cached_thread_descriptor_stack_bounds", BLOCKED, true, false, D_MAIN, r_rt_cached_descriptor_stack_bounds, 0},
    {"rt_forged_cached_stack_bounds_then_cache_trim", BLOCKED, true, false, D_MAIN, r_rt_stack_cache_trim, 0},
    {"rt_sibling_races_thread_exit_stack_bounds", BLOCKED, true, false, D_MAIN, r_rt_sibling_races_thread_exit_bounds, SDRAD_FAULT_KEY_VIOLATION},
    {"rt_domain_sets_value_for_root_key_destructor", BLOCKED, true, false, D_MAIN, r_rt_specific_value_to_root_destructor, 0},
    {"rt_data_domain_forged_header_steers_root_wipe", BLOCKED, false, false, D_MAIN, r_rt_data_domain_header_steers_wipe, 0},
    {"rt_data_domain_forged_header_wipes_root_heap", BLOCKED, false, false, D_MAIN, r_rt_data_domain_header_wipes_root_heap, 0},
    {"rt_gate_copy_string_root_global_confidentiality", BLOCKED, false, false, D_CONF, r_rt_copy_string_root_conf, SDRAD_FAULT_GATE},
    {"rt_gate_copy_string_unterminated_faults_caller", BLOCKED, false, false, D_MAIN, r_rt_copy_string_unterminated, SDRAD_FAULT_SEGV},
    {"rt_confidentiality_reads_other_domain_epoch", BLOCKED, false, false, D_CONF, r_rt_conf_epoch_of_other_domain, 0},
    {"rt_sibling_changes_ppoll_mask_after_check", BLOCKED, false, false, D_MAIN, r_rt_sibling_changes_ppoll_mask_after_check, 0},
    {"rt_stdout_wide_jump_table_then_root_puts", BLOCKED, true, false, D_MAIN, r_rt_stdout_wide_jump_table, SDRAD_FAULT_ROOT_STATE},
    {"rt_link_forged_file_into_io_list_then_exit", BLOCKED, true, false, D_MAIN, r_rt_link_forged_file, 0},
    // Session 6's red-team rows (redteam6_rows.inc).
    {"rt6_open_fifo_without_writer_past_time_limit", BLOCKED, false, false, D_MAIN, r_rt6_open_fifo_past_timeout, 0},
    {"rt6_forged_stdout_lock_then_root_flush", BLOCKED, true, false, D_MAIN, r_rt6_forged_stdout_lock, SDRAD_FAULT_ROOT_STATE},
    {"rt6_flockfile_stdout_then_return", BLOCKED, true, false, D_MAIN, r_rt6_flockfile_stdout_returns, SDRAD_FAULT_ROOT_STATE},
    {"rt6_stream_list_lock_held_at_thread_exit", BLOCKED, true, false, D_MAIN, r_rt6_list_lock_held_at_thread_exit, 0},
    {"rt6_forged_file_in_root_heap_linked_into_io_list", BLOCKED, true, false, D_MAIN, r_rt6_forged_file_in_root_heap, 0},
    {"rt6_domain_lifts_its_own_time_limit", BLOCKED, false, false, D_MAIN, r_rt6_lift_own_timeout, SDRAD_FAULT_GATE},
    {"rt6_domain_installs_root_discard_hook", BLOCKED, false, false, D_MAIN, r_rt6_install_discard_hook, SDRAD_FAULT_GATE},
    {"rt6_domain_registers_exit_handler", BLOCKED, false, false, D_MAIN, r_rt6_domain_registers_exit_handler, 0},
    {"rt6_domain_counts_in_exit_handler_entry", BLOCKED, true, false, D_MAIN, r_rt6_domain_counts_in_exit_entry, 0},
    // Session 7's red-team rows (redteam7_rows.inc).
    {"rt7_gate_frames_on_root_thread_stack", BLOCKED, true, false, D_MAIN, r_rt7_gate_frames_on_root_thread_stack, 0},
    {"rt7_signal_entry_frames_on_root_thread_stack", BLOCKED, true, false, D_MAIN, r_rt7_signal_entry_frames_on_root_thread_stack, 0},
    {"rt7_jump_to_domain_forged_context", BLOCKED, true, false, D_MAIN, r_rt7_jump_to_domain_forged_context, 0},
    {"rt7_alignment_check_flag_leaks_into_root", BLOCKED, false, false, D_MAIN, r_rt7_alignment_check_flag_leaks_into_root, 0},
    {"rt7_direction_flag_leaks_into_root", BLOCKED, false, false, D_MAIN, r_rt7_direction_flag_leaks_into_root, 0},
    {"rt7_direction_flag_then_soft_fault", BLOCKED, false, false, D_MAIN, r_rt7_direction_flag_then_soft_fault, SDRAD_FAULT_STACK_PROTECTOR},
    {"rt7_mprotect_own_heap_readonly_then_fault", BLOCKED, false, false, D_MAIN, r_rt7_mprotect_own_heap_readonly_then_fault, 0},
    {"rt7_munmap_own_stack_page_then_fault", BLOCKED, false, false, D_MAIN, r_rt7_munmap_own_stack_page_then_fault, 0},
    {"rt7_hwpoison_own_heap_then_fault", BLOCKED, false, false, D_MAIN, r_rt7_hwpoison_own_heap_then_fault, 0},
    {"rt7_munmap_hole_in_own_slot", BLOCKED, false, false, D_MAIN, r_rt7_munmap_hole_in_own_slot, 0},
    {"rt7_growsdown_mapping_outlives_discard", BLOCKED, false, false, D_MAIN, r_rt7_growsdown_mapping_outlives_discard, 0},
    {"rt7_pthread_exit_inside_domain", BLOCKED, false, false, D_MAIN, r_rt7_pthread_exit_inside_domain, 0},
    {"rt7_mmap_fixed_key0_page_in_own_heap", BLOCKED, true, false, D_MAIN, r_rt7_mmap_fixed_key0_page_in_own_heap, 0},
    // Session 8's rows (redteam8_rows.inc).
    {"rt8_domain_registers_quick_exit_handler", BLOCKED, false, false, D_MAIN, r_rt8_domain_registers_quick_exit_handler, 0},
    {"rt8_domain_counts_in_quick_exit_entry", BLOCKED, false, false, D_MAIN, r_rt8_domain_counts_in_quick_exit_entry, 0},
    {"rt8_signal_entry_on_other_threads_block", BLOCKED, true, false, D_MAIN, r_rt8_signal_entry_on_other_threads_block, 0},
    {"rt8b_recvmsg_name_into_root", BLOCKED, false, false, D_MAIN, r_rt8b_recvmsg_name_into_root, 0},
    {"rt8b_domain_finalizes_roots_exit_handlers", BLOCKED, true, false, D_MAIN, r_rt8b_domain_finalizes_roots_exit_handlers, 0},
    {"rt8b_sendmsg_roots_descriptor_reusing_own_number", BLOCKED, false, false, D_MAIN, r_rt8b_sendmsg_roots_descriptor_reusing_own_number, 0},
    {"rt9_syscall_writes_libc_data", BLOCKED, true, false, D_MAIN, r_rt9_syscall_writes_libc_data, 0},
    {"rt9b_futex_wake_op_stdout_lock", BLOCKED, true, false, D_MAIN, r_rt9b_futex_wake_op_stdout_lock, 0},
    {"rt9b_getrandom_into_stdout", BLOCKED, true, false, D_MAIN, r_rt9b_getrandom_into_stdout, 0},
    {"rt9b_forged_pkuerr_opens_key", BLOCKED, true, false, D_MAIN, r_rt9b_forged_pkuerr_opens_key, 0},
    {"rt9b_nested_inner_grant_outer_writes", BLOCKED, true, false, D_N1, r_rt9b_nested_inner_grant_outer_writes, 0},
    {"rt9b_discard_then_unmarked_write", BLOCKED, true, false, D_MAIN, r_rt9b_discard_then_unmarked_write, 0},
    {"rt9b_pooled_instance_mark", BLOCKED, true, false, D_MAIN, r_rt9b_pooled_instance_mark, 0},
    {"rt9b_compat_exit_unmarked", BLOCKED, true, false, D_MAIN, r_rt9b_compat_exit_unmarked, 0},
    {"rt9b_nested_outer_marked_inner_writes", BLOCKED, true, false, D_N1, r_rt9b_nested_outer_marked_inner_writes, 0},
    {"rt9b_tls_locale_toupper", BLOCKED, false, false, D_MAIN, r_rt9b_tls_locale_toupper, 0},
    {"rt9b_tls_dtor_list_runs_as_root", BLOCKED, false, false, D_MAIN, r_rt9b_tls_dtor_list_runs_as_root, 0},
    {"rt9b_tls_dtor_node_in_tls_runs_as_root", BLOCKED, false, false, D_MAIN, r_rt9b_tls_dtor_node_in_tls_runs_as_root, 0},
    // Session 10: buffers carried in the block (redteam10_rows.inc).
    {"rt10_copy_fault_from_domain", BLOCKED, false, false, D_MAIN, r_rt10_copy_fault_from_domain, SDRAD_FAULT_CANARY},
    {"rt10_copy_fault_nested_inner", BLOCKED, false, false, D_N1, r_rt10_copy_fault_nested_inner, 0},
    {"rt10_copy_fault_worker_vs_main_calls", BLOCKED, false, false, D_MAIN, r_rt10_copy_fault_worker_vs_main_calls, 0},
    {"rt10_nested_call_with_4096_root_block", BLOCKED, false, false, D_MAIN, r_rt10_nested_call_with_4096_root_block, SDRAD_FAULT_GATE},
    {"rt10_nested_call_with_4096_root_heap", BLOCKED, false, false, D_MAIN, r_rt10_nested_call_with_4096_root_heap, SDRAD_FAULT_GATE},
    {"rt10_nested_call_with_4096_other_domain", BLOCKED, false, false, D_MAIN, r_rt10_nested_call_with_4096_other_domain, SDRAD_FAULT_GATE},
    {"rt10_nested_block_past_own_stack_top", BLOCKED, false, false, D_MAIN, r_rt10_nested_block_past_own_stack_top, SDRAD_FAULT_GATE},
    {"rt10_root_call_with_sizes", ALLOWED, false, false, D_MAIN, r_rt10_root_call_with_sizes, 0},
    {"rt10_nested_call_with_sizes", ALLOWED, false, false, D_MAIN, r_rt10_nested_call_with_sizes, 0},
    {"rt10_signal_storm_fast_path_copies", ALLOWED, false, false, D_MAIN, r_rt10_signal_storm_fast_path_copies, 0},
    {"rt10_signal_storm_handler_calls_other_domain", ALLOWED, false, false, D_MAIN, r_rt10_signal_storm_handler_calls_other_domain, 0},
    {"rt11_signal_storm_handler_calls_interrupted_domain", ALLOWED, false, false, D_MAIN, r_rt11_signal_storm_handler_calls_interrupted_domain, 0},
    {"rt11_forged_signal_entry_on_key0_stack_handler_calls", BLOCKED, true, false, D_MAIN, r_rt11_forged_signal_entry_on_key0_stack_handler_calls, 0},
    {"rt10_key0_page_after_pthread_create", BLOCKED, true, false, D_MAIN, r_rt10_key0_page_after_pthread_create, 0},
    {"rt10_thread_stack_in_root_heap_untags_heap", BLOCKED, true, false, D_MAIN, r_rt10_thread_stack_in_root_heap_untags_heap, 0},
    {"rt10_sibling_rewrites_block_copy_on_return", BLOCKED, false, false, D_MAIN, r_rt10_sibling_rewrites_block_copy_on_return, 0},
    // Session 11: thread identity (WRFSBASE), the fast path, memory calls (redteam11_rows.inc).
    {"rt11_wrfsbase_root_thread_copy_out_to_root", BLOCKED, true, false, D_MAIN, r_rt11_wrfsbase_copy_out_to_root, 0},
    {"rt11_wrfsbase_root_thread_last_fault_to_root", BLOCKED, true, false, D_MAIN, r_rt11_wrfsbase_last_fault_to_root, 0},
    {"rt11_wrfsbase_root_thread_raw_mprotect_root", BLOCKED, true, false, D_MAIN, r_rt11_wrfsbase_raw_mprotect_root, 0},
    {"rt11_jump_into_call_with_past_rdpkru", BLOCKED, true, false, D_MAIN, r_rt11_jump_into_call_with_past_rdpkru, SDRAD_FAULT_GATE},
    {"rt11_mremap_own_mapping_onto_root", BLOCKED, false, false, D_MAIN, r_rt11_mremap_own_mapping_onto_root, SDRAD_FAULT_SYSCALL},
    {"rt11_wrfsbase_domain_thread_copy_out_to_its_domain", BLOCKED, true, false, D_MAIN, r_rt11_wrfsbase_domain_thread_copy_out_to_its_domain, 0},
    {"rt11_wrfsbase_domain_thread_then_fault", BLOCKED, true, false, D_MAIN, r_rt11_wrfsbase_domain_thread_then_fault, 0},
    {"rt11_wrfsbase_domain_thread_then_copy_fault", BLOCKED, true, false, D_MAIN, r_rt11_wrfsbase_domain_thread_then_copy_fault, 0},
    {"rt11_wrfsbase_domain_thread_then_return", BLOCKED, true, false, D_MAIN, r_rt11_wrfsbase_domain_thread_then_return, 0},
    {"rt11_wrfsbase_domain_thread_then_slow_return", BLOCKED, true, false, D_MAIN, r_rt11_wrfsbase_domain_thread_then_slow_return, 0},
    {"rt11_forged_cookie_file_while_root_opens_fifo", BLOCKED, true, false, D_MAIN, r_rt11_forged_cookie_file_while_root_opens_fifo, 0},
    {"rt11_sibling_rewrites_exit_list_during_exit", BLOCKED, true, false, D_MAIN, r_rt11_sibling_rewrites_exit_list_during_exit, 0},
    {"rt11_gate_depth_below_chosen_stack", BLOCKED, true, false, D_MAIN, r_rt11_gate_depth_below_chosen_stack, 0},
    // Session 12: signal-handler parking, the root heap's page give-back (redteam12_rows.inc).
    {"rt12_onstack_handler_call_traps", BLOCKED, true, false, D_OTHER, r_rt12_onstack_handler_call_traps, SDRAD_FAULT_TRAP},
    {"rt12_siglongjmp_out_of_handler_70_times", ALLOWED, false, false, D_MAIN, r_rt12_siglongjmp_out_of_handler_70_times, 0},
    {"rt12_handler_gives_back_root_pages_while_domain_interrupted", BLOCKED, false, false, D_MAIN, r_rt12_handler_gives_back_root_pages_while_domain_interrupted, SDRAD_FAULT_SYSCALL},
    {"rt12_domain_frees_whole_root_page", BLOCKED, false, false, D_MAIN, r_rt12_domain_frees_whole_root_page, 0},
    {"rt12_siglongjmp_with_domains_pointer_guard", BLOCKED, false, false, D_MAIN, r_rt12_siglongjmp_with_domains_pointer_guard, 0},
    {"rt12_handler_runs_with_domains_locale", BLOCKED, false, false, D_MAIN, r_rt12_handler_runs_with_domains_locale, 0},
    {"integrity_read_global", ALLOWED, false, false, D_MAIN, r_read_global, 0},
    {"domain_ppoll_keeps_argument_registers", ALLOWED, false, false, D_MAIN, r_domain_ppoll_keeps_argument_registers, 0},
    {"domain_sigprocmask_takes_effect", ALLOWED, false, false, D_MAIN, r_domain_sigprocmask_takes_effect, 0},
    {"snprintf", ALLOWED, false, false, D_MAIN, r_snprintf, 0},
    {"strtol_errno", ALLOWED, false, false, D_MAIN, r_strtol, 0},
    {"qsort", ALLOWED, false, false, D_MAIN, r_qsort, 0},
    {"malloc_free_realloc_calloc", ALLOWED, false, false, D_MAIN, r_malloc_free, 0},
    {"cxx_containers", ALLOWED, false, false, D_MAIN, r_containers, 0},
    {"cxx_exception_caught_inside", ALLOWED, false, false, D_MAIN, r_exception_caught, 0},
    {"confidentiality_own_work", ALLOWED, false, false, D_CONF, r_conf_compute, 0},
    {"own_wrpkru_then_write_global", UNBLOCKABLE, false, false, D_MAIN, r_wrpkru_gadget, 0},
    // What PKU cannot stop, stopped by syscall confinement (syscall_rows.inc).
    {"pkey_mprotect_root_page", BLOCKED, false, false, D_MAIN, r_pkey_mprotect, SDRAD_FAULT_SYSCALL},
    {"mprotect_root_page", BLOCKED, false, false, D_MAIN, r_mprotect, SDRAD_FAULT_SYSCALL},
    {"write_proc_self_mem", BLOCKED, false, false, D_MAIN, r_proc_self_mem, SDRAD_FAULT_SYSCALL},
    {"sys_madvise_root_heap", BLOCKED, false, false, D_MAIN, r_sys_madvise_root_heap, SDRAD_FAULT_SYSCALL},
    {"sys_mmap_fixed_root", BLOCKED, false, false, D_MAIN, r_sys_mmap_fixed_root, SDRAD_FAULT_SYSCALL},
    {"sys_munmap_root", BLOCKED, false, false, D_MAIN, r_sys_munmap_root, SDRAD_FAULT_SYSCALL},
    {"sys_mremap_root", BLOCKED, false, false, D_MAIN, r_sys_mremap_root, SDRAD_FAULT_SYSCALL},
    {"sys_mprotect_root", BLOCKED, false, false, D_MAIN, r_sys_mprotect_root, SDRAD_FAULT_SYSCALL},
    {"sys_pkey_alloc", BLOCKED, false, false, D_MAIN, r_sys_pkey_alloc, SDRAD_FAULT_SYSCALL},
    {"sys_mmap_exec", BLOCKED, false, false, D_MAIN, r_sys_mmap_exec, SDRAD_FAULT_SYSCALL},
    {"sys_open_proc_mem", BLOCKED, false, false, D_MAIN, r_sys_open_proc_mem, SDRAD_FAULT_SYSCALL},
    {"sys_open_proc_mem_via_fd_link", BLOCKED, false, false, D_MAIN, r_sys_open_proc_mem_via_fd_link, SDRAD_FAULT_SYSCALL},
    {"sys_process_vm_writev", BLOCKED, false, false, D_MAIN, r_sys_process_vm_writev, SDRAD_FAULT_SYSCALL},
    {"sys_ptrace", BLOCKED, false, false, D_MAIN, r_sys_ptrace, SDRAD_FAULT_SYSCALL},
    {"sys_rt_sigaction_segv", BLOCKED, false, false, D_MAIN, r_sys_rt_sigaction_segv, SDRAD_FAULT_SYSCALL},
    {"sys_sigaltstack_off", BLOCKED, false, false, D_MAIN, r_sys_sigaltstack_off, SDRAD_FAULT_SYSCALL},
    {"sys_block_segv_then_fault", BLOCKED, false, false, D_MAIN, r_sys_block_segv_then_fault, SDRAD_FAULT_SEGV},
    {"sys_sigqueue_self", BLOCKED, false, false, D_MAIN, r_sys_sigqueue_self, SDRAD_FAULT_SYSCALL},
    {"sys_kill_self", BLOCKED, false, false, D_MAIN, r_sys_kill_self, SDRAD_FAULT_SYSCALL},
    {"sys_clone", BLOCKED, false, false, D_MAIN, r_sys_clone, SDRAD_FAULT_SYSCALL},
    {"sys_execve", BLOCKED, false, false, D_MAIN, r_sys_execve, SDRAD_FAULT_SYSCALL},
    {"sys_prctl", BLOCKED, false, false, D_MAIN, r_sys_prctl, SDRAD_FAULT_SYSCALL},
    {"sys_arch_prctl", BLOCKED, false, false, D_MAIN, r_sys_arch_prctl, SDRAD_FAULT_SYSCALL},
    {"sys_seccomp", BLOCKED, false, false, D_MAIN, r_sys_seccomp, SDRAD_FAULT_SYSCALL},
    {"sys_userfaultfd", BLOCKED, false, false, D_MAIN, r_sys_userfaultfd, SDRAD_FAULT_SYSCALL},
    {"sys_io_uring_setup", BLOCKED, false, false, D_MAIN, r_sys_io_uring_setup, SDRAD_FAULT_SYSCALL},
    {"sys_forged_sigreturn", BLOCKED, false, false, D_MAIN, r_sys_forged_sigreturn, SDRAD_FAULT_SYSCALL},
    {"sys_jump_to_runtime_syscall", BLOCKED, false, false, D_MAIN, r_sys_jump_to_runtime_syscall, SDRAD_FAULT_SYSCALL},
    {"sys_read_into_root", BLOCKED, true, false, D_MAIN, r_sys_read_into_root, 0},
    {"sys_common_calls", ALLOWED, false, false, D_MAIN, r_sys_common_calls, 0},
    {"sys_close_root_fd_then_open", BLOCKED, false, false, D_MAIN, r_sys_close_root_fd_then_open, SDRAD_FAULT_SYSCALL},
    {"sys_mmap_written_by_other_domain", BLOCKED, true, false, D_MAIN, r_sys_mmap_written_by_other_domain, 0},
    {"sys_sendmsg_root_fd", BLOCKED, false, false, D_MAIN, r_sys_sendmsg_root_fd, SDRAD_FAULT_SYSCALL},
    {"sys_recvmsg_control_buffer", BLOCKED, false, false, D_MAIN, r_sys_recvmsg_control_buffer, SDRAD_FAULT_SYSCALL},
    {"sys_recvmsg_into_root", BLOCKED, false, false, D_MAIN, r_sys_recvmsg_into_root, 0},
    {"sys_mprotect_own_mapping", ALLOWED, false, false, D_MAIN, r_sys_mprotect_own_mapping, 0},
    {"sys_mprotect_own_mapping_exec", BLOCKED, false, false, D_MAIN, r_sys_mprotect_own_mapping_exec, SDRAD_FAULT_SYSCALL},
};
#endif  // MATRIX_PLUGIN

// The fault kind a blocked row must report (0: any).  Rows that need keys
// expect a key violation only in the pku backend.
// The fault kind a blocked row must report (its table entry; 0: any).
// Rows that need keys expect theirs only in the pku backend.
static int expected_kind(const Row &row) {
  if (row.expect != BLOCKED || (row.needs_pku && !g_pku)) return 0;
  return row.kind;
}

// A row that must be blocked but that the runtime does not block yet
// (known_gap in its table entry) prints verdict=info with
// expected=blocked(known-gap) instead of failing the run; docs/security.md
// lists them.  MATRIX_NO_KNOWN_GAPS=1 makes them required.
static bool row_gap(const Row &row) { return row.known_gap && !getenv("MATRIX_NO_KNOWN_GAPS"); }
static bool row_required(const Row &row) {
  return row.expect != UNBLOCKABLE && !row_gap(row) && (!row.needs_pku || g_pku);
}

// Runs one row in the calling process, prints its line; 0 pass, 1 FAIL, 2 info.
__attribute__((noinline)) static int run_row_here(const Row &row) {
  Frame frame;  // the caller's stack frame (main thread: root key)
  root_fill(&frame);
  Env env{&frame};
  sdrad_clear_fault();
  uint64_t before = root_checksum(&frame);
  Outcome o = row.fn(env);
  uint64_t after = root_checksum(&frame);
  bool unchanged = before == after && !o.root_changed;
  bool next = next_call_ok(g_h[row.dom]);
  std::string result;
  if (o.done) {
    result = o.result;
  } else if (o.status > 0) {
    int want = expected_kind(row);
    if (!unchanged)
      result = "NOT BLOCKED(root changed, then " + kind_name(o.status) + ")";
    else if (want && o.status != want)
      result = "UNEXPECTED(blocked, but as " + kind_name(o.status) + ", not " + kind_name(want) + ")";
    else
      result = "blocked(" + kind_name(o.status) + ")";
  } else if (o.status < 0) {
    result = "error(" + kind_name(o.status) + ")";
  } else if (row.expect == ALLOWED) {
    result = o.ok ? "allowed" : "WRONG-RESULT";
  } else {
    result = "NOT BLOCKED";
  }
  bool blocked = result.rfind("blocked", 0) == 0;
  const char *verdict;
  bool gap = row_gap(row);
  bool required = !gap && (!row.needs_pku || g_pku);
  bool good;
  if (row.expect == BLOCKED) good = blocked && unchanged && next;
  else if (row.expect == ALLOWED) good = result == "allowed" && unchanged && next;
  else good = true;
  if (row.expect == UNBLOCKABLE || !required) verdict = good && row.expect != UNBLOCKABLE ? "pass" : "info";
  else verdict = good ? "pass" : "FAIL";
  if (row.expect == UNBLOCKABLE && !next) verdict = "FAIL";  // the domain must still work
  if (gap && good && row.expect != UNBLOCKABLE) result += " -- known gap no longer seen: set known_gap to false in its row";
  sdrad_fault f;
  if (g_verbose && sdrad_last_fault(&f))
    printf("  fault: kind=%s signo=%d si_code=%d pkey=%d addr=%#lx pc=%#lx domain=%s\n",
           sdrad_fault_kind_name(f.kind), f.signo, f.si_code, f.pkey, (unsigned long)f.addr,
           (unsigned long)f.pc, f.domain);
  printf("ROW %s | expected=%s%s | result=%s | root-unchanged=%s | next-call=%s | verdict=%s\n", row.name,
         kExpectName[row.expect], gap ? "(known-gap)" : "", result.c_str(), unchanged ? "yes" : "no",
         next ? "ok" : "fail", verdict);
  fflush(stdout);
  return !strcmp(verdict, "pass") ? 0 : !strcmp(verdict, "FAIL") ? 1 : 2;
}

// Each row runs in a child process (unless MATRIX_NO_FORK=1), so that a row
// that hangs or kills the process is reported as such and the other rows
// still run from the same clean state.
static void run_row(const Row &row, const char *only) {
  if (only && !strstr(row.name, only)) return;
  int code;
  if (getenv("MATRIX_NO_FORK")) {
    code = run_row_here(row);
  } else {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) _exit(run_row_here(row));
    int limit_ms = 1000 * (getenv("MATRIX_ROW_TIMEOUT") ? atoi(getenv("MATRIX_ROW_TIMEOUT")) : 30);
    int st = 0, waited = 0;
    pid_t w = 0;
    while (pid > 0 && (w = waitpid(pid, &st, WNOHANG)) == 0 && waited < limit_ms) {
      usleep(10000);
      waited += 10;
    }
    std::string result;
    if (pid < 0) {
      result = "error(fork failed)";
    } else if (w == 0) {
      kill(pid, SIGKILL);
      waitpid(pid, &st, 0);
      result = "HANG(killed after " + std::to_string(limit_ms / 1000) + " s)";
    } else if (WIFEXITED(st) && WEXITSTATUS(st) <= 2) {
      result = "";
    } else {
      result = WIFSIGNALED(st) ? "CRASHED(process killed by signal " + std::to_string(WTERMSIG(st)) + ")"
                               : "CRASHED(exit " + std::to_string(WEXITSTATUS(st)) + ")";
    }
    if (result.empty()) {
      code = WEXITSTATUS(st);
    } else {
      code = row_required(row) ? 1 : 2;
      printf("ROW %s | expected=%s%s | result=%s | root-unchanged=unknown | next-call=fail | verdict=%s\n",
             row.name, kExpectName[row.expect], row_gap(row) ? "(known-gap)" : "", result.c_str(),
             code == 1 ? "FAIL" : "info");
      fflush(stdout);
    }
  }
  ++g_rows;
  if (code == 0) ++g_pass;
  else if (code == 1) ++g_fail;
  else ++g_info;
}

int main(int argc, char **argv) {
  const char *only = argc > 1 ? argv[1] : nullptr;
  setvbuf(stdout, nullptr, _IOLBF, 0);
  g_root_heap = (char *)malloc(kHeapBuf);
  g_sync = (Shared *)mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (!g_root_heap || g_sync == MAP_FAILED) {
    printf("MATRIX setup failed\n");
    return 2;
  }
  g_pku = sdrad_backend() == SDRAD_BACKEND_PKU;
  g_verbose = getenv("MATRIX_VERBOSE") && !strcmp(getenv("MATRIX_VERBOSE"), "1");
  for (int d = 0; d < D_COUNT; ++d) {
    g_h[d] = sdrad_domain_by_name(kDomName[d], d == D_CONF ? SDRAD_POLICY_CONFIDENTIALITY : SDRAD_POLICY_INTEGRITY);
    if (g_h[d] <= 0) {
      printf("MATRIX cannot register domain %s: %s\n", kDomName[d], sdrad_error_name((int32_t)g_h[d]));
      return 2;
    }
  }
#ifdef MATRIX_PLUGIN
  const char *via = "plugin";
#else
  const char *via = "abi";
  // The nested rows' entries, as the plugin registers the ones it makes.
  static const __sdrad_domain_ref n2{0, "matrix.n2", 0, SDRAD_ABI_VERSION}, n3{0, "matrix.n3", 0, SDRAD_ABI_VERSION};
  static const __sdrad_entry nested_entries[] = {{e_nested, &n2}, {e_nested, &n3}, {e_benign, &n2}, {e_benign, &n3}};
  if (__sdrad_register_entries(nested_entries, 4) != 0) {
    printf("MATRIX cannot register the nested rows' entries\n");
    return 2;
  }
#endif
  printf("MATRIX backend=%s via=%s shared-page-pku=%u root-key=%d\n", sdrad_backend_name(), via,
         shared::get<uint32_t>(shared::kPku), shared::get<int32_t>(shared::kRootKey));
  for (const Row &r : kRows) run_row(r, only);
  printf("MATRIX-SUMMARY backend=%s rows=%d pass=%d fail=%d info=%d\n", sdrad_backend_name(), g_rows, g_pass,
         g_fail, g_info);
  return g_fail ? 1 : 0;
}
