/*
 * pathbench.c - the isolated call of the memcached retrofit, timed inside a
 * request-like loop (examples/memcached/README.md, "Where the isolated
 * server's extra time goes").  Built with the plugin (pkg-config sdrad);
 * not memcached's code: a tokenizer of our own with the same crossing as
 * the retrofit's tokenize_isolated (line INOUT, 24 tokens OUT, as many
 * copied back as it returns).
 *
 *   pathbench [blocks] [iterations-per-block]
 *
 * Per iteration, one of:
 *   warm   tokenize a 24-byte "get key:NNNN" line (no system call)
 *   io     the same line sent over a loopback TCP connection, received,
 *          tokenized, an answer of 48 bytes sent back and received: four
 *          system calls and the kernel's TCP path between two calls, as in
 *          the server (which does read, sendmsg and epoll_wait per request)
 * and one of:
 *   plain  tokenize in root
 *   iso    tokenize_isolated, in domain pb_text
 *   noop   an isolated call of a function with no argument (domain
 *          pb_noop), then tokenize in root: the call's fixed part alone
 * Blocks of the six combinations run interleaved (the order rotating), so
 * that a change in background load hits all of them alike; the figure per
 * combination is the median over blocks of the mean CPU time per
 * iteration (the thread's CPU clock).
 * Prints, per loop kind, plain's time and the extra of iso and noop (ns per
 * iteration), and the minor faults of the whole run.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sdrad/isolate.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_TOKENS 24
typedef struct {
  char *value;
  size_t length;
} token_t;

/* Splits `line` at spaces (in place), at most MAX_TOKENS - 1 tokens plus
 * an empty final one; returns the count. */
static size_t tokenize(char *line, token_t *tokens) {
  size_t n = 0;
  char *s = line, *e = line;
  for (;; e++) {
    if (*e == ' ' || *e == '\0') {
      if (e != s) {
        tokens[n].value = s;
        tokens[n].length = (size_t)(e - s);
        if (++n == MAX_TOKENS - 1) break;
      }
      if (*e == '\0') break;
      *e = '\0';
      s = e + 1;
    }
  }
  tokens[n].value = NULL;
  tokens[n].length = 0;
  return n + 1;
}

/* The retrofit's crossing: tokens come back as offset + 1 (0: NULL). */
SDRAD_ISOLATE("pb_text", fallback_value(0))
static size_t tokenize_isolated(SDRAD_INOUT(len) char *line, size_t len,
                                SDRAD_OUT(MAX_TOKENS, returned) token_t *tokens) {
  size_t n = tokenize(line, tokens);
  for (size_t i = 0; i < n; i++)
    tokens[i].value = tokens[i].value ? (char *)(uintptr_t)(tokens[i].value - line + 1) : NULL;
  return n;
}

static volatile int noop_sink;
SDRAD_ISOLATE("pb_noop", fallback_value(-1)) static int noop_isolated(void) { return noop_sink; }

enum { PLAIN, ISO, NOOP, NCALL };
enum { WARM, IO, NLOOP };
static const char *call_name[NCALL] = {"plain", "iso", "noop"};
static const char *loop_name[NLOOP] = {"warm", "io"};

static size_t tokenize_by(int call, char *line, token_t *tokens) {
  if (call == ISO) {
    size_t n = tokenize_isolated(line, strlen(line) + 1, tokens);
    for (size_t i = 0; i < n; i++)
      tokens[i].value = tokens[i].value ? line + ((uintptr_t)tokens[i].value - 1) : NULL;
    return n;
  }
  if (call == NOOP && noop_isolated() < 0) return 0;
  return tokenize(line, tokens);
}

/* The thread's CPU time: the loop never blocks (both ends of the
 * connection are this thread's), so this is its wall time less the time
 * other processes on the CPU took; a shared machine's load moves it far
 * less than CLOCK_MONOTONIC. */
static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cli, srv;

static void tcp_pair(void) {
  int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t al = sizeof a;
  if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 1) || getsockname(l, (struct sockaddr *)&a, &al)) {
    perror("pathbench: listen");
    exit(2);
  }
  cli = socket(AF_INET, SOCK_STREAM, 0);
  if (cli < 0 || connect(cli, (struct sockaddr *)&a, sizeof a) || (srv = accept(l, NULL, NULL)) < 0) {
    perror("pathbench: connect");
    exit(2);
  }
  setsockopt(cli, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setsockopt(srv, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  close(l);
}

static int recv_n(int fd, char *buf, size_t n) {
  for (size_t got = 0; got < n;) {
    ssize_t r = recv(fd, buf + got, n - got, 0);
    if (r <= 0) return -1;
    got += (size_t)r;
  }
  return 0;
}

/* One block: `iters` iterations; ns per iteration, or -1 on a wrong result. */
static double block(int loop, int call, unsigned iters, unsigned *key) {
  char req[32], line[32], answer[48];
  token_t tokens[MAX_TOKENS];
  memset(answer, 'v', sizeof answer);
  double t0 = now_ns();
  for (unsigned i = 0; i < iters; i++, ++*key) {
    snprintf(req, sizeof req, "get key:%08u", *key % 100000000u);
    if (loop == IO) {
      if (send(cli, req, 24, 0) != 24 || recv_n(srv, line, 24)) return -1;
      line[24] = '\0';
    } else {
      memcpy(line, req, 25);
    }
    size_t n = tokenize_by(call, line, tokens);
    if (n != 3 || tokens[1].length != 12 || memcmp(tokens[1].value, req + 4, 12) != 0) return -1;
    if (loop == IO && (send(srv, answer, sizeof answer, 0) != (ssize_t)sizeof answer || recv_n(cli, answer, sizeof answer)))
      return -1;
  }
  return (now_ns() - t0) / iters;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  unsigned blocks = argc > 1 ? (unsigned)atoi(argv[1]) : 200;
  unsigned iters = argc > 2 ? (unsigned)atoi(argv[2]) : 2000;
  if (blocks < 1 || iters < 1) {
    fprintf(stderr, "usage: pathbench [blocks] [iterations-per-block]\n");
    return 2;
  }
  tcp_pair();
  double *t[NLOOP][NCALL];
  for (int l = 0; l < NLOOP; l++)
    for (int c = 0; c < NCALL; c++) t[l][c] = calloc(blocks, sizeof(double));
  unsigned key = 0;
  for (int l = 0; l < NLOOP; l++) /* warm-up: domain instances, first pages */
    for (int c = 0; c < NCALL; c++) block(l, c, iters, &key);
  struct rusage r0, r1;
  getrusage(RUSAGE_SELF, &r0);
  for (unsigned b = 0; b < blocks; b++)
    for (int k = 0; k < NLOOP * NCALL; k++) {
      int m = (k + (int)b) % (NLOOP * NCALL), l = m / NCALL, c = m % NCALL;
      double ns = block(l, c, iters, &key);
      if (ns < 0) {
        fprintf(stderr, "pathbench: wrong tokens or a failed send/recv (%s, %s)\n", loop_name[l], call_name[c]);
        return 1;
      }
      t[l][c][b] = ns;
    }
  getrusage(RUSAGE_SELF, &r1);
  printf("pathbench: %u blocks x %u iterations per combination, interleaved; median over blocks of thread CPU ns per iteration\n",
         blocks, iters);
  printf("%-6s %10s %12s %12s %14s %14s\n", "loop", "plain", "iso extra", "noop extra", "iso p25..p75", "noop p25..p75");
  for (int l = 0; l < NLOOP; l++) {
    double d[NCALL][blocks], med[NCALL];
    for (int c = 0; c < NCALL; c++) {
      for (unsigned b = 0; b < blocks; b++) d[c][b] = c == PLAIN ? t[l][c][b] : t[l][c][b] - t[l][PLAIN][b];
      qsort(d[c], blocks, sizeof(double), cmp);
      med[c] = d[c][blocks / 2];
    }
    printf("%-6s %10.1f %12.1f %12.1f %6.1f..%-6.1f %6.1f..%-6.1f\n", loop_name[l], med[PLAIN], med[ISO], med[NOOP],
           d[ISO][blocks / 4], d[ISO][3 * blocks / 4], d[NOOP][blocks / 4], d[NOOP][3 * blocks / 4]);
  }
  printf("minor faults during the blocks: %ld\n", r1.ru_minflt - r0.ru_minflt);
  return 0;
}
