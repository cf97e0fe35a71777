/*
 * server.c - a line-based TCP calculator server on 127.0.0.1 whose request
 * parser has a real memory bug; the parser runs isolated.
 *
 * Protocol: one request per line, one answer line per request.
 *   SUM <v1>,<v2>,...     -> "OK <sum>"
 *   MAX <v1>,<v2>,...     -> "OK <max>"
 *   ECHO <text>           -> "OK <text>"
 *   anything malformed    -> "ERR <reason>"
 *
 * The bug (in parse_request): values are collected into a 16-entry array on
 * the parser's stack without a bounds check, so a request with more than 16
 * values smashes the stack.  Isolated, the parser's domain faults (stack
 * protector), is rewound and discarded, and the connection gets
 * "ERR malformed request" while every other client is served.  Built without
 * isolation (sdrad-server-plain), the same request kills the server.
 *
 * Usage:
 *   sdrad-server [port]                  serve; port 0 (default) picks one
 *                                        and prints "listening on 127.0.0.1:N"
 *   sdrad-server --load <port> <requests> [connections]
 *                                        bounded load client (loopback only):
 *                                        sends <requests> SUM requests per
 *                                        connection, checks every answer and
 *                                        prints requests/s
 *   sdrad-server --attack <port> [n]     sends n malicious requests, expects
 *                                        an ERR answer to each
 */
#include <sdrad/isolate.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_LINE 4096
#define MAX_VALUES 16

enum command { CMD_NONE, CMD_SUM, CMD_MAX, CMD_ECHO };

struct request {
  int cmd;
  int nvalues;
  long values[MAX_VALUES];
  char text[128];
};

/* Parses one request line.  Returns 0 on success, -1 if malformed; on a
 * fault inside the domain the thunk returns -2 and the caller's *req is
 * left untouched. */
SDRAD_ISOLATE("parser", fallback_value(-2))
int parse_request(SDRAD_IN(len) const char *line, size_t len,
                  SDRAD_OUT(1) struct request *req) {
  long tmp[MAX_VALUES];
  int n = 0;
  const char *p = line, *end = line + len;
  if (len >= 4 && (!memcmp(p, "SUM ", 4) || !memcmp(p, "MAX ", 4))) {
    req->cmd = p[0] == 'S' ? CMD_SUM : CMD_MAX;
    p += 4;
    while (p < end) {
      /* One value; the line is not NUL-terminated, so stop at end. */
      int neg = *p == '-';
      if (neg)
        ++p;
      if (p == end || *p < '0' || *p > '9')
        return -1;
      long v = 0;
      while (p < end && *p >= '0' && *p <= '9')
        v = v * 10 + (*p++ - '0');
      tmp[n++] = neg ? -v : v; /* BUG: no check against MAX_VALUES */
      if (p < end && *p++ != ',')
        return -1;
    }
    if (n > MAX_VALUES) /* checked too late: the stack is already gone */
      return -1;
    req->nvalues = n;
    memcpy(req->values, tmp, (size_t)n * sizeof *tmp);
    return n ? 0 : -1;
  }
  if (len >= 5 && !memcmp(p, "ECHO ", 5)) {
    size_t tl = len - 5;
    if (tl >= sizeof req->text)
      return -1;
    req->cmd = CMD_ECHO;
    memcpy(req->text, p + 5, tl);
    req->text[tl] = 0;
    return 0;
  }
  return -1;
}

static int answer(const char *line, size_t len, char *out, size_t cap) {
  struct request req;
  memset(&req, 0, sizeof req);
  int rc = parse_request(line, len, &req);
  if (rc == -2)
    return snprintf(out, cap, "ERR malformed request\n");
  if (rc != 0)
    return snprintf(out, cap, "ERR bad request\n");
  long acc = req.cmd == CMD_SUM ? 0 : req.values[0];
  switch (req.cmd) {
  case CMD_SUM:
    for (int i = 0; i < req.nvalues; ++i)
      acc += req.values[i];
    return snprintf(out, cap, "OK %ld\n", acc);
  case CMD_MAX:
    for (int i = 1; i < req.nvalues; ++i)
      if (req.values[i] > acc)
        acc = req.values[i];
    return snprintf(out, cap, "OK %ld\n", acc);
  case CMD_ECHO:
    return snprintf(out, cap, "OK %s\n", req.text);
  }
  return snprintf(out, cap, "ERR bad request\n");
}

static int write_all(int fd, const char *buf, size_t n) {
  while (n) {
    ssize_t w = send(fd, buf, n, MSG_NOSIGNAL);
    if (w <= 0)
      return -1;
    buf += w;
    n -= (size_t)w;
  }
  return 0;
}

static void *serve_connection(void *arg) {
  int fd = (int)(intptr_t)arg;
  char buf[MAX_LINE], out[256];
  size_t have = 0;
  for (;;) {
    ssize_t r = recv(fd, buf + have, sizeof buf - have, 0);
    if (r <= 0)
      break;
    have += (size_t)r;
    char *start = buf, *nl;
    while ((nl = memchr(start, '\n', have - (size_t)(start - buf)))) {
      size_t len = (size_t)(nl - start);
      if (len && start[len - 1] == '\r')
        --len;
      int n = answer(start, len, out, sizeof out);
      if (write_all(fd, out, (size_t)n))
        goto done;
      start = nl + 1;
    }
    have -= (size_t)(start - buf);
    memmove(buf, start, have);
    if (have == sizeof buf) { /* line too long */
      write_all(fd, "ERR line too long\n", 18);
      break;
    }
  }
done:
  close(fd);
  return NULL;
}

static int serve(int port) {
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t al = sizeof a;
  if (bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 128) ||
      getsockname(ls, (struct sockaddr *)&a, &al)) {
    perror("sdrad-server");
    return 1;
  }
  printf("listening on 127.0.0.1:%d (%s)\n", ntohs(a.sin_port),
#ifdef SDRAD_HAVE_PLUGIN
         "parser isolated"
#else
         "not isolated"
#endif
  );
  fflush(stdout);
  for (;;) {
    int fd = accept(ls, NULL, NULL);
    if (fd < 0) {
      if (errno == EINTR)
        continue;
      perror("accept");
      return 1;
    }
    pthread_t t;
    if (pthread_create(&t, NULL, serve_connection, (void *)(intptr_t)fd)) {
      close(fd);
      continue;
    }
    pthread_detach(t);
  }
}

/* --- clients (loopback only) --------------------------------------------- */

static int connect_local(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
    close(fd);
    return -1;
  }
  return fd;
}

/* Sends one line, reads one answer line into ans.  0 on success. */
static int roundtrip(int fd, const char *req, char *ans, size_t cap) {
  if (write_all(fd, req, strlen(req)))
    return -1;
  size_t n = 0;
  while (n + 1 < cap) {
    ssize_t r = recv(fd, ans + n, 1, 0);
    if (r <= 0)
      return -1;
    if (ans[n++] == '\n')
      break;
  }
  ans[n] = 0;
  return 0;
}

struct load_args {
  int port;
  long requests;
  long failures;
};

static void *load_worker(void *arg) {
  struct load_args *la = (struct load_args *)arg;
  int fd = connect_local(la->port);
  if (fd < 0) {
    la->failures = la->requests;
    return NULL;
  }
  char req[128], ans[128], want[64];
  for (long i = 0; i < la->requests; ++i) {
    long a = i % 1000, b = (i * 7) % 1000, c = 3;
    snprintf(req, sizeof req, "SUM %ld,%ld,%ld\n", a, b, c);
    snprintf(want, sizeof want, "OK %ld\n", a + b + c);
    if (roundtrip(fd, req, ans, sizeof ans) || strcmp(ans, want)) {
      ++la->failures;
      if (la->failures < 5)
        fprintf(stderr, "load: %s -> %s (want %s)\n", req, ans, want);
    }
  }
  close(fd);
  return NULL;
}

static int load(int port, long requests, int conns) {
  if (conns < 1 || conns > 64 || requests < 1 || requests > 10000000) {
    fprintf(stderr, "load: 1-64 connections, 1-10^7 requests each\n");
    return 2;
  }
  pthread_t t[64];
  struct load_args la[64];
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int i = 0; i < conns; ++i) {
    la[i] = (struct load_args){port, requests, 0};
    pthread_create(&t[i], NULL, load_worker, &la[i]);
  }
  long fails = 0;
  for (int i = 0; i < conns; ++i) {
    pthread_join(t[i], NULL);
    fails += la[i].failures;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
  printf("load: %ld requests on %d connections in %.3f s: %.0f requests/s, "
         "%ld wrong\n",
         requests * conns, conns, s, (double)(requests * conns) / s, fails);
  return fails ? 1 : 0;
}

static int attack(int port, int n) {
  /* 64 values for a 16-entry array: the rest overwrite the parser's
   * stack (return address included). */
  char req[2048], ans[128];
  int pos = snprintf(req, sizeof req, "SUM 1");
  for (int i = 0; i < 64; ++i)
    pos += snprintf(req + pos, sizeof req - (size_t)pos, ",%d", 0x41414141);
  snprintf(req + pos, sizeof req - (size_t)pos, "\n");
  for (int i = 0; i < n; ++i) {
    int fd = connect_local(port);
    if (fd < 0 || roundtrip(fd, req, ans, sizeof ans)) {
      fprintf(stderr, "attack %d: server did not answer\n", i);
      return 1;
    }
    if (strncmp(ans, "ERR", 3)) {
      fprintf(stderr, "attack %d: unexpected answer %s", i, ans);
      return 1;
    }
    /* The same connection keeps working after the fault. */
    if (roundtrip(fd, "MAX 3,9,4\n", ans, sizeof ans) || strcmp(ans, "OK 9\n")) {
      fprintf(stderr, "attack %d: connection broken after the fault\n", i);
      return 1;
    }
    close(fd);
  }
  printf("attack: %d malicious requests answered with ERR\n", n);
  return 0;
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  if (argc >= 4 && !strcmp(argv[1], "--load"))
    return load(atoi(argv[2]), atol(argv[3]), argc > 4 ? atoi(argv[4]) : 1);
  if (argc >= 3 && !strcmp(argv[1], "--attack"))
    return attack(atoi(argv[2]), argc > 3 ? atoi(argv[3]) : 1);
  return serve(argc > 1 ? atoi(argv[1]) : 0);
}
