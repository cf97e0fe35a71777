/* boundary.c - memory bugs inside isolated functions that aim at the
 * runtime's own boundary (docs/threat-model.md, "the runtime's boundary").
 * No code execution: every attack is a buffer overflow or a write-what-where
 * with attacker-chosen bytes, as a request parser's bug would give.
 *
 *   boundary nested_out    a heap overflow in domain "outer" corrupts the
 *                          pointer it passes as the SDRAD_OUT buffer of a
 *                          nested isolated call; the copy-back would write
 *                          the root global the attacker chose.  The buffer
 *                          travels in the call's block, so the thunk (code
 *                          of "outer", with its rights) copies it back: a
 *                          key violation of "outer" under PKU.  Without
 *                          PKU nothing stops a domain's own writes
 *                          (docs/threat-model.md): checked only with PKU.
 *   boundary clear_ts      a write-what-where clears the runtime's thread
 *                          state pointer (TLS), then an ordinary nested call
 *                          and a second write aimed at a root global
 *   boundary tls_canary    a write-what-where into the TLS stack-protector
 *                          canary; root's next protected function returns
 *   boundary exit_handlers a write-what-where aims libc's exit-handler list
 *                          head at a list the attacker prepared: root would
 *                          run its function at exit
 *   boundary slot_layout   (run with SDRAD_HEAP_SIZE=104857600) a new
 *                          instance's memory must not land on another's heap
 */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "e2e.h"
#include "../../runtime/src/asm_offsets.h"

static char g_root_secret[64] = "root data that no domain may change";

struct request {      /* what a client sends */
  char name[24];
  size_t name_len;    /* attacker-controlled */
  char payload[32];   /* attacker-controlled bytes */
  void *where;        /* for the write-what-where bug */
  unsigned long what;
};

SDRAD_ISOLATE("inner", fallback_value(-1))
int fill_reply(SDRAD_OUT(16) char *out) {
  memset(out, 'X', 16);
  return 0;
}

struct session {      /* lives in the outer domain's heap */
  char name[24];
  char *reply;        /* where the nested call writes its reply */
};

/* Copies the request's name into a heap record without checking its
 * length (the bug), then asks a nested domain for a reply. */
SDRAD_ISOLATE("outer", fallback_value(-2))
int handle_request(SDRAD_IN(1) const struct request *rq) {
  struct session *s = malloc(sizeof *s);
  char *buf = malloc(16);
  s->reply = buf;
  memcpy(s->name, rq->payload, rq->name_len); /* overflows into s->reply */
  return fill_reply(s->reply);
}

static int nested_out(void) {
  char before[64];
  memcpy(before, g_root_secret, sizeof before);
  struct request rq;
  memset(&rq, 0, sizeof rq);
  rq.name_len = 24 + sizeof(char *);
  memset(rq.payload, 'n', 24);
  char *target = g_root_secret;
  memcpy(rq.payload + 24, &target, sizeof target);
  int r = handle_request(&rq);
  int kind = take_fault();
  if (sdrad_backend() == SDRAD_BACKEND_PKU) {
    CHECK(memcmp(before, g_root_secret, sizeof before) == 0,
          "the nested call's copy-back wrote the root global (result %d)", r);
    CHECK_EQ(r, -2);
    CHECK_EQ(kind, SDRAD_FAULT_KEY_VIOLATION);
  } else {
    memcpy(g_root_secret, before, sizeof before);
  }
  /* A benign request still works. */
  rq.name_len = 8;
  CHECK_EQ(handle_request(&rq), 0);
  return 0;
}

/* The runtime's thread-state pointer (hidden TLS symbol of the runtime,
 * reachable here because the runtime is linked statically). */
extern __thread void *_ZN5sdrad4t_tsE __attribute__((tls_model("initial-exec")));

SDRAD_ISOLATE("nested-probe", fallback_value(-1))
int nested_probe(int x) { return x + 1; }

SDRAD_ISOLATE("www", fallback_value(-3))
int write_what_where(SDRAD_IN(1) const struct request *rq, SDRAD_IN(1) const struct request *rq2) {
  *(unsigned long *)rq->where = rq->what;       /* bug #1 */
  int r = nested_probe(1);                      /* an ordinary nested call */
  if (rq2->where) *(unsigned long *)rq2->where = rq2->what; /* bug #2 */
  return r;
}

static int clear_ts(void) {
  char before[64];
  memcpy(before, g_root_secret, sizeof before);
  struct request a, b;
  memset(&a, 0, sizeof a);
  memset(&b, 0, sizeof b);
  a.where = &_ZN5sdrad4t_tsE;
  a.what = 0;
  b.where = g_root_secret;
  b.what = 0x4141414141414141ul;
  int r = write_what_where(&a, &b);
  int kind = take_fault();
  if (sdrad_backend() == SDRAD_BACKEND_PKU) {
    CHECK(memcmp(before, g_root_secret, sizeof before) == 0,
          "the domain wrote root memory after clearing the thread state (result %d)", r);
    CHECK_EQ(r, -3);
    CHECK_EQ(kind, SDRAD_FAULT_KEY_VIOLATION);
  }
  memcpy(g_root_secret, before, sizeof before);
  /* Clearing it and then faulting is still the domain's fault, not a root
   * crash. */
  b.where = (void *)16;
  CHECK_EQ(write_what_where(&a, &b), -3);
  CHECK_EQ(take_fault(), SDRAD_FAULT_SEGV);
  CHECK_EQ(sdrad_depth(), 0);
  CHECK_EQ(nested_probe(41), 42);
  return 0;
}

__attribute__((noinline)) static int protected_root_function(const char *s) {
  char buf[64];
  strncpy(buf, s, sizeof buf - 1);
  buf[sizeof buf - 1] = 0;
  return (int)strlen(buf);
}

static int tls_canary(void) {
  struct request a, b;
  memset(&a, 0, sizeof a);
  memset(&b, 0, sizeof b);
  unsigned long *guard = (unsigned long *)((char *)pthread_self() + 0x28); /* the TCB's stack guard */
  unsigned long before = *guard;
  a.where = guard;
  a.what = 0x4141414141414141ul;
  int r = write_what_where(&a, &b);
  int kind = take_fault();
  CHECK_EQ(r, -3);
  /* Seen when the domain returns, or earlier by its own protected frames. */
  CHECK(kind == SDRAD_FAULT_ROOT_STATE || kind == SDRAD_FAULT_STACK_PROTECTOR, "fault kind %d", kind);
  CHECK(*guard == before, "the TLS canary is still the domain's value");
  /* Root's stack-protected functions still return. */
  CHECK_EQ(protected_root_function("still alive"), 11);
  return 0;
}

/* The exit-handler list head, as the runtime found it (its shared page;
 * offset from asm_offsets.h, checked by a static_assert in the runtime). */
extern char sdrad_shared_page[] __attribute__((visibility("hidden")));

static void pwned(void *arg) {
  (void)arg;
  fprintf(stderr, "the attacker's exit handler ran with root rights\n");
  _exit(3);
}

static unsigned long g_fake_list[2 + 4]; /* attacker-prepared bytes */

static int exit_handlers(void) {
  unsigned long head;
  memcpy(&head, sdrad_shared_page + SP_EXIT_HEAD, sizeof head);
  CHECK(head != 0, "the runtime did not find the exit-handler list");
  unsigned long guard = *(unsigned long *)((char *)pthread_self() + 0x30);
  unsigned long m = (unsigned long)&pwned ^ guard;
  g_fake_list[0] = 0;                         /* next */
  g_fake_list[1] = 1;                         /* idx */
  g_fake_list[2] = 4;                         /* ef_cxa */
  g_fake_list[3] = (m << 17) | (m >> 47);     /* mangled function */
  struct request a, b;
  memset(&a, 0, sizeof a);
  memset(&b, 0, sizeof b);
  a.where = (void *)head;
  a.what = (unsigned long)g_fake_list;
  CHECK_EQ(write_what_where(&a, &b), -3);
  CHECK_EQ(take_fault(), SDRAD_FAULT_ROOT_STATE);
  return 0; /* exit must run the real handlers only */
}

/* Slot layout: with a 100 MiB heap, instances of three domains; the second
 * one's heap holds data that must survive the first one being recreated. */
SDRAD_ISOLATE("slot-a", fallback_value(-1))
int slot_a(int x) { return x; }

SDRAD_ISOLATE("slot-b", fallback_value(NULL))
char *slot_b_keep(int fill) {
  char *p = malloc(4096);
  memset(p, fill, 4096);
  return p;
}

static int slot_layout(void) {
  CHECK_EQ(slot_a(1), 1);             /* slot 0 */
  char *kept = slot_b_keep(0x5b);     /* slot 1: its heap holds `kept` */
  CHECK(kept != NULL, "slot_b_keep failed");
  int64_t ha = sdrad_domain_by_name("slot-a", 0);
  CHECK_EQ(sdrad_release_instance(ha), 0);
  CHECK_EQ(slot_a(2), 2);             /* slot 0 again: mapped afresh */
  for (int i = 0; i < 4096; ++i)
    CHECK(kept[i] == 0x5b, "byte %d of another domain's heap changed to %d", i, kept[i]);
  return 0;
}

int main(int argc, char **argv) {
  const char *what = argc > 1 ? argv[1] : "";
  int r;
  if (!strcmp(what, "nested_out")) r = nested_out();
  else if (!strcmp(what, "clear_ts")) r = clear_ts();
  else if (!strcmp(what, "tls_canary")) r = tls_canary();
  else if (!strcmp(what, "slot_layout")) r = slot_layout();
  else if (!strcmp(what, "exit_handlers")) r = exit_handlers();
  else {
    fprintf(stderr, "usage: %s nested_out|clear_ts|tls_canary|exit_handlers|slot_layout\n", argv[0]);
    return 2;
  }
  if (r == 0) printf("boundary %s: OK (backend %s)\n", what, sdrad_backend_name());
  return r;
}
