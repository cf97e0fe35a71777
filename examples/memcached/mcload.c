/*
 * mcload.c - a small memcached client for the SDRaD-C++ memcached example:
 * warms and verifies a key set, generates a get/set load with latency
 * percentiles, and sends the malicious requests (CVE-2020-10931 and the
 * injected faults).  Loopback only, ASCII protocol for the load.
 *
 *   mcload warm   <port> <keys> [value-bytes]     set every key
 *   mcload verify <port> <keys> [value-bytes]     get every key, check value
 *   mcload load   <port> <conns> <seconds> <keys> [value-bytes]
 *                 closed loop, one request in flight per connection, 90 %
 *                 get / 10 % set over the warmed keys; every answer is
 *                 checked (a value is a function of its key, so any other
 *                 answer is wrong).  Prints one line:
 *                 "LOAD ops=N ops_per_s=X p50_us=A p99_us=B errors=E"
 *   mcload selftest <memcached> [file ...]
 *                 for the PKU lane's guest (no shell there): brings up the
 *                 loopback interface, starts <memcached> on port 11311,
 *                 warms 500 keys, sends the four attacks (bin, text,
 *                 getmulti, num) one second apart while two load
 *                 connections run, then checks that each attack ended as
 *                 it should, that memcached is alive, that the load saw
 *                 only right answers, that the keys are intact and that
 *                 the runtime logged (SDRAD_LOG=1) a recovered fault in
 *                 the right domain per attack; then the same with a
 *                 second server started with -Y (ASCII authentication;
 *                 every client authenticates) and the two attacks
 *                 authline and authpass (2 faults in mc_text).  The
 *                 files are only passed so that the lane copies them into
 *                 the guest (memcached's shared libraries).
 *                 Prints "SELFTEST PASS" or "SELFTEST FAIL: <why>".
 *   mcload attack <port> [bin|text|getmulti|num|authline|authpass]
 *                 sends one malicious request (default bin):
 *                   bin       binary header claiming 255 bytes of extras
 *                             (CVE-2020-10931; BIN_MAX_EXTLEN is 20)
 *                   text      an ASCII line whose first word is 1500 bytes
 *                             (the injected tokenizer fault)
 *                   getmulti  a get of 22 keys and then a 1500-byte word
 *                             (the same fault, in the tokenizing of the
 *                             rest of a long get line)
 *                   num       incr with a 1500-digit delta (the injected
 *                             safe_strtoull fault)
 *                   authline  to a server with ASCII authentication (-Y),
 *                             before authenticating: a line whose first
 *                             word is 1500 bytes (the same tokenizer fault,
 *                             in the tokenizing of the auth "set" line)
 *                   authpass  the same, as the first word of the
 *                             "user pass" payload of the auth "set"
 *                 and prints "ATTACK <kind> closed_after_us=T" or
 *                 "ATTACK <kind> answered_after_us=T reply='<last line>'
 *                 next_get=ok|wrong|lost" (key:0 asked on the same
 *                 connection afterwards) or "ATTACK <kind> no-answer".
 *                 Exit 0 when the outcome is the isolated memcached's:
 *                 bin closed; text answered ERROR, getmulti CLIENT_ERROR
 *                 bad command line format, num CLIENT_ERROR invalid
 *                 numeric delta argument, authline CLIENT_ERROR
 *                 unauthenticated, authpass CLIENT_ERROR bad
 *                 authentication token format, each with key:0 still
 *                 right on that connection (for the auth kinds after
 *                 authenticating on it).
 *
 * With MCLOAD_AUTH="user pass" in the environment every connection first
 * authenticates (memcached -Y: a "set" whose value is "user pass"), except
 * an auth attack's, which authenticates only after the attack's answer.
 *
 * Exit status: 0 when every answer was right, 1 otherwise, 2 on usage or
 * connection errors.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <net/if.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int port;
static size_t value_bytes = 32;

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int send_all(int fd, const char *p, size_t n);
static ssize_t recv_until(int fd, char *buf, size_t cap, const char *tail);

/* memcached -Y: the credentials travel as the value of a "set". */
static int authenticate(int fd) {
  const char *cred = getenv("MCLOAD_AUTH");
  char buf[512];
  if (!cred)
    return 0;
  int n = snprintf(buf, sizeof buf, "set auth 0 0 %zu\r\n%s\r\n", strlen(cred), cred);
  if (n <= 0 || (size_t)n >= sizeof buf || send_all(fd, buf, (size_t)n) != 0 ||
      recv_until(fd, buf, sizeof buf, "\r\n") < 0 || strcmp(buf, "STORED\r\n") != 0) {
    fprintf(stderr, "mcload: authentication (MCLOAD_AUTH) refused\n");
    return -1;
  }
  return 0;
}

static int connect_raw(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    fprintf(stderr, "mcload: cannot connect to 127.0.0.1:%d: %s\n", port, strerror(errno));
    exit(2);
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

static int connect_server(void) {
  int fd = connect_raw();
  if (authenticate(fd) != 0)
    exit(2);
  return fd;
}

static int send_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0)
      return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Reads until the buffer ends with `tail` (an ASCII answer's terminator). */
static ssize_t recv_until(int fd, char *buf, size_t cap, const char *tail) {
  size_t n = 0, tl = strlen(tail);
  while (n < cap - 1) {
    ssize_t r = recv(fd, buf + n, cap - 1 - n, 0);
    if (r <= 0)
      return -1;
    n += (size_t)r;
    buf[n] = 0;
    if (n >= tl && memcmp(buf + n - tl, tail, tl) == 0)
      return (ssize_t)n;
  }
  return -1;
}

static void value_of(unsigned key, char *v) {
  for (size_t i = 0; i < value_bytes; i++)
    v[i] = (char)('a' + (key * 7 + i) % 26);
  v[value_bytes] = 0;
}

static int do_set(int fd, unsigned key, char *buf, size_t cap) {
  char v[4096];
  value_of(key, v);
  int n = snprintf(buf, cap, "set key:%u 0 0 %zu\r\n%s\r\n", key, value_bytes, v);
  if (send_all(fd, buf, (size_t)n) != 0 || recv_until(fd, buf, cap, "\r\n") < 0)
    return -1;
  return strcmp(buf, "STORED\r\n") == 0 ? 0 : 1;
}

/* 0: right value, 1: wrong answer or miss, -1: connection lost. */
static int do_get(int fd, unsigned key, char *buf, size_t cap) {
  char v[4096], want[4200];
  int n = snprintf(buf, cap, "get key:%u\r\n", key);
  if (send_all(fd, buf, (size_t)n) != 0 || recv_until(fd, buf, cap, "END\r\n") < 0)
    return -1;
  value_of(key, v);
  snprintf(want, sizeof want, "VALUE key:%u 0 %zu\r\n%s\r\nEND\r\n", key, value_bytes, v);
  return strcmp(buf, want) == 0 ? 0 : 1;
}

static int warm_or_verify(unsigned keys, int verify) {
  int fd = connect_server(), bad = 0;
  char buf[8192];
  for (unsigned k = 0; k < keys; k++) {
    int r = verify ? do_get(fd, k, buf, sizeof buf) : do_set(fd, k, buf, sizeof buf);
    if (r < 0) {
      fprintf(stderr, "mcload: connection lost at key %u\n", k);
      return 1;
    }
    bad += r;
  }
  close(fd);
  printf("%s keys=%u wrong=%d\n", verify ? "VERIFY" : "WARM", keys, bad);
  return bad ? 1 : 0;
}

struct worker {
  pthread_t t;
  unsigned id, keys;
  double seconds;
  float *lat; /* microseconds, one per request */
  size_t n, cap;
  long errors;
};

static void *worker_run(void *arg) {
  struct worker *w = arg;
  int fd = connect_server();
  char buf[8192];
  uint64_t rng = 0x9e3779b97f4a7c15ull * (w->id + 1);
  double end = now_us() + w->seconds * 1e6;
  while (now_us() < end) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    unsigned key = (unsigned)(rng >> 20) % w->keys;
    int set = (rng & 1023) < 102; /* 10 % sets */
    double t0 = now_us();
    int r = set ? do_set(fd, key, buf, sizeof buf) : do_get(fd, key, buf, sizeof buf);
    double t1 = now_us();
    if (r != 0) {
      w->errors++;
      if (r < 0) {
        fprintf(stderr, "mcload: connection %u lost\n", w->id);
        break;
      }
      continue;
    }
    if (w->n == w->cap) {
      w->cap = w->cap ? w->cap * 2 : 1 << 16;
      w->lat = realloc(w->lat, w->cap * sizeof *w->lat);
    }
    w->lat[w->n++] = (float)(t1 - t0);
  }
  close(fd);
  return NULL;
}

static int cmp_float(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

static int load(unsigned conns, double seconds, unsigned keys) {
  struct worker *w = calloc(conns, sizeof *w);
  double t0 = now_us();
  for (unsigned i = 0; i < conns; i++) {
    w[i] = (struct worker){.id = i, .keys = keys, .seconds = seconds};
    pthread_create(&w[i].t, NULL, worker_run, &w[i]);
  }
  size_t total = 0;
  long errors = 0;
  for (unsigned i = 0; i < conns; i++) {
    pthread_join(w[i].t, NULL);
    total += w[i].n;
    errors += w[i].errors;
  }
  double elapsed = (now_us() - t0) / 1e6;
  float *all = malloc((total ? total : 1) * sizeof *all);
  size_t k = 0;
  for (unsigned i = 0; i < conns; i++) {
    memcpy(all + k, w[i].lat, w[i].n * sizeof *all);
    k += w[i].n;
  }
  qsort(all, total, sizeof *all, cmp_float);
  printf("LOAD ops=%zu ops_per_s=%.0f p50_us=%.1f p99_us=%.1f errors=%ld\n", total,
         total / elapsed, total ? all[total / 2] : 0.0, total ? all[total * 99 / 100] : 0.0,
         errors);
  return errors ? 1 : 0;
}

/* The malicious requests, one per isolated parse stage (README.md, "The
 * bugs"): bin is CVE-2020-10931, the others hit the injected faults. */
static size_t attack_request(const char *kind, char *buf, size_t cap) {
  size_t n = 0;
  if (!strcmp(kind, "bin")) { /* binary SET whose header claims 255 bytes of extras */
    memset(buf, 'A', 24 + 255);
    buf[0] = (char)0x80, buf[1] = 0x01;   /* magic: request, opcode: SET */
    buf[2] = 0, buf[3] = 0;               /* key length 0 */
    buf[4] = (char)255;                   /* extras length: BIN_MAX_EXTLEN is 20 */
    buf[5] = 0, buf[6] = 0, buf[7] = 0;   /* data type, vbucket */
    uint32_t body = htonl(255);           /* body length = extras */
    memcpy(buf + 8, &body, 4);
    return 24 + 255;
  }
  if (!strcmp(kind, "text")) { /* a 1500-byte first word: the tokenizer */
    memset(buf, 'A', 1500);
    n = 1500;
  } else if (!strcmp(kind, "getmulti")) { /* the same word as the 23rd key of a get: */
    n = (size_t)snprintf(buf, cap, "get");  /* the tokenizer again, for the rest of the line */
    for (unsigned k = 0; k < 22; k++) /* the tokenizer stops after 23 tokens */
      n += (size_t)snprintf(buf + n, cap - n, " key:%u", k);
    buf[n++] = ' ';
    memset(buf + n, 'B', 1500);
    n += 1500;
  } else if (!strcmp(kind, "num")) { /* a 1500-digit delta: safe_strtoull */
    n = (size_t)snprintf(buf, cap, "incr attack:num ");
    memset(buf + n, '1', 1500);
    n += 1500;
  } else if (!strcmp(kind, "authline")) { /* unauthenticated: the auth line's tokenizer */
    memset(buf, 'C', 1500);
    n = 1500;
  } else if (!strcmp(kind, "authpass")) { /* the tokenizer of the "user pass" payload */
    n = (size_t)snprintf(buf, cap, "set auth 0 0 1502\r\n");
    memset(buf + n, 'D', 1500);
    n += 1500;
    memcpy(buf + n, " x", 2);
    n += 2;
  } else {
    return 0;
  }
  memcpy(buf + n, "\r\n", 2);
  return n + 2;
}

/* Sends one malicious request and prints what became of the connection:
 * "ATTACK <kind> closed_after_us=T" when the server closed it,
 * "ATTACK <kind> answered_after_us=T reply='<last line>' next_get=ok|wrong|lost"
 * when it answered (the same connection then asks for key:0, which must
 * still have its value), "ATTACK <kind> no-answer" after 5 s.
 * Returns 0 when that is what the isolated memcached does after the fault
 * (attack_expect), 1 otherwise. */
static const char *attack_expect(const char *kind) {
  return !strcmp(kind, "text") ? "ERROR"
         : !strcmp(kind, "getmulti") ? "CLIENT_ERROR bad command line format"
         : !strcmp(kind, "num") ? "CLIENT_ERROR invalid numeric delta argument"
         : !strcmp(kind, "authline") ? "CLIENT_ERROR unauthenticated"
         : !strcmp(kind, "authpass") ? "CLIENT_ERROR bad authentication token format"
         : NULL; /* bin: the connection is closed */
}

static int attack(const char *kind) {
  char req[4096], buf[65536];
  size_t n = attack_request(kind, req, sizeof req);
  if (n == 0) {
    fprintf(stderr, "mcload: unknown attack '%s' (bin, text, getmulti, num, authline, authpass)\n", kind);
    return 2;
  }
  int auth_kind = !strncmp(kind, "auth", 4);
  if (auth_kind && !getenv("MCLOAD_AUTH")) {
    fprintf(stderr, "mcload: the %s attack is for a server with -Y: set MCLOAD_AUTH=\"user pass\"\n", kind);
    return 2;
  }
  int fd = auth_kind ? connect_raw() : connect_server();
  double t0 = now_us();
  if (send_all(fd, req, n) != 0) {
    printf("ATTACK %s closed_after_us=%.0f (send failed)\n", kind, now_us() - t0);
    close(fd);
    return attack_expect(kind) ? 1 : 0;
  }
  /* Read until the answer ends in a final line (ERROR, CLIENT_ERROR ...,
   * SERVER_ERROR ..., END) or the connection closes. */
  size_t got = 0;
  const char *last = NULL;
  for (;;) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 5000) <= 0) {
      printf("ATTACK %s no-answer\n", kind);
      close(fd);
      return 1;
    }
    ssize_t r = recv(fd, buf + got, sizeof buf - 1 - got, 0);
    if (r <= 0) {
      printf("ATTACK %s closed_after_us=%.0f\n", kind, now_us() - t0);
      close(fd);
      return attack_expect(kind) ? 1 : 0;
    }
    got += (size_t)r;
    buf[got] = 0;
    if (got >= 2 && !strcmp(buf + got - 2, "\r\n")) {
      buf[got - 2] = 0;
      last = strrchr(buf, '\n') ? strrchr(buf, '\n') + 1 : buf;
      if (!strcmp(last, "ERROR") || !strcmp(last, "END") || !strncmp(last, "CLIENT_ERROR", 12) ||
          !strncmp(last, "SERVER_ERROR", 12))
        break;
      buf[got - 2] = '\r';
    }
    if (got == sizeof buf - 1) {
      printf("ATTACK %s answered (more than %zu bytes)\n", kind, got);
      close(fd);
      return 1;
    }
  }
  double t1 = now_us();
  int r = auth_kind && authenticate(fd) != 0 ? 1 : do_get(fd, 0, req, sizeof req);
  printf("ATTACK %s answered_after_us=%.0f reply='%s' next_get=%s\n", kind, t1 - t0, last,
         r == 0 ? "ok" : r > 0 ? "wrong" : "lost");
  close(fd);
  return r == 0 && attack_expect(kind) && !strcmp(last, attack_expect(kind)) ? 0 : 1;
}

struct load_args {
  unsigned conns, keys;
  double seconds;
  int rc;
};

static void *load_thread(void *arg) {
  struct load_args *a = arg;
  a->rc = load(a->conns, a->seconds, a->keys);
  return NULL;
}

static int try_connect(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
  if (fd >= 0)
    close(fd);
  return ok;
}

static int selftest_fail(pid_t pid, const char *why) {
  printf("SELFTEST FAIL: %s\n", why);
  if (pid > 0)
    kill(pid, SIGKILL);
  return 1;
}

/* Starts <memcached> on port `port` (with -Y <authfile> when authfile is
 * set), its stderr (the runtime's SDRAD_LOG lines) to errlog; waits until it
 * listens.  Returns its pid, or -1 after printing SELFTEST FAIL. */
static pid_t selftest_start(const char *memcached, const char *authfile, const char *errlog) {
  char portarg[16];
  snprintf(portarg, sizeof portarg, "%d", port);
  pid_t pid = fork();
  if (pid == 0) {
    FILE *e = freopen(errlog, "w", stderr);
    (void)e;
    if (authfile)
      execl(memcached, memcached, "-l", "127.0.0.1", "-p", portarg, "-U", "0", "-t", "2", "-m", "64",
            "-u", "root", "-Y", authfile, (char *)NULL);
    else
      execl(memcached, memcached, "-l", "127.0.0.1", "-p", portarg, "-U", "0", "-t", "2", "-m", "64",
            "-u", "root", (char *)NULL);
    perror("mcload: exec memcached");
    _exit(127);
  }
  for (int i = 0; i < 600; i++) {
    if (waitpid(pid, NULL, WNOHANG) == pid) {
      selftest_fail(-1, "memcached exited at start");
      return -1;
    }
    if (try_connect())
      return pid;
    usleep(100000);
  }
  selftest_fail(pid, "memcached did not listen within 60 s");
  return -1;
}

/* Lines of errlog that report a recovered fault in <domain>; they are
 * copied to stdout (the lane's per-test log). */
static int selftest_faults(const char *errlog, const char *domain) {
  char line[1024], needle[64];
  int n = 0;
  snprintf(needle, sizeof needle, "fault in domain '%s'", domain);
  FILE *f = fopen(errlog, "r");
  if (!f)
    return -1;
  while (fgets(line, sizeof line, f))
    if (strstr(line, needle)) {
      n++;
      fputs(line, stdout);
    }
  fclose(f);
  return n;
}

/* One server: warm 500 keys, the attacks one second apart while two load
 * connections run, then: alive, load right, keys intact, and at least
 * want[i] recovered faults logged in domains[i]. */
static int selftest_server(const char *memcached, const char *authfile, const char *errlog,
                           const char *const *kinds, int nkinds, const char *const *domains,
                           const int *want, int ndomains) {
  pid_t pid = selftest_start(memcached, authfile, errlog);
  if (pid < 0)
    return 1;
  if (warm_or_verify(500, 0) != 0)
    return selftest_fail(pid, "warming failed");
  struct load_args la = {.conns = 2, .keys = 500, .seconds = 1.0 + 1.5 * nkinds};
  pthread_t lt;
  pthread_create(&lt, NULL, load_thread, &la);
  for (int i = 0; i < nkinds; i++) {
    usleep(1000000);
    if (attack(kinds[i]) != 0) {
      char why[160];
      snprintf(why, sizeof why, "the %s attack did not end as the isolated memcached should%s", kinds[i],
               authfile ? " (-Y)" : "");
      pthread_join(lt, NULL);
      return selftest_fail(pid, why);
    }
  }
  pthread_join(lt, NULL);
  if (waitpid(pid, NULL, WNOHANG) == pid)
    return selftest_fail(-1, "memcached died");
  if (la.rc != 0)
    return selftest_fail(pid, "a load connection got a wrong answer or lost its connection");
  if (warm_or_verify(500, 1) != 0)
    return selftest_fail(pid, "keys written before the attacks were lost or changed");
  kill(pid, SIGTERM);
  waitpid(pid, NULL, 0);
  for (int i = 0; i < ndomains; i++) {
    int n = selftest_faults(errlog, domains[i]);
    if (n < want[i]) {
      char why[160];
      snprintf(why, sizeof why, "%d recovered faults logged in %s for %d attacks on it%s", n, domains[i],
               want[i], authfile ? " (-Y)" : "");
      return selftest_fail(-1, why);
    }
    printf("SELFTEST %s: %d recovered faults in %s\n", authfile ? "-Y" : "without -Y", n, domains[i]);
  }
  return 0;
}

static int selftest(const char *memcached) {
  /* The guest's loopback interface starts down. */
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct ifreq ifr = {0};
  strcpy(ifr.ifr_name, "lo");
  if (s >= 0 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP)) {
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0)
      perror("mcload: bringing up lo");
  }
  if (s >= 0)
    close(s);
  /* memcached run as root wants -u root, which it looks up in /etc/passwd;
   * the guest's initramfs has none. */
  if (geteuid() == 0 && access("/etc/passwd", F_OK) != 0) {
    mkdir("/etc", 0755);
    FILE *f = fopen("/etc/passwd", "w");
    if (f) {
      fputs("root:x:0:0:root:/:/bin/sh\n", f);
      fclose(f);
    }
  }
  mkdir("/tmp", 01777);
  /* The four attacks on a server without authentication. */
  static const char *const kinds[] = {"bin", "text", "getmulti", "num"};
  static const char *const domains[] = {"mc_bin", "mc_text", "mc_num"};
  static const int want[] = {1, 2, 1};
  port = 11311;
  if (selftest_server(memcached, NULL, "/tmp/mcload-selftest.log", kinds, 4, domains, want, 3) != 0)
    return 1;
  /* The two ASCII authentication attacks on a -Y server; every client
   * (warm, load, the attack after its answer) authenticates. */
  FILE *a = fopen("/tmp/mcload-auth.users", "w");
  if (!a || fputs("sdrad:secret\n", a) < 0 || fclose(a) != 0)
    return selftest_fail(-1, "cannot write /tmp/mcload-auth.users");
  setenv("MCLOAD_AUTH", "sdrad secret", 1);
  static const char *const auth_kinds[] = {"authline", "authpass"};
  static const char *const auth_domains[] = {"mc_text"};
  static const int auth_want[] = {2};
  port = 11312;
  if (selftest_server(memcached, "/tmp/mcload-auth.users", "/tmp/mcload-selftest-Y.log", auth_kinds, 2,
                      auth_domains, auth_want, 1) != 0)
    return 1;
  unsetenv("MCLOAD_AUTH");
  printf("SELFTEST PASS\n");
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc >= 3 && !strcmp(argv[1], "selftest"))
    return selftest(argv[2]);
  if (argc < 3)
    goto usage;
  port = atoi(argv[2]);
  if (!strcmp(argv[1], "warm") || !strcmp(argv[1], "verify")) {
    if (argc < 4)
      goto usage;
    if (argc > 4)
      value_bytes = strtoul(argv[4], NULL, 10);
    if (value_bytes < 1 || value_bytes > 4000)
      goto usage;
    return warm_or_verify((unsigned)strtoul(argv[3], NULL, 10), argv[1][0] == 'v');
  }
  if (!strcmp(argv[1], "load")) {
    if (argc < 6)
      goto usage;
    if (argc > 6)
      value_bytes = strtoul(argv[6], NULL, 10);
    if (value_bytes < 1 || value_bytes > 4000)
      goto usage;
    return load((unsigned)atoi(argv[3]), atof(argv[4]), (unsigned)strtoul(argv[5], NULL, 10));
  }
  if (!strcmp(argv[1], "attack"))
    return attack(argc > 3 ? argv[3] : "bin");
usage:
  fprintf(stderr, "usage: mcload warm|verify <port> <keys> [value-bytes]\n"
                  "       mcload load <port> <conns> <seconds> <keys> [value-bytes]\n"
                  "       mcload attack <port> [bin|text|getmulti|num|authline|authpass]\n"
                  "       mcload selftest <memcached> [file ...]\n");
  return 2;
}
