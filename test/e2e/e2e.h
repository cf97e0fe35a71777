/* Shared helpers of the end-to-end tests: every check exits non-zero with a
 * message on mismatch. */
#ifndef SDRAD_E2E_H
#define SDRAD_E2E_H

#include <sdrad/isolate.h>
#include <sdrad/sdrad.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHECK(cond, ...)                                                     \
  do {                                                                       \
    if (!(cond)) {                                                           \
      fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__,       \
              #cond);                                                        \
      fprintf(stderr, __VA_ARGS__);                                          \
      fprintf(stderr, "\n");                                                 \
      exit(1);                                                               \
    }                                                                        \
  } while (0)

#define CHECK_EQ(a, b)                                                       \
  CHECK((long long)(a) == (long long)(b), "%s = %lld, expected %lld", #a,    \
        (long long)(a), (long long)(b))

/* The kind of the last fault on this thread (0 if none), cleared. */
static inline int take_fault(void) {
  sdrad_fault f;
  int kind = sdrad_last_fault(&f) ? f.kind : 0;
  sdrad_clear_fault();
  return kind;
}

/* Runs this program again (`self` with argument `arg`, or none) with the
 * variables of `env` set ({name, value, ..., NULL}) and its standard error
 * captured, NUL-terminated, in buf; returns its wait status (-1: could not
 * start it).  For checks of what the runtime refuses at start-up. */
static inline int rerun_self(const char *self, const char *arg, const char *const *env, char *buf,
                             size_t cap) {
  int fds[2];
  buf[0] = 0;
  if (pipe(fds) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 2);
    close(fds[0]);
    for (; env[0]; env += 2) setenv(env[0], env[1], 1);
    execl(self, self, arg, (char *)NULL);
    _exit(127);
  }
  close(fds[1]);
  size_t n = 0;
  ssize_t r;
  while (n < cap - 1 && (r = read(fds[0], buf + n, cap - 1 - n)) > 0) n += (size_t)r;
  buf[n] = 0;
  close(fds[0]);
  int st = -1;
  waitpid(pid, &st, 0);
  return st;
}

#endif
