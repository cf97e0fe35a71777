#!/usr/bin/env python3
# bench/class_peaks.py - why size classes cost memory on producer/consumer.
# Replays the object sizes of `bench_malloc_load --pc 2` (same generator and
# seed, 2M objects, 16 queued batches of 256 plus the producer's and the
# consumer's) and prints, per way of rounding sizes to classes, the peak of
# the bytes live in all and the sum over classes of each class's own peak:
# what an allocator whose pages hold one class each needs at least.  glibc's
# chunks, for comparison, are one "class": its peak is the peak of all.
from collections import deque

M = (1 << 64) - 1


def sizes(seed=1, n=2000000):
    x = (seed * 6364136223846793005 + 1442695040888963407) & M
    for _ in range(n):
        x ^= (x << 13) & M
        x ^= x >> 7
        x ^= (x << 17) & M
        yield 16 + x % 1008


def steps16(n):  # 16-byte steps (the root allocator's classes to 1 KiB before)
    k = (n + 15) // 16
    return k, k * 16


def four_per_doubling(n):  # 16-byte steps to 128, then four per doubling (now)
    if n <= 128:
        return steps16(n)
    m = n - 1
    fl = m.bit_length() - 1
    sub = (m >> (fl - 2)) & 3
    return (fl, sub), (4 + sub + 1) << (fl - 2)


def glibc_chunks(n):  # glibc: one best-fit heap, chunks of n + 8 rounded to 16 (at least 32)
    return 0, max(32, (n + 8 + 15) // 16 * 16)


def peaks(classof):
    live, peak, q, batch, total, top = {}, {}, deque(), [], 0, 0
    for n in sizes():
        k, s = classof(n)
        live[k] = live.get(k, 0) + s
        peak[k] = max(peak.get(k, 0), live[k])
        total += s
        top = max(top, total)
        batch.append((k, s))
        if len(batch) == 256:
            q.append(batch)
            batch = []
            if len(q) > 17:  # 16 queued and the one the consumer frees
                for k, s in q.popleft():
                    live[k] -= s
                    total -= s
    return top, sum(peak.values()), len(peak)


for name, f in (("glibc chunks", glibc_chunks), ("16-byte steps", steps16),
                ("four per doubling", four_per_doubling)):
    top, classes, n = peaks(f)
    print(f"{name:18s} {n:3d} classes: peak live {top / 2**20:.2f} MiB, sum of class peaks {classes / 2**20:.2f} MiB")
