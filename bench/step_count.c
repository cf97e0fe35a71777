// step_count: instructions executed by one call of a function, counted by
// single-stepping it with ptrace (for code valgrind cannot run, such as
// WRPKRU under real protection keys).
//   step_count FUNC_OFFSET PROGRAM [ARGS...]
// FUNC_OFFSET: the function's address in the executable file (hex, as nm
// prints it; the executable is position-independent).  The first call of
// the function is counted, from its first instruction to its return.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

static uintptr_t exe_base(pid_t pid, const char *exe) {
  char path[64], line[512], real[4096];
  if (!realpath(exe, real)) return 0;
  snprintf(path, sizeof path, "/proc/%d/maps", pid);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  uintptr_t base = 0;
  while (fgets(line, sizeof line, f)) {
    uintptr_t lo, off;
    char perms[8], file[4096] = "";
    if (sscanf(line, "%lx-%*x %7s %lx %*s %*s %4095s", &lo, perms, &off, file) >= 3 && off == 0 &&
        strcmp(file, real) == 0) {
      base = lo;
      break;
    }
  }
  fclose(f);
  return base;
}

// Resumes the program (`how`: PTRACE_CONT or PTRACE_SINGLESTEP) until its
// next SIGTRAP stop.  The program's own signals are delivered on the way
// (a delivery executes none of its instructions) and counted in *passed.
static void resume_to_trap(pid_t pid, int how, const char *where, unsigned long *passed) {
  int sig = 0;
  for (;;) {
    ptrace(how, pid, 0, sig);
    int st;
    waitpid(pid, &st, 0);
    if (WIFEXITED(st) || WIFSIGNALED(st)) {
      fprintf(stderr, "step_count: the program ended %s\n", where);
      exit(1);
    }
    sig = WSTOPSIG(st);
    if (sig == SIGTRAP) return;
    ++*passed;
  }
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s FUNC_OFFSET PROGRAM [ARGS...]\n", argv[0]);
    return 2;
  }
  uintptr_t off = strtoul(argv[1], NULL, 16);
  pid_t pid = fork();
  if (pid == 0) {
    ptrace(PTRACE_TRACEME, 0, 0, 0);
    execv(argv[2], argv + 2);
    _exit(127);
  }
  int st;
  waitpid(pid, &st, 0);  // stopped at the exec
  ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_EXITKILL);
  uintptr_t fn = exe_base(pid, argv[2]) + off;
  if (fn == off) {
    fprintf(stderr, "step_count: the executable's mapping was not found\n");
    return 1;
  }
  long orig = ptrace(PTRACE_PEEKTEXT, pid, fn, 0);
  ptrace(PTRACE_POKETEXT, pid, fn, (orig & ~0xffL) | 0xcc);
  struct user_regs_struct r;
  unsigned long n = 0, passed = 0;
  do {
    resume_to_trap(pid, PTRACE_CONT, "before the function ran", &passed);
    ptrace(PTRACE_GETREGS, pid, 0, &r);
  } while (r.rip != fn + 1);
  ptrace(PTRACE_POKETEXT, pid, fn, orig);
  r.rip = fn;
  ptrace(PTRACE_SETREGS, pid, 0, &r);
  uintptr_t ret = ptrace(PTRACE_PEEKDATA, pid, r.rsp, 0), sp = r.rsp + 8;
  passed = 0;
  do {
    resume_to_trap(pid, PTRACE_SINGLESTEP, "inside the function", &passed);
    ++n;
    ptrace(PTRACE_GETREGS, pid, 0, &r);
  } while (r.rip != ret || r.rsp != sp);
  printf("%lu\n", n);
  if (passed) fprintf(stderr, "step_count: %lu signals delivered inside the function\n", passed);
  kill(pid, SIGKILL);
  waitpid(pid, &st, 0);
  return 0;
}
