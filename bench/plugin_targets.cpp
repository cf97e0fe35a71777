// bench/plugin_targets.cpp - the bench_call functions isolated by the
// plugin itself ([[sdrad::isolate]]), compiled with -fplugin=SDRaDPlugin.
// The plugin turns each annotated definition into a domain entry thunk, so
// pl_call_* (plain callers) measure plugin-generated isolated calls.
#include <stddef.h>
#include <stdint.h>

#include <sdrad/isolate.h>

extern "C" {

SDRAD_ISOLATE("bench.plugin", fallback_value(-1)) __attribute__((noinline))
int64_t pl_noarg() {
  __asm__ volatile("" ::: "memory");
  return 1;
}

SDRAD_ISOLATE("bench.plugin", fallback_value(-1)) __attribute__((noinline))
int64_t pl_scalars(int64_t a, int64_t b, int64_t c, int64_t d) {
  __asm__ volatile("" ::: "memory");
  return a + b * c - d;
}

SDRAD_ISOLATE("bench.plugin", fallback_value(-1)) __attribute__((noinline))
int64_t pl_buf(SDRAD_IN(n) const uint8_t *in,
               SDRAD_OUT(n) uint8_t *out, size_t n) {
  out[0] = (uint8_t)(in[0] + 1);
  out[n - 1] = (uint8_t)(in[n - 1] + 1);
  return (int64_t)n;
}

__attribute__((noinline)) int64_t pl_call_noarg() { return pl_noarg(); }
__attribute__((noinline)) int64_t pl_call_scalars(int64_t a, int64_t b, int64_t c, int64_t d) {
  return pl_scalars(a, b, c, d);
}
__attribute__((noinline)) int64_t pl_call_buf(const uint8_t *in, uint8_t *out, size_t n) {
  return pl_buf(in, out, n);
}
}
