/* key0_libc_attacks.c - memory bugs inside an isolated function aimed at
 * glibc state that root relies on later (key 0, writable by every domain
 * under PKU).  No code execution inside the domain: a write-what-where
 * driven by the request (a record update that trusts the client's field
 * pointers); the attacker's other bytes are the request itself, which root
 * received into its own buffers.
 *
 *   key0_libc_attacks forged_stdout_lock      stdout's lock written as held
 *                         twice by a made-up thread: root's next printf
 *                         would wait forever
 *   key0_libc_attacks exit_entry_counted_in   an entry written into glibc's
 *                         exit-handler block (mangled with the pointer
 *                         guard, which the attacker knows) and counted in:
 *                         exit would run the attacker's function
 *   key0_libc_attacks forged_file_in_root_heap  a FILE forged in a root heap
 *                         buffer (what root received) linked at the head of
 *                         _IO_list_all: exit's flush would call the
 *                         attacker's function
 *
 * Each time the domain's exit must be a fault (root-state-tampered), the
 * state must be as before, and the attacker's function must never run.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2e.h"
#include "forged_file.h"
#include "../../runtime/src/asm_offsets.h"

/* glibc facts (2.36, x86-64): the pointer guard's TCB word and the
 * mangling rotation, exit-handler flavor ef_cxa (the FILE's: forged_file.h). */
enum { kEfCxa = 4 };
/* Where glibc's exit-handler list head is: the runtime found it (its shared
 * page, SharedPage::exit_head_addr at SP_EXIT_HEAD; an attacker finds it by the same
 * scan the runtime does). */
extern const char sdrad_shared_page_bytes[] __asm__("sdrad_shared_page");
static uint64_t *exit_count(void) {
  uintptr_t head = *(const uintptr_t *)(sdrad_shared_page_bytes + SP_EXIT_HEAD);
  return head ? (uint64_t *)(*(const uintptr_t *)head + 8) : NULL; /* the head block's idx */
}

struct patch { /* one field update of a client's request */
  void *where; /* attacker-controlled: the bug trusts it */
  uintptr_t what;
};
struct request {
  unsigned count;
  struct patch patches[3];
};

SDRAD_ISOLATE("records", fallback_value(-1))
int apply_updates(SDRAD_IN(1) const struct request *rq) {
  for (unsigned i = 0; i < rq->count && i < 3; ++i)
    *(uintptr_t *)rq->patches[i].where = rq->patches[i].what;
  return (int)rq->count;
}

__attribute__((noinline, used)) static int attacker(void) {
  static const char msg[] = "key0_libc_attacks: root called the attacker's function\n";
  ssize_t w = write(2, msg, sizeof msg - 1);
  (void)w;
  _exit(3);
}

static int forged_stdout_lock(void) {
  printf("key0_libc_attacks: root prints first\n");
  fflush(stdout);
  uintptr_t *lock = (uintptr_t *)stdout->_lock; /* {int lock, int cnt}, owner */
  struct request rq = {2, {{&lock[1], 0x1000}, {&lock[0], 2 | (uintptr_t)2 << 32}}};
  int r = apply_updates(&rq);
  int kind = take_fault();
  CHECK(lock[0] == 0 && lock[1] == 0, "stdout's lock is still held by the made-up thread after the call");
  CHECK_EQ(r, -1);
  CHECK_EQ(kind, SDRAD_FAULT_ROOT_STATE);
  printf("key0_libc_attacks: root prints after the domain's call\n"); /* would wait forever */
  return 0;
}

static uintptr_t mangle(uintptr_t p) {
  uintptr_t guard;
  __asm__("movq %%fs:0x30, %0" : "=r"(guard));
  uintptr_t m = p ^ guard;
  return (m << 0x11) | (m >> (64 - 0x11));
}

static int exit_entry_counted_in(void) {
  uint64_t *count = exit_count();
  if (!count) {
    printf("key0_libc_attacks exit_entry_counted_in: skipped (the runtime did not find glibc's exit-handler list)\n");
    return 0;
  }
  uint64_t idx = *count;
  uintptr_t *entry = (uintptr_t *)(count + 1) + 4 * idx; /* fns[idx]: flavor, fn, arg, dso */
  struct request rq = {3, {{&entry[0], kEfCxa}, {&entry[1], mangle((uintptr_t)&attacker)}, {(void *)count, idx + 1}}};
  int r = apply_updates(&rq);
  int kind = take_fault();
  CHECK(*count == idx, "glibc's exit-handler count is still the domain's after the call");
  CHECK(entry[0] == 0, "the domain's exit-handler entry is still in use after the call");
  CHECK_EQ(r, -1);
  CHECK_EQ(kind, SDRAD_FAULT_ROOT_STATE);
  return 0; /* exit runs the list: would call attacker() */
}

static int forged_file_in_root_heap(void) {
  fflush(stdout);
  uintptr_t *received = malloc(1024); /* what root received: a root heap buffer */
  CHECK(received != NULL, "malloc");
  memset(received, 0, 1024);
  FILE *head_before = _IO_list_all;
  FILE *f = forge_wide_file(received, 32, 96, head_before, (const void *)&attacker);
  struct request rq = {1, {{&_IO_list_all, (uintptr_t)f}}};
  int r = apply_updates(&rq);
  int kind = take_fault();
  CHECK(_IO_list_all != f, "_IO_list_all still starts with the forged FILE after the call");
  CHECK_EQ(r, -1);
  CHECK_EQ(kind, SDRAD_FAULT_ROOT_STATE);
  return 0; /* exit's flush walks _IO_list_all: would call attacker() */
}

int main(int argc, char **argv) {
  const char *what = argc > 1 ? argv[1] : "";
  int r;
  if (!strcmp(what, "forged_stdout_lock")) r = forged_stdout_lock();
  else if (!strcmp(what, "exit_entry_counted_in")) r = exit_entry_counted_in();
  else if (!strcmp(what, "forged_file_in_root_heap")) r = forged_file_in_root_heap();
  else {
    fprintf(stderr, "usage: %s forged_stdout_lock|exit_entry_counted_in|forged_file_in_root_heap\n", argv[0]);
    return 2;
  }
  if (r == 0) printf("key0_libc_attacks %s: OK (backend %s)\n", what, sdrad_backend_name());
  fflush(stdout);
  return r;
}
