/*
 * syscall_rearm.S - where a signal handler returns into a confined domain
 * (syscall_confine.cpp).  The handler left the thread's syscall selector on
 * "allow" (its sigreturn must reach the kernel) and moved the frame's
 * instruction pointer here.  With the domain's registers and PKRU:
 * elevate, have the runtime block the selector again and hand back the
 * interrupted address, drop to the domain's PKRU, continue there.  The
 * domain's red zone is left alone; every register and the flags are
 * preserved (the vector registers C code may use are saved too).
 *
 * Reached by a jump from a domain, it finds no pending re-arm: a gate
 * violation.  Its WRPKRU is checked like every other one (switch.S).
 */
        .intel_syntax noprefix
        .section sdrad_gates, "ax", @progbits   /* binary_scan.cpp: the checked gates */

#include "gate_macros.inc"
#include "selector_check.inc"

/*
 * An allowed system call of the domain, re-executed by the domain itself
 * (registers as it left them, its own PKRU, selector on "allow"), then the
 * re-arm.  Jumped to with the selector on "block", the syscall instruction
 * is dispatched like any other.
 */
        .globl  sdrad_sud_do
        .hidden sdrad_sud_do
sdrad_sud_do:
        syscall

        .globl  sdrad_sud_rearm
        .hidden sdrad_sud_rearm
        .globl  sdrad_sud_rearm_end
        .hidden sdrad_sud_rearm_end
        .type   sdrad_sud_rearm, @function
sdrad_sud_rearm:
        lea     rsp, [rsp - 128]        /* red zone */
        push    0                       /* becomes the return address */
        pushfq
        push    rax
        push    rcx
        push    rdx
        push    rsi
        push    rdi
        push    r8
        push    r9
        push    r10
        push    r11
        push    rbx                     /* alignment check below */
        push    r12                     /* the selector to check */
        mov     rbx, rsp
        and     rsp, -16
        sub     rsp, 256
        movdqu  [rsp + 0], xmm0
        movdqu  [rsp + 16], xmm1
        movdqu  [rsp + 32], xmm2
        movdqu  [rsp + 48], xmm3
        movdqu  [rsp + 64], xmm4
        movdqu  [rsp + 80], xmm5
        movdqu  [rsp + 96], xmm6
        movdqu  [rsp + 112], xmm7
        movdqu  [rsp + 128], xmm8
        movdqu  [rsp + 144], xmm9
        movdqu  [rsp + 160], xmm10
        movdqu  [rsp + 176], xmm11
        movdqu  [rsp + 192], xmm12
        movdqu  [rsp + 208], xmm13
        movdqu  [rsp + 224], xmm14
        movdqu  [rsp + 240], xmm15
        SKIP_IF_NO_PKU 1f
        ELEVATE_MARKED
1:      lea     rdi, [rbx + 8]          /* the saved registers from rbx up */
        call    sdrad_sud_rearm_impl    /* selector blocked again */
        mov     [rbx + 96], rax         /* the interrupted address */
        SKIP_IF_NO_PKU 2f
        mov     r12, rdx                /* the selector to check after the drop */
        call    sdrad_gate_domain_pkru  /* marks dom_code last */
        DROP_CHECKED r12                /* no root writes, selector on "block" */
2:      movdqu  xmm0, [rsp + 0]
        movdqu  xmm1, [rsp + 16]
        movdqu  xmm2, [rsp + 32]
        movdqu  xmm3, [rsp + 48]
        movdqu  xmm4, [rsp + 64]
        movdqu  xmm5, [rsp + 80]
        movdqu  xmm6, [rsp + 96]
        movdqu  xmm7, [rsp + 112]
        movdqu  xmm8, [rsp + 128]
        movdqu  xmm9, [rsp + 144]
        movdqu  xmm10, [rsp + 160]
        movdqu  xmm11, [rsp + 176]
        movdqu  xmm12, [rsp + 192]
        movdqu  xmm13, [rsp + 208]
        movdqu  xmm14, [rsp + 224]
        movdqu  xmm15, [rsp + 240]
        mov     rsp, rbx
        pop     r12
        pop     rbx
        pop     r11
        pop     r10
        pop     r9
        pop     r8
        pop     rdi
        pop     rsi
        pop     rdx
        pop     rcx
        pop     rax
        popfq
        ret     128
sdrad_sud_rearm_end:
        .size   sdrad_sud_rearm, . - sdrad_sud_rearm

/*
 * void sdrad_jump_to_domain(const JmpCtx *ctx, int64_t value,
 *                           const uint8_t *selector)   (noreturn)
 * sdrad_jump (switch.S) for a context in a confined domain's code (call.cpp:
 * a compat rewind lands in sdrad_init's caller, the parent domain): the
 * WRPKRU must deny root writes, and the selector (read-only view, from
 * jump_selector) must then say "block".  A signal handled since pop_frame
 * blocked it left "allow": elevate, re-sync, and load the context again.
 */
        .globl  sdrad_jump_to_domain
        .hidden sdrad_jump_to_domain
        .type   sdrad_jump_to_domain, @function
sdrad_jump_to_domain:
        .cfi_startproc
        mov     r8, rdi
        mov     r9, rsi
        mov     rsi, rdx
.Ljd_load:
        LOAD_CALLER_REGS r8
        mov     r10, [r8 + CTX_RSP]
        mov     r11, [r8 + CTX_RIP]
        SKIP_IF_NO_PKU .Ljd_go
        mov     eax, [r8 + CTX_PKRU]
        xor     ecx, ecx
        xor     edx, edx
        WRPKRU
        ROOT_WD_TEST
        jne     sdrad_gate_violation    /* only into a domain */
        cmp     byte ptr [rsi], 1
        je      .Ljd_go
        ELEVATE_MARKED
        and     rsp, -16
        push    r8
        push    r9
        push    rsi
        sub     rsp, 8
        call    sdrad_sud_resync
        add     rsp, 8
        pop     rsi
        pop     r9
        pop     r8
        jmp     .Ljd_load
.Ljd_go:
        mov     rsp, r10
        mov     rax, r9
        jmp     r11
        .cfi_endproc
        .size   sdrad_jump_to_domain, . - sdrad_jump_to_domain

        .section .note.GNU-stack,"",@progbits
