/*
 * cancel_landing.S - where a call abandoned for an asynchronous
 * cancellation lands in root (cancel.cpp).
 *
 * The rewind of the thread's outermost call jumps here instead of to the
 * thunk, with the thunk's return address pushed as if the thunk had called
 * this routine (cancel_landing_arm): the unwinder that the cancellation
 * starts walks from here into the thunk and root's own frames only.  The
 * call's status (rax) is kept for the case where the cancellation does not
 * act (it was disabled meanwhile).
 */
        .intel_syntax noprefix
        .text

        .globl  sdrad_cancel_landing
        .hidden sdrad_cancel_landing
        .type   sdrad_cancel_landing, @function
sdrad_cancel_landing:
        .cfi_startproc
        push    rax
        .cfi_adjust_cfa_offset 8
        call    sdrad_cancel_landed     /* signals SIGCANCEL to this thread */
        pop     rax
        .cfi_adjust_cfa_offset -8
        ret
        .cfi_endproc
        .size   sdrad_cancel_landing, . - sdrad_cancel_landing

        .section .note.GNU-stack,"",@progbits
