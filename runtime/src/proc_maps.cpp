// Reading /proc/self/maps line by line without allocating: the runtime
// looks up stacks (keys.cpp, threads.cpp) and read-only unwind tables
// (unwind_ranges.cpp) there, at times when malloc may not be usable.
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

namespace sdrad {

bool for_each_maps_line(bool (*fn)(const char *line, void *ctx), void *ctx) {
  int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[8192];
  size_t have = 0;
  bool more = true;
  while (more) {
    ssize_t r = read(fd, buf + have, sizeof(buf) - 1 - have);
    if (r <= 0) break;
    have += (size_t)r;
    buf[have] = 0;
    char *line = buf, *nl;
    while (more && (nl = strchr(line, '\n'))) {
      *nl = 0;
      more = fn(line, ctx);
      line = nl + 1;
    }
    have = strlen(line);  // a partial last line: keep it for the next read
    memmove(buf, line, have);
  }
  close(fd);
  return true;
}

}  // namespace sdrad
