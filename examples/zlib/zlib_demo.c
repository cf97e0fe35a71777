/*
 * zlib_demo.c - zlib decoding untrusted input in an SDRaD domain.
 *
 * unpack() decodes a small container format: an 8-byte header (magic
 * "SDZ1", then the uncompressed size, little-endian) followed by a deflate
 * stream.  It is isolated in domain "zlib": the input is copied in, the
 * output buffer is copied back only if the call succeeds, and everything
 * zlib allocates (its inflate state and window) comes from the domain's
 * heap - the demo records those pointers and checks with sdrad_owns().
 *
 * unpack() has a real bug: it trusts the size in the header and lets zlib
 * write that many bytes into the caller's out buffer.  An input whose
 * header claims more than the buffer holds overruns the domain's copy of
 * the buffer; the copy's canary catches it, the domain is discarded, the
 * call returns -1 and the caller's buffer is left as it was.
 *
 * Exits non-zero with a message if anything is not as described.
 */
#include <sdrad/isolate.h>
#include <sdrad/sdrad.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define FAIL(...)                                                          \
  do {                                                                     \
    fprintf(stderr, "FAIL: " __VA_ARGS__);                                 \
    fprintf(stderr, "\n");                                                 \
    exit(1);                                                               \
  } while (0)

/* What unpack() reports about zlib's allocations. */
struct zlib_probe {
  int allocs;
  void *ptrs[8];
};

static void *probe_alloc(void *opaque, uInt items, uInt size) {
  struct zlib_probe *pr = (struct zlib_probe *)opaque;
  void *p = calloc(items, size); /* inside the domain: its heap */
  if (pr->allocs < 8)
    pr->ptrs[pr->allocs] = p;
  pr->allocs++;
  return p;
}

static void probe_free(void *opaque, void *p) { free(p); }

SDRAD_ISOLATE("zlib", fallback_value(-1))
long unpack(SDRAD_IN(in_len) const unsigned char *in, size_t in_len,
            SDRAD_OUT(out_cap) unsigned char *out, size_t out_cap,
            SDRAD_OUT(1) struct zlib_probe *probe) {
  if (in_len < 8 || memcmp(in, "SDZ1", 4))
    return -2;
  uint32_t size = (uint32_t)in[4] | (uint32_t)in[5] << 8 |
                  (uint32_t)in[6] << 16 | (uint32_t)in[7] << 24;
  (void)out_cap; /* BUG: should be min(size, out_cap) */
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  zs.zalloc = probe_alloc;
  zs.zfree = probe_free;
  zs.opaque = probe;
  if (inflateInit(&zs) != Z_OK)
    return -3;
  zs.next_in = (Bytef *)(in + 8);
  zs.avail_in = (uInt)(in_len - 8);
  /* Inflate in 4 KiB steps (so that zlib also allocates its window). */
  int rc = Z_OK;
  while (rc == Z_OK && zs.total_out < size) {
    uInt step = size - zs.total_out < 4096 ? (uInt)(size - zs.total_out) : 4096;
    zs.next_out = out + zs.total_out;
    zs.avail_out = step;
    rc = inflate(&zs, Z_NO_FLUSH);
  }
  long produced = (long)zs.total_out;
  inflateEnd(&zs);
  return rc == Z_STREAM_END ? produced : -4;
}

static size_t pack(const unsigned char *data, size_t n, uint32_t claimed,
                   unsigned char *buf, size_t cap) {
  uLongf clen = (uLongf)(cap - 8);
  if (compress2(buf + 8, &clen, data, (uLong)n, 9) != Z_OK)
    FAIL("compress2");
  memcpy(buf, "SDZ1", 4);
  for (int i = 0; i < 4; ++i)
    buf[4 + i] = (unsigned char)(claimed >> (8 * i));
  return clen + 8;
}

int main(void) {
  enum { N = 20000 };
  static unsigned char text[N], packed[N + 1024], out[N], small[1000];
  for (size_t i = 0; i < N; ++i)
    text[i] = (unsigned char)("sdrad isolates zlib "[i % 20] + (i / 997) % 3);

  int64_t h = sdrad_domain_by_name("zlib", 0);
  if (h <= 0)
    FAIL("no domain 'zlib': %lld", (long long)h);

  /* An honest input: decoded, zlib's allocations are in the domain. */
  size_t plen = pack(text, N, N, packed, sizeof packed);
  struct zlib_probe probe;
  long got = unpack(packed, plen, out, sizeof out, &probe);
  if (got != N || memcmp(out, text, N))
    FAIL("honest input: got %ld", got);
  if (probe.allocs < 1)
    FAIL("zlib allocated nothing?");
  for (int i = 0; i < probe.allocs && i < 8; ++i)
    if (!sdrad_owns(h, probe.ptrs[i]))
      FAIL("zlib allocation %p is not in the domain heap", probe.ptrs[i]);
  printf("honest input: %ld bytes decoded; zlib's %d allocations are in "
         "domain 'zlib' (e.g. %p)\n",
         got, probe.allocs, probe.ptrs[0]);

  /* A lying header: 20000 bytes claimed for a 1000-byte buffer. */
  memset(small, 0xEE, sizeof small);
  got = unpack(packed, plen, small, sizeof small, &probe);
  sdrad_fault f;
  if (got != -1 || !sdrad_last_fault(&f))
    FAIL("malicious input: got %ld, no fault", got);
  for (size_t i = 0; i < sizeof small; ++i)
    if (small[i] != 0xEE)
      FAIL("malicious input: the caller's buffer was written");
  printf("malicious input: fault '%s' in domain '%s', call returned -1, "
         "caller's buffer untouched\n",
         sdrad_fault_kind_name(f.kind), f.domain);
  sdrad_clear_fault();

  /* And zlib keeps working in a fresh domain instance. */
  for (int i = 0; i < 200; ++i) {
    got = unpack(packed, plen, out, sizeof out, &probe);
    if (got != N || memcmp(out, text, N))
      FAIL("after the fault, call %d: got %ld", i, got);
  }
  printf("200 more decodes after the fault: OK\n");
  return 0;
}
