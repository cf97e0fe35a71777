/*
 * handler_fence.S - the call of a program's signal handler that interrupted
 * an isolated call (signals.cpp, sdrad_dispatch_user_signal).
 *
 * The handler is root code.  An exception thrown out of it, or a thread
 * exit (pthread_exit, a cancellation acted on inside it), unwinds past its
 * signal frame into the interrupted frames: the domain's, whose return
 * addresses and saved registers are on the domain's stack, and whose
 * landing pads would run with root's rights.  This frame stops every such
 * unwind: its catch-all (C++'s personality; forced unwinds reach it too)
 * lands in sdrad_handler_unwound, which ends the process with a message.
 *
 * void sdrad_call_handler_fenced(void (*handler)(int, siginfo_t *, void *),
 *                                int sig, siginfo_t *info, void *uc)
 */
        .intel_syntax noprefix
        .text

        .globl  sdrad_call_handler_fenced
        .hidden sdrad_call_handler_fenced
        .type   sdrad_call_handler_fenced, @function
sdrad_call_handler_fenced:
        .cfi_startproc
        .cfi_personality 0x9b, DW.ref.__gxx_personality_v0
        .cfi_lsda 0x1b, .Llsda_fenced
        sub     rsp, 8                  /* 16-byte aligned at the call */
        .cfi_adjust_cfa_offset 8
        mov     rax, rdi
        mov     edi, esi
        mov     rsi, rdx
        mov     rdx, rcx
.Lfenced_call:
        call    rax
.Lfenced_ret:
        add     rsp, 8
        .cfi_adjust_cfa_offset -8
        ret
        .cfi_adjust_cfa_offset 8
.Lfenced_pad:                           /* rax: the _Unwind_Exception */
        mov     rdi, rax
        call    sdrad_handler_unwound   /* does not return */
        ud2
        .cfi_endproc
        .size   sdrad_call_handler_fenced, . - sdrad_call_handler_fenced

        /* Its LSDA (the Itanium C++ ABI's format): the handler's call in a
           try with catch (...). */
        .section .gcc_except_table, "a", @progbits
        .p2align 2
.Llsda_fenced:
        .byte   0xff                    /* landing pads relative to the routine */
        .byte   0x9b                    /* type entries: indirect pcrel sdata4 */
        .uleb128 .Ltt_fenced - .Ltt_ref_fenced
.Ltt_ref_fenced:
        .byte   0x01                    /* call sites: uleb128 */
        .uleb128 .Lcs_end_fenced - .Lcs_fenced
.Lcs_fenced:
        .uleb128 .Lfenced_call - sdrad_call_handler_fenced
        .uleb128 .Lfenced_ret - .Lfenced_call
        .uleb128 .Lfenced_pad - sdrad_call_handler_fenced
        .uleb128 1                      /* its action: the first record */
.Lcs_end_fenced:
        .byte   1                       /* type filter 1 */
        .byte   0                       /* no next record */
        .p2align 2
        .long   0                       /* type 1: 0, catch (...) */
.Ltt_fenced:

        .section .note.GNU-stack,"",@progbits
