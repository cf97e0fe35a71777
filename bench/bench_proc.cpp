// bench/bench_proc.cpp - the process-isolation baseline (not linked with the
// SDRaD runtime).
//
// The model of Sandboxed API / Sandcrust: the untrusted function lives in a
// pre-forked worker process.  A call writes a request on a pipe, arguments
// and results travel through a shared-memory window, and the caller blocks
// on the reply pipe.  When the worker crashes the caller sees EOF on the
// reply pipe, reaps the worker, respawns a fresh one and returns an error.
//
// Two respawn flavours are measured:
//   fork  - the replacement is a plain fork() of the caller (cheapest case)
//   exec  - fork() + execve() of this binary in worker mode (what a sandbox
//           that must not inherit the caller's memory does)
//
// Output: R lines, see common.h.
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "common.h"

using namespace bench;

namespace {

constexpr size_t kMaxBuf = 1 << 20;
constexpr size_t kShmSize = 2 * kMaxBuf + 4096;

enum Op : uint32_t { kNoArg = 0, kScalars = 1, kBuf = 2, kCrash = 3 };

struct Req {
  uint32_t op;
  uint32_t len;
  int64_t a, b, c, d;
};

struct Resp {
  int64_t ret;
};

// The "untrusted" functions, identical in spirit to bench_call's.
__attribute__((noinline)) int64_t work_noarg() {
  clobber();
  return 1;
}
__attribute__((noinline)) int64_t work_scalars(int64_t a, int64_t b, int64_t c, int64_t d) {
  clobber();
  return a + b * c - d;
}
__attribute__((noinline)) int64_t work_buf(const uint8_t *in, uint8_t *out, size_t n) {
  out[0] = (uint8_t)(in[0] + 1);
  out[n - 1] = (uint8_t)(in[n - 1] + 1);
  return (int64_t)n;
}

bool read_full(int fd, void *p, size_t n) {
  char *c = (char *)p;
  while (n) {
    ssize_t r = read(fd, c, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    c += r;
    n -= (size_t)r;
  }
  return true;
}

bool write_full(int fd, const void *p, size_t n) {
  const char *c = (const char *)p;
  while (n) {
    ssize_t r = write(fd, c, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    c += r;
    n -= (size_t)r;
  }
  return true;
}

[[noreturn]] void worker_loop(int req_fd, int resp_fd, uint8_t *shm) {
  struct rlimit rl = {0, 0};
  setrlimit(RLIMIT_CORE, &rl);  // a crash must not write a core file
  char ready = 'R';
  if (!write_full(resp_fd, &ready, 1)) _exit(1);
  Req q;
  while (read_full(req_fd, &q, sizeof q)) {
    Resp r{};
    switch (q.op) {
      case kNoArg: r.ret = work_noarg(); break;
      case kScalars: r.ret = work_scalars(q.a, q.b, q.c, q.d); break;
      case kBuf: r.ret = work_buf(shm, shm + kMaxBuf, q.len); break;
      case kCrash: *(volatile int *)(uintptr_t)q.a = 1; break;  // q.a == 0
    }
    if (!write_full(resp_fd, &r, sizeof r)) break;
  }
  _exit(0);
}

struct Worker {
  pid_t pid = -1;
  int req = -1, resp = -1;
};

struct Pool {
  int shm_fd = -1;
  uint8_t *shm = nullptr;
  bool use_exec = false;
  std::string self;
  Worker w;

  void init() {
    shm_fd = memfd_create("sdrad-bench-shm", 0);
    if (shm_fd < 0 || ftruncate(shm_fd, kShmSize) != 0) {
      perror("memfd");
      exit(1);
    }
    shm = (uint8_t *)mmap(nullptr, kShmSize, PROT_READ | PROT_WRITE, MAP_SHARED, shm_fd, 0);
    if (shm == MAP_FAILED) {
      perror("mmap");
      exit(1);
    }
    char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n > 0) self.assign(buf, (size_t)n);
  }

  // Starts a worker and waits until it says it is ready.
  void spawn() {
    int a[2], b[2];
    if (pipe2(a, O_CLOEXEC) || pipe2(b, O_CLOEXEC)) {
      perror("pipe");
      exit(1);
    }
    pid_t pid = fork();
    if (pid < 0) {
      perror("fork");
      exit(1);
    }
    if (pid == 0) {
      close(a[1]);
      close(b[0]);
      if (use_exec) {
        // Keep the three descriptors across exec at fixed numbers.
        dup2(a[0], 100);
        dup2(b[1], 101);
        dup2(shm_fd, 102);
        char *argv[] = {(char *)self.c_str(), (char *)"--worker", nullptr};
        execv(self.c_str(), argv);
        _exit(127);
      }
      worker_loop(a[0], b[1], shm);
    }
    close(a[0]);
    close(b[1]);
    w.pid = pid;
    w.req = a[1];
    w.resp = b[0];
    char c;
    if (!read_full(w.resp, &c, 1)) {
      fprintf(stderr, "worker did not start\n");
      exit(1);
    }
  }

  void reap() {
    close(w.req);
    close(w.resp);
    int st;
    while (waitpid(w.pid, &st, 0) < 0 && errno == EINTR) {
    }
    w = Worker{};
  }

  // One call; returns -1 (the "error value") when the worker died, after
  // respawning it.
  int64_t call(const Req &q) {
    Resp r;
    if (!write_full(w.req, &q, sizeof q) || !read_full(w.resp, &r, sizeof r)) {
      reap();
      spawn();
      return -1;
    }
    return r.ret;
  }

  int64_t call_buf(const uint8_t *in, uint8_t *out, size_t n) {
    memcpy(shm, in, n);  // copy in
    Req q{kBuf, (uint32_t)n, 0, 0, 0, 0};
    int64_t r = call(q);
    if (r >= 0) memcpy(out, shm + kMaxBuf, n);  // copy out
    return r;
  }
};

void pin_to_current_cpu() {
  cpu_set_t set;
  CPU_ZERO(&set);
  int cpu = sched_getcpu();
  CPU_SET(cpu < 0 ? 0 : cpu, &set);
  sched_setaffinity(0, sizeof set, &set);
}

void run_flavour(Pool &p, const char *tag, bool per_call) {
  if (per_call) {
    // Caller and worker free to run on different CPUs: every call pays a
    // cross-CPU wake-up (tens of us in this VM).  Reported for reference.
    p.spawn();
    double t = time_per_iter([&](uint64_t n) {
      for (uint64_t i = 0; i < n; i++) keep(p.call(Req{kNoArg, 0, 0, 0, 0, 0}));
    });
    result("proc.call_floating.noarg", t, "ns");
    p.reap();
    // Everything else with caller and worker pinned to one CPU: the
    // cheapest round trip (a direct switch on the pipe wake-up), i.e. the
    // most favourable case for process isolation.
    pin_to_current_cpu();
  }
  p.spawn();
  if (per_call) {
    char key[128];
    double t = time_per_iter([&](uint64_t n) {
      for (uint64_t i = 0; i < n; i++) keep(p.call(Req{kNoArg, 0, 0, 0, 0, 0}));
    });
    result("proc.call.noarg", t, "ns");
    t = time_per_iter([&](uint64_t n) {
      for (uint64_t i = 0; i < n; i++) keep(p.call(Req{kScalars, 0, (int64_t)i, 2, 3, 4}));
    });
    result("proc.call.scalars4", t, "ns");
    std::vector<uint8_t> in(kMaxBuf, 7), out(kMaxBuf);
    for (size_t n : {(size_t)64, (size_t)4096, (size_t)65536, (size_t)1 << 20}) {
      t = time_per_iter([&](uint64_t k) {
        for (uint64_t i = 0; i < k; i++) keep(p.call_buf(in.data(), out.data(), n));
      });
      snprintf(key, sizeof key, "proc.call.buf%zu", n);
      result(key, t, "ns");
    }
  }
  // Crash + detect + respawn.  `detect` is the time from sending the
  // request that crashes the worker until the caller sees the EOF;
  // `total` until the error value is back and a fresh worker is ready.
  int reps = smoke() ? 5 : 40;
  std::vector<double> detect, total;
  for (int i = 0; i < reps + 1; i++) {
    Req q{kCrash, 0, 0, 0, 0, 0};
    uint64_t t0 = now_ns();
    Resp r;
    bool ok = write_full(p.w.req, &q, sizeof q) && read_full(p.w.resp, &r, sizeof r);
    uint64_t t1 = now_ns();
    if (ok) {
      fprintf(stderr, "worker did not crash\n");
      exit(1);
    }
    p.reap();
    p.spawn();
    uint64_t t2 = now_ns();
    if (i == 0) continue;  // warm-up
    detect.push_back((double)(t1 - t0));
    total.push_back((double)(t2 - t0));
  }
  char key[128];
  snprintf(key, sizeof key, "proc.crash_detect.%s", tag);
  result(key, median(detect), "ns");
  snprintf(key, sizeof key, "proc.crash_respawn.%s", tag);
  result(key, median(total), "ns");
  p.reap();
}

}  // namespace

int main(int argc, char **argv) {
  if (argc >= 2 && !strcmp(argv[1], "--worker")) {
    uint8_t *shm = (uint8_t *)mmap(nullptr, kShmSize, PROT_READ | PROT_WRITE, MAP_SHARED, 102, 0);
    if (shm == MAP_FAILED) _exit(1);
    worker_loop(100, 101, shm);
  }
  parse_common(argc, argv);
  signal(SIGPIPE, SIG_IGN);
  Pool p;
  p.init();
  p.use_exec = false;
  run_flavour(p, "fork", true);
  p.use_exec = true;
  run_flavour(p, "exec", false);
  return 0;
}
