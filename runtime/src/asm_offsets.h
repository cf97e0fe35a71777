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

/* struct SharedPage (symbol sdrad_shared_page): what every call reads is in
   its first two cache lines */
#define SP_INITIALIZED  0
#define SP_PKU          4
#define SP_ROOT_KEY     12
#define SP_ROOT_WD      16
#define SP_STATE_BASE   32
#define SP_STATE_SIZE   40
#define SP_CONFINE      68
#define SP_SUD_RO       208
#define SP_EXIT_HEAD    120
#define SP_TS_BASE      48
#define SP_TS_SIZE      56
#define SP_BIND_THREADS 20
#define SP_SUD_RW       112
#define SP_CANARY_SECRET 24
#define SP_AVX2         248
#define SP_LIBC_LAZY    64
#define SP_ROOT_HEAP_BASE 184          /* the pku matrix's checks only */
#define SP_ROOT_HEAP_SIZE 192
#define SP_TLS_WATCHED_OFF 72         /* five words (state.h: kTlsWatched) */

/* struct ThreadState (state.h) */
#define TS_FS_BASE      8
#define TS_DEPTH        20
#define TS_CUR_PKRU     24
#define TS_IN_USE       28
#define TS_FRAMES       48
#define TS_INST         3376
#define TS_ALTSTACK     5528
#define TS_SUD_ON       32
#define TS_DOM_CODE     36
#define TS_SUD_WANT     40
#define TS_SIZE         8192
#define TS_SHIFT        13              /* log2(TS_SIZE) */

/* struct Instance, struct Domain (state.h): switch.S's call fast path; all
   of them in the first cache line of each (state.h: why), D_CALLS on the
   second */
#define IN_DOM          0
#define IN_DOM_GEN      8
#define IN_PKRU         12
#define IN_PKRU_GEN     16
#define IN_HEAP         32
#define IN_STACK_HI     48
#define IN_ACTIVE       24
#define IN_LIBC_WRITTEN 25
#define IN_INIT_DONE    26
#define IN_LIMIT_GEN    20
#define D_LIVE          0
#define D_IS_DATA       4
#define D_GRANTS_GEN    12
#define D_GENERATION    8
#define D_LIMIT_GEN     16
#define D_SYSCALLS      20
#define D_CALLS         64
#define D_TIMEOUT       24
#define D_INIT_FN       56
#define MAX_DOMAINS_SHIFT 8             /* log2(kMaxDomains) */

/* struct JmpCtx (a Frame starts with its JmpCtx) */
#define CTX_RSP         48
#define CTX_RIP         56
#define CTX_MXCSR       64
#define CTX_FPUCW       68
#define CTX_PKRU        72
#define CTX_SIZE        80

/* struct Frame */
#define F_INST          80
#define F_HANDLE        88
#define F_KIND          96
#define F_PARENT_PKRU   100
#define F_PARENT_HEAP   104
#define F_COPY_DST      112             /* call frames; compat_root_rsp in compat frames */
#define F_COPY_SRC      120             /* compat_enter_fn in compat frames */
#define F_TLS_CANARY    128
#define F_POINTER_GUARD 136
#define F_EXIT_HEAD     144
#define F_DEADLINE      152
#define F_PARENT_INSIDE 160
#define F_COPY_SIZE     162             /* 16 bits */
#define F_TLS_WATCHED   168             /* five words */

/* struct ExitWords (stdio_check.h, symbol sdrad_exit_words): what the
   assembly return path compares with on every return from a domain */
#define EW_ADDR         0
#define EW_EXPECT       64
#define EW_FP           128
#define EW_READY        152
#define EW_RUNNER_EXPECT 160            /* glibc's exit-handler entry of the runner, as frozen */
#define EW_RUNNER       192             /* where that entry is */
#define STD_SNAPSHOT    160             /* bytes per stream in sdrad_std_snapshot */

#endif
