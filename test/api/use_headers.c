/* Every public header and every SDRAD_* macro, compiled as C (C11, C17,
 * C23) and as C++ (C++11, C++17, C++20) with -Wall -Wextra -Wpedantic
 * -Werror by the test api.headers.* (see CMakeLists.txt), with and without
 * the plugin.  Nothing here runs. */
#include <sdrad/abi.h>
#include <sdrad/isolate.h>
#include <sdrad/sdrad.h>
#include <sdrad_api.h>

struct request {
  int kind;
};

SDRAD_ISOLATE("headers", fallback_value(-1))
int parse(SDRAD_IN(len) const char *buf, size_t len,
          SDRAD_OUT(1) struct request *out, SDRAD_INOUT(4) int *io,
          SDRAD_STRING const char *name, SDRAD_SHARED void *ctx) {
  out->kind = buf[0] + (int)len + io[0] + name[0] + (ctx != NULL);
  return out->kind;
}

SDRAD_ISOLATE("headers_conf", confidentiality)
int sum(SDRAD_IN(n) const int *v, size_t n) {
  int s = 0;
  for (size_t i = 0; i < n; i++)
    s += v[i];
  return s;
}

SDRAD_ISOLATE()
int plain(int x) { return x + 1; }

int use_api(void);
int use_api(void) {
  struct sdrad_fault f;
  int last = sdrad_last_fault(&f);
  return last + plain(1) + (int)sdrad_init(7, SDRAD_EXECUTION_DOMAIN | SDRAD_NONISOLATED_DOMAIN);
}
