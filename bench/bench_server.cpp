// bench/bench_server.cpp - a stand-in for the example server: a small
// keep-alive HTTP/1.1 server whose request parser is the untrusted part.
//
// Built twice:
//   bench_server_plain  not linked with the runtime, parser called directly
//   bench_server_iso    linked with the runtime, parser called through a
//                       domain thunk (per abi.h, what [[sdrad::isolate]]
//                       generates): request copied in, parsed request
//                       copied out; a fault answers 400 and the server
//                       goes on.
// A request with an "X-Evil" header makes the parser store through a null
// pointer (a stand-in for an exploitable parser bug).  The plain server
// dies on it, so malicious load is only sent to the isolated one.
//
// Usage: bench_server_* --port-file FILE --conns N
//   listens on 127.0.0.1 (ephemeral port, written to FILE), serves N
//   connections and exits when all N have been closed by the client.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "common.h"
#ifdef SDRAD_BENCH_RUNTIME
#include "thunk.h"
#endif
#ifdef SDRAD_BENCH_PLUGIN
#include <sdrad/isolate.h>
#endif

using namespace bench;

namespace {

struct Parsed {
  char method[8];
  char path[128];
  int nheaders;
  int keep_alive;
  uint32_t hash;  // of the header names/values: the "work" of the parser
};

volatile uintptr_t g_null = 0;

// The untrusted parser.  Returns 0 on success, -1 on a malformed request.
__attribute__((noinline)) int parse_request(const char *req, size_t n, Parsed *out) {
  const char *p = req, *end = req + n;
  size_t i = 0;
  while (p < end && *p != ' ' && i + 1 < sizeof out->method) out->method[i++] = *p++;
  out->method[i] = 0;
  if (p >= end || *p != ' ') return -1;
  p++;
  i = 0;
  while (p < end && *p != ' ' && i + 1 < sizeof out->path) out->path[i++] = *p++;
  out->path[i] = 0;
  while (p < end && *p != '\n') p++;
  p++;
  out->nheaders = 0;
  out->keep_alive = 1;
  uint32_t h = 2166136261u;
  while (p < end && *p != '\r') {
    const char *name = p;
    while (p < end && *p != ':') {
      h = (h ^ (uint8_t)(*p | 0x20)) * 16777619u;
      p++;
    }
    size_t name_len = (size_t)(p - name);
    if (name_len == 6 && !memcmp(name, "X-Evil", 6)) *(volatile int *)g_null = 1;  // the bug
    if (name_len == 10 && !strncasecmp(name, "Connection", 10) && p + 7 < end &&
        !strncasecmp(p + 2, "close", 5))
      out->keep_alive = 0;
    while (p < end && *p != '\n') {
      h = (h ^ (uint8_t)*p) * 16777619u;
      p++;
    }
    p++;
    out->nheaders++;
  }
  out->hash = h;
  return 0;
}

#ifdef SDRAD_BENCH_RUNTIME
__sdrad_domain_ref g_dom = {0, "bench.server.parser", SDRAD_POLICY_INTEGRITY, SDRAD_ABI_VERSION};
struct ParseBlk {
  const char *req;
  size_t n;
  Parsed *out;
  int ret;
};
void entry_parse(void *p) {
  auto *b = (ParseBlk *)p;
  b->ret = parse_request(b->req, b->n, b->out);
}
// Returns the parser's value, or -2 when the parser faulted.
int parse_isolated(const char *req, size_t n, Parsed *out) {
  ParseBlk blk{nullptr, n, nullptr, 0};
  int32_t st = isolated_call_copies(g_dom, entry_parse, blk,
                                    {CopyArg{req, nullptr, n}, CopyArg{nullptr, out, sizeof(Parsed)}},
                                    [](ParseBlk &b, void *const *c) {
                                      b.req = (const char *)c[0];
                                      b.out = (Parsed *)c[1];
                                    });
  return st == 0 ? blk.ret : -2;  // -2: rewound and discarded
}
#define PARSE parse_isolated
#elif defined(SDRAD_BENCH_PLUGIN)
// bench_server_plugin: the parser isolated by the plugin itself, the way a
// user writes it: the request `in`, the result `out` (both carried in the
// call's block when they fit: docs/abi.md, "Carried buffers").
SDRAD_ISOLATE("bench.server.parser", fallback_value(-2)) __attribute__((noinline))
int parse_plugin(SDRAD_IN(n) const char *req, size_t n, SDRAD_OUT(1) Parsed *out) {
  return parse_request(req, n, out);
}
#define PARSE parse_plugin
#else
#define PARSE parse_request
#endif

struct Conn {
  int fd;
  std::string in, out;
  size_t out_off = 0;
};

void set_nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

}  // namespace

int main(int argc, char **argv) {
  const char *port_file = nullptr;
  int conns = 1;
  for (int i = 1; i + 1 < argc; i++) {
    if (!strcmp(argv[i], "--port-file")) port_file = argv[++i];
    else if (!strcmp(argv[i], "--conns")) conns = atoi(argv[++i]);
  }
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  if (bind(ls, (sockaddr *)&a, sizeof a) || listen(ls, 64)) {
    perror("bind/listen");
    return 1;
  }
  socklen_t al = sizeof a;
  getsockname(ls, (sockaddr *)&a, &al);
  if (port_file) {
    std::string tmp = std::string(port_file) + ".tmp";
    FILE *f = fopen(tmp.c_str(), "w");
    fprintf(f, "%d\n", ntohs(a.sin_port));
    fclose(f);
    rename(tmp.c_str(), port_file);
  }
  int ep = epoll_create1(0);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;
  epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
  int accepted = 0, closed = 0;
  uint64_t served = 0, rejected = 0, parse_ns = 0;
  std::vector<epoll_event> evs(64);
  char buf[16384];
  while (closed < conns) {
    int n = epoll_wait(ep, evs.data(), (int)evs.size(), 10000);
    if (n == 0) break;  // idle for 10 s: the client is gone
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int k = 0; k < n; k++) {
      if (!evs[k].data.ptr) {
        int fd = accept(ls, nullptr, nullptr);
        if (fd < 0) continue;
        set_nonblock(fd);
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        auto *c = new Conn{fd, {}, {}, 0};
        epoll_event e{};
        e.events = EPOLLIN;
        e.data.ptr = c;
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
        if (++accepted >= conns) epoll_ctl(ep, EPOLL_CTL_DEL, ls, nullptr);
        continue;
      }
      auto *c = (Conn *)evs[k].data.ptr;
      bool dead = false;
      for (;;) {
        ssize_t r = read(c->fd, buf, sizeof buf);
        if (r > 0) {
          c->in.append(buf, (size_t)r);
          continue;
        }
        if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) dead = true;
        break;
      }
      size_t pos;
      while ((pos = c->in.find("\r\n\r\n")) != std::string::npos) {
        size_t len = pos + 4;
        Parsed req{};
        uint64_t p0 = now_ns();
        int r = PARSE(c->in.data(), len, &req);
        parse_ns += now_ns() - p0;
        c->in.erase(0, len);
        char resp[256];
        int m;
        if (r == 0) {
          char body[64];
          int bl = snprintf(body, sizeof body, "%s %u %d\n", req.method, req.hash, req.nheaders);
          m = snprintf(resp, sizeof resp, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", bl, body);
          served++;
        } else {
          m = snprintf(resp, sizeof resp, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
          rejected++;
        }
        c->out.append(resp, (size_t)m);
      }
      while (c->out_off < c->out.size()) {
        ssize_t w = write(c->fd, c->out.data() + c->out_off, c->out.size() - c->out_off);
        if (w <= 0) break;  // tiny responses: the socket buffer never fills here
        c->out_off += (size_t)w;
      }
      if (c->out_off == c->out.size()) {
        c->out.clear();
        c->out_off = 0;
      }
      if (dead) {
        epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, nullptr);
        close(c->fd);
        delete c;
        closed++;
      }
    }
  }
  printf("# server: %llu served, %llu rejected\n", (unsigned long long)served,
         (unsigned long long)rejected);
  // CPU time of the server per request (user + system): less sensitive to
  // other load on the machine than the client's wall-clock throughput.
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  double cpu_ns = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e9 +
                  (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e3;
  if (served + rejected) {
    printf("cpu_ns_per_req %.1f\n", cpu_ns / (double)(served + rejected));
    // Time spent in the (isolated or plain) parser call per request.
    printf("parse_ns_per_req %.1f\n", (double)parse_ns / (double)(served + rejected));
  }
  return 0;
}
