// resident_pages.cpp: unmapping again the file pages that only the runtime's
// own work brought in (the start-up, the binary scan), so that they do not
// count in the program's resident memory (issue 13, peak memory).
//
// Only a page of a private file mapping that /proc/self/pagemap showed
// neither present nor swapped when noted, and shows present as a file page
// (not an anonymous copy-on-write copy) when unmapped, is unmapped: the next
// access maps the file's bytes again, the bytes that were there before.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace sdrad {

// Sets bit i of `absent` for each page i of [lo, lo + n pages) that is
// neither present nor swapped, clears it for the others.  `pm` is an open
// /proc/self/pagemap.  False if it cannot be read.
bool pages_note_absent(int pm, uintptr_t lo, size_t n, uint64_t *absent);

// Unmaps (MADV_DONTNEED) the pages i in [from, to) of the range at lo whose
// `absent` bit is set and that pagemap shows present now as a file page.
// Returns how many were unmapped.
size_t pages_drop_file(int pm, uintptr_t lo, size_t from, size_t to, const uint64_t *absent);

// At start-up: notes the absent pages of every readable, non-writable,
// private file mapping (first thing of the runtime's initialisation);
// unmaps those that became resident since (during its constructor, and
// once more at its end with startup_pages_done, which also gives back the
// notes' memory).  SDRAD_STARTUP_PAGES=keep skips all three.
void startup_pages_note();
void startup_pages_drop();
void startup_pages_done();

// binary_scan.cpp: the scan of one mapping, [lo, hi) (what the start-up and
// dlopen scans do for each), with the unmapping of the pages it brought in
// if `file`; returns the unchecked encodings found.  For tests.
int binary_scan_range(uintptr_t lo, uintptr_t hi, const char *path, bool file);

}  // namespace sdrad
