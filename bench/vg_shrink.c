/*
 * bench/vg_shrink.c - LD_PRELOAD shim used only for the callgrind runs of
 * bench/run.sh.  valgrind gives a client less than 64 GiB of address space,
 * and the runtime reserves its instance arena (1024 slots, 128 GiB) up
 * front.  This shim turns any PROT_NONE, MAP_NORESERVE, non-fixed
 * reservation larger than 32 GiB into a 4 GiB one.  The runtime hands out
 * slots from the bottom of the arena, and the callgrind programs use one
 * thread and one or two domains, so they stay far inside the first 4 GiB.
 * Not for anything else: a program that used more slots would map over
 * whatever follows the shortened reservation.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
  if (prot == PROT_NONE && (flags & MAP_NORESERVE) && !(flags & MAP_FIXED) &&
      len > ((size_t)32 << 30))
    len = (size_t)4 << 30;
  return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}
void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
    __attribute__((alias("mmap")));
