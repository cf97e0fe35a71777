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
#include "selector_check.inc"

#define ALT_ROOT        0x10000         /* signals.cpp: kAltRoot (block: 2x) */

/* Copies \size bytes (8 <= size <= SDRAD_MAX_INLINE_BLOCK) from \src to
 * \dst: the call fast path's block, in and back out.  Up to 64 bytes
 * (a few scalars) fixed moves that overlap; beyond (buffers carried in
 * the block, docs/abi.md) 32 bytes at a time from the end, then the first
 * 32. */
.macro COPY_BLOCK dst src size tmp  /* clobbers xmm0-xmm3 and \tmp */
        cmp     \size, 64
        ja      84f
        cmp     \size, 16
        ja      81f
        movq    xmm0, [\src]           /* the first and the last 8 bytes */
        movq    xmm1, [\src + \size - 8]
        movq    [\dst], xmm0
        movq    [\dst + \size - 8], xmm1
        jmp     83f
81:     cmp     \size, 32
        ja      82f
        movups  xmm0, [\src]           /* the first and the last 16 */
        movups  xmm1, [\src + \size - 16]
        movups  [\dst], xmm0
        movups  [\dst + \size - 16], xmm1
        jmp     83f
82:     movups  xmm0, [\src]           /* the first and the last 32 */
        movups  xmm1, [\src + 16]
        movups  xmm2, [\src + \size - 32]
        movups  xmm3, [\src + \size - 16]
        movups  [\dst], xmm0
        movups  [\dst + 16], xmm1
        movups  [\dst + \size - 32], xmm2
        movups  [\dst + \size - 16], xmm3
        jmp     83f
84:     lea     \tmp, [\size - 32]
85:     movups  xmm0, [\src + \tmp]
        movups  xmm1, [\src + \tmp + 16]
        movups  [\dst + \tmp], xmm0
        movups  [\dst + \tmp + 16], xmm1
        sub     \tmp, 32
        jg      85b
        movups  xmm0, [\src]
        movups  xmm1, [\src + 16]
        movups  [\dst], xmm0
        movups  [\dst + 16], xmm1
83:
.endm

/*
 * The successful return from a call from root (depth 1), elevated: every
 * check sdrad_domain_returned (call.cpp) makes on it, each a compare with
 * a value root-owned memory holds, then pop_frame and sdrad_jump as there.
 * Anything that differs, and anything it does not handle (a nested frame,
 * a thread state t_ts does not name, syscall dispatch to turn off, no
 * AVX2, streams not prepared), goes to \slow: sdrad_domain_returned, which
 * checks all again, repairs and reports.  Keep in step with call.cpp.
 */
.macro RETURN_FAST slow
        /* the thread state (state.h: thread_state_if_any, ts_valid) */
        LOAD_BOUND_TS rax, rcx, \slow, 30f
31:     cmp     dword ptr [rax + TS_IN_USE], 0
        je      \slow
        cmp     dword ptr [rax + TS_DEPTH], 1
        jne     \slow                  /* nested */
        /* the PKRU the return elevated from (r13d, DROP_AND_RUN) is the
           one the runtime installed for this state's call: else the FS
           base names another thread's state, and \slow refuses it */
        SKIP_IF_NO_PKU 26f
        cmp     r13d, [rax + TS_CUR_PKRU]
        jne     \slow
26:     lea     rdx, [rax + TS_FRAMES]  /* f = &ts->frames[0] */
        mov     qword ptr [rdx + F_DEADLINE], 0 /* a late watchdog signal must not rewind it */
        /* syscall dispatch to turn off (per-call confinement): a prctl */
        mov     ecx, [rip + sdrad_shared_page + SP_CONFINE]
        cmp     ecx, 1                  /* kConfinePerCall */
        jne     32f
        cmp     dword ptr [rax + TS_SUD_ON], 0
        jne     \slow
        /* the domain stack's canary (call.cpp: stack_canary_ok) */
32:     mov     r8, [rdx + F_INST]
        mov     r9, [r8 + IN_STACK_HI]
        test    r9, r9
        jz      33f
        mov     r10, [rip + sdrad_shared_page + SP_CANARY_SECRET]
        xor     r10, r9
        cmp     r10, [r9 - 16]
        jne     \slow
        /* libc's data not written by the instance (libc_data_key.cpp:
           libc_check_needed): only the TLS canary and pointer guard, which
           are no library's data */
        /* the watched TLS words as on entry (state.h, tls_watched_restore:
           glibc's thread_local destructor list head, which glibc runs with
           root rights at the thread's end; the thread's locale and ctype
           table caches, which root's toupper & co. read) */
33:     .irp    k, 0, 1, 2, 3, 4
        mov     rcx, [rip + sdrad_shared_page + SP_TLS_WATCHED_OFF + 8 * \k]
        mov     rcx, fs:[rcx]
        cmp     rcx, [rdx + F_TLS_WATCHED + 8 * \k]
        jne     \slow
        .endr
        cmp     dword ptr [rip + sdrad_shared_page + SP_LIBC_LAZY], 0
        je      38f
        cmp     byte ptr [r8 + IN_LIBC_WRITTEN], 0
        jne     38f
        mov     rcx, fs:[0x28]
        cmp     rcx, [rdx + F_TLS_CANARY]
        jne     \slow
        mov     rcx, fs:[0x30]
        cmp     rcx, [rdx + F_TLS_CANARY + 8]
        jne     \slow
        jmp     39f
        /* the rest with AVX2, with the streams prepared and the exit-list
           head found (stdio.cpp: stdio_return_arm), else the C++ path */
38:     lea     r10, [rip + sdrad_exit_words]
        cmp     dword ptr [r10 + EW_READY], 0
        je      \slow
        /* the streams' locks and the stream-list lock free (stdio_check.h:
           stdio_locks_idle): a domain that returns holding one goes to the
           C++ path, which releases it and reports */
        mov     rcx, [rip + sdrad_stdio_locks]
        mov     r9d, [rcx]
        mov     rcx, [rip + sdrad_stdio_locks + 8]
        or      r9d, [rcx]
        mov     rcx, [rip + sdrad_stdio_locks + 16]
        or      r9d, [rcx]
        mov     rcx, [rip + sdrad_stdio_locks + 24]
        or      r9d, [rcx]
        jnz     \slow
        /* TLS canary, pointer guard, exit-handler list head as on entry
           (call.cpp: root_state_restore_here): the frame holds them
           in that order, then the deadline, 0 since above */
        mov     rcx, [rip + sdrad_shared_page + SP_EXIT_HEAD]
        vmovdqu xmm1, fs:[0x28]
        vmovq   xmm2, [rcx]
        vinserti128 ymm1, ymm1, xmm2, 1
        vpxor   ymm0, ymm1, [rdx + F_TLS_CANARY]
        /* the standard streams and glibc's stream list (stdio_check.h:
           stdio_streams_ok, stdio_io_list_ok): eight words outside the
           FILEs (ExitWords), and each stream's three snapshot windows
           (no AVX2 gathers: QEMU's TCG gets their indices wrong) */
        .irp    h, 0, 32
        mov     rcx, [r10 + EW_ADDR + \h]
        vmovq   xmm1, [rcx]
        mov     rcx, [r10 + EW_ADDR + \h + 8]
        vpinsrq xmm1, xmm1, [rcx], 1
        mov     rcx, [r10 + EW_ADDR + \h + 16]
        vmovq   xmm2, [rcx]
        mov     rcx, [r10 + EW_ADDR + \h + 24]
        vpinsrq xmm2, xmm2, [rcx], 1
        vinserti128 ymm1, ymm1, xmm2, 1
        vpxor   ymm1, ymm1, [r10 + EW_EXPECT + \h]
        vpor    ymm0, ymm0, ymm1
        .endr
        /* glibc's exit-handler runner entry (exit_handlers.h:
           exit_handlers_ok; the entry count is the eighth word above) */
        mov     rcx, [r10 + EW_RUNNER]
        vmovdqu ymm1, [rcx]
        vpxor   ymm1, ymm1, [r10 + EW_RUNNER_EXPECT]
        vpor    ymm0, ymm0, ymm1
        lea     r11, [rip + sdrad_std_snapshot]
        .irp    k, 0, 1, 2
        mov     r9, [r10 + EW_FP + 8 * \k]
        vmovdqu ymm1, [r9 + 8]          /* _IO_read_ptr .. _IO_buf_end */
        vpxor   ymm1, ymm1, [r11 + STD_SNAPSHOT * \k]
        vmovdqu ymm2, [r9 + 40]
        vpxor   ymm2, ymm2, [r11 + STD_SNAPSHOT * \k + 32]
        vpor    ymm1, ymm1, ymm2
        vmovdqu ymm2, [r9 + 104]        /* _chain, _fileno .. */
        vpxor   ymm2, ymm2, [r11 + STD_SNAPSHOT * \k + 64]
        vmovdqu ymm3, [r9 + 136]        /* _lock .. _wide_data */
        vpxor   ymm3, ymm3, [r11 + STD_SNAPSHOT * \k + 96]
        vpor    ymm2, ymm2, ymm3
        vmovdqu ymm3, [r9 + 192]        /* .. the jump table */
        vpxor   ymm3, ymm3, [r11 + STD_SNAPSHOT * \k + 128]
        vpor    ymm1, ymm1, ymm3
        vpor    ymm1, ymm1, ymm2
        vpor    ymm0, ymm0, ymm1
        .endr
        vptest  ymm0, ymm0
        vzeroupper
        jnz     \slow
        /* all as root left it.  A fast-path call's block back to its
           caller (call.cpp: frame_copy_back; the frame is root-owned: the
           size is 0 or the fast path's 8..4096) */
39:     movzx   ecx, word ptr [rdx + F_COPY_SIZE]
        test    ecx, ecx
        jz      37f
        mov     rdi, [rdx + F_COPY_DST]
        mov     r9, [rdx + F_COPY_SRC]
        COPY_BLOCK rdi, r9, rcx, r11
        /* pop the frame (call.cpp: pop_frame) */
37:
        mov     byte ptr [r8 + IN_ACTIVE], 0
        mov     rcx, [rip + _ZN5sdrad6t_heapE@gottpoff]
        mov     rdi, [rdx + F_PARENT_HEAP]
        mov     fs:[rcx], rdi
        mov     dword ptr [rax + TS_DEPTH], 0
        mov     ecx, [rdx + F_PARENT_PKRU]
        mov     [rax + TS_CUR_PKRU], ecx        /* after depth, as pop_frame */
        mov     rcx, [rip + sdrad_t_runtime@gottpoff]
        movzx   edi, byte ptr [rdx + F_PARENT_INSIDE]
        mov     fs:[rcx], dil
        cmp     dword ptr [rip + sdrad_shared_page + SP_CONFINE], 0
        je      35f
        /* confine_sync at depth 0: "allow" (per-call dispatch is off, above) */
        mov     dword ptr [rax + TS_SUD_WANT], 0
        mov     rdi, rax
        sub     rdi, [rip + sdrad_shared_page + SP_TS_BASE]
        shr     rdi, TS_SHIFT
        add     rdi, [rip + sdrad_shared_page + SP_SUD_RW]
        mov     byte ptr [rdi], 0
        mov     rdi, [rip + sdrad_t_sud_block@gottpoff]
        mov     byte ptr fs:[rdi], 0
35:     mov     dword ptr [rax + TS_DOM_CODE], 0        /* mark_dom_code: root next */
        /* sdrad_jump(&f->ctx, 0) where the context's PKRU is the current
           one (0: elevated here); other contexts through sdrad_jump */
        cmp     dword ptr [rdx + CTX_PKRU], 0
        jne     36f
        LOAD_CALLER_REGS rdx
        /* back as a `ret` (sdrad_jump: why) */
        mov     rsp, [rdx + CTX_RSP]
        push    qword ptr [rdx + CTX_RIP]
        xor     eax, eax
        ret
36:     mov     rdi, rdx
        xor     esi, esi
        jmp     sdrad_jump
        /* the thread state without RDFSBASE: no record kept (0), or bound
           by arch_prctl (2: the C++ path) */
30:     cmp     dword ptr [rip + sdrad_shared_page + SP_BIND_THREADS], 0
        je      31b
        jmp     \slow
.endm

/* On the domain stack, the caller's context saved in the frame: drop to
 * the domain's PKRU \pkru (\dc: &ts->dom_code), run entry(arg) (r12,
 * r13), elevate, then the successful return from root (RETURN_FAST) or
 * sdrad_domain_returned.  Does not return: both jump to the context.
 * An exception that escapes the entry is caught here (catch (...): the
 * landing pad in \fn's LSDA, C++'s personality), status
 * SDRAD_FAULT_EXCEPTION, so the unwinder never walks into the stack switch.
 * \fn: the routine it is in, whose FDE names the LSDA (.cfi_lsda). */
.macro DROP_AND_RUN fn, dc, pkru
        SKIP_IF_NO_PKU 1f
        SELECTOR_TO_CHECK rbx, \dc     /* push_frame blocked it; a signal since may not have */
        mov     dword ptr [\dc], 1     /* ts->dom_code: the last store */
        mov     eax, \pkru
        /* the domain never runs with write access to root memory, nor
           with its selector on "allow" */
        DROP_CHECKED rbx
1:      mov     rdi, r13
.Linv_call_\fn:
        call    r12
.Linv_ret_\fn:                          /* returned: status 0 */
        /* EFLAGS as the ABI has them at a return: a domain may have set the
           direction flag (root's memcpy would copy downwards) or the
           alignment-check flag (root's unaligned accesses would raise
           SIGBUS): rows rt7_direction_flag_leaks_into_root,
           rt7_alignment_check_flag_leaks_into_root.  Pushed with the
           domain's rights, on its stack. */
        pushfq
        pop     rcx
        test    ecx, 0x244500           /* TF, DF, NT, AC, ID */
        jz      .Lflags_ok\@
        push    2                       /* popfq is slow: only when needed */
        popfq
.Lflags_ok\@:
        SKIP_IF_NO_PKU 2f
        xor     ecx, ecx
        RDPKRU
        mov     r13d, eax               /* the PKRU it returns from: the state's? */
        ELEVATE_MARKED
2:      RETURN_FAST .Lret0\@
.Lret0\@:
        xor     r12d, r12d              /* status 0, for the C++ path's checks */
.Lret_cpp\@:
        /* The thread state is found by the FS base, which the domain's code
           sets itself (WRFSBASE): with that of a thread inside another
           domain, this return would pop that thread's frame and run its
           root code here (rows rt11_wrfsbase_domain_thread_then_return,
           ..._slow_return).  The state must fit the PKRU the return came
           from (caller.cpp); if not, a real fault with
           those rights, which the kernel delivers on this thread's own
           alternate stack (SIGNAL_ENTRY finds the thread by it). */
        SKIP_IF_NO_PKU .Lret_fits\@
        mov     edi, r13d
        call    sdrad_domain_return_fits
        test    eax, eax
        mov     edi, r13d
        jz      sdrad_fault_with_rights
.Lret_fits\@:
        mov     edi, r12d               /* the status: edi, and r12d for preserve_none */
        call    sdrad_domain_returned   /* does not return */
        ud2
        /* the landing pad: an exception escaped the entry (still the
           domain's stack and PKRU, as the entry's catch would be) */
.Linv_pad_\fn:
        push    2                       /* EFLAGS cleared, as on a return */
        popfq
        mov     rdi, rax
        call    __cxa_begin_catch@PLT
        call    __cxa_end_catch@PLT
        mov     r12d, 11                /* SDRAD_FAULT_EXCEPTION (sdrad.h) */
        SKIP_IF_NO_PKU .Lret_cpp\@
        xor     ecx, ecx
        RDPKRU
        mov     r13d, eax
        ELEVATE_MARKED
        jmp     .Lret_cpp\@
        /* its LSDA (the Itanium C++ ABI's format, as a compiler writes it
           for one call in a try with catch (...)) */
        .pushsection .gcc_except_table, "a", @progbits
        .p2align 2
.Llsda_\fn:
        .byte   0xff                    /* landing pads relative to \fn */
        .byte   0x9b                    /* type entries: indirect pcrel sdata4 */
        .uleb128 .Ltt_\fn - .Ltt_ref_\fn
.Ltt_ref_\fn:
        .byte   0x01                    /* call sites: uleb128 */
        .uleb128 .Lcs_end_\fn - .Lcs_\fn
.Lcs_\fn:
        .uleb128 .Linv_call_\fn - \fn  /* the call of the entry */
        .uleb128 .Linv_ret_\fn - .Linv_call_\fn
        .uleb128 .Linv_pad_\fn - \fn
        .uleb128 1                      /* its action: the first record */
.Lcs_end_\fn:
        .byte   1                       /* type filter 1 */
        .byte   0                       /* no next record */
        .p2align 2
        .long   0                       /* type 1: 0, catch (...) */
.Ltt_\fn:
        .popsection
.endm

/* What .cfi_personality names (C++'s personality), as compilers define it. */
        .pushsection .data.DW.ref.__gxx_personality_v0, "awG", @progbits, DW.ref.__gxx_personality_v0, comdat
        .p2align 3
        .hidden DW.ref.__gxx_personality_v0
        .weak   DW.ref.__gxx_personality_v0
        .type   DW.ref.__gxx_personality_v0, @object
        .size   DW.ref.__gxx_personality_v0, 8
DW.ref.__gxx_personality_v0:
        .quad   __gxx_personality_v0
        .popsection

/*
 * int32_t sdrad_enter_and_run(Frame *f, uintptr_t stack_top, uint32_t pkru,
 *                             void (*fn)(void *), void *arg,
 *                             uint32_t *dom_code)   (&ts->dom_code)
 * Saves the caller's context in f->ctx (setjmp-like), switches to the domain
 * stack and keys, and runs fn(arg) (an exception that escapes it is caught:
 * DROP_AND_RUN).  It "returns" only via
 * sdrad_jump(&f->ctx, status) from sdrad_domain_returned or a rewind.
 */
        .globl  sdrad_enter_and_run
        .hidden sdrad_enter_and_run
        .type   sdrad_enter_and_run, @function
sdrad_enter_and_run:
        .cfi_startproc
        .cfi_personality 0x9b, DW.ref.__gxx_personality_v0
        .cfi_lsda 0x1b, .Llsda_sdrad_enter_and_run
        SAVE_CALLER_CTX rdi, rax
        mov     r12, rcx
        mov     r13, r8
        mov     rsp, rsi
        xor     ebp, ebp                /* backtraces stop at the domain edge */
        DROP_AND_RUN sdrad_enter_and_run, r9, edx
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
        LOAD_CALLER_REGS r8
        mov     r10, [r8 + CTX_RSP]
        mov     r11, [r8 + CTX_RIP]
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
        /* Back as a `ret`, not a `jmp`: every context was saved on entry
           to a call (SAVE_CALLER_CTX; the stack pointer is the caller's
           after that call returns), so [rsp - 8] is the dead slot of its
           return address.  Writing it back and returning pairs the CPU's
           return-address prediction with the caller's `call`; a `jmp` left
           one prediction unconsumed per call, and every later `ret` up the
           caller's chain mispredicted (no-argument call 43 -> 28 ns,
           docs/performance.md section 1). */
1:      mov     rsp, r10
        push    r11
        mov     rax, r9
        ret
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
        /* Who may be here: the kernel (PKRU 0x55555554, its handler
           value), root (0), or a domain's rights.  The last is a real
           delivery too: a signal nested in this prologue before the
           ELEVATE resumes it with the interrupted domain's PKRU
           (sdrad_signal_on_copy; 0xaaaaaa88 seen in the lane's guest),
           on the key-0 half of the alternate-stack block or on the
           domain's stack.  It is also a domain calling an entry directly
           with its stack pointer just above root memory, to have the
           handler's frames written there with root rights (row
           rt7_signal_entry_frames_on_root_thread_stack).  So with a
           domain's rights, the stack below must be one the domain may
           write itself: probed with those rights before elevating, as the
           gates do (a page it may not write faults as the domain's). */
        xor     ecx, ecx
        RDPKRU
        mov     r11d, eax               /* the entry PKRU, for 7: below */
        test    eax, eax
        jz      2f
        cmp     eax, 0x55555554
        je      2f
        PROBE_STACK
2:      ELEVATE
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
        /* The block must be this thread's: a domain that calls an entry
           with its stack pointer in another thread's frame half would
           have the copy below write that thread's root-keyed handler
           stack (row rt8_signal_entry_on_other_threads_block).  The
           thread's state as ELEVATE_MARKED validates it (bound to the FS
           base; without FSGSBASE only its range is checked). */
        LOAD_BOUND_TS rax, rcx, 8f, 3f
3:      mov     r12, rax                /* the state, for the copy's place (signal_stack.S) */
        mov     rax, [rax + TS_ALTSTACK]
        jmp     7f
        /* t_ts does not name this thread's state (a domain rewrote it):
           the slow lookup (signals.cpp), pushing below the frame only. */
8:      push    rdi
        push    rsi
        push    r10
        push    r11
        sub     rsp, 8
        call    sdrad_thread_state_slow
        add     rsp, 8
        pop     r11
        pop     r10
        pop     rsi
        pop     rdi
        mov     rdx, r10
        mov     r12, rax
        test    rax, rax
        jz      7f                      /* none: no block matches below */
        mov     rax, [rax + TS_ALTSTACK]
7:      mov     rcx, rsp
        and     rcx, -2 * ALT_ROOT      /* the block (aligned to its size) */
        cmp     rcx, rax
        jne     4f
        lea     r11, [rip + \handler]
        lea     r10, [rip + 5f]
        jmp     sdrad_signal_root_stack
        /* Not the block of the state the FS base names: a domain may have
           set another thread's FS base (WRFSBASE); a kernel delivery puts
           this thread's back (signals.cpp) before the violation is charged. */
4:      mov     rdi, rcx
        mov     esi, r11d
        sub     rsp, 8
        call    sdrad_signal_foreign_block
        jmp     sdrad_gate_violation
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

        /* [sdrad_signal_entries, sdrad_signal_entries_end): runtime code
           that runs with the kernel's or the domain's PKRU around a handler
           (syscall_confine.cpp: a signal there is not the domain's). */
        .globl  sdrad_signal_entries
        .hidden sdrad_signal_entries
sdrad_signal_entries:
        SIGNAL_ENTRY sdrad_signal_entry, sdrad_signal_handler
        SIGNAL_ENTRY sdrad_user_signal_entry, sdrad_dispatch_user_signal
        SIGNAL_ENTRY sdrad_sigsys_entry, sdrad_sigsys_handler      /* syscall_confine.cpp */
        SIGNAL_ENTRY sdrad_timeout_signal_entry, sdrad_timeout_signal_handler  /* liveness.cpp */
        .globl  sdrad_signal_entries_end
        .hidden sdrad_signal_entries_end
sdrad_signal_entries_end:

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
        cld                             /* the rewind's memsets (ELEVATE: also without PKU) */
        SKIP_IF_NO_PKU 1f
        mov     r10d, edi
        xor     ecx, ecx
        RDPKRU
        mov     r11d, eax               /* the caller's PKRU (0: the runtime's own) */
        ELEVATE_MARKED
        /* From a domain, the state the FS base names must fit the caller's
           PKRU, as at the gates: a domain that set another thread's FS base
           (WRFSBASE) would have that thread's call rewound and run its root
           code (row rt11_wrfsbase_domain_thread_then_copy_fault).  If not,
           a real fault with the caller's rights: the kernel delivers it on
           this thread's own alternate stack, by which SIGNAL_ENTRY finds
           the thread (signals.cpp, sdrad_signal_foreign_block). */
        test    r11d, r11d
        jz      2f
        push    r10
        push    r11
        sub     rsp, 8
        mov     edi, r11d
        call    sdrad_gate_state_fits_caller
        add     rsp, 8
        pop     r11
        pop     r10
        mov     edi, r11d
        test    eax, eax
        jz      sdrad_fault_with_rights
2:      mov     edi, r10d
1:      jmp     sdrad_soft_fault_impl
        .cfi_endproc
        .size   sdrad_soft_fault_gate, . - sdrad_soft_fault_gate

/* A real fault (ud2) with the rights in edi, a domain's PKRU that the
 * caller read before elevating: the kernel delivers it on this thread's own
 * alternate stack, by which SIGNAL_ENTRY finds the thread whatever its FS
 * base (signals.cpp, sdrad_signal_foreign_block), and charges the domain.
 * Nothing runs between the WRPKRU and the trap. */
        .type   sdrad_fault_with_rights, @function
sdrad_fault_with_rights:
        .cfi_startproc
        mov     eax, edi
        xor     ecx, ecx
        xor     edx, edx
        WRPKRU
        ud2
        .cfi_endproc
        .size   sdrad_fault_with_rights, . - sdrad_fault_with_rights

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

/*
 * int32_t __sdrad_call_with(int64_t handle, void (*entry)(void *), void *blk,
 *                           size_t size)
 * The fused call's common case in one routine: a call from root (PKRU 0
 * under PKU; depth 0 either way) into the thread's existing instance of a
 * live execution domain, with no time limit, no init function due, its
 * rights and heap limit current, a block of 0 or 8-4096 bytes, and no
 * change of syscall dispatch needed (a prctl).  It does what
 * sdrad_impl_call_with, run_call and push_frame (call.cpp) do in that case,
 * with the same checks and the same frame, saves its caller's (the
 * thunk's) context in the frame as sdrad_enter_and_run does, and drops
 * (DROP_AND_RUN).  The way back (RETURN_FAST, or sdrad_domain_returned,
 * with every check on leaving) copies the block back from where the frame
 * says and jumps straight to the thunk.  Anything else goes, arguments
 * untouched, to the gate and the C++ path (sdrad_call_with_gate).  Keep in
 * step with call.cpp.
 */

        .globl  __sdrad_call_with
        .type   __sdrad_call_with, @function
__sdrad_call_with:
        .cfi_startproc
        .cfi_personality 0x9b, DW.ref.__gxx_personality_v0
        .cfi_lsda 0x1b, .Llsda___sdrad_call_with
        cmp     dword ptr [rip + sdrad_shared_page + SP_PKU], 0
        je      1f
        mov     r8, rdx
        mov     r9, rcx
        xor     ecx, ecx
        RDPKRU
        mov     rdx, r8
        mov     rcx, r9
        test    eax, eax
        jnz     .Lcw_slow               /* not root: the gate */
        jmp     2f
1:      mov     r11, [rip + sdrad_t_sud_block@gottpoff]
        cmp     byte ptr fs:[r11], 0
        jne     .Lcw_slow               /* from a confined domain */
        /* the thread state (state.h: thread_state, ts_valid) */
2:      LOAD_BOUND_TS rax, r8, .Lcw_slow, 3f    /* 3: out of line, below */
4:      cmp     dword ptr [rax + TS_IN_USE], 0
        je      .Lcw_slow
        cmp     dword ptr [rax + TS_DEPTH], 0
        jne     .Lcw_slow               /* nested: caller checks (call.cpp) */
        /* arguments: an entry; a block of 0 or 8..4096 bytes
           (SDRAD_MAX_INLINE_BLOCK) */
        test    rsi, rsi
        jz      .Lcw_slow
        test    rcx, rcx
        jz      5f
        test    rdx, rdx
        jz      .Lcw_slow
        lea     r8, [rcx - 8]
        cmp     r8, 4096 - 8
        ja      .Lcw_slow
        /* the instance (state.h: instance_cached; call.cpp: enterable) */
5:      movzx   r8d, dil
        mov     r9, [rax + TS_INST + r8 * 8]
        test    r9, r9
        jz      .Lcw_slow
        mov     r10, [r9 + IN_DOM]
        mov     r11d, [r10 + D_GENERATION]
        mov     r8, rdi
        shr     r8, MAX_DOMAINS_SHIFT
        cmp     r8, r11
        jne     .Lcw_slow               /* stale or forged handle, or <= 0 */
        cmp     [r9 + IN_DOM_GEN], r11d
        jne     .Lcw_slow
        cmp     dword ptr [r10 + D_LIVE], 0
        je      .Lcw_slow
        cmp     byte ptr [r9 + IN_ACTIVE], 0
        jne     .Lcw_slow
        cmp     dword ptr [r10 + D_IS_DATA], 0
        jne     .Lcw_slow
        /* liveness: no time limit, no init function due, heap limit open */
        cmp     dword ptr [r10 + D_TIMEOUT], 0
        jne     .Lcw_slow
        cmp     byte ptr [r9 + IN_INIT_DONE], 0
        jne     6f
        cmp     qword ptr [r10 + D_INIT_FN], 0
        jne     .Lcw_slow
6:      cmp     qword ptr [r9 + IN_HEAP], 0
        je      7f
        mov     r11d, [r10 + D_LIMIT_GEN]
        cmp     [r9 + IN_LIMIT_GEN], r11d
        jne     .Lcw_slow
        /* its PKRU reflects the domain's grants (state.h: instance_pkru) */
7:      mov     r11d, [r10 + D_GRANTS_GEN]
        cmp     [r9 + IN_PKRU_GEN], r11d
        jne     .Lcw_slow
        /* syscall confinement (confine.h: confine_sync at depth 1): r11b is
           the selector to set; turning dispatch on (or off, per call) is
           the C++ path's */
        xor     r11d, r11d              /* kSudAllow */
        mov     r8d, [rip + sdrad_shared_page + SP_CONFINE]
        test    r8d, r8d
        jz      9f                      /* kConfineOff */
        cmp     dword ptr [r10 + D_SYSCALLS], 2         /* kSyscallsAny */
        je      8f
        mov     r11d, 1                 /* kSudBlock */
        cmp     dword ptr [rax + TS_SUD_ON], 0
        je      .Lcw_slow
        jmp     9f
8:      cmp     r8d, 1                  /* kConfinePerCall */
        jne     9f
        cmp     dword ptr [rax + TS_SUD_ON], 0
        jne     .Lcw_slow
        /* Committed: nothing below falls back.  The caller's context
           (the thunk's: nothing is pushed here) goes into the frame, f =
           &ts->frames[0], as sdrad_enter_and_run saves its caller's */
9:      lea     r8, [rax + TS_FRAMES]
        SAVE_CALLER_CTX r8, r12
        /* The block goes to the top of the domain stack, ending at the
           canary (call.cpp); the return copies it back (RETURN_FAST or
           sdrad_domain_returned) to where the root-owned frame says */
        mov     [r8 + F_COPY_DST], rdx
        mov     [r8 + F_COPY_SIZE], cx
        lea     r13, [rcx + 31]         /* 16 + the size rounded up to 16 */
        and     r13, -16
        neg     r13
        add     r13, [r9 + IN_STACK_HI] /* r13: the copy, the entry's argument */
        mov     [r8 + F_COPY_SRC], r13
        test    rcx, rcx
        jz      10f
        COPY_BLOCK r13, rdx, rcx, r14
        /* the frame (call.cpp: run_call, push_frame) */
10:     mov     rdx, r8                 /* f */
        mov     [rdx + F_INST], r9
        mov     [rdx + F_HANDLE], rdi
        mov     dword ptr [rdx + F_KIND], 0     /* kFrameCall */
        mov     ecx, [rax + TS_CUR_PKRU]
        mov     [rdx + F_PARENT_PKRU], ecx
        mov     rcx, [rip + _ZN5sdrad6t_heapE@gottpoff]
        mov     rdi, fs:[rcx]
        mov     [rdx + F_PARENT_HEAP], rdi
        mov     dword ptr [rdx + CTX_PKRU], 0   /* root's (RDPKRU above) */
        mov     qword ptr [rdx + F_DEADLINE], 0
        movdqu  xmm0, fs:[0x28]         /* kTlsCanary, kTlsPointerGuard */
        movdqu  [rdx + F_TLS_CANARY], xmm0
        .irp    k, 0, 1, 2, 3, 4        /* the watched TLS words (state.h) */
        mov     rdi, [rip + sdrad_shared_page + SP_TLS_WATCHED_OFF + 8 * \k]
        mov     rdi, fs:[rdi]
        mov     [rdx + F_TLS_WATCHED + 8 * \k], rdi
        .endr
        mov     rdi, [rip + sdrad_shared_page + SP_EXIT_HEAD]
        test    rdi, rdi
        jz      11f
        mov     rdi, [rdi]
        mov     [rdx + F_EXIT_HEAD], rdi
11:     mov     rdi, [rip + sdrad_t_runtime@gottpoff]
        movzx   r8d, byte ptr fs:[rdi]
        mov     [rdx + F_PARENT_INSIDE], r8b
        mov     byte ptr fs:[rdi], 0    /* the domain's own code runs next */
        /* cur_pkru before depth, as push_frame: a signal handler returns
           through the PKRU cur_pkru names, and one that finds depth > 0
           with root's PKRU there takes it for a gate violation */
        mov     r8d, [r9 + IN_PKRU]
        mov     [rax + TS_CUR_PKRU], r8d
        mov     dword ptr [rax + TS_DEPTH], 1
        mov     byte ptr [r9 + IN_ACTIVE], 1
        lock inc qword ptr [r10 + D_CALLS]
        mov     rdi, [r9 + IN_HEAP]
        mov     fs:[rcx], rdi           /* t_heap: malloc serves the domain */
        cmp     dword ptr [rip + sdrad_shared_page + SP_CONFINE], 0
        je      12f
        /* confine_sync: what the runtime wants (sud_want, checked by
           sdrad_enter_and_run's drop after its WRPKRU), then the selector */
        movzx   edi, r11b
        mov     [rax + TS_SUD_WANT], edi
        mov     rdi, rax
        sub     rdi, [rip + sdrad_shared_page + SP_TS_BASE]
        shr     rdi, TS_SHIFT
        add     rdi, [rip + sdrad_shared_page + SP_SUD_RW]
        mov     [rdi], r11b             /* the thread's selector (root view) */
        mov     rdi, [rip + sdrad_t_sud_block@gottpoff]
        mov     fs:[rdi], r11b
12:     mov     r12, rsi                /* entry */
        lea     rsp, [r13 - 64]         /* the domain's stack top */
        xor     ebp, ebp                /* backtraces stop at the domain edge */
        /* sdrad_fast_path_drop: the selector is set, the drop next (the
           window test/unit/confinement_test.cpp signals in) */
        .globl  sdrad_fast_path_drop
        .hidden sdrad_fast_path_drop
sdrad_fast_path_drop:
        DROP_AND_RUN __sdrad_call_with, rax+TS_DOM_CODE, r8d
        /* the thread state without RDFSBASE: no record kept (0), or bound
           by arch_prctl (2: the C++ path) */
3:      cmp     dword ptr [rip + sdrad_shared_page + SP_BIND_THREADS], 0
        je      4b
.Lcw_slow:
        jmp     sdrad_call_with_gate
        .cfi_endproc
        .size   __sdrad_call_with, . - __sdrad_call_with


        GATE __sdrad_call,              sdrad_impl_call, mark=0
        GATE sdrad_call_with_gate,      sdrad_impl_call_with, mark=0
        .hidden sdrad_call_with_gate
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
