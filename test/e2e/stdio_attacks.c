/* stdio_attacks.c - memory bugs inside an isolated function aimed at glibc's
 * stdio state (key 0, writable by every domain under PKU), to make root run
 * the attacker's function.  No code execution inside the domain: the bug is
 * a write-what-where driven by the request (a record update that trusts the
 * client's field pointer), and the attacker's other bytes are the request
 * itself, which root received into its own buffer.
 *
 *   stdio_attacks wide_jump_table  stdout's jump table aimed at glibc's own
 *                                  _IO_wfile_jumps (accepted by glibc's vtable
 *                                  check) and its _wide_data at the request's
 *                                  bytes, whose wide jump table (never checked
 *                                  by glibc) names the attacker's function:
 *                                  root's next puts would call it
 *   stdio_attacks forged_io_list   a FILE forged in the request's bytes linked
 *                                  at the head of _IO_list_all: exit's flush
 *                                  would call the attacker's function
 *
 * Either way the domain's exit must be a fault (root-state-tampered), stdio
 * must be as before, and the attacker's function must never run.
 */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <wchar.h>

#include "e2e.h"
#include "forged_file.h"


struct patch { /* one field update of a client's request */
  void *where; /* attacker-controlled: the bug trusts it */
  uintptr_t what;
};
struct request {
  unsigned count;
  struct patch patches[2];
};

/* Applies the client's field updates to a record without checking where
 * the field is (the bug). */
SDRAD_ISOLATE("records", fallback_value(-1))
int apply_updates(SDRAD_IN(1) const struct request *rq) {
  for (unsigned i = 0; i < rq->count && i < 2; ++i)
    *(uintptr_t *)rq->patches[i].where = rq->patches[i].what;
  return (int)rq->count;
}

/* The attacker's function: reached only if root calls it. */
__attribute__((noinline, used)) static int attacker(FILE *f) {
  (void)f;
  static const char msg[] = "stdio_attacks: root called the attacker's function\n";
  ssize_t w = write(2, msg, sizeof msg - 1);
  (void)w;
  _exit(3);
}

/* What root received from the client (root memory): the fake structures. */
static uintptr_t g_received[256] __attribute__((aligned(64)));

static int wide_jump_table(void) {
  printf("stdio_attacks: root prints first\n"); /* stdout narrow and buffered */
  fflush(stdout);
  void **vtable_slot = (void **)((char *)stdout + sizeof(FILE));
  void *vtable_before = *vtable_slot;
  void *wide_before = stdout->_wide_data;
  uintptr_t *fake_wide = g_received, *fake_table = g_received + 64;
  fake_table[kDoallocateSlot] = (uintptr_t)&attacker;
  fake_wide[kWideVtableWord] = (uintptr_t)fake_table;
  struct request rq = {2, {{&stdout->_wide_data, (uintptr_t)fake_wide}, {vtable_slot, (uintptr_t)_IO_wfile_jumps}}};
  int r = apply_updates(&rq);
  int kind = take_fault();
  CHECK(*vtable_slot == vtable_before, "stdout's jump table is still the domain's after the call");
  CHECK((void *)stdout->_wide_data == wide_before, "stdout's wide data is still the domain's after the call");
  CHECK_EQ(r, -1);
  CHECK_EQ(kind, SDRAD_FAULT_ROOT_STATE);
  puts("stdio_attacks: root prints after the domain's call"); /* would call attacker() */
  fflush(stdout);
  /* A benign update (of a record in memory the domain may write: key 0)
   * still works. */
  uintptr_t *field = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(field != MAP_FAILED, "mmap");
  struct request ok = {1, {{field, 7}}};
  CHECK_EQ(apply_updates(&ok), 1);
  CHECK_EQ(*field, 7);
  return 0;
}

static int forged_io_list(void) {
  fflush(stdout);
  FILE *head_before = _IO_list_all;
  FILE *f = forge_wide_file(g_received, 64, 128, head_before, (const void *)&attacker);
  struct request rq = {1, {{&_IO_list_all, (uintptr_t)f}}};
  int r = apply_updates(&rq);
  int kind = take_fault();
  /* The runtime cuts the list at a forged link (stdio.cpp): nothing after
   * it is trusted, so the head is not the forged FILE any more. */
  CHECK(_IO_list_all != f, "_IO_list_all still starts with the domain's FILE after the call");
  CHECK_EQ(r, -1);
  CHECK_EQ(kind, SDRAD_FAULT_ROOT_STATE);
  return 0; /* exit's flush walks _IO_list_all: would call attacker() */
}

int main(int argc, char **argv) {
  const char *what = argc > 1 ? argv[1] : "";
  int r;
  if (!strcmp(what, "wide_jump_table")) r = wide_jump_table();
  else if (!strcmp(what, "forged_io_list")) r = forged_io_list();
  else {
    fprintf(stderr, "usage: %s wide_jump_table|forged_io_list\n", argv[0]);
    return 2;
  }
  if (r == 0) printf("stdio_attacks %s: OK (backend %s)\n", what, sdrad_backend_name());
  fflush(stdout); /* a cut stream list no longer reaches stdout at exit */
  return r;
}
