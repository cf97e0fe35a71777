// Red team, session 10 (commit 86ae9f7, buffers carried in the block): the
// bytes between the end of a thunk's fields (BlockSize) and the first
// carried buffer (Tail = alignTo(BlockSize, 16)) are never written by the
// thunk (emitBlock zeroes BlockSize bytes only), yet they go into the
// domain with the block.  Here root's stack is dirtied with 0xAB first; a
// confidentiality domain reads the 8 bytes before its carried `in` buffer.
// Exit 0: they were zero (nothing of root's stack crossed); 1: root's
// stack bytes reached the domain.
#include <sdrad/isolate.h>
#include <stdio.h>
#include <string.h>

SDRAD_ISOLATE("rt10.padleak", confidentiality, fallback_value(-1))
long peek(long a, long b, SDRAD_IN(n) const char *s, long n) {
  long v;
  memcpy(&v, s - 8, 8);  // still inside the domain's copy of the block
  (void)a, (void)b;
  return v;
}

__attribute__((noinline)) static void dirty(void) {
  volatile char big[8192];
  for (int i = 0; i < 8192; ++i) big[i] = (char)0xAB;
}
__attribute__((noinline)) static long call(void) {
  char s[16] = "hello";
  return peek(1, 2, s, 6);
}

int main(void) {
  dirty();
  long v = call();
  int leaked = v == (long)0xABABABABABABABABUL;
  printf("rt10 carried padding: the 8 bytes before the carried buffer: %016lx (%s)\n", (unsigned long)v,
         leaked ? "NOT BLOCKED: root's stack bytes reached the domain" : "blocked: zero");
  return leaked;
}
