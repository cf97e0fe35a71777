/* Shared helpers of the end-to-end tests: every check exits non-zero with a
 * message on mismatch. */
#ifndef SDRAD_E2E_H
#define SDRAD_E2E_H

#include <sdrad/isolate.h>
#include <sdrad/sdrad.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond, ...)                                                     \
  do {                                                                       \
    if (!(cond)) {                                                           \
      fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__,       \
              #cond);                                                        \
      fprintf(stderr, __VA_ARGS__);                                          \
      fprintf(stderr, "\n");                                                 \
      exit(1);                                                               \
    }                                                                        \
  } while (0)

#define CHECK_EQ(a, b)                                                       \
  CHECK((long long)(a) == (long long)(b), "%s = %lld, expected %lld", #a,    \
        (long long)(a), (long long)(b))

/* The kind of the last fault on this thread (0 if none), cleared. */
static inline int take_fault(void) {
  sdrad_fault f;
  int kind = sdrad_last_fault(&f) ? f.kind : 0;
  sdrad_clear_fault();
  return kind;
}

#endif
