/*
 * sdrad_api.h - SDRaD-compatible C API, so programs written for the
 * original SDRaD C library build and behave the same against SDRaD-C++.
 * See docs/sdrad-api.md for the semantics kept and the differences.
 *
 * Usual pattern (compile with -fstack-protector-strong):
 *
 *   err = sdrad_init(udi, SDRAD_EXECUTION_DOMAIN | SDRAD_NONISOLATED_DOMAIN);
 *   if (err == SDRAD_SUCCESSFUL_RETURNED || err == SDRAD_WARNING_SAVE_EC) {
 *     sdrad_enter(udi); work(); sdrad_exit(); sdrad_deinit(udi);
 *   } else {
 *     // err == udi: violation detected, domain discarded
 *   }
 */
#ifndef SDRAD_API_H
#define SDRAD_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SDRAD_ROOT_DOMAIN 0

/* Flags of sdrad_init. */
#define SDRAD_EXECUTION_DOMAIN (1 << 0)
#define SDRAD_DATA_DOMAIN (1 << 1)
#define SDRAD_ISOLATED_DOMAIN (1 << 2)
#define SDRAD_NONISOLATED_DOMAIN (1 << 3)
#define SDRAD_RETURN_TO_PARENT (1 << 4)
#define SDRAD_RETURN_TO_CURRENT (1 << 6)
/* Options of sdrad_destroy. */
#define SDRAD_NO_HEAP_MERGE (1 << 7)
#define SDRAD_HEAP_MERGE (1 << 8)
/* SDRaD-C++ extension: the domain's system calls (docs/plugin.md). */
#define SDRAD_SYSCALLS_EPERM (1 << 12) /* refused calls fail with EPERM */
#define SDRAD_SYSCALLS_ANY (1 << 13)   /* not confined */

/* Access of sdrad_dprotect. */
#define SDRAD_NO_ACCESS 0
#define SDRAD_READ_ACCESS 1
#define SDRAD_WRITE_ACCESS 2 /* read and write */

/* Return codes. */
#define SDRAD_SUCCESSFUL_RETURNED -1
#define SDRAD_ERROR_NO_PKEY -2
#define SDRAD_ERROR_DOMAIN_ALREADY_INIT -3
#define SDRAD_ERROR_WRONG_CONFIG -4
#define SDRAD_WARNING_SAVE_EC -5
#define SDRAD_ERROR_NO_DOMAIN -6
#define SDRAD_ERROR_NO_EC -7

/* Saves the caller's execution context (like setjmp).  Returns
 * SDRAD_SUCCESSFUL_RETURNED after creating the domain, SDRAD_WARNING_SAVE_EC
 * when it existed (after sdrad_deinit) and only the context was saved, an
 * error code, or - a second time, after an abnormal exit of the domain -
 * the udi. */
int32_t sdrad_init(uint64_t udi, long flags) __attribute__((returns_twice));
/* Switches the stack pointer to the domain's stack and PKRU to the
 * domain's keys, then returns into the caller, which keeps running inside
 * the domain until sdrad_exit(). 0 or an error code. */
int32_t sdrad_enter(uint64_t udi);
void sdrad_exit(void);
int32_t sdrad_deinit(uint64_t udi);
int32_t sdrad_destroy(uint64_t udi, int32_t options);
int32_t sdrad_dprotect(uint64_t target_udi, uint64_t source_udi, int32_t access);
void *sdrad_malloc(uint64_t udi, size_t size);
void *sdrad_calloc(uint64_t udi, size_t nelem, size_t elsize);
void sdrad_free(uint64_t udi, void *ptr);
void *sdrad_realloc(uint64_t udi, void *ptr, size_t size);
int sdrad_memalign(uint64_t udi, void **memptr, size_t alignment, size_t size);
/* Runs fn(arg copy) in domain udi; SDRAD_SUCCESSFUL_RETURNED (-1) and
 * *ret = fn's result on success (the copy is written back to arg), the udi
 * (as int32_t) after an abnormal exit, or an error code.  As in SDRaD, a
 * udi without a domain gets one for this call only (destroyed afterwards). */
#if !defined(__cplusplus) && (!defined(__STDC_VERSION__) || __STDC_VERSION__ < 202311L)
/* fn is unprototyped, as in SDRaD, so that any function pointer can be
 * passed; that is deliberate, not a warning for the user's build. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
int32_t sdrad_call(uint64_t udi, int32_t (*fn)(), void *arg, size_t arg_size, int32_t *ret);
#pragma GCC diagnostic pop
#else
int32_t sdrad_call(uint64_t udi, int32_t (*fn)(), void *arg, size_t arg_size, int32_t *ret);
#endif

#ifdef __cplusplus
}
#endif

#endif /* SDRAD_API_H */
