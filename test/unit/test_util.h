// Helpers shared by the unit tests: run a function inside a domain with an
// argument block that lives in the domain's heap (domain code must not
// write root memory, so results come back through the block).
#pragma once
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <functional>
#include <string>

#include "sdrad/abi.h"
#include "sdrad/sdrad.h"

namespace sdrad_test {

// A page the test process and the children it forks all see (root
// memory: a domain's write to it is a key violation under PKU).
inline volatile int *shared_page() {
  static void *page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  return page == MAP_FAILED ? nullptr : (volatile int *)page;
}

// How a child of run_in_child ended.
struct ChildEnd {
  int exit_code = -1, signal = 0;
  std::string err;  // its standard error, when asked for
};
// Runs body() in a forked child (its alarm ends it after 10 s), whose exit
// code is body's result; shared_page() is zeroed first.
inline ChildEnd run_in_child(const std::function<int()> &body, bool capture_err = false) {
  ChildEnd e;
  volatile int *shared = shared_page();
  EXPECT_NE(shared, nullptr);
  for (int i = 0; shared && i < 1024; ++i) shared[i] = 0;
  int err[2] = {-1, -1};
  if (capture_err) EXPECT_EQ(pipe(err), 0);
  pid_t pid = fork();
  if (pid == 0) {
    alarm(10);
    if (capture_err) dup2(err[1], 2);
    _exit(body());
  }
  if (capture_err) close(err[1]);
  int st = 0;
  EXPECT_EQ(waitpid(pid, &st, 0), pid);
  if (capture_err) {
    char buf[4096];
    for (ssize_t n; (n = read(err[0], buf, sizeof buf)) > 0;) e.err.append(buf, (size_t)n);
    close(err[0]);
  }
  if (WIFEXITED(st)) e.exit_code = WEXITSTATUS(st);
  if (WIFSIGNALED(st)) e.signal = WTERMSIG(st);
  return e;
}

inline int64_t domain(const std::string &name, uint32_t policy = SDRAD_POLICY_INTEGRITY) {
  int64_t h = sdrad_domain_by_name(name.c_str(), policy);
  EXPECT_GT(h, 0) << "registering " << name << ": " << sdrad_error_name((int32_t)h);
  return h;
}

template <class Block>
struct InDomain {
  int64_t h;
  Block *b;
  explicit InDomain(int64_t handle) : h(handle) {
    b = static_cast<Block *>(__sdrad_block_alloc(h, sizeof(Block)));
    EXPECT_NE(b, nullptr);
  }
  // Runs fn(b) in the domain; returns __sdrad_call's status.  After a
  // non-zero status the block is gone (the domain was discarded).
  int32_t run(void (*fn)(Block *)) {
    int32_t st = __sdrad_call(h, reinterpret_cast<void (*)(void *)>(fn), b);
    if (st != 0) b = nullptr;
    return st;
  }
  ~InDomain() {
    if (b) __sdrad_block_free(h, b);
  }
};

inline int last_fault_kind() {
  sdrad_fault f;
  return sdrad_last_fault(&f) ? f.kind : -1;
}

// Hides a value from the optimiser (so malloc/free pairs are not elided).
template <class T>
inline T opaque(T v) {
  __asm__ volatile("" : "+r"(v)::"memory");
  return v;
}

inline bool pku() { return sdrad_backend() == SDRAD_BACKEND_PKU; }

// `n` times: `sig` (a root fault for SIGSEGV, else raised) reaches a
// program handler that leaves by siglongjmp.
inline sigjmp_buf g_handler_exit;
inline void handler_jumps_out(int) { siglongjmp(g_handler_exit, 1); }
inline void handlers_left_by_jump(int sig, int n, int flags = 0) {
  struct sigaction mine {}, old{};
  mine.sa_handler = handler_jumps_out;
  mine.sa_flags = flags;
  sigemptyset(&mine.sa_mask);
  ASSERT_EQ(sigaction(sig, &mine, &old), 0);
  for (int i = 0; i < n; ++i)
    if (sigsetjmp(g_handler_exit, 1) == 0) {
      if (sig == SIGSEGV)
        *opaque((volatile int *)nullptr) = 1;
      else
        raise(sig);
      ADD_FAILURE() << "the handler returned";
    }
  ASSERT_EQ(sigaction(sig, &old, nullptr), 0);
}

// Open descriptors of this process (the first 1024 numbers).
inline int fd_count() {
  int n = 0;
  for (int fd = 0; fd < 1024; fd++)
    if (fcntl(fd, F_GETFD) >= 0) n++;
  return n;
}

// Descriptors open on /dev/null (what the descriptor-passing tests send):
// unlike fd_count, not moved by a descriptor another thread of the runtime
// holds for a moment (seen once in the PKU lane).
inline int dev_null_fds() {
  int n = 0;
  char path[64], target[64];
  for (int fd = 0; fd < 1024; fd++) {
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t len = readlink(path, target, sizeof target - 1);
    if (len == 9 && memcmp(target, "/dev/null", 9) == 0) n++;
  }
  return n;
}

// A unix socket pair, closed at the end of the scope.
struct SocketPair {
  int sv[2] = {-1, -1};
  explicit SocketPair(int type = SOCK_STREAM) { EXPECT_EQ(socketpair(AF_UNIX, type, 0, sv), 0); }
  ~SocketPair() {
    close(sv[0]);
    close(sv[1]);
  }
};

}  // namespace sdrad_test

// Lets code running inside a domain name `fn` as the entry of a nested call
// into domain `name`, as the plugin's module constructor does for the
// entries it generates (__sdrad_register_entries).
inline void allow_nested_entry(void (*fn)(void *), const char *name) {
  __sdrad_domain_ref ref{0, name, 0, SDRAD_ABI_VERSION};
  __sdrad_entry e{fn, &ref};
  ASSERT_EQ(__sdrad_register_entries(&e, 1), 0);
}
