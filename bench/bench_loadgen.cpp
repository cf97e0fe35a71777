// bench/bench_loadgen.cpp - bounded closed-loop load client for
// bench_server_* (and any HTTP/1.1 keep-alive server) over loopback only.
//
// Usage: bench_loadgen --port P --conns C --requests N [--evil-permille K]
//                      [--key NAME]
//   C threads, one keep-alive connection each, send N requests in total
//   (each waits for its response); K of every 1000 requests carry the
//   "X-Evil" header.  Prints R <NAME>.rps, <NAME>.ok, <NAME>.rejected.
//   Every socket has a 5 s receive timeout: the client never hangs.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "common.h"

using namespace bench;

namespace {

int port = 0, conns = 2, permille = 0;
long total = 10000;
std::atomic<long> next_req{0}, ok{0}, rejected{0}, errors{0};

const char *kReq =
    "GET /api/v1/items/12345?fields=name,price&sort=asc HTTP/1.1\r\n"
    "Host: 127.0.0.1\r\n"
    "User-Agent: sdrad-bench/1.0\r\n"
    "Accept: application/json\r\n"
    "Accept-Encoding: gzip, deflate\r\n"
    "Cookie: session=0123456789abcdef0123456789abcdef\r\n"
    "Connection: keep-alive\r\n"
    "\r\n";
const char *kEvil =
    "GET /api/v1/items/12345 HTTP/1.1\r\n"
    "Host: 127.0.0.1\r\n"
    "X-Evil: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n"
    "\r\n";

void worker() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons((uint16_t)port);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, (sockaddr *)&a, sizeof a) != 0) {
    errors++;
    close(fd);
    return;
  }
  std::string in;
  char buf[4096];
  size_t lr = strlen(kReq), le = strlen(kEvil);
  for (;;) {
    long i = next_req.fetch_add(1);
    if (i >= total) break;
    // Spread malicious requests evenly: request i is evil when
    // floor((i+1)*K/1000) > floor(i*K/1000).
    bool evil = permille > 0 && ((i + 1) * permille / 1000) > (i * permille / 1000);
    const char *r = evil ? kEvil : kReq;
    size_t l = evil ? le : lr;
    if (write(fd, r, l) != (ssize_t)l) {
      errors++;
      break;
    }
    // One response: headers, then Content-Length bytes.
    size_t need = 0;
    bool done = false;
    while (!done) {
      size_t hdr = in.find("\r\n\r\n");
      if (hdr != std::string::npos) {
        size_t cl = in.find("Content-Length: ");
        size_t body = cl != std::string::npos && cl < hdr ? (size_t)atol(in.c_str() + cl + 16) : 0;
        need = hdr + 4 + body;
        if (in.size() >= need) {
          if (in.compare(9, 3, "200") == 0) ok++;
          else rejected++;
          in.erase(0, need);
          done = true;
          break;
        }
      }
      ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) {
        errors++;
        close(fd);
        return;
      }
      in.append(buf, (size_t)n);
    }
  }
  close(fd);
}

}  // namespace

int main(int argc, char **argv) {
  const char *key = "server";
  for (int i = 1; i + 1 < argc; i++) {
    if (!strcmp(argv[i], "--port")) port = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--conns")) conns = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--requests")) total = atol(argv[++i]);
    else if (!strcmp(argv[i], "--evil-permille")) permille = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--key")) key = argv[++i];
  }
  if (!port) {
    fprintf(stderr, "--port needed\n");
    return 2;
  }
  uint64_t t0 = now_ns();
  std::vector<std::thread> ts;
  for (int c = 0; c < conns; c++) ts.emplace_back(worker);
  for (auto &t : ts) t.join();
  double secs = (double)(now_ns() - t0) / 1e9;
  char k[128];
  long done = ok + rejected;
  snprintf(k, sizeof k, "%s.rps", key);
  result(k, (double)done / secs, "req/s");
  snprintf(k, sizeof k, "%s.ok", key);
  result(k, (double)ok, "req");
  snprintf(k, sizeof k, "%s.rejected", key);
  result(k, (double)rejected, "req");
  if (errors) fprintf(stderr, "loadgen: %ld errors\n", (long)errors);
  return errors ? 1 : 0;
}
