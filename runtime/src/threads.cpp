// Threads created by the program: under PKU their stacks become root
// memory too, so that a domain entered from any thread cannot write its
// caller's frames.
//
// glibc keeps a thread's TLS and descriptor at the top of the same mapping
// as its stack, and that part must stay key 0 (libc writes errno there from
// inside domains).  So pthread_create is interposed: the new thread starts
// in sdrad_thread_entry (thread_entry.S), which saves glibc's context in
// root memory; sdrad_thread_body tags everything below its own frame with
// the root key, and the program's start routine runs below that boundary.
// The thread never returns through its key-0 frames: it jumps back to
// glibc's start_thread from the saved context.  The key is taken back at
// thread exit, before glibc caches the stack.
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdlib.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include <atomic>

#include "internal.h"
#include "pthread_keys.h"

namespace sdrad {

namespace {

using CreateFn = int (*)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

// Root heap (root-keyed): what the thread needs besides its key-0 frames.
constexpr int kPdSlots = 6;
struct StartArgs {
  void *(*start)(void *);
  void *arg;
  JmpCtx ctx;  // start_thread's context, saved by sdrad_thread_entry
  // Where start_thread's frame (key 0) holds its descriptor pointer: put
  // back from the FS base before the jump (offsets from ctx.rsp).
  uint32_t pd_off[kPdSlots];
  uint32_t pd_count;
  uint32_t pad;
};
static_assert(offsetof(StartArgs, ctx) == 16 && sizeof(StartArgs) == 128, "thread_entry.S offsets");

// StartArgs handed to glibc and not yet taken by their thread.  glibc keeps
// the pointer in struct pthread and the thread's first frames (key 0): the
// thread only uses one that root really created.
constexpr int kPending = 256;
std::atomic<int> g_pending_lock{0};
StartArgs *g_pending[kPending];

bool pending_add(StartArgs *a) {
  SpinGuard lock(g_pending_lock);
  for (StartArgs *&p : g_pending)
    if (!p) {
      p = a;
      return true;
    }
  return false;
}
bool pending_take(StartArgs *a) {
  SpinGuard lock(g_pending_lock);
  for (StartArgs *&p : g_pending)
    if (a && p == a) {
      p = nullptr;
      return true;
    }
  return false;
}

// The kernel's mapping around `addr` (from /proc/self/maps, no allocation):
// false if it cannot be read.
bool kernel_mapping_of(uintptr_t addr, uintptr_t *lo, uintptr_t *hi) {
  bool found = false;
  for_each_maps_line([&](const char *line) {
    char *e;
    uintptr_t l = strtoul(line, &e, 16), h = strtoul(e + 1, nullptr, 16);
    if (addr >= l && addr < h) {
      *lo = l;
      *hi = h;
      found = true;
    }
    return !found;
  });
  return found;
}

// glibc's exit path (start_thread, after the start routine) madvises the
// stack block below the exiting frame away, and its stack cache munmaps
// blocks, with the bounds in struct pthread (key 0): a domain that rewrote
// them would have root memory zeroed or unmapped.  At the thread's start,
// while they are checked against the kernel's mapping, the runtime notes
// where they are and what they say (the word pair whose sum is the stack's
// top, then the guard size) in the thread's state.
void note_descriptor_bounds(ThreadState *ts, uintptr_t low, uintptr_t top, uintptr_t vlo, uintptr_t vhi) {
  uintptr_t pd = thread_fs_base();
  ts->pd_bounds_off = 0;
  if (!pd || pd < vlo || pd >= vhi) return;
  for (uintptr_t off = 8; off < 4096 && pd + off + 24 <= vhi; off += 8) {
    const uintptr_t *w = (const uintptr_t *)(pd + off);
    // stackblock + stackblock_size is the top, stackblock + guardsize the
    // low end pthread_getattr_np reported (both checked against the mapping).
    if (w[0] + w[1] != top || w[0] + w[2] != low || w[2] > (1u << 20) || w[1] < w[2]) continue;
    ts->pd_bounds_off = off;
    memcpy(ts->pd_bounds, w, sizeof ts->pd_bounds);
    return;
  }
  say("a thread descriptor's stack bounds were not found: glibc's thread exit uses them unchecked");
}

// The top of each interposed thread's stack block, by thread-state index
// (runtime data): the seal at thread exit gives the root key up to there.
uintptr_t g_stack_block_top[kMaxThreads];
uintptr_t *stack_block_top(const ThreadState *ts) {
  size_t i = ((uintptr_t)ts - g_shared.ts_base) / sizeof(ThreadState);
  return i < (size_t)kMaxThreads ? &g_stack_block_top[i] : nullptr;
}

// Stack blocks of the threads a fork left behind (thread_stack_seal_gone),
// as the runtime tagged them: in the child each stays two kernel mappings
// (each has its own anon_vma after the fork, so they never merge again),
// which the one-mapping check below would refuse for good.  The runtime's
// record of the exact block (root memory; the cached block itself,
// descriptor included, is sealed) stands in for the kernel's mapping.
struct ForkedBlock {
  uintptr_t lo, top;
};
ForkedBlock g_forked_blocks[kMaxThreads];
std::atomic<int> g_forked_lock{0};

void forked_block_note(uintptr_t lo, uintptr_t top) {
  SpinGuard g(g_forked_lock);
  ForkedBlock *free_slot = nullptr;
  for (ForkedBlock &b : g_forked_blocks) {
    if (b.lo == lo && b.top == top) return;
    if (!b.top && !free_slot) free_slot = &b;
  }
  if (free_slot) *free_slot = ForkedBlock{lo, top};
}

bool forked_block_known(uintptr_t lo, uintptr_t top) {
  SpinGuard g(g_forked_lock);
  for (const ForkedBlock &b : g_forked_blocks)
    if (b.top && b.lo == lo && b.top == top) return true;
  return false;
}

// Tags [stack bottom, boundary) with the root key; returns false if the
// thread's stack could not be found.  The stack may be one glibc cached
// from a thread that ended (sealed: all root-keyed), so the part above the
// boundary (this frame, glibc's start frame, TLS and descriptor) is made
// key 0 first, or the whole mapping if the stack stays unprotected.
bool tag_stack_below(uintptr_t boundary) {
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) != 0) return false;
  void *addr;
  size_t size;
  pthread_attr_getstack(&attr, &addr, &size);  // above the guard page
  pthread_attr_destroy(&attr);
  uintptr_t lo = align_up((uintptr_t)addr, kPage);
  uintptr_t top = (uintptr_t)addr + size;  // the block's end: descriptor and TLS below it
  uintptr_t hi = boundary;
  // glibc derives the stack's bounds from struct pthread (key 0; a cached
  // stack keeps a dead thread's, which a domain can rewrite before the
  // stack is reused): the range tagged now, and sealed at exit, must lie
  // in the kernel's mapping of this very stack.  And only the thread's own
  // block is ever retagged, never the rest of that mapping: a stack the
  // program placed in its heap or data (pthread_attr_setstack), or one the
  // kernel merged with a neighbouring mapping, must not hand the
  // neighbours key 0 (nor the root key at exit).  Anything else: left as
  // it is, unprotected, with a message.
  uintptr_t vlo, vhi;
  if (forked_block_known(lo, top)) {
    vlo = lo, vhi = top;  // split in fork's child for good, sealed there
  } else if (!kernel_mapping_of(boundary - 1, &vlo, &vhi)) {
    return false;
  }
  if ((top & (kPage - 1)) != 0 || lo < vlo || top > vhi || hi <= lo || hi > top) {
    say("a thread's stack is not a page-aligned block inside its mapping (bounds from glibc's thread "
        "descriptor, or a stack the program placed itself): not protected, its keys left as they are");
    return false;
  }
  constexpr int rw = PROT_READ | PROT_WRITE;
  if (tag_memory((void *)hi, top - hi, rw, 0) != 0) {
    say("a thread's stack top could not be made key 0: not protected");
    return false;
  }
  // The range goes into the thread's state (runtime memory): the whole
  // stack is sealed from it at thread exit (descriptor_bounds_restore), and
  // a range kept in key-0 memory (pthread-specific data) could be forged to
  // retag root memory.
  ThreadState *ts = thread_state();
  if (!ts) return false;
  note_descriptor_bounds(ts, (uintptr_t)addr, top, vlo, vhi);
  if (tag_memory((void *)lo, hi - lo, rw, g_shared.root_key) != 0) return false;
  ts->tagged_stack_lo = lo;
  ts->tagged_stack_hi = hi;
  if (uintptr_t *block_top = stack_block_top(ts)) *block_top = top;
  return true;
}

}  // namespace

namespace {
// The stack block a thread's exit seals: from the tagged bottom to the
// block's top (0, 0: the runtime did not tag this thread's stack).
void stack_seal_range(const ThreadState *ts, DescriptorBounds &b) {
  const uintptr_t *top = stack_block_top(ts);
  if (ts->tagged_stack_hi && top && *top > ts->tagged_stack_lo) {
    b.seal_lo = ts->tagged_stack_lo;
    b.seal_hi = *top;
  }
}
}  // namespace

DescriptorBounds descriptor_bounds_saved() {
  DescriptorBounds b{};
  if (ThreadState *ts = thread_state_if_any()) {
    b.off = ts->pd_bounds_off;
    memcpy(b.words, ts->pd_bounds, sizeof b.words);
    stack_seal_range(ts, b);
  }
  return b;
}

// Before glibc's exit path (after the thread-specific data destructors,
// which may still enter domains): the whole stack mapping, glibc's
// descriptor and TLS at its top included, gets the root key.  From then on
// only root code (PKRU 0: this thread's exit, a joiner, glibc reusing or
// unmapping the cached stack) writes it, so the stack bounds that glibc's
// exit path madvises with, and that its stack cache later munmaps with,
// are the ones put back below, and a domain on another thread can change
// them neither in between nor while the stack waits in glibc's cache.  The
// next thread glibc gives the cached stack makes its top key 0 again
// (tag_stack_below).
static void thread_stack_seal(const DescriptorBounds &b) {
  if (!b.seal_hi) return;
  log_line("thread exit: stack %#lx-%#lx gets the root key", (unsigned long)b.seal_lo, (unsigned long)b.seal_hi);
  if (tag_memory((void *)b.seal_lo, b.seal_hi - b.seal_lo, PROT_READ | PROT_WRITE, g_shared.root_key) != 0)
    say("thread exit: the stack could not be given the root key: glibc's exit path trusts a descriptor domains can write");
}

// fork's child: the other threads are gone and glibc moved their stacks to
// its cache, tagged as they ran (root-keyed below the boundary, key 0
// above).  Sealed as an exit would have sealed them: the next thread glibc
// gives one of them finds the block it expects (tag_stack_below; else that
// thread's stack stayed unprotected, "not a page-aligned block").
void thread_stack_seal_gone(const ThreadState *ts) {
  DescriptorBounds b{};
  stack_seal_range(ts, b);
  if (!b.seal_hi) return;
  thread_stack_seal(b);
  forked_block_note(b.seal_lo, b.seal_hi);
}

// The runtime's part of a thread's exit, before glibc's: thread-specific
// data destructors (pthread_keys.cpp), the stack sealed, glibc's stack
// bounds put back.  Again at a second call: nothing left to do.
void thread_exit_runtime_part() {
  DescriptorBounds bounds = descriptor_bounds_saved();
  pthread_keys_thread_exit();  // may release the thread state
  descriptor_bounds_restore(bounds);
}

// From root-keyed memory, as the last thing before glibc's exit path (the
// stack, descriptor included, is root-keyed by then: thread_stack_seal).
void descriptor_bounds_restore(const DescriptorBounds &b) {
  thread_stack_seal(b);
  if (!b.off) return;
  auto *w = (uintptr_t *)(thread_fs_base() + b.off);
  if (memcmp(w, b.words, sizeof b.words) != 0) {
    log_line("thread exit: the thread descriptor's stack bounds were rewritten: restored");
    memcpy(w, b.words, sizeof b.words);
  }
}

}  // namespace sdrad

using namespace sdrad;

extern "C" {
void *sdrad_thread_entry(void *) SDRAD_HIDDEN;
[[noreturn]] void sdrad_thread_run_below(StartArgs *a, uintptr_t sp) SDRAD_HIDDEN;

// On the key-0 top of the stack, called once by sdrad_thread_entry: tags
// the rest of the stack and moves below it for good.
[[noreturn]] SDRAD_HIDDEN void sdrad_thread_body(StartArgs *a) {
  uintptr_t boundary = ((uintptr_t)__builtin_frame_address(0) - 1024) & ~(kPage - 1);
  // glibc's start_thread reloads its descriptor pointer from its own frame
  // after the start routine (a variable live across its setjmp): note
  // where, while nothing but this thread has run on this stack yet.
  uintptr_t pd = thread_fs_base();
  for (uintptr_t p = a->ctx.rsp; p + 8 <= pd && p < a->ctx.rsp + 2048 && a->pd_count < kPdSlots; p += 8)
    if (*(const uintptr_t *)p == pd) a->pd_off[a->pd_count++] = (uint32_t)(p - a->ctx.rsp);
  bool tagged = tag_stack_below(boundary);
  // `a` may have been spilled to this key-0 frame meanwhile: it must still
  // be one root handed out.
  if (!pending_take(a)) fatal("a thread started with start arguments the runtime did not create: stopped");
  if (!tagged) say("could not protect a thread's stack: its frames stay writable by domains");
  sdrad_thread_run_below(a, boundary - 64);
}

// The program's start routine, below the boundary.  A cancellation
// (glibc's forced unwind from a cancellation point, on its way to
// start_thread) passes through here: the runtime's part of the thread's
// exit runs then, as after a return and at pthread_exit (else the next
// thread given this stack from glibc's cache found it half root-keyed and
// stayed unprotected, and the cached stack's descriptor stayed key 0: test
// LibcSignals.ACancelledThreadsCachedStackIsSealed).
SDRAD_HIDDEN void *sdrad_thread_call_start(void *(*start)(void *), void *arg) {
  struct ExitOnForcedUnwind {
    bool returned = false;
    ~ExitOnForcedUnwind() {
      if (!returned) thread_exit_runtime_part();
    }
  } guard;
  void *result = start(arg);
  guard.returned = true;
  return result;
}

// Below the boundary, in root-keyed memory: the program's start routine
// returned.  Thread-specific data destructors run here (pthread_keys.cpp),
// then control goes straight back to glibc's start_thread.
[[noreturn]] SDRAD_HIDDEN void sdrad_thread_finish(const StartArgs *copy, void *result) {
  JmpCtx ctx = copy->ctx;
  thread_exit_runtime_part();
  uintptr_t pd = thread_fs_base();
  for (uint32_t i = 0; i < copy->pd_count && i < kPdSlots; ++i) *(uintptr_t *)(ctx.rsp + copy->pd_off[i]) = pd;
  sdrad_jump(&ctx, (int64_t)(uintptr_t)result);
}
}

namespace sdrad {
namespace {

// In a statically linked program there is no RTLD_NEXT to find libc's
// pthread_create through: say so instead of failing with a bare EAGAIN.
CreateFn real_create() {
  static CreateFn fn = [] {
    auto f = (CreateFn)dlsym(RTLD_NEXT, "pthread_create");
    if (!f)
      say("cannot find libc's pthread_create (dlsym RTLD_NEXT failed; a statically linked "
          "program?): pthread_create fails with EAGAIN. Link dynamically.");
    return f;
  }();
  return fn;
}

}  // namespace

// The stacks of threads that exist when the runtime starts (created by
// constructors that ran earlier) are not known to it: only new threads.
namespace {

}  // namespace

void threads_install_hooks() {}

}  // namespace sdrad

using namespace sdrad;

extern "C" SDRAD_EXPORT int pthread_create(pthread_t *t, const pthread_attr_t *attr,
                                           void *(*start)(void *), void *arg) {
  CreateFn create = real_create();
  if (!create) return EAGAIN;
  if (!g_shared.pku) {
    int r = create(t, attr, start, arg);
    signals_wrap_libc_handler(kSigSetxid);  // confinement: signals.cpp
    return r;
  }
  // A thread started from inside a domain would run with the domain's
  // rights but outside any domain (no rewind for its faults).
  if (rdpkru_raw() != 0) {
    log_line("pthread_create refused inside a domain");
    return EPERM;
  }
  auto *a = (StartArgs *)calloc(1, sizeof(StartArgs));
  if (!a) return EAGAIN;
  a->start = start;
  a->arg = arg;
  if (!pending_add(a)) {
    free(a);
    return EAGAIN;
  }
  int r = create(t, attr, sdrad_thread_entry, a);
  if (r != 0) {
    pending_take(a);
    free(a);
  }
  signals_wrap_libc_handler(kSigSetxid);  // the first thread: glibc installed its handler
  return r;
}

// glibc installs its SIGCANCEL handler at the first pthread_cancel and
// signals the thread right after: the wrap (signals_wrap_libc_handler)
// would come too late for that first signal.  So the first cancellation is
// a primer's: a thread of the runtime's that blocks SIGCANCEL (a raw mask:
// glibc's own calls never block it) is cancelled first; glibc installs its
// handler and the primer's signal stays pending until the handler is
// wrapped; then the primer unblocks it, takes it through the runtime's
// entry, and leaves at its next cancellation point (usleep).
namespace {
using CancelFn = int (*)(pthread_t);
std::atomic<int> g_primer_ready, g_primer_go;
std::atomic<bool> g_sigcancel_primed;

void *cancel_primer(void *) {
  sigcancel_mask(SIG_BLOCK);
  g_primer_ready = 1;
  while (!g_primer_go) sched_yield();  // not a cancellation point
  sigcancel_mask(SIG_UNBLOCK);
  for (;;) usleep(1000);
  return nullptr;
}

void prime_sigcancel(CancelFn real) {
  static std::atomic_flag lock = ATOMIC_FLAG_INIT;
  while (lock.test_and_set(std::memory_order_acquire)) __builtin_ia32_pause();
  if (!g_sigcancel_primed.load()) {
    g_primer_ready = 0, g_primer_go = 0;
    pthread_t p;
    if (pthread_create(&p, nullptr, cancel_primer, nullptr) == 0) {
      while (!g_primer_ready) usleep(50);
      real(p);
      signals_wrap_libc_handler(kSigCancel);
      g_primer_go = 1;
      pthread_join(p, nullptr);
    }
    g_sigcancel_primed = true;
  }
  lock.clear(std::memory_order_release);
}
}  // namespace

extern "C" SDRAD_EXPORT int pthread_cancel(pthread_t t) {
  static CancelFn real = (CancelFn)dlsym(RTLD_NEXT, "pthread_cancel");
  if (!real) return ESRCH;
  bool root = !g_shared.pku || rdpkru_raw() == 0;  // only root sets actions
  if (root && !g_sigcancel_primed.load()) prime_sigcancel(real);
  if (root) liveness_watch_cancellation();  // a target inside a domain (cancel.cpp)
  int r = real(t);
  if (root) signals_wrap_libc_handler(kSigCancel);  // if the primer could not
  return r;
}
