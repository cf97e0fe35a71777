/*
 * signal_stack.S - a signal handler's move from the key-0 part of the
 * thread's alternate stack block to its root-keyed part (signals.cpp).
 *
 * Reached by jmp from SIGNAL_ENTRY (switch.S), already elevated, with
 *   edi, rsi, rdx  the handler's arguments (signal, siginfo, ucontext),
 *   r11            the handler,
 *   rsp            the kernel's frame, on the key-0 part of the block.
 * Nothing is stored on the key-0 part: the frame, from rsp to the block's
 * top, is copied ALT_ROOT bytes lower (just below the root part's top),
 * the handler runs there on a copy (sdrad_signal_on_copy validates it,
 * relocates it and, once the handler returned, sets what the interrupted
 * context resumes with), and rt_sigreturn is made here, still elevated,
 * from the copy: after the copy nothing is read from key-0 memory, so a
 * domain on another thread that rewrites the kernel's frame changes
 * nothing.  (Before, the copy was written back and the frame on the key-0
 * part went through the restorer's rt_sigreturn.)
 */
        .intel_syntax noprefix
        .text

#define ALT_BLOCK       0x20000         /* signals.cpp: kAltBlock */
#define ALT_ROOT        0x10000         /* signals.cpp: kAltRoot */

        .globl  sdrad_signal_root_stack
        .hidden sdrad_signal_root_stack
        .type   sdrad_signal_root_stack, @function
sdrad_signal_root_stack:
        .cfi_startproc
        .cfi_undefined rip
        mov     r9, rsp                 /* the frame (pretcode) */
        mov     rcx, rsp
        or      rcx, ALT_BLOCK - 1
        add     rcx, 1                  /* the block's top */
        sub     rcx, rsp                /* the frame's length (<= ALT_ROOT) */
        mov     r8d, edi
        mov     rax, rsi
        lea     rdi, [rsp - ALT_ROOT]
        mov     rsi, rsp
        cld
        rep movsb
        lea     rsp, [r9 - ALT_ROOT]    /* root-keyed from here on */
        sub     rsp, 8              /* 16-byte alignment for the call */
        mov     edi, r8d
        lea     rsi, [rax - ALT_ROOT]
        sub     rdx, ALT_ROOT
        mov     rcx, r11
        mov     r8, r9
        call    sdrad_signal_on_copy    /* returns the copy's pretcode */
        lea     rsp, [rax + 8]          /* the copy's ucontext, as after the
                                           restorer's ret */
        mov     eax, 15                 /* SYS_rt_sigreturn */
        syscall
        ud2
        .cfi_endproc
        .size   sdrad_signal_root_stack, . - sdrad_signal_root_stack

        .section .note.GNU-stack,"",@progbits
