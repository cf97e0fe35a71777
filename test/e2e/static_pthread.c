/* A statically linked program with the runtime: the runtime's
 * pthread_create cannot reach libc's (no RTLD_NEXT) and must say so on
 * stderr instead of failing silently with EAGAIN.  ctest matches the
 * message; the program exits 0 when pthread_create failed as documented. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

static void *run(void *arg) { return arg; }

int main(void) {
  pthread_t t;
  int r = pthread_create(&t, NULL, run, NULL);
  if (r == 0) {
    pthread_join(t, NULL);
    puts("pthread_create worked in a static program");
    return 0;
  }
  printf("pthread_create: %d\n", r);
  return r == EAGAIN ? 0 : 1;
}
