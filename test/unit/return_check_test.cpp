// What a domain's successful return checks (switch.S's assembly return
// path, and call.cpp's sdrad_domain_returned when that one defers): key-0
// words root depends on, changed by the domain, make the return a fault
// (root-state-tampered) and are put back.  Each test makes one call first,
// so that the runtime's last valid snapshots are current and the changing
// call's return is decided by the assembly path's compares.
#include <ctype.h>
#include <dlfcn.h>
#include <locale.h>
#include <stdio.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <stdint.h>

#include "internal.h"
#include "test_util.h"

using namespace sdrad_test;

namespace {
struct Write {
  uintptr_t *where;
  uintptr_t what;
};
void nothing(void *) {}
// No stack protector: the domain's own frame must not notice the TLS canary.
__attribute__((no_stack_protector)) void write_word(void *p) {
  auto *w = (Write *)p;
  *(volatile uintptr_t *)w->where = w->what;
}
__attribute__((no_stack_protector)) void write_tls_word(void *p) {
  auto *w = (Write *)p;
  uintptr_t off = (uintptr_t)w->where, v = w->what;
  __asm__ volatile("movq %0, %%fs:(%1)" ::"r"(v), "r"(off) : "memory");
}
uintptr_t tls_word(uintptr_t off) {
  uintptr_t v;
  __asm__ volatile("movq %%fs:(%1), %0" : "=r"(v) : "r"(off));
  return v;
}

// The status of fn's call, made after a clean one in the same domain.
int32_t call_after_a_clean_one(const char *name, void (*fn)(void *), void *arg = nullptr, size_t size = 0) {
  int64_t h = domain(name);
  EXPECT_EQ(__sdrad_call_with(h, nothing, nullptr, 0), 0);
  return __sdrad_call_with(h, fn, arg, size);
}
int32_t change_on_return(const char *name, void (*fn)(void *), uintptr_t *where, uintptr_t what) {
  Write w{where, what};
  return call_after_a_clean_one(name, fn, &w, sizeof(w));
}
}  // namespace

TEST(ReturnCheck, TlsCanaryChangedByTheDomainIsAFaultAndPutBack) {
  uintptr_t before = tls_word(0x28);
  EXPECT_EQ(change_on_return("retcheck.canary", write_tls_word, (uintptr_t *)0x28, before ^ 0x4141), SDRAD_FAULT_ROOT_STATE);
  EXPECT_EQ(tls_word(0x28), before);
}

TEST(ReturnCheck, PointerGuardChangedByTheDomainIsAFaultAndPutBack) {
  uintptr_t before = tls_word(0x30);
  EXPECT_EQ(change_on_return("retcheck.guard", write_tls_word, (uintptr_t *)0x30, before ^ 0x4141), SDRAD_FAULT_ROOT_STATE);
  EXPECT_EQ(tls_word(0x30), before);
}

// glibc's thread_local destructor list head (static TLS, key 0): glibc runs
// it with root rights when the thread ends.  A domain that aims it at a
// node of its own gets its function run as root (row
// rt9b_tls_dtor_node_in_tls_runs_as_root); the head is compared like the
// canary.
TEST(ReturnCheck, ThreadLocalDestructorListHeadChangedByTheDomainIsAFaultAndPutBack) {
  intptr_t dtor_off = sdrad::g_shared.tls_watched_off[sdrad::kTlsDtorHead];
  if (dtor_off == 0) GTEST_SKIP() << "glibc's thread_local destructor list not found";
  uintptr_t off = (uintptr_t)dtor_off, before = tls_word(off);
  EXPECT_EQ(change_on_return("retcheck.tlsdtor", write_tls_word, (uintptr_t *)off, before ^ 0x4140), SDRAD_FAULT_ROOT_STATE);
  EXPECT_EQ(tls_word(off), before);
}

// The thread's locale and glibc's caches of its ctype tables
// (__libc_tsd_LOCALE, __libc_tsd_CTYPE_B/_TOLOWER/_TOUPPER: static TLS, key
// 0): a domain that makes a locale of its own current has root's toupper &
// co. read its tables afterwards (row rt9b_tls_locale_toupper).  They are
// compared like the canary; root's own uselocale/setlocale between calls
// is root's business (saved afresh at every entry).
namespace {
locale_t g_locale_model;  // root's copy of the global locale: the domains read it
// Makes a copy of the model whose toupper('a') is '!' the thread's locale.
void domain_makes_its_locale_current(void *) {
  auto *fake = (__locale_struct *)malloc(sizeof(__locale_struct));
  auto *table = (int32_t *)malloc(384 * sizeof(int32_t));
  if (!fake || !table) return;
  memcpy(fake, g_locale_model, sizeof *fake);
  for (int i = -128; i < 256; ++i) table[i + 128] = g_locale_model->__ctype_toupper[i];
  table[128 + 'a'] = '!';
  fake->__ctype_toupper = table + 128;
  uselocale(fake);
}
// Uses a locale of root's for a while and puts the thread's back: allowed.
struct Upper {
  int in_model, after;
};
void domain_uses_a_locale_and_puts_it_back(void *p) {
  auto *u = (Upper *)p;
  locale_t old = uselocale(g_locale_model);
  u->in_model = toupper('a');
  uselocale(old);
  u->after = toupper('b');
}
locale_t model() {
  if (!g_locale_model) g_locale_model = duplocale(LC_GLOBAL_LOCALE);
  return g_locale_model;
}
}  // namespace

TEST(ReturnCheck, ThreadLocaleChangedByTheDomainIsAFaultAndPutBack) {
  ASSERT_NE(model(), nullptr);
  locale_t before = uselocale((locale_t)0);
  ASSERT_EQ(toupper('a'), 'A');
  sdrad_clear_fault();
  int32_t st = call_after_a_clean_one("retcheck.locale", domain_makes_its_locale_current);
  locale_t after = uselocale((locale_t)0);
  int up = toupper('a');
  if (after != before) uselocale(before);  // without the check: root's own again, before anything else runs
  EXPECT_EQ(st, SDRAD_FAULT_ROOT_STATE);
  EXPECT_EQ(last_fault_kind(), SDRAD_FAULT_ROOT_STATE);
  EXPECT_EQ(after, before) << "root's thread locale is the domain's object";
  EXPECT_EQ(up, 'A') << "root's toupper reads the domain's table";
}

// Each of the four words written directly (no uselocale): a fault, put back.
TEST(ReturnCheck, EachThreadLocaleWordChangedByTheDomainIsAFaultAndPutBack) {
  const char *names[4] = {"locale", "ctype_b", "ctype_tolower", "ctype_toupper"};
  for (int i = 0; i < 4; ++i) {
    uintptr_t off = (uintptr_t)sdrad::g_shared.tls_watched_off[sdrad::kTlsLocale + i];
    if (off == 0) {
      ADD_FAILURE() << "the thread's " << names[i] << " pointer was not found at start-up";
      continue;
    }
    uintptr_t before = tls_word(off);
    int32_t st = change_on_return("retcheck.localeword", write_tls_word, (uintptr_t *)off, before + 0x100);
    uintptr_t after = tls_word(off);
    if (after != before) {  // without the check: root's own again first
      __asm__ volatile("movq %0, %%fs:(%1)" ::"r"(before), "r"(off) : "memory");
    }
    EXPECT_EQ(st, SDRAD_FAULT_ROOT_STATE) << names[i];
    EXPECT_EQ(after, before) << names[i];
  }
}

// Root's own locale changes between isolated calls are not the domain's:
// no fault, and root keeps the locale it chose; a domain that uses a locale
// and puts the thread's back is not reported either.
TEST(ReturnCheck, RootsOwnLocaleChangesBetweenCallsAreNotReported) {
  ASSERT_NE(model(), nullptr);
  int64_t h = domain("retcheck.rootlocale");
  locale_t before = uselocale((locale_t)0);
  sdrad_clear_fault();
  ASSERT_EQ(__sdrad_call_with(h, nothing, nullptr, 0), 0);
  locale_t mine = duplocale(LC_GLOBAL_LOCALE);
  ASSERT_NE(mine, nullptr);
  uselocale(mine);
  EXPECT_EQ(__sdrad_call_with(h, nothing, nullptr, 0), 0);
  EXPECT_EQ(uselocale((locale_t)0), mine);
  Upper u{0, 0};
  EXPECT_EQ(__sdrad_call_with(h, domain_uses_a_locale_and_puts_it_back, &u, sizeof u), 0);
  EXPECT_EQ(u.in_model, 'A');
  EXPECT_EQ(u.after, 'B');
  EXPECT_EQ(uselocale((locale_t)0), mine);
  uselocale(before);
  EXPECT_EQ(__sdrad_call_with(h, nothing, nullptr, 0), 0);
  EXPECT_EQ(uselocale((locale_t)0), before);
  freelocale(mine);
  // setlocale on a thread that uses the global locale rewrites its ctype
  // caches (glibc's _nl_postload_ctype); C.UTF-8 has tables of its own.
  const char *old = setlocale(LC_CTYPE, nullptr);
  std::string saved = old ? old : "C";
  if (setlocale(LC_CTYPE, "C.UTF-8")) {
    EXPECT_EQ(__sdrad_call_with(h, nothing, nullptr, 0), 0);
    setlocale(LC_CTYPE, saved.c_str());
    EXPECT_EQ(__sdrad_call_with(h, nothing, nullptr, 0), 0);
  }
  EXPECT_EQ(last_fault_kind(), -1) << "a fault was recorded";
}

// Nested calls: each entry saves what its caller had.  An inner domain's
// change is the inner one's fault (its caller goes on with its own
// locale); an outer domain that changes the locale and then calls an inner
// one that changes nothing faults at its own return only.
namespace {
struct NestedLocale {
  int64_t inner;
  int inner_status;
  int same_after_inner;
};
void outer_calls_a_changing_inner(void *p) {
  auto *b = (NestedLocale *)p;
  locale_t mine = uselocale((locale_t)0);
  b->inner_status = __sdrad_call(b->inner, domain_makes_its_locale_current, nullptr);
  b->same_after_inner = uselocale((locale_t)0) == mine && toupper('a') == 'A';
}
void outer_changes_then_calls_inner(void *p) {
  auto *b = (NestedLocale *)p;
  domain_makes_its_locale_current(nullptr);
  locale_t mine = uselocale((locale_t)0);
  b->inner_status = __sdrad_call(b->inner, nothing, nullptr);
  b->same_after_inner = uselocale((locale_t)0) == mine && toupper('a') == '!';
}
}  // namespace

TEST(ReturnCheck, ThreadLocaleChangedInANestedCallIsTheInnerDomainsFault) {
  ASSERT_NE(model(), nullptr);
  int64_t inner = domain("retcheck.locale.inner");
  allow_nested_entry(domain_makes_its_locale_current, "retcheck.locale.inner");
  allow_nested_entry(nothing, "retcheck.locale.inner");
  locale_t before = uselocale((locale_t)0);
  NestedLocale b{inner, -1, 0};
  EXPECT_EQ(__sdrad_call_with(domain("retcheck.locale.outer"), outer_calls_a_changing_inner, &b, sizeof b), 0);
  EXPECT_EQ(b.inner_status, SDRAD_FAULT_ROOT_STATE);
  EXPECT_EQ(b.same_after_inner, 1) << "the outer domain's locale is the inner one's";
  EXPECT_EQ(uselocale((locale_t)0), before);

  NestedLocale c{inner, -1, 0};
  int32_t st = __sdrad_call_with(domain("retcheck.locale.outer2"), outer_changes_then_calls_inner, &c, sizeof c);
  locale_t after = uselocale((locale_t)0);
  if (after != before) uselocale(before);
  EXPECT_EQ(st, SDRAD_FAULT_ROOT_STATE);
  EXPECT_EQ(after, before);
  EXPECT_EQ(toupper('a'), 'A');
}

// Words of the standard streams the return compares: the stdin/stdout/
// stderr variables and each stream's wide jump table (words outside the
// FILEs), each stream's jump table and wide data (in its snapshot
// windows).  glibc x86-64: the jump table right after the FILE, the wide
// one at 0xe0 in the wide data.
TEST(ReturnCheck, EachStandardStreamWordChangedByTheDomainIsAFaultAndPutBack) {
  FILE *fps[3] = {stdin, stdout, stderr};
  FILE **vars[3] = {&stdin, &stdout, &stderr};
  for (int k = 0; k < 3; ++k) {
    FILE *f = fps[k];
    uintptr_t *words[4] = {(uintptr_t *)vars[k], (uintptr_t *)(f + 1), (uintptr_t *)&f->_wide_data,
                           (uintptr_t *)((char *)f->_wide_data + 0xe0)};
    for (int i = 0; i < 4; ++i) {
      uintptr_t before = *words[i];
      int32_t st = change_on_return("retcheck.stream", write_word, words[i], before + 0x40);
      // Under PKU a word in root-keyed memory is not written at all: the
      // program's own copy of stdin & co. when the compiler made one (a
      // copy relocation: gcc), where clang's code reads libc's.
      if (pku() && st == SDRAD_FAULT_KEY_VIOLATION) st = SDRAD_FAULT_ROOT_STATE;
      EXPECT_EQ(st, SDRAD_FAULT_ROOT_STATE) << "stream " << k << ", word " << i;
      EXPECT_EQ(*words[i], before) << "stream " << k << ", word " << i;
    }
  }
}

// A stream lock the domain takes and keeps (flockfile; glibc's stream-list
// lock): root's next use of that stream on another thread would wait
// forever (the locks are recursive, so this thread would not notice).  The
// return is a fault and the lock is free again.
namespace {
void lock_stdout(void *) { flockfile(stdout); }
extern "C" void _IO_list_lock(void);
void lock_stream_list(void *) { _IO_list_lock(); }
// Runs fn on a new thread; false if it has not finished within 2 s (the
// thread is then left behind, waiting).
bool another_thread_finishes(void (*fn)()) {
  static std::atomic<bool> done;
  static void (*run)();
  done = false;
  run = fn;
  std::thread([] {
    run();
    done = true;
  }).detach();
  for (int i = 0; i < 200 && !done; ++i) usleep(10000);
  return done;
}
}  // namespace

TEST(ReturnCheck, StreamLockKeptByTheDomainIsAFaultAndReleased) {
  EXPECT_EQ(call_after_a_clean_one("retcheck.flock", lock_stdout), SDRAD_FAULT_ROOT_STATE);
  EXPECT_TRUE(another_thread_finishes([] {
    flockfile(stdout);
    funlockfile(stdout);
  })) << "stdout's lock still held after the domain's return";
}

TEST(ReturnCheck, StreamListLockKeptByTheDomainIsAFaultAndReleased) {
  EXPECT_EQ(call_after_a_clean_one("retcheck.listlock", lock_stream_list), SDRAD_FAULT_ROOT_STATE);
  // fopen takes the list lock.
  EXPECT_TRUE(another_thread_finishes([] {
    if (FILE *f = fopen("/dev/null", "r")) fclose(f);
  })) << "the stream-list lock still held after the domain's return";
}

// A call through switch.S's fast path leaves its block's copy-back to the
// return (the frame says where).  When that return takes the C++ path with
// success -- here root wrote to stdout since the last check, so the stream
// snapshot differs and the full check runs -- the block still comes back.
namespace {
void add_one(void *p) { ++*(uint64_t *)p; }
}  // namespace

TEST(ReturnCheck, BlockComesBackWhenTheReturnTakesTheCxxPath) {
  int64_t h = domain("retcheck.block-cxx");
  ASSERT_EQ(__sdrad_call_with(h, nothing, nullptr, 0), 0);  // the instance exists: the fast path next
  uint64_t v = 41;
  ASSERT_EQ(__sdrad_call_with(h, add_one, &v, sizeof v), 0);
  ASSERT_EQ(v, 42u);
  fputc('.', stdout);  // root moves stdout's write pointer (buffered: no flush)
  EXPECT_EQ(__sdrad_call_with(h, add_one, &v, sizeof v), 0);
  EXPECT_EQ(v, 43u) << "the block did not come back through the C++ return";
  fputc('\n', stdout);
}

// A stream lock a domain writes as held by a thread that does not exist
// (lock word, count, owner: key-0 libc data): root's next use of stdout
// would wait forever.  The return is a fault and the lock is free again.
namespace {
struct IoLockWords {
  int lock, cnt;
  void *owner;
};
__attribute__((no_stack_protector)) void forge_stdout_lock(void *) {
  auto *l = (IoLockWords *)stdout->_lock;
  l->owner = (void *)0x1000;
  l->cnt = 2;
  l->lock = 2;
}
}  // namespace

TEST(ReturnCheck, StreamLockHeldByNoThreadOfTheProcessIsAFaultAndReset) {
  fflush(stdout);
  EXPECT_EQ(call_after_a_clean_one("retcheck.forgedlock", forge_stdout_lock), SDRAD_FAULT_ROOT_STATE);
  EXPECT_TRUE(another_thread_finishes([] { fflush(stdout); })) << "stdout's forged lock still held after the return";
}

// glibc's exit-handler list, frozen at start-up (exit_handlers.cpp): the
// head block's entry count and the runtime's runner entry are compared on
// every return.  Skipped where the guard is off (static libc).
TEST(ReturnCheck, ExitHandlerCountedInByTheDomainIsAFaultAndPutBack) {
  const sdrad::ExitGuard &g = sdrad::g_exit_guard;
  if (!g.armed) GTEST_SKIP() << "exit-handler guard not armed";
  uintptr_t before = *g.count_addr;
  EXPECT_EQ(change_on_return("retcheck.exitcount", write_word, (uintptr_t *)g.count_addr, before + 1),
            SDRAD_FAULT_ROOT_STATE);
  EXPECT_EQ(*g.count_addr, before);
}

TEST(ReturnCheck, ExitHandlerRunnerEntryRewrittenByTheDomainIsAFaultAndPutBack) {
  const sdrad::ExitGuard &g = sdrad::g_exit_guard;
  if (!g.armed) GTEST_SKIP() << "exit-handler guard not armed";
  auto *words = (uintptr_t *)g.runner;
  for (int i = 0; i < 4; ++i) {
    uintptr_t before = words[i];
    EXPECT_EQ(change_on_return("retcheck.exitrunner", write_word, &words[i], before ^ 0x40), SDRAD_FAULT_ROOT_STATE)
        << "word " << i;
    EXPECT_EQ(words[i], before) << "word " << i;
  }
}

// The stream-list walk keeps the FILEs root opened (file_record.cpp) and
// takes the domain's own out: a domain's fopen changes the list head.
namespace {
// Read directly, as a program may: built by gcc (-fPIE code refers to
// extern data directly), the executable then holds a copy relocation of
// _IO_list_all, which glibc (reaching its own through a hidden alias)
// never updates.  The runtime's checks must watch glibc's own (before,
// in the gcc lane they watched the copy and saw no change at all).
extern "C" FILE *_IO_list_all;
[[maybe_unused]] FILE *const volatile *g_list_head_as_the_program_sees_it = &_IO_list_all;
// glibc's own head, found independently of the runtime: in libc's scope.
FILE **glibc_list_head() {
  static FILE **head = [] {
    void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
    FILE **h = libc ? (FILE **)dlsym(libc, "_IO_list_all") : nullptr;
    if (libc) dlclose(libc);
    return h ? h : &_IO_list_all;
  }();
  return head;
}
bool on_stream_list(const FILE *f) {
  for (FILE *g = *glibc_list_head(); g; g = g->_chain)
    if (g == f) return true;
  return false;
}
struct Opened {
  FILE *f;
};
void domain_opens_a_file(void *p) { ((Opened *)p)->f = fopen("/dev/null", "r"); }
}  // namespace

TEST(ReturnCheck, RootsOpenFileStaysOnTheStreamListWhenADomainOpensOne) {
  FILE *mine = fopen("/dev/null", "w");
  ASSERT_NE(mine, nullptr);
  Opened o{nullptr};
  EXPECT_EQ(call_after_a_clean_one("retcheck.fopen", domain_opens_a_file, &o, sizeof o), 0);
  EXPECT_TRUE(on_stream_list(mine)) << "root's FILE was taken off glibc's stream list";
  EXPECT_TRUE(o.f && !on_stream_list(o.f)) << "the domain's FILE is still on the list";
  fclose(mine);
}

// A root thread inside fopen (a FIFO without a writer: glibc has linked the
// new FILE and waits in open(2)) while a domain's return walks the list: the
// FILE being opened stays, though it is not recorded yet (file_record.cpp:
// it is one of the blocks root's malloc gave that opener).
TEST(ReturnCheck, RootsFileBeingOpenedOnAnotherThreadStaysOnTheStreamList) {
  char path[64];
  snprintf(path, sizeof path, "/tmp/sdrad-retcheck-fifo-%d", (int)getpid());
  unlink(path);
  ASSERT_EQ(mkfifo(path, 0600), 0);
  std::atomic<FILE *> opened{nullptr};
  std::thread opener([&] { opened = fopen(path, "r"); });
  FILE *head = nullptr;
  for (int i = 0; i < 2000 && (head = *glibc_list_head()) && head->_fileno != -1; ++i) usleep(1000);
  usleep(50000);  // in open(2) now
  FILE *being_opened = *glibc_list_head();
  Opened o{nullptr};
  EXPECT_EQ(call_after_a_clean_one("retcheck.fopen", domain_opens_a_file, &o, sizeof o), 0);
  EXPECT_TRUE(on_stream_list(being_opened)) << "the FILE root was opening was taken off glibc's stream list";
  int w = open(path, O_WRONLY | O_NONBLOCK);
  opener.join();
  if (w >= 0) close(w);
  unlink(path);
  ASSERT_NE(opened.load(), nullptr);
  EXPECT_EQ(opened.load(), being_opened);
  EXPECT_TRUE(on_stream_list(opened)) << "root's FILE is not on glibc's stream list";
  fclose(opened);
}
