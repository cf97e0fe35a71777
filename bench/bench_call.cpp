// bench/bench_call.cpp - cost of an isolated call against a plain call, and
// the argument-copy bandwidth against memcpy.
//
//   call.plain.X / call.iso.X   ns per call, X = noarg, scalars4, bufN
//                               (bufN: an N-byte `in` buffer and an N-byte
//                               `out` buffer, copied in and out)
//   thread.plain / thread.iso   create + join a thread that makes one plain /
//                               one isolated call (the latter creates the
//                               thread's domain instance and drops it)
//   call.isoblk.noarg           the no-arg call with the block form of the
//                               contract instead of __sdrad_call_with
//   copy.memcpy.N               ns for memcpy of N bytes
//   copy.in.N                   ns for __sdrad_copy_in (allocation + copy +
//                               canaries) + __sdrad_block_free of N bytes
//   copy.out.N                  ns for __sdrad_copy_out of N bytes
//
// `--cg plain|iso|isoblk|iso4|buf64|str|mc N` runs only N calls (no
// arguments; iso4: 4 scalars; buf64: 64-byte in and out buffers; str: a
// 32-byte string; mc: memcached's tokenize_isolated, an INOUT command line
// and an OUT array of 24 16-byte tokens, `returned` copied back) inside
// cg_loop_<kind> for callgrind (bench/run.sh counts instructions with it).
// strplain|mcplain: the same functions not isolated.
#include <sys/mman.h>

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "common.h"
#include "thunk.h"

using namespace bench;

static __sdrad_domain_ref g_dom = {0, "bench.call", SDRAD_POLICY_INTEGRITY, SDRAD_ABI_VERSION};

// ---- the functions being called -----------------------------------------
extern "C" __attribute__((noinline)) int64_t fn_noarg() {
  clobber();
  return 1;
}
extern "C" __attribute__((noinline)) int64_t fn_scalars(int64_t a, int64_t b, int64_t c, int64_t d) {
  clobber();
  return a + b * c - d;
}
extern "C" __attribute__((noinline)) int64_t fn_buf(const uint8_t *in, uint8_t *out, size_t n) {
  out[0] = (uint8_t)(in[0] + 1);
  out[n - 1] = (uint8_t)(in[n - 1] + 1);
  return (int64_t)n;
}

extern "C" __attribute__((noinline)) int64_t fn_str(const char *s) {
  clobber();
  return (int64_t)strlen(s);
}
// memcached's tokenizer, shaped like tokenize_command: splits `command`
// (len bytes with its NUL) at spaces into at most 24 tokens of 16 bytes.
struct Token {
  char *value;
  size_t length;
};
constexpr size_t kMaxTokens = 24;
extern "C" __attribute__((noinline)) size_t fn_tokenize(char *command, size_t len, Token *tokens) {
  size_t n = 0;
  char *s = command, *e = command + len - 1;
  for (char *p = command; p <= e && n < kMaxTokens - 1; p++)
    if (p == e || *p == ' ') {
      if (p > s) tokens[n++] = {s, (size_t)(p - s)};
      if (p < e) *p = '\0';
      s = p + 1;
    }
  tokens[n++] = {nullptr, 0};
  return n;
}

// ---- their isolated versions (thunks per abi.h) -------------------------
namespace {
struct NoArgBlk {
  int64_t ret;
};
void entry_noarg(void *p) { ((NoArgBlk *)p)->ret = fn_noarg(); }

struct ScalarBlk {
  int64_t a, b, c, d, ret;
};
void entry_scalars(void *p) {
  auto *b = (ScalarBlk *)p;
  b->ret = fn_scalars(b->a, b->b, b->c, b->d);
}

struct BufBlk {
  const uint8_t *in;
  uint8_t *out;
  size_t n;
  int64_t ret;
};
void entry_buf(void *p) {
  auto *b = (BufBlk *)p;
  b->ret = fn_buf(b->in, b->out, b->n);
}

struct StrBlk {
  const char *s;
  int64_t ret;
};
void entry_str(void *p) {
  auto *b = (StrBlk *)p;
  b->ret = fn_str(b->s);
}

// as tokenize_isolated in examples/memcached/memcached-sdrad.patch: token
// values come back as offset + 1 (0: NULL)
struct TokBlk {
  char *command;
  size_t len;
  Token *tokens;
  size_t ret;
};
void entry_tokenize(void *p) {
  auto *b = (TokBlk *)p;
  size_t n = fn_tokenize(b->command, b->len, b->tokens);
  for (size_t i = 0; i < n; i++)
    b->tokens[i].value = b->tokens[i].value ? (char *)(uintptr_t)(b->tokens[i].value - b->command + 1) : nullptr;
  b->ret = n;
}
// SDRAD_OUT(MAX_TOKENS, returned): `returned` elements copied back
struct TokBack {
  size_t operator()(const TokBlk &b, size_t i, const CopyArg &a) const {
    return i == 1 ? (b.ret <= kMaxTokens ? b.ret : kMaxTokens) * sizeof(Token) : a.bytes;
  }
};
}  // namespace

extern "C" __attribute__((noinline)) int64_t iso_noarg() {
  int64_t r;
  return isolated_call(g_dom, entry_noarg, NoArgBlk{0}, &r) == 0 ? r : -1;
}

extern "C" __attribute__((noinline)) int64_t iso_scalars(int64_t a, int64_t b, int64_t c, int64_t d) {
  int64_t r;
  return isolated_call(g_dom, entry_scalars, ScalarBlk{a, b, c, d, 0}, &r) == 0 ? r : -1;
}

extern "C" __attribute__((noinline)) int64_t iso_buf(const uint8_t *in, uint8_t *out, size_t n) {
  BufBlk blk{nullptr, nullptr, n, 0};
  auto place = [](BufBlk &b, void *const *c) {
    b.in = (const uint8_t *)c[0];
    b.out = (uint8_t *)c[1];
  };
  const CopyArg args[] = {CopyArg{in, nullptr, n}, CopyArg{nullptr, out, n}};
  int32_t st = isolated_call_copies(g_dom, entry_buf, blk, args, place);
  return st == 0 ? blk.ret : -1;
}
extern "C" __attribute__((noinline)) int64_t iso_str(const char *s) {
  StrBlk blk{nullptr, 0};
  auto place = [](StrBlk &b, void *const *c) { b.s = (const char *)c[0]; };
  const CopyArg args[] = {CopyArg{s, nullptr, 0, true}};
  int32_t st = isolated_call_copies(g_dom, entry_str, blk, args, place);
  return st == 0 ? blk.ret : -1;
}
extern "C" __attribute__((noinline)) size_t iso_tokenize(char *command, size_t len, Token *tokens) {
  TokBlk blk{nullptr, len, nullptr, 0};
  auto place = [](TokBlk &b, void *const *c) {
    b.command = (char *)c[0];
    b.tokens = (Token *)c[1];
  };
  const CopyArg args[] = {CopyArg{command, command, len}, CopyArg{nullptr, tokens, kMaxTokens * sizeof(Token)}};
  int32_t st = isolated_call_copies(g_dom, entry_tokenize, blk, args, place, TokBack{});
  return st == 0 ? blk.ret : 0;
}

extern "C" __attribute__((noinline)) int64_t iso_noarg_blk() {
  int64_t r;
  return isolated_call_blk(g_dom, entry_noarg, NoArgBlk{0}, &r) == 0 ? r : -1;
}

#ifdef SDRAD_BENCH_PLUGIN
// bench/plugin_targets.cpp, compiled with the plugin.
extern "C" int64_t pl_call_noarg();
extern "C" int64_t pl_call_scalars(int64_t a, int64_t b, int64_t c, int64_t d);
extern "C" int64_t pl_call_buf(const uint8_t *in, uint8_t *out, size_t n);
extern "C" int64_t pl_call_str(const char *s);
extern "C" size_t pl_call_tokenize(char *command, size_t len, void *tokens);
#endif

struct Buf {
  uint8_t *p;
  size_t n;
  Buf(size_t size, int fill) : n(size) {
    p = (uint8_t *)mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      perror("mmap");
      exit(1);
    }
    memset(p, fill, size);
  }
  ~Buf() { munmap(p, n); }
  uint8_t *data() { return p; }
};

// ---- callgrind loops ------------------------------------------------------
extern "C" __attribute__((noinline)) int64_t cg_loop_plain(long n) {
  int64_t s = 0;
  for (long i = 0; i < n; i++) s += fn_noarg();
  return s;
}
extern "C" __attribute__((noinline)) int64_t cg_loop_iso(long n) {
  int64_t s = 0;
  for (long i = 0; i < n; i++) s += iso_noarg();
  return s;
}
extern "C" __attribute__((noinline)) int64_t cg_loop_iso4(long n) {
  int64_t s = 0;
  for (long i = 0; i < n; i++) s += iso_scalars(i, 2, 3, 4);
  return s;
}
alignas(64) static uint8_t g_cg_in[64], g_cg_out[64];
extern "C" __attribute__((noinline)) int64_t cg_loop_buf64(long n) {
  int64_t s = 0;
  for (long i = 0; i < n; i++) s += iso_buf(g_cg_in, g_cg_out, sizeof g_cg_in);
  return s;
}
static const char g_cg_str[] = "a string argument of 32 bytes..";
extern "C" __attribute__((noinline)) int64_t cg_loop_str(long n) {
  int64_t s = 0;
  for (long i = 0; i < n; i++) s += iso_str(g_cg_str);
  return s;
}
extern "C" __attribute__((noinline)) int64_t cg_loop_strplain(long n) {
  int64_t s = 0;
  for (long i = 0; i < n; i++) s += fn_str(g_cg_str);
  return s;
}
// a memcached get: "get key:0123456789" (19 bytes with the NUL), 3 tokens
static const char g_cg_cmd[] = "get key:0123456789";
static char g_cg_line[sizeof g_cg_cmd];
static Token g_cg_tokens[kMaxTokens];
template <size_t (*Fn)(char *, size_t, Token *)>
int64_t tokenize_loop(long n) {
  int64_t s = 0;
  for (long i = 0; i < n; i++) {
    memcpy(g_cg_line, g_cg_cmd, sizeof g_cg_cmd);
    s += (int64_t)Fn(g_cg_line, sizeof g_cg_cmd, g_cg_tokens);
  }
  return s;
}
extern "C" __attribute__((noinline)) int64_t cg_loop_mc(long n) { return tokenize_loop<iso_tokenize>(n); }
extern "C" __attribute__((noinline)) int64_t cg_loop_mcplain(long n) { return tokenize_loop<fn_tokenize>(n); }
extern "C" __attribute__((noinline)) int64_t cg_loop_isoblk(long n) {
  int64_t s = 0;
  for (long i = 0; i < n; i++) s += iso_noarg_blk();
  return s;
}
#ifdef SDRAD_BENCH_PLUGIN
extern "C" __attribute__((noinline)) int64_t cg_loop_plugin(long n) {
  int64_t s = 0;
  for (long i = 0; i < n; i++) s += pl_call_noarg();
  return s;
}
extern "C" __attribute__((noinline)) int64_t cg_loop_pluginbuf64(long n) {
  int64_t s = 0;
  for (long i = 0; i < n; i++) s += pl_call_buf(g_cg_in, g_cg_out, sizeof g_cg_in);
  return s;
}
extern "C" __attribute__((noinline)) int64_t cg_loop_pluginstr(long n) {
  int64_t s = 0;
  for (long i = 0; i < n; i++) s += pl_call_str(g_cg_str);
  return s;
}
static size_t pl_tokenize_fn(char *command, size_t len, Token *tokens) { return pl_call_tokenize(command, len, tokens); }
extern "C" __attribute__((noinline)) int64_t cg_loop_pluginmc(long n) { return tokenize_loop<pl_tokenize_fn>(n); }
#endif

static int callgrind_mode(const char *which, long n) {
  int64_t s = 0;
  // Warm up: registration, instance creation, first-touch of the heap.
  s += fn_noarg() + iso_noarg() + iso_noarg_blk();
#ifdef SDRAD_BENCH_PLUGIN
  s += pl_call_noarg();
#endif
  if (!strcmp(which, "plain")) s += cg_loop_plain(n);
  else if (!strcmp(which, "iso")) s += cg_loop_iso(n);
  else if (!strcmp(which, "isoblk")) s += cg_loop_isoblk(n);
  else if (!strcmp(which, "iso4")) s += cg_loop_iso4(n);
  else if (!strcmp(which, "buf64")) s += cg_loop_buf64(n);
  else if (!strcmp(which, "str")) s += cg_loop_str(n);
  else if (!strcmp(which, "strplain")) s += cg_loop_strplain(n);
  else if (!strcmp(which, "mc")) s += cg_loop_mc(n);
  else if (!strcmp(which, "mcplain")) s += cg_loop_mcplain(n);
#ifdef SDRAD_BENCH_PLUGIN
  else if (!strcmp(which, "plugin")) s += cg_loop_plugin(n);
  else if (!strcmp(which, "pluginbuf64")) s += cg_loop_pluginbuf64(n);
  else if (!strcmp(which, "pluginstr")) s += cg_loop_pluginstr(n);
  else if (!strcmp(which, "pluginmc")) s += cg_loop_pluginmc(n);
#endif
  else return 2;
  printf("sum %lld\n", (long long)s);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 4 && !strcmp(argv[1], "--cg")) return callgrind_mode(argv[2], atol(argv[3]));
  parse_common(argc, argv);
  printf("# backend %s\n", sdrad_backend_name());
  if (iso_noarg() != 1 || iso_scalars(1, 2, 3, 4) != 3) {
    fprintf(stderr, "isolated call does not work\n");
    return 1;
  }
  {
    char line[] = "get key:0123456789";
    Token tok[kMaxTokens] = {};
    if (iso_str("abc") != 3 || iso_tokenize(line, sizeof line, tok) != 3 ||
        tok[1].value != (char *)(uintptr_t)5 || tok[1].length != 14) {
      fprintf(stderr, "isolated string / tokenizer call does not work\n");
      return 1;
    }
  }
  // Everything compared in one row is timed in interleaved batches.
  using Fn = std::function<void(uint64_t)>;
  std::vector<Fn> fns;
  std::vector<const char *> keys;
  auto add = [&](const char *k, Fn f) {
    keys.push_back(k);
    fns.push_back(std::move(f));
  };
  add("call.plain.noarg", [](uint64_t n) {
    for (uint64_t i = 0; i < n; i++) keep(fn_noarg());
  });
  add("call.iso.noarg", [](uint64_t n) {
    for (uint64_t i = 0; i < n; i++) keep(iso_noarg());
  });
  add("call.isoblk.noarg", [](uint64_t n) {
    for (uint64_t i = 0; i < n; i++) keep(iso_noarg_blk());
  });
  add("call.plain.scalars4", [](uint64_t n) {
    for (uint64_t i = 0; i < n; i++) keep(fn_scalars((int64_t)i, 2, 3, 4));
  });
  add("call.iso.scalars4", [](uint64_t n) {
    for (uint64_t i = 0; i < n; i++) keep(iso_scalars((int64_t)i, 2, 3, 4));
  });
#ifdef SDRAD_BENCH_PLUGIN
  if (pl_call_noarg() == 1 && pl_call_scalars(1, 2, 3, 4) == 3) {
    add("call.plugin.noarg", [](uint64_t n) {
      for (uint64_t i = 0; i < n; i++) keep(pl_call_noarg());
    });
    add("call.plugin.scalars4", [](uint64_t n) {
      for (uint64_t i = 0; i < n; i++) keep(pl_call_scalars((int64_t)i, 2, 3, 4));
    });
  } else {
    printf("# plugin-isolated calls did not return the expected values\n");
  }
#endif
  {
    std::vector<double> t = time_interleaved(fns);
    for (size_t i = 0; i < t.size(); i++) result(keys[i], t[i], "ns");
  }

  // A new thread's first isolated call creates the thread's instance of
  // the domain (thread-per-connection servers pay it per connection).
  {
    std::vector<double> plain_t, iso_t;
    for (int i = 0; i < (smoke() ? 30 : 300); i++) {
      uint64_t t0 = now_ns();
      std::thread([] { keep(fn_noarg()); }).join();
      uint64_t t1 = now_ns();
      std::thread([] { keep(iso_noarg()); }).join();
      uint64_t t2 = now_ns();
      plain_t.push_back((double)(t1 - t0));
      iso_t.push_back((double)(t2 - t1));
    }
    result("thread.plain", median(plain_t), "ns");
    result("thread.iso", median(iso_t), "ns");
  }

  const size_t kMax = 1 << 20;
  // Page-aligned caller buffers from mmap (not the runtime's root heap), so
  // that memcpy and the copies see the same, best-case alignment.
  Buf in(kMax, 7), out(kMax, 0);
  int64_t h = domain_handle(g_dom);
  for (size_t n : {(size_t)64, (size_t)4096, (size_t)65536, kMax}) {
    double target = n >= kMax ? 2e7 : 2e6;
    out.data()[0] = out.data()[n - 1] = 0;
    if (iso_buf(in.data(), out.data(), n) != (int64_t)n || out.data()[0] != 8 || out.data()[n - 1] != 8) {
      fprintf(stderr, "bench_call: iso_buf(%zu) did not return its result or copy it back\n", n);
      return 1;
    }
    std::vector<std::string> names;
    fns.clear();
    auto addn = [&](const char *fmt, Fn f) {
      char key[128];
      snprintf(key, sizeof key, fmt, n);
      names.push_back(key);
      fns.push_back(std::move(f));
    };
    addn("call.plain.buf%zu", [&](uint64_t k) {
      for (uint64_t i = 0; i < k; i++) keep(fn_buf(in.data(), out.data(), n));
    });
    addn("call.iso.buf%zu", [&](uint64_t k) {
      for (uint64_t i = 0; i < k; i++) keep(iso_buf(in.data(), out.data(), n));
    });
#ifdef SDRAD_BENCH_PLUGIN
    if (pl_call_buf(in.data(), out.data(), n) == (int64_t)n)
      addn("call.plugin.buf%zu", [&](uint64_t k) {
        for (uint64_t i = 0; i < k; i++) keep(pl_call_buf(in.data(), out.data(), n));
      });
#endif
    addn("copy.memcpy.%zu", [&](uint64_t k) {
      for (uint64_t i = 0; i < k; i++) {
        memcpy(out.data(), in.data(), n);
        keep(out.data());
        clobber();
      }
    });
    addn("copy.in.%zu", [&](uint64_t k) {
      for (uint64_t i = 0; i < k; i++) {
        void *c = __sdrad_copy_in(h, in.data(), n);
        keep(c);
        __sdrad_block_free(h, c);
      }
    });
    // The copy exists only during its own batch: a copy kept alive across
    // other calls keeps the instance's argument arena from being reset.
    addn("copy.out.%zu", [&](uint64_t k) {
      void *c = __sdrad_copy_in(h, in.data(), n);
      for (uint64_t i = 0; i < k; i++) {
        __sdrad_copy_out(h, out.data(), c, n);
        clobber();
      }
      __sdrad_block_free(h, c);
    });
    std::vector<double> t = time_interleaved(fns, target);
    for (size_t i = 0; i < t.size(); i++) result(names[i].c_str(), t[i], "ns");
  }
  return 0;
}
