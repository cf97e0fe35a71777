// The runtime's own state: thread states in a fixed array, a bump area for
// domains and instances, and the root-heap lock.  All of it lives in one
// region under the root key, so domain code can read it (integrity) but
// never write it.
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <asm/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

namespace sdrad {

__thread ThreadState *t_ts __attribute__((tls_model("initial-exec"))) = nullptr;
__thread Heap *t_heap __attribute__((tls_model("initial-exec"))) = nullptr;

namespace {


struct StateHeader {
  std::atomic<int> lock;        // thread states, bump area, domain table
  std::atomic<int> root_heap_lock;
  size_t bump;                  // next free byte of the bump area
  int next_ts;                  // never-used thread states start here
  ThreadState *free_ts;
  pthread_key_t exit_key;
  int exit_key_ok;
};

StateHeader *header() { return (StateHeader *)(g_shared.state_base + g_shared.ts_size); }

struct StateLock {
  StateLock() { spin_lock(header()->lock); }
  ~StateLock() { spin_unlock(header()->lock); }
};


void thread_exit(void *p) {
  ThreadState *ts = (ThreadState *)p;
  if (!ts_valid(ts)) return;
  park_release_thread(ts);  // handlers it left by a jump: their slots, before the instances go
  for (int i = 1; i < kMaxDomains; ++i)
    if (ts->inst[i]) instance_retire(ts, i);
  if (ts->altstack) {
    stack_t off{};
    off.ss_flags = SS_DISABLE;
    sigaltstack(&off, nullptr);
    altstack_put(ts->altstack);
    ts->altstack = nullptr;
  }
  root_cache_flush(ts);
  // The stack stays root-keyed: the whole of it gets the root key before
  // glibc's exit path (threads.cpp, descriptor_bounds_restore).
  ts->tagged_stack_lo = ts->tagged_stack_hi = 0;
  confine_thread_exit(ts);
  t_ts = nullptr;
  StateLock lock;
  ts->in_use = 0;
  ts->fs_base = 0;
  ts->next_free = header()->free_ts;
  header()->free_ts = ts;
}

void atfork_prepare() { root_lock(); }
void atfork_parent() { root_unlock(); }
// The child has one thread: the other threads' states are gone (a new
// thread could reuse a TCB address and must not inherit them).
void atfork_child() {
  root_unlock();
  ThreadState *me = t_ts;
  StateHeader *h = header();
  for (int i = 0; i < h->next_ts; ++i) {
    ThreadState *c = (ThreadState *)g_shared.ts_base + i;
    if (!c->in_use || c == me) continue;
    thread_stack_seal_gone(c);
    c->in_use = 0;
    c->fs_base = 0;
    c->next_free = h->free_ts;
    h->free_ts = c;
  }
  // The forking thread has another thread id in the child: the watchdog
  // signals a timed-out thread by it.
  if (ThreadState *ts = thread_state_if_any()) ts->tid = (int32_t)syscall(SYS_gettid);
}

}  // namespace

void *state_alloc(size_t n) {
  StateLock lock;
  StateHeader *h = header();
  uintptr_t area = align_up((uintptr_t)(h + 1), 64);
  size_t avail = g_shared.state_base + g_shared.state_size - area;
  size_t off = align_up(h->bump, 64);
  if (off + n > avail) return nullptr;
  h->bump = off + n;
  return (void *)(area + off);
}

uintptr_t thread_fs_base_syscall() {
  uintptr_t v = 0;
  syscall(SYS_arch_prctl, ARCH_GET_FS, &v);
  return v;
}

ThreadState *thread_state_lookup(bool create) {
  ensure_initialized();
  ThreadState *bad = t_ts;
  ThreadState *ts = nullptr;
  uintptr_t fs = thread_fs_base();
  if (g_shared.bind_threads) {
    // Only this thread writes its own entry's fs_base, and only the lock
    // holder hands entries out: a lock-free scan sees this thread's entry.
    int n = header()->next_ts;
    for (int i = 0; i < n && !ts; ++i) {
      ThreadState *c = (ThreadState *)g_shared.ts_base + i;
      if (c->in_use && c->magic == kTsMagic && c->fs_base == fs) ts = c;
    }
    if (ts) {
      if (bad) log_line("thread state pointer of thread %d was overwritten (%p): repaired", ts->tid, (void *)bad);
      t_ts = ts;
      return ts;
    }
  }
  if (!create) return nullptr;
  {
    StateLock lock;
    StateHeader *h = header();
    if (h->free_ts) {
      ts = h->free_ts;
      h->free_ts = ts->next_free;
    } else if (h->next_ts < kMaxThreads) {
      ts = (ThreadState *)g_shared.ts_base + h->next_ts++;
    } else {
      return nullptr;
    }
    memset((void *)ts, 0, sizeof(ThreadState));
    ts->magic = kTsMagic;
    ts->fs_base = fs;
    ts->tid = (int32_t)syscall(SYS_gettid);
    ts->cur_pkru = g_shared.root_pkru;
    ts->in_use = 1;
  }
  t_ts = ts;
  thread_altstack_ensure(ts);
  if (header()->exit_key_ok) pthread_setspecific(header()->exit_key, ts);
  return ts;
}

void (*g_test_lock_taken)(const std::atomic<int> *);

void root_lock() { spin_lock(header()->root_heap_lock); }
void root_unlock() { spin_unlock(header()->root_heap_lock); }
Heap *root_heap() { return (Heap *)g_shared.root_heap_base; }

// Called once from the constructor: thread-exit hook and fork safety.
void state_install_hooks() {
  StateHeader *h = header();
  if (pthread_key_create(&h->exit_key, thread_exit) == 0) h->exit_key_ok = 1;
  pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

}  // namespace sdrad
