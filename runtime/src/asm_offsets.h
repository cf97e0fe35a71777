/*
 * asm_offsets.h - byte offsets of the runtime's structures that assembly
 * (switch.S, gate_macros.inc, sdrad_api_gates.S) and two tests
 * (test/pku/matrix.cpp, test/e2e/boundary.c) address directly.  Plain
 * #defines, so that C, C++ and assembly can include it; every value is
 * checked against offsetof() by a static_assert next to its structure
 * (shared_page.h: SharedPage; state.h: JmpCtx, Frame), so a layout change
 * that is not made here stops the build.
 */
#ifndef SDRAD_ASM_OFFSETS_H
#define SDRAD_ASM_OFFSETS_H

/* struct SharedPage (symbol sdrad_shared_page) */
#define SP_INITIALIZED  0
#define SP_PKU          4
#define SP_ROOT_KEY     12
#define SP_ROOT_WD      16
#define SP_STATE_BASE   32
#define SP_STATE_SIZE   40
#define SP_CONFINE      140
#define SP_EXIT_HEAD    168
#define SP_TS_BASE      48
#define SP_TS_SIZE      56
#define SP_BIND_THREADS 136

/* struct ThreadState (state.h) */
#define TS_FS_BASE      8
#define TS_DOM_CODE     5552
#define TS_SIZE         8192

/* struct JmpCtx (a Frame starts with its JmpCtx) */
#define CTX_RSP         48
#define CTX_RIP         56
#define CTX_MXCSR       64
#define CTX_FPUCW       68
#define CTX_PKRU        72
#define CTX_SIZE        80

#endif
