/*
 * sdrad/sdrad.h - the native C API of the SDRaD-C++ runtime: fault reports,
 * counters, backend query.  The SDRaD-compatible API is in <sdrad_api.h>;
 * the compiler thunk ABI is in <sdrad/abi.h>.
 */
#ifndef SDRAD_SDRAD_H
#define SDRAD_SDRAD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What went wrong inside a domain. */
enum sdrad_fault_kind {
  SDRAD_FAULT_NONE = 0,
  SDRAD_FAULT_KEY_VIOLATION = 1,  /* SIGSEGV with SEGV_PKUERR */
  SDRAD_FAULT_SEGV = 2,           /* other SIGSEGV (unmapped, guard page) */
  SDRAD_FAULT_STACK_OVERFLOW = 3, /* SIGSEGV on the domain stack guard */
  SDRAD_FAULT_BUS = 4,            /* SIGBUS */
  SDRAD_FAULT_ILL = 5,            /* SIGILL */
  SDRAD_FAULT_FPE = 6,            /* SIGFPE (division by zero, ...) */
  SDRAD_FAULT_TRAP = 7,           /* SIGTRAP */
  SDRAD_FAULT_ABORT = 8,          /* SIGABRT: abort(), failed assert */
  SDRAD_FAULT_STACK_PROTECTOR = 9,/* __stack_chk_fail */
  SDRAD_FAULT_CANARY = 10,        /* argument copy or domain stack canary */
  SDRAD_FAULT_EXCEPTION = 11,     /* C++ exception escaped the entry */
  SDRAD_FAULT_HEAP_CORRUPTION = 12,/* the domain's allocator found its
                                      metadata corrupted (double free, ...) */
  SDRAD_FAULT_FOREIGN_FREE = 13,  /* free of memory the domain does not own */
  SDRAD_FAULT_GATE = 14,          /* a key switch saw an unexpected PKRU, or
                                     a runtime call was handed a pointer or
                                     handle the domain may not use */
  SDRAD_FAULT_ROOT_STATE = 15,    /* the domain changed process state it
                                     can reach but must not change (the TLS
                                     stack-protector canary, pointer guard) */
  SDRAD_FAULT_SYSCALL = 20,       /* a system call its policy refuses
                                     (addr holds the system call number) */
  SDRAD_FAULT_TIMEOUT = 16,       /* the call ran past its time limit
                                     (sdrad_set_timeout) */
  SDRAD_FAULT_CANCELLED = 21,     /* the thread was cancelled
                                     asynchronously (pthread_cancel) while
                                     the call ran: the call is abandoned and
                                     the cancellation acts in its caller */
};

/* Errors (negative) returned instead of running a domain. */
enum sdrad_error {
  SDRAD_OK = 0,
  SDRAD_E_BAD_HANDLE = -101,     /* unknown / destroyed domain */
  SDRAD_E_NO_KEY = -102,         /* all protection keys in use */
  SDRAD_E_NO_MEMORY = -103,      /* could not map domain memory */
  SDRAD_E_POLICY_CONFLICT = -104,/* same name, different policy */
  SDRAD_E_TOO_MANY_DOMAINS = -105,
  SDRAD_E_NESTING = -106,        /* nesting too deep, or re-entering an
                                    active domain on this thread */
  SDRAD_E_BAD_ARGUMENT = -107,
  SDRAD_E_ABI_VERSION = -108,
  SDRAD_E_NOT_INITIALIZED = -109,/* runtime refused to start
                                    (SDRAD_REQUIRE_PKU without PKU) */
};

enum sdrad_backend {
  SDRAD_BACKEND_UNPROTECTED = 0, /* no hardware isolation (no PKU) */
  SDRAD_BACKEND_PKU = 1,         /* x86 memory protection keys */
};

typedef struct sdrad_fault {
  int32_t kind;          /* enum sdrad_fault_kind */
  int32_t signo;         /* signal number, 0 for software-detected faults */
  int32_t si_code;
  int32_t pkey;          /* si_pkey for key violations, else -1 */
  uintptr_t addr;        /* faulting address (si_addr), 0 if none */
  uintptr_t pc;          /* instruction pointer at the fault, 0 if none */
  int64_t handle;        /* domain handle (native) */
  uint64_t udi;          /* SDRaD udi of the domain (compat API), else 0 */
  char domain[48];       /* domain name, truncated */
} sdrad_fault;

typedef struct sdrad_domain_stats {
  uint64_t calls;        /* entries on all threads */
  uint64_t faults;       /* faults recovered */
  uint64_t heap_high_water; /* largest heap footprint (bytes) of the calling
                               thread's instance and of every instance
                               discarded, retired or released so far */
  uint64_t heap_in_use;  /* bytes in use in the calling thread's instance */
} sdrad_domain_stats;

/* The last fault recovered on the calling thread.  Returns 1 and fills *out
 * if there was one since the last sdrad_clear_fault(), else 0. */
int sdrad_last_fault(sdrad_fault *out);
void sdrad_clear_fault(void);

/* The last error (< 0, enum sdrad_error) that kept __sdrad_call or
 * __sdrad_call_with from entering a domain on the calling thread, for
 * example SDRAD_E_NESTING when an isolated function was re-entered; 0 if
 * none since sdrad_clear_fault(). */
int32_t sdrad_last_error(void);

/* Short stable names: "key-violation", "segv", ... */
const char *sdrad_fault_kind_name(int32_t kind);
const char *sdrad_error_name(int32_t err);

int sdrad_backend(void);               /* enum sdrad_backend */
const char *sdrad_backend_name(void);  /* "pku" or "unprotected" */

/* Native handle of a domain by name, registering it if needed. */
int64_t sdrad_domain_by_name(const char *name, uint32_t policy);
int sdrad_get_stats(int64_t handle, sdrad_domain_stats *out);

/* Current nesting depth of the calling thread (0 = root). */
int sdrad_depth(void);

/* Release the calling thread's instance of a domain (its heap and stack).
 * Refused (SDRAD_E_NESTING) while that domain is active on this thread. */
int sdrad_release_instance(int64_t handle);

/* Is `p` inside the calling thread's instance of `handle`: its heap or its
 * argument arena (where thunk argument blocks and copies live)? */
int sdrad_owns(int64_t handle, const void *p);

/* --- liveness and library state (root code only, except the epoch) --- */

/* A time limit for every call of the domain (0: none, the default).  A call
 * still running after timeout_ms is interrupted (also inside a blocking
 * system call) and rewound with fault kind SDRAD_FAULT_TIMEOUT, within
 * about timeout_ms * 1.25 + 50 ms.  The first limit set starts a watchdog
 * thread; calls themselves make no system call for it.  The watchdog uses
 * signal SIGRTMAX-1.  0 or SDRAD_E_BAD_HANDLE. */
int sdrad_set_timeout(int64_t handle, uint32_t timeout_ms);

/* The most heap memory each instance of the domain may use, in bytes (0:
 * the default, SDRAD_HEAP_LIMIT or an eighth of physical memory, at most
 * the heap region SDRAD_HEAP_SIZE).  Beyond it malloc returns NULL and
 * operator new throws std::bad_alloc inside the domain; SDRAD_LOG reports
 * it.  Takes effect at the next entry.  0 or SDRAD_E_BAD_HANDLE. */
int sdrad_set_heap_limit(int64_t handle, size_t bytes);

/* fn(handle, arg) runs in root after each fault of the domain has been
 * rewound and its memory discarded (e.g. to reset a library's globals that
 * pointed into the discarded heap).  NULL removes it. */
int sdrad_on_discard(int64_t handle, void (*fn)(int64_t handle, void *arg), void *arg);

/* fn() runs inside the domain before the function called, on the first
 * call of each instance and again on the first call after every discard
 * (e.g. to initialise a library whose state must live in the domain).  A
 * fault inside fn is a fault of that call.  NULL removes it. */
int sdrad_set_init(int64_t handle, void (*fn)(void));

/* Root code only: while on (1) for the calling thread, its malloc & co.
 * (and operator new) allocate from a shared heap in memory every domain may
 * read and write - for library state created in root that code inside
 * domains must update, such as a library's mutexes (docs/libraries.md).
 * Root frees those blocks with free(); domains may not.  Returns the
 * previous setting. */
int sdrad_shared_allocations(int on);

/* The domain's discard count: it changes on every discard of any of its
 * instances.  A handle into domain memory stored with the epoch it was made
 * in is stale when the epoch differs.  0 for an unknown handle. */
uint64_t sdrad_domain_epoch(int64_t handle);

#ifdef __cplusplus
}
#endif

#endif /* SDRAD_SDRAD_H */
