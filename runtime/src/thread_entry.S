/*
 * thread_entry.S - how a thread started through the interposed
 * pthread_create (threads.cpp) leaves its key-0 frames for good.
 *
 * glibc's start_thread calls the start routine on the top of the thread's
 * stack, next to TLS, which stays key 0 (a domain on any thread can write
 * it).  Nothing the thread needs after the program's start routine is kept
 * there: the entry saves start_thread's registers and return context in the
 * root heap (StartArgs), moves the stack pointer below the root-keyed
 * boundary, and at the end jumps straight back to start_thread with
 * sdrad_jump.  No return address or spilled register of a runtime frame is
 * ever read back from key-0 memory.
 *
 * SA_* must match StartArgs (threads.cpp, static_assert); the JmpCtx
 * offsets come from asm_offsets.h.
 */
        .intel_syntax noprefix
        .text

#include "gate_macros.inc"       /* SAVE_CALLER_CTX, JmpCtx offsets (asm_offsets.h) */

#define SA_CTX          16      /* StartArgs::ctx */
#define SA_SIZE         128     /* sizeof(StartArgs) */

/* void *sdrad_thread_entry(StartArgs *a): the start routine glibc runs. */
        .globl  sdrad_thread_entry
        .hidden sdrad_thread_entry
        .type   sdrad_thread_entry, @function
sdrad_thread_entry:
        .cfi_startproc
        lea     rax, [rdi + SA_CTX]
        SAVE_CALLER_CTX rax, rcx
        mov     dword ptr [rax + CTX_PKRU], 0
        sub     rsp, 8
        .cfi_adjust_cfa_offset 8
        call    sdrad_thread_body       /* does not return */
        ud2
        .cfi_endproc
        .size   sdrad_thread_entry, . - sdrad_thread_entry

/*
 * void sdrad_thread_run_below(StartArgs *a, uintptr_t sp)   (noreturn)
 * Copies *a below sp (root-keyed) and frees a, runs start(arg) there,
 * then sdrad_thread_finish(copy, result).  The frame is the outermost one
 * the unwinder sees (pthread_exit's forced unwind stops here and longjmps
 * to start_thread).
 */
        .globl  sdrad_thread_run_below
        .hidden sdrad_thread_run_below
        .type   sdrad_thread_run_below, @function
sdrad_thread_run_below:
        .cfi_startproc
        .cfi_undefined rip
        and     rsi, -16
        mov     rsp, rsi
        xor     ebp, ebp
        sub     rsp, SA_SIZE            /* a copy of *a in root-keyed memory */
        mov     r12, rdi
        mov     rsi, rdi
        mov     rdi, rsp
        mov     ecx, SA_SIZE
        rep movsb
        mov     rdi, r12
        call    free@PLT                /* nothing left to leak at pthread_exit */
        mov     rdi, [rsp]
        mov     rsi, [rsp + 8]
        call    sdrad_thread_call_start /* start(arg), and the exit on a cancellation */
        mov     rdi, rsp
        mov     rsi, rax
        call    sdrad_thread_finish     /* does not return */
        ud2
        .cfi_endproc
        .size   sdrad_thread_run_below, . - sdrad_thread_run_below

        .section .note.GNU-stack, "", @progbits
