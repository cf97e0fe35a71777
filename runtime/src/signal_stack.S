/*
 * signal_stack.S - a signal handler's move from the key-0 part of the
 * thread's alternate stack block to its root-keyed part (signals.cpp).
 *
 * Reached by jmp from SIGNAL_ENTRY (switch.S), already elevated, with
 *   edi, rsi, rdx  the handler's arguments (signal, siginfo, ucontext),
 *   r11            the handler,
 *   r12            the thread's state (0: not known),
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
 *
 * The copy goes ALT_ROOT bytes lower, just below the root part's top,
 * unless a handler already runs on the root part and made an isolated
 * call that is still running (a program's SA_ONSTACK handler): the kernel
 * delivers a signal from that call's domain at the block's top too (the
 * domain's stack pointer is not on the alternate stack), and a copy at the
 * usual place would overwrite that handler's frame and the frames below
 * it (row rt12_onstack_handler_call_traps: root returned to address 0
 * after the domain's trap was rewound).  Then the copy goes below the
 * stack pointer root had at that call (frames[0], root memory), the
 * "shift" passed on to sdrad_signal_on_copy.
 */
        .intel_syntax noprefix
        .text

#include "asm_offsets.h"

#define ALT_BLOCK       0x20000         /* signals.cpp: kAltBlock */
#define ALT_ROOT        0x10000         /* signals.cpp: kAltRoot */
#define ALT_MARGIN      1024            /* below a live call's saved stack pointer */
#define ALT_MIN_ROOM    0x4000          /* root part the handler needs below its copy */

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
        /* r13: the shift from the frame to its copy (a multiple of 64:
           the XSAVE area stays aligned).  r12, r13, r8, r10 are free:
           rt_sigreturn restores every register from the copy. */
        mov     r13, ALT_ROOT
        test    r12, r12
        jz      2f
        cmp     dword ptr [r12 + TS_DEPTH], 0
        jle     2f
        mov     rax, [r12 + TS_FRAMES + CTX_RSP]  /* root's stack pointer at its outermost call */
        lea     r8, [rcx - ALT_BLOCK]   /* the block */
        mov     r10, rax
        sub     r10, r8
        cmp     r10, ALT_ROOT
        jae     2f                      /* not on the root part */
        sub     rax, ALT_MARGIN
        mov     r13, rcx
        sub     r13, rax                /* the copy's top at rax */
        add     r13, 63
        and     r13, -64
        cmp     r13, ALT_ROOT
        jae     1f
        mov     r13, ALT_ROOT
1:      mov     r10, r9
        sub     r10, r13
        sub     r10, r8
        jb      3f                      /* below the block */
        cmp     r10, ALT_MIN_ROOM
        jb      3f
2:      sub     rcx, rsp                /* the frame's length (<= ALT_ROOT) */
        mov     r8d, edi
        mov     rax, rsi
        mov     rdi, rsp
        sub     rdi, r13
        mov     rsi, rsp
        cld
        rep movsb
        mov     rsp, r9
        sub     rsp, r13                /* root-keyed from here on */
        sub     rsp, 8              /* 16-byte alignment for the call */
        mov     edi, r8d
        mov     rsi, rax
        sub     rsi, r13
        sub     rdx, r13
        mov     rcx, r11
        mov     r8, r9
        mov     r9, r13
        call    sdrad_signal_on_copy    /* returns the copy's pretcode */
        lea     rsp, [rax + 8]          /* the copy's ucontext, as after the
                                           restorer's ret */
        mov     eax, 15                 /* SYS_rt_sigreturn */
        syscall
        ud2
        /* No room on the root part below the running call: the process
           ends (nothing is left to run the handler on). */
3:      and     rsp, -16
        call    sdrad_signal_stack_full
        ud2
        .cfi_endproc
        .size   sdrad_signal_root_stack, . - sdrad_signal_root_stack

        .section .note.GNU-stack,"",@progbits
