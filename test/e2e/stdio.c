/* stdio.c - the standard streams across faults.
 *
 *   e2e_stdio printf_fault   another thread prints while a domain faults
 *                            inside printf (holding the stdout lock) 100
 *                            times: the lock is released, the other thread
 *                            finishes, printf from the domain works
 *   e2e_stdio tamper         a domain aims stdout's write pointers at root
 *                            memory: the exit is a fault (root-state
 *                            tampered), the pointers are put back, root's
 *                            printf afterwards writes where it should
 *   e2e_stdio streams        printf, puts, fwrite, fputs to stdout and
 *                            fprintf, fwrite to stderr from a domain (the
 *                            streams' first use), also after a fault: every
 *                            call succeeds and the files get exactly what
 *                            was written
 *   e2e_stdio piped_stdin    SDRaD's stackoverflow_handler pattern: a
 *                            domain reads requests from piped stdin (its
 *                            first use) and faults on some; every request
 *                            gets the right answer, no byte is lost
 */
#define _GNU_SOURCE
#include "e2e.h"

#include <pthread.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile uintptr_t bad_address = 1;

/* The last fault as text (for failure messages), cleared. */
static const char *fault_text(void) {
  static char buf[160];
  sdrad_fault f;
  if (!sdrad_last_fault(&f)) return "none";
  snprintf(buf, sizeof buf, "%s (addr %#lx pc %#lx pkey %d)", sdrad_fault_kind_name(f.kind), (unsigned long)f.addr,
           (unsigned long)f.pc, f.pkey);
  sdrad_clear_fault();
  return buf;
}


SDRAD_ISOLATE("printer", fallback_value(-1))
static int print_in_domain(int i, int fault) {
  if (fault) return printf("never printed: %s\n", (const char *)bad_address); /* faults inside vfprintf */
  return printf("domain line %d\n", i);
}

static volatile int other_stop;
static volatile long other_lines;
static void *other_printer(void *arg) {
  (void)arg;
  while (!other_stop) {
    printf("other thread line %ld\n", other_lines);
    other_lines = other_lines + 1;
  }
  return NULL;
}

static void printf_fault_mode(void) {
  pthread_t t;
  CHECK(pthread_create(&t, NULL, other_printer, NULL) == 0, "pthread_create");
  while (other_lines < 10) usleep(1000);
  for (int i = 0; i < 100; ++i) {
    CHECK(print_in_domain(i, 0) > 0, "printf %d in a domain failed: %s", i, fault_text());
    CHECK_EQ(print_in_domain(i, 1), -1);
    CHECK_EQ(take_fault(), SDRAD_FAULT_SEGV);
  }
  long before = other_lines;
  for (int ms = 0; ms < 20000 && other_lines < before + 100; ++ms) usleep(1000);
  CHECK(other_lines >= before + 100, "the other thread is stuck: the stdout lock stayed held after the rewind");
  other_stop = 1;
  pthread_join(t, NULL);
  CHECK(print_in_domain(1, 0) > 0, "printf in a domain failed");
  fflush(stdout);
}

static char root_secret[64] = "root data, not to be overwritten";

SDRAD_ISOLATE("tamper", fallback_value(-1))
static int tamper(SDRAD_SHARED char *target) {
  stdout->_IO_write_ptr = target;
  stdout->_IO_write_end = target + 64;
  return 0;
}

SDRAD_ISOLATE("tamper", fallback_value(-1))
static int redirect_stdout(void) {
  stdout = stderr; /* the variable itself: root's next printf would use another FILE */
  return 0;
}

static void tamper_mode(void) {
  FILE *real_stdout = stdout;
  CHECK_EQ(redirect_stdout(), -1);
  CHECK_EQ(take_fault(), SDRAD_FAULT_ROOT_STATE);
  CHECK(stdout == real_stdout, "stdout was not put back");
  fflush(stdout);
  CHECK_EQ(tamper(root_secret), -1);
  CHECK_EQ(take_fault(), SDRAD_FAULT_ROOT_STATE);
  printf("XXXXXXXXXXXXXXXXXXXXXXXX");
  fflush(stdout);
  CHECK(strcmp(root_secret, "root data, not to be overwritten") == 0, "root's printf wrote root memory: '%s'",
        root_secret);
}

SDRAD_ISOLATE("writer", fallback_value(-1))
static int write_streams(int i, int fault) {
  if (fault) return *(volatile int *)bad_address;
  int ok = 0;
  ok += printf("printf %d\n", i) == 9;
  ok += puts("puts") >= 0;
  ok += fwrite("fwrite\n", 1, 7, stdout) == 7;
  ok += fputs("fputs\n", stdout) >= 0;
  ok += fprintf(stderr, "stderr fprintf %d\n", i) == 17;
  ok += fwrite("stderr fwrite\n", 1, 14, stderr) == 14;
  return ok;
}

/* fd's contents (a temporary file), NUL-terminated in buf, without the
 * runtime's own lines ("sdrad: ...", e.g. the backend notice). */
static void read_back(int fd, char *buf, size_t cap) {
  char raw[2048];
  ssize_t n = pread(fd, raw, sizeof raw - 1, 0);
  raw[n > 0 ? n : 0] = 0;
  size_t len = 0;
  for (char *line = raw; *line;) {
    char *nl = strchr(line, '\n');
    size_t l = nl ? (size_t)(nl - line) + 1 : strlen(line);
    if (strncmp(line, "sdrad: ", 7) && len + l < cap) {
      memcpy(buf + len, line, l);
      len += l;
    }
    line += l;
  }
  buf[len] = 0;
}

static void streams_mode(void) {
  /* Nothing has used stdout or stderr yet: the domain's calls are their
   * first use.  Their file descriptors go to temporary files (the FILEs
   * are untouched). */
  char out_name[] = "/tmp/sdrad-stdio-out-XXXXXX", err_name[] = "/tmp/sdrad-stdio-err-XXXXXX";
  int out = mkstemp(out_name), err = mkstemp(err_name);
  CHECK(out >= 0 && err >= 0, "mkstemp");
  unlink(out_name);
  unlink(err_name);
  int saved_out = dup(1), saved_err = dup(2);
  dup2(out, 1);
  dup2(err, 2);
  int results[3], kinds[3];
  for (int i = 0; i < 3; ++i) {
    results[i] = write_streams(i, 0);
    kinds[i] = take_fault();
    CHECK_EQ(write_streams(i, 1), -1); /* a fault between the writes */
    CHECK_EQ(take_fault(), SDRAD_FAULT_SEGV);
  }
  fflush(stdout);
  dup2(saved_out, 1);
  dup2(saved_err, 2);
  for (int i = 0; i < 3; ++i) {
    CHECK(results[i] == 6, "call %d: %d of 6 stream calls succeeded (fault: %d)", i, results[i], kinds[i]);
    CHECK_EQ(kinds[i], 0);
  }
  char got[1024], want[1024];
  read_back(out, got, sizeof got);
  snprintf(want, sizeof want, "%s%s%s", "printf 0\nputs\nfwrite\nfputs\n", "printf 1\nputs\nfwrite\nfputs\n",
           "printf 2\nputs\nfwrite\nfputs\n");
  CHECK(strcmp(got, want) == 0, "stdout got '%s'", got);
  read_back(err, got, sizeof got);
  snprintf(want, sizeof want, "%s%s%s", "stderr fprintf 0\nstderr fwrite\n", "stderr fprintf 1\nstderr fwrite\n",
           "stderr fprintf 2\nstderr fwrite\n");
  CHECK(strcmp(got, want) == 0, "stderr got '%s'", got);
}

/* One request per line: a number (answer: its square) or "crash". */
SDRAD_ISOLATE("handler", fallback_value(-2))
static long long handle_request(void) {
  char line[64];
  if (!fgets(line, sizeof line, stdin)) return -1; /* end of input */
  if (!strncmp(line, "crash", 5)) return *(volatile long long *)bad_address; /* the bug */
  long long v = atoll(line);
  return v * v;
}

static void piped_stdin_mode(void) {
  int p[2];
  CHECK(pipe(p) == 0, "pipe");
  pid_t child = fork();
  CHECK(child >= 0, "fork");
  if (child == 0) {
    close(p[0]);
    FILE *w = fdopen(p[1], "w");
    for (int i = 0; i < 1000; ++i) {
      if (i % 7 == 3) fputs("crash\n", w);
      else fprintf(w, "%d\n", i);
      if (i % 50 == 0) fflush(w); /* arrives in pieces */
    }
    fclose(w);
    _exit(0);
  }
  close(p[1]);
  CHECK(dup2(p[0], 0) == 0, "dup2");
  close(p[0]);
  int answered = 0, crashed = 0;
  for (int i = 0;; ++i) {
    long long r = handle_request();
    if (r == -1) {
      CHECK_EQ(take_fault(), 0);
      break;
    }
    CHECK(i < 1000, "more requests than were sent");
    if (i % 7 == 3) {
      CHECK_EQ(r, -2);
      CHECK(take_fault() != 0, "request %d should have faulted", i);
      ++crashed;
    } else {
      CHECK(r == (long long)i * i, "request %d answered %lld", i, r);
      CHECK_EQ(take_fault(), 0);
      ++answered;
    }
  }
  CHECK_EQ(answered + crashed, 1000);
  int status;
  waitpid(child, &status, 0);
}

int main(int argc, char **argv) {
  CHECK(argc == 2, "usage: e2e_stdio printf_fault|tamper|piped_stdin|streams");
  if (!strcmp(argv[1], "printf_fault")) printf_fault_mode();
  else if (!strcmp(argv[1], "tamper")) tamper_mode();
  else if (!strcmp(argv[1], "piped_stdin")) piped_stdin_mode();
  else if (!strcmp(argv[1], "streams")) streams_mode();
  else CHECK(0, "unknown mode %s", argv[1]);
  fprintf(stderr, "stdio %s: ok\n", argv[1]);
  return 0;
}
