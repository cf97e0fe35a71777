// Syscall confinement of messages and of a domain's own mappings (issue 9;
// runtime/src/syscall_policy.cpp, "Messages"; domain_resources.cpp):
// - on a unix socket, sendmsg passes descriptors (SCM_RIGHTS) only if the
//   instance opened them, and recvmsg has no control buffer; the runtime
//   makes both calls itself on private copies of the msghdr, iovecs and
//   control buffer, so another thread cannot change them after the check;
// - mprotect inside one of the domain's own mappings is allowed.
// Confinement needs Syscall User Dispatch, not protection keys; ctest runs
// these in both modes (the Confinement* filter, test/unit/CMakeLists.txt).
#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "internal.h"
#include "sdrad_api.h"
#include "test_util.h"

using namespace sdrad_test;

namespace {

long raw3(long nr, long a, long b, long c) {
  long r;
  register long rdx __asm__("rdx") = c;
  __asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a), "S"(b), "r"(rdx) : "rcx", "r11", "memory");
  return r;
}

long raw_mmap(long len, long prot) {
  long r;
  register long r10 __asm__("r10") = MAP_PRIVATE | MAP_ANONYMOUS;
  register long r8 __asm__("r8") = -1;
  register long r9 __asm__("r9") = 0;
  __asm__ volatile("syscall"
                   : "=a"(r)
                   : "a"(SYS_mmap), "D"(0L), "S"(len), "d"(prot), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return r;
}

bool mmap_failed(long r) { return r < 0 && r > -4096; }

class ConfinementMsg : public testing::Test {
 protected:
  void SetUp() override {
    if (!sdrad::g_shared.confine) GTEST_SKIP() << "no Syscall User Dispatch on this kernel (or SDRAD_CONFINEMENT=0)";
  }
};

// One message with one descriptor in its control buffer.
struct SendMsg {
  struct msghdr m;
  struct iovec v;
  char byte;
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  void build(int fd) {
    memset(this, 0, sizeof(*this));
    byte = 'd';
    v = {&byte, 1};
    m.msg_iov = &v;
    m.msg_iovlen = 1;
    m.msg_control = control;
    m.msg_controllen = sizeof(control);
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
  }
  int *fd_slot() { return (int *)CMSG_DATA(CMSG_FIRSTHDR(&m)); }
};

// Root receives one message from `sock` without waiting: the descriptor it
// carried (or -1), the bytes, or -errno.
struct Received {
  long n = 0;
  int fd = -1;
};
Received root_receive(int sock) {
  Received r;
  char data[8];
  struct iovec v = {data, sizeof(data)};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)];
  struct msghdr m = {};
  m.msg_iov = &v;
  m.msg_iovlen = 1;
  m.msg_control = control;
  m.msg_controllen = sizeof(control);
  r.n = recvmsg(sock, &m, MSG_DONTWAIT);
  if (r.n < 0) {
    r.n = -errno;
    return r;
  }
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) memcpy(&r.fd, CMSG_DATA(c), sizeof(int));
  return r;
}

bool same_file(int a, int b) {
  struct stat x, y;
  return fstat(a, &x) == 0 && fstat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

// --- sendmsg --------------------------------------------------------------
struct SendB {
  SendMsg s;
  long sock, fd, r;
  long rsi_after;
};
void send_fd(SendB *b) {
  b->s.build((int)b->fd);
  b->r = raw3(SYS_sendmsg, b->sock, (long)&b->s.m, 0);
}
void open_then_send(SendB *b) {
  b->fd = raw3(SYS_openat, AT_FDCWD, (long)"/dev/null", O_RDONLY);
  if (b->fd < 0) return;
  send_fd(b);
}

}  // namespace

TEST_F(ConfinementMsg, DomainCannotSendRootsDescriptor) {
  SocketPair p;
  int mine = open("/dev/zero", O_RDONLY);
  ASSERT_GE(mine, 0);
  int64_t h = domain("conf.msg.send_root");
  InDomain<SendB> d(h);
  d.b->sock = p.sv[0];
  d.b->fd = mine;
  EXPECT_EQ(d.run(send_fd), SDRAD_FAULT_SYSCALL);
  sdrad_fault f;
  ASSERT_TRUE(sdrad_last_fault(&f));
  EXPECT_EQ(f.addr, (uintptr_t)SYS_sendmsg);
  Received r = root_receive(p.sv[1]);
  EXPECT_EQ(r.n, -EAGAIN) << "the message with root's descriptor was sent";
  if (r.fd >= 0) close(r.fd);
  close(mine);
}

TEST_F(ConfinementMsg, DomainUnderEpermGetsEpermSendingRootsDescriptor) {
  SocketPair p;
  int mine = open("/dev/zero", O_RDONLY);
  ASSERT_GE(mine, 0);
  int64_t h = domain("conf.msg.send_root.eperm", SDRAD_POLICY_INTEGRITY | SDRAD_POLICY_SYSCALLS_EPERM);
  InDomain<SendB> d(h);
  d.b->sock = p.sv[0];
  d.b->fd = mine;
  ASSERT_EQ(d.run(send_fd), 0);
  EXPECT_EQ(d.b->r, -EPERM);
  Received r = root_receive(p.sv[1]);
  EXPECT_EQ(r.n, -EAGAIN) << "the message with root's descriptor was sent";
  if (r.fd >= 0) close(r.fd);
  close(mine);
}

TEST_F(ConfinementMsg, DomainSendsADescriptorItOpened) {
  SocketPair p;
  int64_t h = domain("conf.msg.send_own");
  InDomain<SendB> d(h);
  d.b->sock = p.sv[0];
  ASSERT_EQ(d.run(open_then_send), 0);
  ASSERT_GE(d.b->fd, 0);
  EXPECT_EQ(d.b->r, 1);
  Received r = root_receive(p.sv[1]);
  EXPECT_EQ(r.n, 1);
  ASSERT_GE(r.fd, 0) << "the domain's own descriptor did not arrive";
  int null_fd = open("/dev/null", O_RDONLY);
  EXPECT_TRUE(same_file(r.fd, null_fd));
  close(null_fd);
  close(r.fd);
}

// The kernel is given the checked copy (rsi aimed at it); the domain gets
// its own register back, as from any system call.
TEST_F(ConfinementMsg, SendmsgLeavesTheDomainsMsghdrRegister) {
  SocketPair p;
  int64_t h = domain("conf.msg.send_regs");
  InDomain<SendB> d(h);
  d.b->sock = p.sv[0];
  ASSERT_EQ(d.run([](SendB *b) {
    b->s.build(-1);
    b->s.m.msg_control = nullptr;
    b->s.m.msg_controllen = 0;
    long r, rsi = (long)&b->s.m;
    register long rdx __asm__("rdx") = 0;
    __asm__ volatile("syscall" : "=a"(r), "+S"(rsi) : "a"(SYS_sendmsg), "D"(b->sock), "r"(rdx) : "rcx", "r11", "memory");
    b->r = r;
    b->rsi_after = rsi;
  }), 0);
  EXPECT_EQ(d.b->r, 1);
  EXPECT_EQ(d.b->rsi_after, (long)&d.b->s.m) << "rsi still points at the runtime's copy";
  EXPECT_EQ(root_receive(p.sv[1]).n, 1);
}

// Another thread rewrites the descriptor number in the control buffer
// between the policy's check (the domain's own descriptor) and the kernel's
// read (root's).  Here root's thread plays that thread: it may write the
// domain's memory, as a second thread of the domain may.
TEST_F(ConfinementMsg, AnotherThreadCannotSwapInRootsDescriptorAfterTheCheck) {
  SocketPair p(SOCK_DGRAM);
  int rcv = 1 << 20;
  setsockopt(p.sv[1], SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
  int mine = open("/dev/zero", O_RDONLY);
  ASSERT_GE(mine, 0);
  int64_t h = domain("conf.msg.send_race", SDRAD_POLICY_INTEGRITY | SDRAD_POLICY_SYSCALLS_EPERM);
  InDomain<SendB> d(h);
  d.b->sock = p.sv[0];
  d.b->fd = mine;
  ASSERT_EQ(d.run([](SendB *b) { b->fd = raw3(SYS_openat, AT_FDCWD, (long)"/dev/null", O_RDONLY); }), 0);
  ASSERT_GE(d.b->fd, 0);
  d.b->s.build((int)d.b->fd);
  volatile int *slot = d.b->s.fd_slot();
  std::atomic<bool> stop{false};
  int own = (int)d.b->fd;
  std::thread flipper([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      *slot = mine;
      *slot = own;
    }
  });
  int leaked = 0, sent = 0;
  for (int round = 0; round < 40 && !leaked; round++) {
    ASSERT_EQ(d.run([](SendB *b) {
      b->r = 0;
      for (int i = 0; i < 50; i++) b->r += raw3(SYS_sendmsg, b->sock, (long)&b->s.m, 0) == 1;
    }), 0);
    for (;;) {
      Received r = root_receive(p.sv[1]);
      if (r.n < 0) break;
      sent++;
      if (r.fd >= 0) {
        if (same_file(r.fd, mine)) leaked++;
        close(r.fd);
      }
    }
  }
  stop = true;
  flipper.join();
  EXPECT_EQ(leaked, 0) << "root's descriptor was sent in " << leaked << " of " << sent << " messages";
  EXPECT_GT(sent, 0) << "no message with the domain's own descriptor was sent";
  close(mine);
}

// The runtime makes a unix socket's sendmsg without waiting in the kernel;
// a blocking stream send still sends everything, as the kernel's would.
TEST_F(ConfinementMsg, DomainBlockingStreamSendmsgSendsEverything) {
  SocketPair p;
  int small = 4096;
  ASSERT_EQ(setsockopt(p.sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
  constexpr size_t kBytes = 1 << 18;
  std::atomic<size_t> got{0};
  std::thread reader([&] {
    char buf[1024];
    while (got < kBytes) {
      ssize_t n = read(p.sv[1], buf, sizeof(buf));
      if (n <= 0) break;
      got += (size_t)n;
      if (got % (64 * 1024) < sizeof(buf)) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  int64_t h = domain("conf.msg.send_stream");
  InDomain<SendB> d(h);
  d.b->sock = p.sv[0];
  ASSERT_EQ(d.run([](SendB *b) {
    char *data = (char *)malloc(kBytes);
    if (!data) return;
    memset(data, 's', kBytes);
    struct iovec v[2] = {{data, kBytes / 4}, {data + kBytes / 4, kBytes - kBytes / 4}};
    struct msghdr m;
    memset(&m, 0, sizeof(m));
    m.msg_iov = v;
    m.msg_iovlen = 2;
    b->r = raw3(SYS_sendmsg, b->sock, (long)&m, 0);
    free(data);
  }), 0);
  EXPECT_EQ(d.b->r, (long)kBytes);
  shutdown(p.sv[0], SHUT_WR);
  reader.join();
  EXPECT_EQ(got.load(), kBytes);
}

TEST_F(ConfinementMsg, DomainCannotSendmmsg) {
  SocketPair p;
  int64_t h = domain("conf.msg.sendmmsg");
  InDomain<SendB> d(h);
  d.b->sock = p.sv[0];
  EXPECT_EQ(d.run([](SendB *b) {
    b->s.build(0);  // root's stdin
    struct mmsghdr mm;
    memset(&mm, 0, sizeof(mm));
    mm.msg_hdr = b->s.m;
    long r;
    register long r10 __asm__("r10") = 0;
    register long rdx __asm__("rdx") = 1;
    __asm__ volatile("syscall" : "=a"(r) : "a"(SYS_sendmmsg), "D"(b->sock), "S"(&mm), "r"(rdx), "r"(r10) : "rcx", "r11", "memory");
    b->r = r;
  }), SDRAD_FAULT_SYSCALL);
  EXPECT_EQ(root_receive(p.sv[1]).n, -EAGAIN);
}

// --- recvmsg ----------------------------------------------------------------
namespace {
struct RecvB {
  struct msghdr m;
  struct iovec v;
  char data[8];
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  long r;
  long sock;
  long flags;
  long got_control;
  uintptr_t target;
};
// One recvmsg into the block's data (or `target`), with room for one
// descriptor in a control buffer or without one.
void recv_one(RecvB *b, bool with_control) {
  memset(&b->m, 0, sizeof(b->m));
  b->v = {b->target ? (void *)b->target : b->data, sizeof(b->data)};
  b->m.msg_iov = &b->v;
  b->m.msg_iovlen = 1;
  if (with_control) {
    b->m.msg_control = b->control;
    b->m.msg_controllen = sizeof(b->control);
  }
  b->r = raw3(SYS_recvmsg, b->sock, (long)&b->m, b->flags);
}
void recv_plain(RecvB *b) { recv_one(b, false); }
void recv_with_control(RecvB *b) { recv_one(b, true); }
// Root sends one byte with one descriptor (of /dev/null) over `sock`.
void send_a_descriptor(int sock) {
  int fd = open("/dev/null", O_RDONLY);
  ASSERT_GE(fd, 0);
  SendMsg s;
  s.build(fd);
  ASSERT_EQ(sendmsg(sock, &s.m, 0), 1);
  close(fd);
}
char g_root_buffer[8];
}  // namespace

// A descriptor received in a control message would be one the instance
// never recorded: the domain could not close it and a rewind would leave
// it in root's table.  recvmsg with a control buffer is refused; without
// one the domain gets the data and the kernel drops the descriptor
// (DomainReceivesDataAndFlagsOnAUnixSocket).
TEST_F(ConfinementMsg, DomainCannotReceiveDescriptorsThatOutliveItsRewind) {
  SocketPair p;
  int64_t h = domain("conf.fd.scm");
  int before = dev_null_fds();
  for (int i = 0; i < 20; i++) {
    send_a_descriptor(p.sv[0]);
    InDomain<RecvB> d(h);
    d.b->sock = p.sv[1];
    // Without the refusal the domain receives the descriptor here, and the
    // trap's rewind leaves it open in root's table.
    int32_t r = d.run([](RecvB *b) {
      recv_with_control(b);
      __builtin_trap();
    });
    EXPECT_EQ(r, SDRAD_FAULT_SYSCALL) << "recvmsg with a control buffer was not refused (run " << i << ")";
    if (r == SDRAD_FAULT_SYSCALL) {
      sdrad_fault f;
      ASSERT_TRUE(sdrad_last_fault(&f));
      EXPECT_EQ(f.addr, (uintptr_t)SYS_recvmsg);
    }
  }
  EXPECT_EQ(dev_null_fds(), before) << "descriptors the domain received outlived its rewinds";
}

TEST_F(ConfinementMsg, DomainUnderEpermGetsEpermForAControlBuffer) {
  SocketPair p;
  send_a_descriptor(p.sv[0]);
  int64_t h = domain("conf.fd.scm.eperm", SDRAD_POLICY_INTEGRITY | SDRAD_POLICY_SYSCALLS_EPERM);
  int before = dev_null_fds();
  InDomain<RecvB> d(h);
  d.b->sock = p.sv[1];
  ASSERT_EQ(d.run(recv_with_control), 0);
  EXPECT_EQ(d.b->r, -EPERM);
  EXPECT_EQ(dev_null_fds(), before);
}


// Another thread adds a control buffer between the policy's check (none)
// and the kernel's read: before, the descriptor arrived in the domain,
// unrecorded, and outlived its rewind in root's table.
TEST_F(ConfinementMsg, AnotherThreadCannotAddAControlBufferAfterTheCheck) {
  SocketPair p;
  int64_t h = domain("conf.msg.recv_race", SDRAD_POLICY_INTEGRITY | SDRAD_POLICY_SYSCALLS_EPERM);
  InDomain<RecvB> d(h);
  d.b->sock = p.sv[1];
  d.b->flags = MSG_DONTWAIT;
  int before = dev_null_fds();
  struct msghdr *m = &d.b->m;
  void *control = d.b->control;
  std::atomic<bool> stop{false};
  std::thread flipper([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      ((volatile struct msghdr *)m)->msg_control = control;
      ((volatile struct msghdr *)m)->msg_controllen = CMSG_SPACE(sizeof(int));
      ((volatile struct msghdr *)m)->msg_control = nullptr;
      ((volatile struct msghdr *)m)->msg_controllen = 0;
    }
  });
  int received = 0, with_descriptor = 0;
  for (int round = 0; round < 40; round++) {
    for (int i = 0; i < 50; i++) send_a_descriptor(p.sv[0]);
    ASSERT_EQ(d.run([](RecvB *b) {
      b->got_control = 0;
      b->r = 0;
      for (int i = 0; i < 400 && b->r < 50; i++) {
        b->v = {b->data, 1};
        b->m.msg_iov = &b->v;
        b->m.msg_iovlen = 1;
        b->m.msg_name = nullptr;
        b->m.msg_namelen = 0;
        memset(b->control, 0, sizeof(b->control));
        long n = raw3(SYS_recvmsg, b->sock, (long)&b->m, MSG_DONTWAIT);
        if (n == 1) {
          b->r++;
          // Only the kernel writes the control buffer (the other thread
          // changes the msghdr, not this).
          const struct cmsghdr *c = (const struct cmsghdr *)b->control;
          if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) b->got_control++;
        }
      }
    }), 0);
    received += (int)d.b->r;
    with_descriptor += (int)d.b->got_control;
    for (Received r = root_receive(p.sv[1]); r.n > 0; r = root_receive(p.sv[1]))
      if (r.fd >= 0) close(r.fd);  // what the domain left: root's to close
  }
  stop = true;
  flipper.join();
  EXPECT_GT(received, 0);
  EXPECT_EQ(with_descriptor, 0) << with_descriptor << " of " << received << " messages arrived with a descriptor";
  EXPECT_EQ(dev_null_fds(), before) << "descriptors received by the domain are in root's table";
}

TEST_F(ConfinementMsg, DomainReceivesDataAndFlagsOnAUnixSocket) {
  SocketPair p;
  send_a_descriptor(p.sv[0]);
  int64_t h = domain("conf.msg.recv_plain");
  int before = dev_null_fds();
  InDomain<RecvB> d(h);
  d.b->sock = p.sv[1];
  ASSERT_EQ(d.run(recv_plain), 0);
  EXPECT_EQ(d.b->r, 1);
  EXPECT_EQ(d.b->data[0], 'd');
  EXPECT_TRUE(d.b->m.msg_flags & MSG_CTRUNC) << "the kernel's report of the dropped descriptor is missing";
  EXPECT_EQ(d.b->m.msg_controllen, 0u);
  EXPECT_EQ(dev_null_fds(), before) << "a descriptor reached root's table";
}

// The runtime makes the call, with its own rights: the buffers must be
// ones the domain may write (it was the kernel's EFAULT under PKU, and no
// check at all without it).
TEST_F(ConfinementMsg, DomainCannotRecvmsgIntoRootMemory) {
  SocketPair p;
  ASSERT_EQ(write(p.sv[0], "abcdefgh", 8), 8);
  memset(g_root_buffer, 0, sizeof(g_root_buffer));
  int64_t h = domain("conf.msg.recv_root");
  InDomain<RecvB> d(h);
  d.b->sock = p.sv[1];
  d.b->target = (uintptr_t)g_root_buffer;
  ASSERT_EQ(d.run(recv_plain), 0);
  EXPECT_EQ(d.b->r, -EFAULT);
  EXPECT_EQ(g_root_buffer[0], 0) << "the domain's recvmsg wrote root memory";
}

TEST_F(ConfinementMsg, DomainRecvmsgWaitsForData) {
  SocketPair p;
  int64_t h = domain("conf.msg.recv_wait");
  InDomain<RecvB> d(h);
  d.b->sock = p.sv[1];
  std::thread sender([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    EXPECT_EQ(write(p.sv[0], "w", 1), 1);
  });
  ASSERT_EQ(d.run(recv_plain), 0);
  sender.join();
  EXPECT_EQ(d.b->r, 1);
  EXPECT_EQ(d.b->data[0], 'w');
}

TEST_F(ConfinementMsg, DomainRecvmsgHonoursSoRcvtimeo) {
  SocketPair p;
  struct timeval tv = {0, 50 * 1000};
  ASSERT_EQ(setsockopt(p.sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
  int64_t h = domain("conf.msg.recv_rcvtimeo");
  InDomain<RecvB> d(h);
  d.b->sock = p.sv[1];
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(d.run(recv_plain), 0);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(d.b->r, -EAGAIN);
  EXPECT_GE(ms, 45);
}

TEST_F(ConfinementMsg, DomainRecvmsgPastItsTimeLimitIsATimeout) {
  SocketPair p;
  int64_t h = domain("conf.msg.recv_timeout");
  ASSERT_EQ(sdrad_set_timeout(h, 100), 0);
  InDomain<RecvB> d(h);
  d.b->sock = p.sv[1];
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(d.run(recv_plain), SDRAD_FAULT_TIMEOUT);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(ms, 5000);
  ASSERT_EQ(sdrad_set_timeout(h, 0), 0);
}

// Control messages on sockets that cannot carry descriptors are the
// domain's: recvmsg there is the kernel's, with the domain's rights.
TEST_F(ConfinementMsg, DomainReceivesControlMessagesOnAnInetSocket) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  if (s < 0) GTEST_SKIP() << "no UDP socket here";
  struct sockaddr_in a = {};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  int on = 1;
  if (bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 || getsockname(s, (struct sockaddr *)&a, &len) != 0 ||
      setsockopt(s, SOL_SOCKET, SO_TIMESTAMP, &on, sizeof(on)) != 0 ||
      sendto(s, "u", 1, 0, (struct sockaddr *)&a, sizeof(a)) != 1) {
    close(s);
    GTEST_SKIP() << "no loopback UDP here";
  }
  struct CtlB {
    struct msghdr m;
    struct iovec v;
    char data[4];
    alignas(struct cmsghdr) char control[64];
    long r, sock, type;
  };
  int64_t h = domain("conf.msg.recv_inet");
  InDomain<CtlB> d(h);
  d.b->sock = s;
  ASSERT_EQ(d.run([](CtlB *b) {
    memset(&b->m, 0, sizeof(b->m));
    b->v = {b->data, sizeof(b->data)};
    b->m.msg_iov = &b->v;
    b->m.msg_iovlen = 1;
    b->m.msg_control = b->control;
    b->m.msg_controllen = sizeof(b->control);
    b->r = raw3(SYS_recvmsg, b->sock, (long)&b->m, 0);
    struct cmsghdr *c = b->r == 1 ? CMSG_FIRSTHDR(&b->m) : nullptr;
    b->type = c ? c->cmsg_type : -1;
  }), 0);
  EXPECT_EQ(d.b->r, 1);
  EXPECT_EQ(d.b->type, SCM_TIMESTAMP);
  close(s);
}

// --- mprotect of the domain's own mappings --------------------------------
namespace {
struct MapB {
  long r, r2;
  uintptr_t addr;
};
}  // namespace

TEST_F(ConfinementMsg, DomainMprotectsItsOwnMapping) {
  int64_t h = domain("conf.mprotect.own");
  InDomain<MapB> d(h);
  ASSERT_EQ(d.run([](MapB *b) {
    long m = raw_mmap(2 * 4096, PROT_READ | PROT_WRITE);
    if (mmap_failed(m)) return;
    b->addr = (uintptr_t)m;
    b->r = raw3(SYS_mprotect, m + 4096, 4096, PROT_READ);
    b->r2 = raw3(SYS_mprotect, m, 2 * 4096, PROT_READ | PROT_WRITE);
    *(volatile char *)(m + 4096) = 1;
  }), 0);
  EXPECT_NE(d.b->addr, 0u);
  EXPECT_EQ(d.b->r, 0);
  EXPECT_EQ(d.b->r2, 0);
}

TEST_F(ConfinementMsg, DomainWriteToItsReadOnlyMappingIsASegv) {
  int64_t h = domain("conf.mprotect.ro");
  InDomain<MapB> d(h);
  EXPECT_EQ(d.run([](MapB *b) {
    long m = raw_mmap(4096, PROT_READ | PROT_WRITE);
    if (mmap_failed(m)) return;
    b->r = raw3(SYS_mprotect, m, 4096, PROT_READ);
    if (b->r == 0) *(volatile char *)m = 1;
  }), SDRAD_FAULT_SEGV);
}

TEST_F(ConfinementMsg, DomainCannotMprotectPastItsMapping) {
  int64_t h = domain("conf.mprotect.past");
  InDomain<MapB> d(h);
  EXPECT_EQ(d.run([](MapB *) {
    long m = raw_mmap(4096, PROT_READ | PROT_WRITE);
    if (mmap_failed(m)) return;
    raw3(SYS_mprotect, m, 2 * 4096, PROT_READ);
  }), SDRAD_FAULT_SYSCALL);
}

TEST_F(ConfinementMsg, DomainCannotMprotectItsMappingExecutable) {
  int64_t h = domain("conf.mprotect.exec");
  InDomain<MapB> d(h);
  EXPECT_EQ(d.run([](MapB *) {
    long m = raw_mmap(4096, PROT_READ | PROT_WRITE);
    if (mmap_failed(m)) return;
    raw3(SYS_mprotect, m, 4096, PROT_READ | PROT_EXEC);
  }), SDRAD_FAULT_SYSCALL);
}

TEST_F(ConfinementMsg, DomainCannotMprotectRootsMapping) {
  void *root = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(root, MAP_FAILED);
  int64_t h = domain("conf.mprotect.root");
  InDomain<MapB> d(h);
  d.b->addr = (uintptr_t)root;
  EXPECT_EQ(d.run([](MapB *b) { raw3(SYS_mprotect, (long)b->addr, 4096, PROT_READ); }), SDRAD_FAULT_SYSCALL);
  *(volatile char *)root = 1;  // still writable
  munmap(root, 4096);
}

// A msghdr pointer into nothing: the kernel's answer (EFAULT), not a
// fault of the runtime that reads it for the policy.
TEST_F(ConfinementMsg, DomainRecvmsgWithAnUnmappedMsghdrGetsEfault) {
  SocketPair p;
  int64_t h = domain("conf.msg.recv_unmapped");
  InDomain<RecvB> d(h);
  d.b->sock = p.sv[1];
  ASSERT_EQ(d.run([](RecvB *b) { b->r = raw3(SYS_recvmsg, b->sock, 16, MSG_DONTWAIT); }), 0);
  EXPECT_EQ(d.b->r, -EFAULT);
}

TEST_F(ConfinementMsg, DomainSendmsgWithAnUnmappedMsghdrGetsEfault) {
  SocketPair p;
  int64_t h = domain("conf.msg.send_unmapped");
  InDomain<SendB> d(h);
  d.b->sock = p.sv[0];
  ASSERT_EQ(d.run([](SendB *b) { b->r = raw3(SYS_sendmsg, b->sock, 16, MSG_DONTWAIT); }), 0);
  EXPECT_EQ(d.b->r, -EFAULT);
}
