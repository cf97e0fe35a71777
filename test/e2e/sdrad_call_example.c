/* sdrad_call_example.c - SDRaD's sdrad_call_example pattern: sdrad_call on
 * a udi that was never initialised, five times.  Each call creates the
 * domain, runs get_number (which prompts on stdout and reads a keyword from
 * piped stdin, both first used inside the domain), returns
 * SDRAD_SUCCESSFUL_RETURNED and destroys the domain; a keyword too long for
 * its buffer smashes the stack and the call returns the udi.  Before
 * sdrad_call created domains, every call returned SDRAD_ERROR_NO_DOMAIN and
 * get_number never ran. */
#define _GNU_SOURCE
#include <sdrad_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHECK(c)                                                            \
  do {                                                                      \
    if (!(c)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); \
      exit(1);                                                              \
    }                                                                       \
  } while (0)

#define USERBUFSIZE 6
#define BUFSIZE 100

static volatile int line_max = 64;

static int32_t get_number(void *ptr) {
  char buf[USERBUFSIZE];
  printf("Enter Keyword\n");
  if (!fgets(buf, line_max, stdin)) return -100; /* the bug (SDRaD's example uses gets) */
  buf[strcspn(buf, "\n")] = 0;
  strcat((char *)ptr, buf);
  return atoi(buf);
}

int main(void) {
  int p[2];
  CHECK(pipe(p) == 0);
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    const char *input = "12\n7\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n30\n1\n";
    CHECK(write(p[1], input, strlen(input)) == (ssize_t)strlen(input));
    _exit(0);
  }
  close(p[1]);
  CHECK(dup2(p[0], 0) == 0);
  const int udi = 1;
  int sum = 0, ret = 0, bad = 0;
  char str[BUFSIZE] = "";
  for (int j = 0; j < 5; j++) {
    int32_t st = sdrad_call(udi, (int32_t(*)())(void *)get_number, str, BUFSIZE, &ret);
    if (st == SDRAD_SUCCESSFUL_RETURNED) {
      sum += ret;
      printf("Current Buf : %s\n", str);
    } else {
      CHECK(st == udi);
      printf("ERROR_BAD_INPUT\n");
      ++bad;
    }
    /* Created for the call and destroyed after it, as in SDRaD. */
    CHECK(sdrad_destroy(udi, SDRAD_NO_HEAP_MERGE) == SDRAD_ERROR_NO_DOMAIN);
  }
  CHECK(sum == 12 + 7 + 30 + 1);
  CHECK(bad == 1);
  CHECK(strcmp(str, "127301") == 0 || (fprintf(stderr, "str = '%s'\n", str), 0));
  waitpid(child, NULL, 0);
  puts("sdrad_call_example: ok");
  return 0;
}
