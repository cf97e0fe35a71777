// The standard streams across domains (glibc).
//
// - Their buffers are set up at start-up, in key-0 memory every domain may
//   use: a stream first used inside a domain would otherwise get its buffer
//   from that domain's heap, discarded (or moved) at the next fault, and
//   root's stdout buffer would be root memory a domain cannot write.
// - A stream lock the rewound thread held (a fault inside printf) is
//   released after the discard.
// - The FILE objects are key-0 libc data a domain can write: on every exit
//   from a domain their buffer pointers, descriptor and lock pointer are
//   checked against what root set up, and put back if changed (the exit is
//   then a fault, kind root-state-tampered), so that a domain cannot aim
//   root's next printf at root memory.
#include <linux/futex.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

namespace sdrad {

namespace {

constexpr size_t kStreamBuf = 16 * 1024;

struct StreamState {
  FILE *fp;
  char *base, *end;  // the buffer root set up
  void *lock;        // the FILE's lock object
  int fd;
};
StreamState g_streams[3];
bool g_streams_ready;

// glibc's _IO_lock_t.
struct IoLock {
  int lock;
  int cnt;
  void *owner;
};

// Each pointer inside the buffer (or NULL).  Not their order: another
// thread using the stream right now goes through states where, say, the
// write pointer is past the write end for a moment; inside the buffer, any
// order only ever touches the buffer.
bool in_buf(const StreamState &s, const char *p) { return !p || (p >= s.base && p <= s.end); }

bool stream_ok(const StreamState &s) {
  const FILE *f = s.fp;
  return f->_IO_buf_base == s.base && f->_IO_buf_end == s.end && f->_fileno == s.fd &&
         (void *)f->_lock == s.lock && in_buf(s, f->_IO_read_base) && in_buf(s, f->_IO_read_ptr) &&
         in_buf(s, f->_IO_read_end) && in_buf(s, f->_IO_write_base) && in_buf(s, f->_IO_write_ptr) &&
         in_buf(s, f->_IO_write_end);
}

// After root changed a standard stream's buffer itself (setvbuf & co.).
void stream_refresh(FILE *f) {
  for (StreamState &s : g_streams)
    if (s.fp == f) {
      s.base = f->_IO_buf_base;
      s.end = f->_IO_buf_end;
    }
}

// Back to an empty buffer (what was buffered is dropped).
void stream_repair(const StreamState &s) {
  FILE *f = s.fp;
  f->_IO_buf_base = s.base;
  f->_IO_buf_end = s.end;
  f->_IO_read_base = f->_IO_read_ptr = f->_IO_read_end = s.base;
  f->_IO_write_base = f->_IO_write_ptr = f->_IO_write_end = s.base;
  f->_fileno = s.fd;
  f->_lock = (decltype(f->_lock))s.lock;
}

}  // namespace

// Start-up, root: buffers for stdin and stdout in key-0 memory (stderr
// stays unbuffered: its one-byte buffer is inside the FILE).
void stdio_prepare() {
  void *mem = mmap(nullptr, 2 * kStreamBuf, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    say("could not map the standard streams' buffers: a stream first used inside a domain gets its "
        "buffer from that domain's heap");
    return;
  }
  char *in = (char *)mem, *out = in + kStreamBuf;
  if (setvbuf(stdin, in, _IOFBF, kStreamBuf) != 0 ||
      setvbuf(stdout, out, isatty(1) ? _IOLBF : _IOFBF, kStreamBuf) != 0) {
    say("the standard streams were used before the runtime started: their buffers stay where they are");
    return;
  }
  FILE *fps[3] = {stdin, stdout, stderr};
  for (int i = 0; i < 3; ++i) {
    FILE *f = fps[i];
    g_streams[i] = StreamState{f, f->_IO_buf_base, f->_IO_buf_end, (void *)f->_lock, f->_fileno};
  }
  // stderr: unbuffered, its buffer is the FILE's own _shortbuf (set up by
  // its first use); fix it now so that the check has something to compare.
  setvbuf(stderr, nullptr, _IONBF, 0);
  g_streams[2].base = stderr->_IO_buf_base;
  g_streams[2].end = stderr->_IO_buf_end;
  g_streams_ready = g_streams[2].base != nullptr;
}

// On leaving a domain (root rights): false (and repaired) if a domain
// changed a standard stream's buffer pointers, descriptor or lock pointer.
bool stdio_streams_ok() {
  if (!g_streams_ready) return true;
  bool ok = true;
  for (const StreamState &s : g_streams) {
    if (__builtin_expect(stream_ok(s), 1)) continue;
    ok = false;
    stream_repair(s);
  }
  return ok;
}

// After a discard, on the rewound thread: stream locks it still holds (it
// was inside printf & co.) are released, waking a waiter.
void stdio_release_locks() {
  if (!g_streams_ready) return;
  void *self = (void *)tls_word(0x10);  // glibc's THREAD_SELF, the lock owner
  for (const StreamState &s : g_streams) {
    auto *l = (IoLock *)s.lock;
    if (!l || l->owner != self) continue;
    l->cnt = 0;
    l->owner = nullptr;
    if (__atomic_exchange_n(&l->lock, 0, __ATOMIC_RELEASE) > 1)
      syscall(SYS_futex, &l->lock, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
    log_line("released the lock of standard stream %d held by the rewound thread", s.fd);
  }
}

}  // namespace sdrad

// A program may give the standard streams buffers of its own (root code
// only: from a domain that is a change the exit check undoes).  glibc's own
// entry points (exported, also in static libc), not dlsym: static programs.
extern "C" int _IO_setvbuf(FILE *, char *, int, size_t);
extern "C" void _IO_setbuffer(FILE *, char *, size_t);

namespace {
bool root_caller() {
  sdrad::ThreadState *ts = sdrad::thread_state_if_any();
  return !ts || ts->depth == 0;
}
}  // namespace

extern "C" {
SDRAD_EXPORT int setvbuf(FILE *f, char *buf, int mode, size_t size) {
  int r = _IO_setvbuf(f, buf, mode, size);
  if (root_caller()) sdrad::stream_refresh(f);
  return r;
}
SDRAD_EXPORT void setbuffer(FILE *f, char *buf, size_t size) {
  _IO_setbuffer(f, buf, size);
  if (root_caller()) sdrad::stream_refresh(f);
}
SDRAD_EXPORT void setbuf(FILE *f, char *buf) { setbuffer(f, buf, BUFSIZ); }
SDRAD_EXPORT void setlinebuf(FILE *f) { setvbuf(f, nullptr, _IOLBF, 0); }
}
