/*
 * init.c - the /init of the PKU lane's initramfs (see docs/pku-lane.md).
 *
 * Runs as PID 1 in a QEMU guest whose CPU has protection keys (TCG,
 * -cpu max).  It mounts the pseudo file systems, reports whether the CPU
 * and kernel offer protection keys, runs every test listed in
 * /sdrad/manifest with a timeout, prints one machine-parsable line per test
 * on the console and powers the machine off.
 *
 * Lines it prints (the host script run-pku-lane.sh parses them):
 *   SDRAD-PKU-BOOT kernel=<release> cpus=<n>
 *   SDRAD-PKU-CPU pku=<0|1> ospke=<0|1> pkey_alloc=<key|-errno> fault=<ok|...>
 *   SDRAD-PKU-START <name>
 *   SDRAD-PKU-RESULT <name> <exit-code> ms=<elapsed>
 *      exit-code: the test's exit status, 128+N when killed by signal N,
 *      124 when it ran past its timeout, 125 when the guest's time budget
 *      was spent before it could start, 127 when it could not be started
 *   SDRAD-PKU-DONE total=<n> failed=<n>
 *
 * Manifest, one test per line, fields separated by single spaces:
 *   <name> <timeout-seconds> [VAR=VALUE ...] <path> [arg ...]
 * Lines starting with '#' and empty lines are ignored.  No quoting: the
 * host script never writes arguments containing spaces.
 *
 * Kernel command line: sdrad.budget=<seconds> bounds the whole run; each
 * test's timeout is cut to what is left, and tests that no longer fit are
 * reported with exit code 125 without being started.
 *
 * Static, C only, no dependency on the project.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS 64
#define MAX_LINE 4096

static void say(const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (n > (int)sizeof buf - 2) n = sizeof buf - 2;
  buf[n++] = '\n';
  /* One write per line so that lines from the tests do not split ours. */
  ssize_t off = 0;
  while (off < n) {
    ssize_t w = write(1, buf + off, n - off);
    if (w <= 0) break;
    off += w;
  }
}

static void power_off(void) {
  sync();
  reboot(RB_POWER_OFF);
  /* Still here: let the kernel panic (the host passes panic=-1 and
   * -no-reboot, so QEMU exits either way). */
  for (;;) pause();
}

static void setup_console(void) {
  mkdir("/dev", 0755);
  mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
  int fd = open("/dev/console", O_RDWR | O_NOCTTY);
  if (fd < 0) fd = open("/dev/ttyS0", O_RDWR | O_NOCTTY);
  if (fd >= 0) {
    for (int i = 0; i < 3; i++)
      if (fd != i) dup2(fd, i);
    if (fd > 2) close(fd);
  }
}

static int dir_is_empty(const char *path) {
  DIR *d = opendir(path);
  if (!d) return 1;
  struct dirent *e;
  int empty = 1;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) empty = 0;
  closedir(d);
  return empty;
}

static void setup_mounts(void) {
  mkdir("/proc", 0555);
  mkdir("/sys", 0555);
  mkdir("/tmp", 01777);
  mkdir("/dev/shm", 01777);
  if (mount("proc", "/proc", "proc", 0, NULL) != 0) say("SDRAD-PKU-WARN mount /proc: %s", strerror(errno));
  if (mount("sysfs", "/sys", "sysfs", 0, NULL) != 0) say("SDRAD-PKU-WARN mount /sys: %s", strerror(errno));
  /* The initramfs itself is writable.  A tmpfs over /tmp would hide what
   * the harness put there: programs, libraries and inputs that live under
   * a temporary directory on the host keep their paths in the guest. */
  if (dir_is_empty("/tmp")) mount("tmpfs", "/tmp", "tmpfs", 0, "mode=1777");
  mount("tmpfs", "/dev/shm", "tmpfs", 0, "mode=1777");
}

/* 1 if the word appears in a "flags" line of /proc/cpuinfo. */
static int cpu_flag(const char *word) {
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (!f) return 0;
  char line[MAX_LINE];
  int found = 0;
  size_t wl = strlen(word);
  while (!found && fgets(line, sizeof line, f)) {
    if (strncmp(line, "flags", 5) != 0) continue;
    for (char *p = strstr(line, word); p; p = strstr(p + 1, word)) {
      char before = p == line ? ' ' : p[-1];
      char after = p[wl];
      if ((before == ' ' || before == '\t') && (after == ' ' || after == '\n' || after == 0)) {
        found = 1;
        break;
      }
    }
  }
  fclose(f);
  return found;
}

/* The kernel's own check that a write to a write-disabled key faults with
 * SEGV_PKUERR: run in a child so that nothing in init depends on it. */
static volatile sig_atomic_t g_code, g_pkey;
static void on_segv(int sig, siginfo_t *si, void *uc) {
  (void)sig; (void)uc;
  g_code = si->si_code;
#ifdef si_pkey
  g_pkey = si->si_pkey;
#endif
  _exit(g_code == 4 /* SEGV_PKUERR */ ? 0 : 10);
}

static const char *pku_fault_check(int key) {
  pid_t pid = fork();
  if (pid < 0) return "fork-failed";
  if (pid == 0) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) _exit(11);
    if (syscall(SYS_pkey_mprotect, page, 4096, PROT_READ | PROT_WRITE, key) != 0) _exit(12);
    /* PKRU: bit 2k = access disable, bit 2k+1 = write disable. */
    uint32_t pkru = 2u << (2 * key);
    __asm__ volatile(".byte 0x0f,0x01,0xef" ::"a"(pkru), "c"(0), "d"(0) : "memory");
    *(volatile char *)page = 1;
    _exit(13); /* the write went through */
  }
  int st = 0;
  waitpid(pid, &st, 0);
  if (WIFEXITED(st)) {
    switch (WEXITSTATUS(st)) {
      case 0: return "ok";
      case 10: return "wrong-si-code";
      case 11: return "mmap-failed";
      case 12: return "pkey_mprotect-failed";
      case 13: return "not-blocked";
    }
    return "unexpected-exit";
  }
  return "child-killed";
}

static void report_cpu(void) {
  struct utsname u;
  if (uname(&u) == 0) say("SDRAD-PKU-BOOT kernel=%s cpus=%ld", u.release, sysconf(_SC_NPROCESSORS_ONLN));
  int pku = cpu_flag("pku"), ospke = cpu_flag("ospke");
  long key = syscall(SYS_pkey_alloc, 0, 0);
  int alloc = key >= 0 ? (int)key : -errno;
  const char *fault = key >= 0 ? pku_fault_check((int)key) : "skipped";
  if (key >= 0) syscall(SYS_pkey_free, (int)key);
  say("SDRAD-PKU-CPU pku=%d ospke=%d pkey_alloc=%d fault=%s", pku, ospke, alloc, fault);
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Runs one test; returns its exit code as described above. */
/* Its stdin is /dev/null, or the file named by SDRAD_PKU_STDIN=<path> in
 * its manifest line (not passed on as an environment variable). */
static int run_test(const char *name, int timeout_s, char **envp_extra, int nenv, char **argv) {
  say("SDRAD-PKU-START %s", name);
  double t0 = now_ms();
  pid_t pid = fork();
  if (pid < 0) return 127;
  if (pid == 0) {
    setpgid(0, 0);
    chdir("/tmp");
    const char *in = "/dev/null";
    for (int i = 0; i < nenv; i++) {
      if (strncmp(envp_extra[i], "SDRAD_PKU_STDIN=", 16) == 0)
        in = envp_extra[i] + 16;
      else
        putenv(envp_extra[i]);
    }
    int fd = open(in, O_RDONLY);
    if (fd < 0) {
      say("SDRAD-PKU-WARN %s: cannot open %s as stdin: %s", name, in, strerror(errno));
      _exit(127);
    }
    if (fd != 0) {
      dup2(fd, 0);
      close(fd);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execv(argv[0], argv);
    say("SDRAD-PKU-WARN exec %s: %s", argv[0], strerror(errno));
    _exit(127);
  }
  setpgid(pid, pid);
  int code = -1;
  double deadline = t0 + timeout_s * 1e3;
  for (;;) {
    int st = 0;
    pid_t w = waitpid(-1, &st, WNOHANG);
    if (w == pid) {
      if (WIFEXITED(st)) code = WEXITSTATUS(st);
      else if (WIFSIGNALED(st)) code = 128 + WTERMSIG(st);
      else continue;
      break;
    }
    if (w > 0) continue; /* an orphan reparented to us */
    if (now_ms() > deadline) {
      say("SDRAD-PKU-WARN %s: timeout after %d s, killing it", name, timeout_s);
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      waitpid(pid, &st, 0);
      code = 124;
      break;
    }
    struct timespec ts = {0, 5 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  /* Whatever the test left behind in its process group goes too. */
  kill(-pid, SIGKILL);
  while (waitpid(-1, NULL, WNOHANG) > 0) {}
  say("SDRAD-PKU-RESULT %s %d ms=%.0f", name, code, now_ms() - t0);
  return code;
}

static double g_t0, g_budget_ms;  /* budget 0: none */

static void read_budget(void) {
  FILE *f = fopen("/proc/cmdline", "r");
  char line[MAX_LINE];
  if (!f) return;
  if (fgets(line, sizeof line, f)) {
    char *p = strstr(line, "sdrad.budget=");
    if (p) g_budget_ms = atof(p + strlen("sdrad.budget=")) * 1e3;
  }
  fclose(f);
}

static void run_manifest(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) {
    say("SDRAD-PKU-WARN no manifest %s: %s", path, strerror(errno));
    say("SDRAD-PKU-DONE total=0 failed=0");
    return;
  }
  int total = 0, failed = 0;
  char line[MAX_LINE];
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\r\n")] = 0;
    if (line[0] == 0 || line[0] == '#') continue;
    char *tok[MAX_ARGS + 3];
    int n = 0;
    for (char *s = strtok(line, " \t"); s && n < MAX_ARGS + 2; s = strtok(NULL, " \t")) tok[n++] = s;
    if (n < 3) {
      say("SDRAD-PKU-WARN bad manifest line (%d fields)", n);
      continue;
    }
    const char *name = tok[0];
    int timeout_s = atoi(tok[1]);
    if (timeout_s <= 0) timeout_s = 60;
    int i = 2;
    char *env[MAX_ARGS];
    int nenv = 0;
    while (i < n && tok[i][0] != '/' && strchr(tok[i], '=')) env[nenv++] = strdup(tok[i++]);
    if (i >= n) {
      say("SDRAD-PKU-WARN manifest line for %s has no program", name);
      continue;
    }
    char *argv[MAX_ARGS + 1];
    int argc = 0;
    while (i < n && argc < MAX_ARGS) argv[argc++] = tok[i++];
    argv[argc] = NULL;
    total++;
    if (g_budget_ms > 0) {
      double left_ms = g_budget_ms - (now_ms() - g_t0);
      if (left_ms < 1000) {
        say("SDRAD-PKU-WARN %s: not started, the guest's time budget is spent", name);
        say("SDRAD-PKU-RESULT %s 125 ms=0", name);
        failed++;
        continue;
      }
      if (timeout_s * 1e3 > left_ms) timeout_s = (int)(left_ms / 1e3);
    }
    if (run_test(name, timeout_s, env, nenv, argv) != 0) failed++;
  }
  fclose(f);
  say("SDRAD-PKU-DONE total=%d failed=%d", total, failed);
}

int main(void) {
  setup_console();
  setup_mounts();
  setenv("PATH", "/sdrad/bin:/bin", 1);
  setenv("HOME", "/tmp", 1);
  setenv("TMPDIR", "/tmp", 1);
  setenv("TERM", "dumb", 1);
  setenv("GTEST_COLOR", "no", 1);
  /* The kernel hands init a console in raw-ish mode; nothing to set. */
  g_t0 = now_ms();
  read_budget();
  report_cpu();
  run_manifest("/sdrad/manifest");
  power_off();
  return 0;
}
