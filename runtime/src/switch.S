/*
 * switch.S - the only places where the runtime changes PKRU.
 *
 * Every WRPKRU is followed by a check of the value it installed (as in
 * ERIM), so that jumping straight at a WRPKRU with a chosen EAX cannot leave
 * code running with rights it should not have:
 *   - entering a domain: the new PKRU must deny writes to root memory;
 *   - elevating (signal entry, soft faults, gates, domain return): the new
 *     PKRU must be exactly 0 and control continues at a fixed place;
 *   - jumping back to a saved context: if the new PKRU grants root writes,
 *     the context must be a genuine one in the runtime's state region and
 *     the registers must be the ones saved there.
 * In the unprotected backend (no PKU) no WRPKRU executes at all.
 *
 * Offsets must match struct SharedPage, JmpCtx and Frame in internal.h
 * (checked by static_asserts in call.cpp).
 */
        .intel_syntax noprefix
        .section sdrad_gates, "ax", @progbits   /* binary_scan.cpp: the checked gates */

#include "gate_macros.inc"

#define ALT_ROOT        0x10000         /* signals.cpp: kAltRoot (block: 2x) */

/*
 * int32_t sdrad_enter_and_run(Frame *f, uintptr_t stack_top, uint32_t pkru,
 *                             void (*fn)(void *), void *arg,
 *                             uint32_t *dom_code)   (&ts->dom_code)
 * Saves the caller's context in f->ctx (setjmp-like), switches to the domain
 * stack and keys, and runs sdrad_invoke(fn, arg).  It "returns" only via
 * sdrad_jump(&f->ctx, status) from sdrad_domain_returned or a rewind.
 */
        .globl  sdrad_enter_and_run
        .hidden sdrad_enter_and_run
        .type   sdrad_enter_and_run, @function
sdrad_enter_and_run:
        .cfi_startproc
        SAVE_CALLER_CTX rdi, rax
        mov     r12, rcx
        mov     r13, r8
        mov     rsp, rsi
        xor     ebp, ebp                /* backtraces stop at the domain edge */
        SKIP_IF_NO_PKU 1f
        mov     dword ptr [r9], 1       /* ts->dom_code: the last store */
        mov     eax, edx
        xor     ecx, ecx
        xor     edx, edx
        WRPKRU
        /* the domain must never run with write access to root memory */
        ROOT_WD_TEST
        jne     sdrad_gate_violation
1:      mov     rdi, r12
        mov     rsi, r13
        call    sdrad_invoke
        mov     r12d, eax
        SKIP_IF_NO_PKU 2f
        ELEVATE_MARKED
2:      mov     edi, r12d               /* the status: edi, and r12d for preserve_none */
        call    sdrad_domain_returned   /* does not return */
        ud2
        .cfi_endproc
        .size   sdrad_enter_and_run, . - sdrad_enter_and_run

/*
 * void sdrad_jump(const JmpCtx *ctx, int64_t value)   (noreturn)
 * longjmp-like return to a saved context with that context's PKRU.
 */
        .globl  sdrad_jump
        .hidden sdrad_jump
        .type   sdrad_jump, @function
sdrad_jump:
        .cfi_startproc
        mov     r8, rdi
        mov     r9, rsi
        mov     rbx, [r8 + 0]
        mov     rbp, [r8 + 8]
        mov     r12, [r8 + 16]
        mov     r13, [r8 + 24]
        mov     r14, [r8 + 32]
        mov     r15, [r8 + 40]
        mov     r10, [r8 + CTX_RSP]
        mov     r11, [r8 + CTX_RIP]
        ldmxcsr [r8 + CTX_MXCSR]
        fldcw   [r8 + CTX_FPUCW]
        SKIP_IF_NO_PKU 1f
        xor     ecx, ecx
        RDPKRU
        cmp     eax, [r8 + CTX_PKRU]
        je      1f                      /* already there (the return path) */
        mov     eax, [r8 + CTX_PKRU]
        xor     ecx, ecx
        xor     edx, edx
        WRPKRU
        ROOT_WD_TEST
        je      1f                      /* root stays write-protected */
        /* root rights: only towards a genuine saved context */
        mov     rcx, r8
        sub     rcx, [rip + sdrad_shared_page + SP_STATE_BASE]
        cmp     rcx, [rip + sdrad_shared_page + SP_STATE_SIZE]
        jae     sdrad_gate_violation
        cmp     eax, [r8 + CTX_PKRU]
        jne     sdrad_gate_violation
        cmp     r10, [r8 + CTX_RSP]
        jne     sdrad_gate_violation
        cmp     r11, [r8 + CTX_RIP]
        jne     sdrad_gate_violation
1:      mov     rsp, r10
        mov     rax, r9
        jmp     r11
        .cfi_endproc
        .size   sdrad_jump, . - sdrad_jump

/*
 * void sdrad_call_on_stack(void (*fn)(void *, int32_t), void *a, int32_t b,
 *                          uintptr_t sp)   (noreturn)
 * Discarding a domain wipes its stack, so the rewind must not run on it.
 */
        .globl  sdrad_call_on_stack
        .hidden sdrad_call_on_stack
        .type   sdrad_call_on_stack, @function
sdrad_call_on_stack:
        .cfi_startproc
        mov     rsp, rcx
        mov     rax, rdi
        mov     rdi, rsi
        mov     esi, edx
        call    rax
        ud2
        .cfi_endproc
        .size   sdrad_call_on_stack, . - sdrad_call_on_stack

/*
 * Signal entries.  The kernel starts handlers with PKRU 0x55555554 (key 0
 * only), so they elevate before any C++ code touches the runtime's state.
 * A handler that returns (a fault outside every domain that is chained, a
 * domain stack that grew, the program's own handler) goes back through
 * SIGNAL_RETURN: to the PKRU the runtime recorded for the thread (root: 0),
 * which lets rt_sigreturn read the frame where the interrupted stack is.
 * The return address is taken off the stack while still elevated, so
 * called directly from a domain these return with that domain's rights.
 */
.macro SIGNAL_ENTRY name handler
        .globl  \name
        .hidden \name
        .type   \name, @function
\name:
        .cfi_startproc
        SKIP_IF_NO_PKU 9f
        mov     r10, rdx
        ELEVATE
        mov     rdx, r10
        /* On the key-0 part of a runtime alternate stack (signals.cpp):
           run the handler on the block's root-keyed part instead
           (signal_stack.S), which returns by rt_sigreturn from its copy
           and never comes back here (r10 is not used). */
        mov     rax, rsp
        sub     rax, [rip + sdrad_alt_arena_base]
        cmp     rax, [rip + sdrad_alt_arena_size]
        jae     6f
        test    eax, ALT_ROOT
        jz      6f                      /* already on the root part: nested */
        lea     r11, [rip + \handler]
        lea     r10, [rip + 5f]
        jmp     sdrad_signal_root_stack
6:      sub     rsp, 8
        .cfi_adjust_cfa_offset 8
        call    \handler
5:      call    sdrad_gate_caller_pkru
        add     rsp, 8
        .cfi_adjust_cfa_offset -8
        pop     r11
        .cfi_adjust_cfa_offset -8
        xor     ecx, ecx
        xor     edx, edx
        WRPKRU
        ROOT_WD_TEST
        je      1f
        sub     rsp, 16                 /* root rights: must really be root */
        mov     [rsp], r11
        call    sdrad_gate_assert_root
        mov     r11, [rsp]
        add     rsp, 16
1:      jmp     r11
9:      jmp     \handler
        .cfi_endproc
        .size   \name, . - \name
.endm

        SIGNAL_ENTRY sdrad_signal_entry, sdrad_signal_handler
        SIGNAL_ENTRY sdrad_user_signal_entry, sdrad_dispatch_user_signal
        SIGNAL_ENTRY sdrad_sigsys_entry, sdrad_sigsys_handler      /* syscall_confine.cpp */
        SIGNAL_ENTRY sdrad_timeout_signal_entry, sdrad_timeout_signal_handler  /* liveness.cpp */

/*
 * Start-up only: PKRU 0 for the main thread (the kernel starts processes
 * with keys 1-15 access-disabled).  Sealed: once the runtime is
 * initialised, reaching this WRPKRU is a gate violation.
 */
        .globl  sdrad_open_root_pkru
        .hidden sdrad_open_root_pkru
        .type   sdrad_open_root_pkru, @function
sdrad_open_root_pkru:
        .cfi_startproc
        xor     eax, eax
        xor     ecx, ecx
        xor     edx, edx
        WRPKRU
        test    eax, eax
        jnz     sdrad_gate_violation
        cmp     dword ptr [rip + sdrad_shared_page], 0   /* initialized */
        jne     sdrad_gate_violation
        ret
        .cfi_endproc
        .size   sdrad_open_root_pkru, . - sdrad_open_root_pkru

/* Software-detected faults (stack protector, heap corruption, foreign
 * free, gate violations): elevate, then rewind or abort. */
        .globl  sdrad_soft_fault_gate
        .hidden sdrad_soft_fault_gate
        .type   sdrad_soft_fault_gate, @function
sdrad_soft_fault_gate:
        .cfi_startproc
        SKIP_IF_NO_PKU 1f
        mov     r10d, edi
        ELEVATE_MARKED
        mov     edi, r10d
1:      jmp     sdrad_soft_fault_impl
        .cfi_endproc
        .size   sdrad_soft_fault_gate, . - sdrad_soft_fault_gate

        .globl  sdrad_gate_violation
        .hidden sdrad_gate_violation
        .type   sdrad_gate_violation, @function
sdrad_gate_violation:
        .cfi_startproc
        /* SDRAD_FAULT_GATE; elevation is checked again inside the gate. */
        mov     edi, 14
        jmp     sdrad_soft_fault_gate
        .cfi_endproc
        .size   sdrad_gate_violation, . - sdrad_gate_violation

        GATE __sdrad_call,              sdrad_impl_call, mark=0
        GATE __sdrad_call_with,         sdrad_impl_call_with, mark=0
        GATE __sdrad_domain_handle,     sdrad_impl_domain_handle
        GATE __sdrad_block_alloc,       sdrad_impl_block_alloc
        GATE __sdrad_block_free,        sdrad_impl_block_free
        GATE __sdrad_copy_in,           sdrad_impl_copy_in
        GATE __sdrad_copy_string,       sdrad_impl_copy_string
        GATE __sdrad_copy_check,        sdrad_impl_copy_check
        GATE __sdrad_copy_out,          sdrad_impl_copy_out
        GATE __sdrad_copies_end,        sdrad_impl_copies_end
        GATE __sdrad_register_entries,  sdrad_impl_register_entries
        GATE sdrad_last_fault,          sdrad_impl_last_fault
        GATE sdrad_clear_fault,         sdrad_impl_clear_fault
        GATE sdrad_last_error,          sdrad_impl_last_error
        GATE sdrad_domain_by_name,      sdrad_impl_domain_by_name
        GATE sdrad_get_stats,          sdrad_impl_get_stats
        GATE sdrad_depth,               sdrad_impl_depth
        GATE sdrad_release_instance,    sdrad_impl_release_instance
        GATE sdrad_owns,                sdrad_impl_owns

        .section .note.GNU-stack,"",@progbits
