/*
 * Entry points of the SDRaD-compatible API.  sdrad_init saves the caller's
 * context like setjmp; sdrad_enter / sdrad_exit switch the stack under the
 * running caller, so they must be assembly.  Everything else is a GATE.
 */
        .intel_syntax noprefix
        .section sdrad_gates, "ax", @progbits   /* binary_scan.cpp: the checked gates */
#include "gate_macros.inc"

/* int32_t sdrad_init(uint64_t udi, long flags) */
        .globl  sdrad_init
        .type   sdrad_init, @function
sdrad_init:
        .cfi_startproc
        sub     rsp, 88                 /* JmpCtx (80) + alignment */
        .cfi_adjust_cfa_offset 88
        mov     [rsp + 0], rbx
        mov     [rsp + 8], rbp
        mov     [rsp + 16], r12
        mov     [rsp + 24], r13
        mov     [rsp + 32], r14
        mov     [rsp + 40], r15
        lea     rax, [rsp + 96]         /* caller's rsp after return */
        mov     [rsp + CTX_RSP], rax
        mov     rax, [rsp + 88]         /* return address */
        mov     [rsp + CTX_RIP], rax
        stmxcsr [rsp + CTX_MXCSR]
        fnstcw  [rsp + CTX_FPUCW]
        mov     rdx, rsp
        call    sdrad_init_gated        /* (udi, flags, ctx) */
        add     rsp, 88
        .cfi_adjust_cfa_offset -88
        ret
        .cfi_endproc
        .size   sdrad_init, . - sdrad_init

/* int32_t sdrad_enter(uint64_t udi) */
        .globl  sdrad_enter
        .type   sdrad_enter, @function
sdrad_enter:
        .cfi_startproc
        mov     rsi, rsp                /* where our return address is */
        sub     rsp, 8
        .cfi_adjust_cfa_offset 8
        call    sdrad_enter_gated       /* -> domain rsp (return address on top) or error < 0 */
        add     rsp, 8
        .cfi_adjust_cfa_offset -8
        test    rax, rax
        js      1f
        mov     rsp, rax
        xor     eax, eax
1:      ret
        .cfi_endproc
        .size   sdrad_enter, . - sdrad_enter

/* void sdrad_exit(void) */
        .globl  sdrad_exit
        .type   sdrad_exit, @function
sdrad_exit:
sdrad_exit_code:                        /* sdrad_api.cpp: is_sdrad_exit */
        .cfi_startproc
        mov     rdi, rsp
        sub     rsp, 8
        .cfi_adjust_cfa_offset 8
        call    sdrad_exit_gated        /* -> caller rsp (return address on top) or error < 0 */
        add     rsp, 8
        .cfi_adjust_cfa_offset -8
        test    rax, rax
        js      1f
        mov     rsp, rax
1:      ret
        .cfi_endproc
        .size   sdrad_exit, . - sdrad_exit

        .hidden sdrad_init_gated, sdrad_enter_gated, sdrad_exit_gated, sdrad_exit_code
        .globl  sdrad_exit_code
        GATE sdrad_init_gated,  sdrad_impl_init, 1, 1
        GATE sdrad_enter_gated, sdrad_impl_enter, 1, 1
        GATE sdrad_exit_gated,  sdrad_impl_exit, 0, 1
        GATE sdrad_deinit,      sdrad_impl_deinit
        GATE sdrad_destroy,     sdrad_impl_destroy, 0, 1
        GATE sdrad_dprotect,    sdrad_impl_dprotect
        GATE sdrad_malloc,      sdrad_impl_malloc
        GATE sdrad_calloc,      sdrad_impl_calloc
        GATE sdrad_free,        sdrad_impl_free
        GATE sdrad_realloc,     sdrad_impl_realloc
        GATE sdrad_memalign,    sdrad_impl_memalign
        GATE sdrad_call,        sdrad_impl_sdrad_call

        .section .note.GNU-stack,"",@progbits
