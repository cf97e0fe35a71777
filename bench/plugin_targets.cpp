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

SDRAD_ISOLATE("bench.plugin", fallback_value(-1)) __attribute__((noinline))
int64_t pl_str(SDRAD_STRING const char *s) {
  int64_t n = 0;
  while (s[n]) n++;
  return n;
}

// memcached's tokenizer as examples/memcached/memcached-sdrad.patch
// isolates it: the line in and out (inout, its length given), the tokens
// out (24, as many as returned), token values as offset + 1 (0: NULL).
struct pl_token {
  char *value;
  size_t length;
};
SDRAD_ISOLATE("bench.plugin", fallback_value(0)) __attribute__((noinline))
size_t pl_tokenize(SDRAD_INOUT(len) char *command, size_t len,
                   SDRAD_OUT(24, returned) struct pl_token *tokens) {
  size_t n = 0;
  char *s = command, *e = command + len - 1;
  for (char *p = command; p <= e && n < 23; p++)
    if (p == e || *p == ' ') {
      if (p > s) tokens[n++] = {s, (size_t)(p - s)};
      if (p < e) *p = '\0';
      s = p + 1;
    }
  tokens[n++] = {nullptr, 0};
  for (size_t i = 0; i < n; i++)
    tokens[i].value = tokens[i].value ? (char *)(uintptr_t)(tokens[i].value - command + 1) : nullptr;
  return n;
}

__attribute__((noinline)) int64_t pl_call_noarg() { return pl_noarg(); }
__attribute__((noinline)) int64_t pl_call_str(const char *s) { return pl_str(s); }
__attribute__((noinline)) size_t pl_call_tokenize(char *command, size_t len, void *tokens) {
  return pl_tokenize(command, len, (struct pl_token *)tokens);
}
__attribute__((noinline)) int64_t pl_call_scalars(int64_t a, int64_t b, int64_t c, int64_t d) {
  return pl_scalars(a, b, c, d);
}
__attribute__((noinline)) int64_t pl_call_buf(const uint8_t *in, uint8_t *out, size_t n) {
  return pl_buf(in, out, n);
}
}
