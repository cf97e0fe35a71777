// Fault reports and names: what the API and SDRAD_LOG tell the user.
#include <string.h>

#include "internal.h"

using namespace sdrad;

extern "C" {

SDRAD_EXPORT const char *sdrad_fault_kind_name(int32_t kind) {
  switch (kind) {
    case SDRAD_FAULT_NONE: return "none";
    case SDRAD_FAULT_KEY_VIOLATION: return "key-violation";
    case SDRAD_FAULT_SEGV: return "segv";
    case SDRAD_FAULT_STACK_OVERFLOW: return "stack-overflow";
    case SDRAD_FAULT_BUS: return "bus-error";
    case SDRAD_FAULT_ILL: return "illegal-instruction";
    case SDRAD_FAULT_FPE: return "arithmetic";
    case SDRAD_FAULT_TRAP: return "trap";
    case SDRAD_FAULT_ABORT: return "abort";
    case SDRAD_FAULT_STACK_PROTECTOR: return "stack-protector";
    case SDRAD_FAULT_CANARY: return "canary";
    case SDRAD_FAULT_EXCEPTION: return "exception";
    case SDRAD_FAULT_HEAP_CORRUPTION: return "heap-corruption";
    case SDRAD_FAULT_FOREIGN_FREE: return "foreign-free";
    case SDRAD_FAULT_GATE: return "gate-violation";
    case SDRAD_FAULT_ROOT_STATE: return "root-state-tampered";
    case SDRAD_FAULT_SYSCALL: return "syscall";
    case SDRAD_FAULT_TIMEOUT: return "timeout";
    case SDRAD_FAULT_CANCELLED: return "cancelled";
  }
  return "unknown";
}

SDRAD_EXPORT const char *sdrad_error_name(int32_t err) {
  switch (err) {
    case SDRAD_OK: return "ok";
    case SDRAD_E_BAD_HANDLE: return "unknown or destroyed domain";
    case SDRAD_E_NO_KEY: return "no protection key left";
    case SDRAD_E_NO_MEMORY: return "out of memory for domain memory";
    case SDRAD_E_POLICY_CONFLICT: return "domain already registered with another policy";
    case SDRAD_E_TOO_MANY_DOMAINS: return "too many domains or threads";
    case SDRAD_E_NESTING: return "nesting too deep or domain already active on this thread";
    case SDRAD_E_BAD_ARGUMENT: return "bad argument";
    case SDRAD_E_ABI_VERSION: return "thunk compiled for another runtime ABI";
    case SDRAD_E_NOT_INITIALIZED: return "runtime not initialised";
  }
  return err > 0 ? sdrad_fault_kind_name(err) : "unknown error";
}

SDRAD_EXPORT int sdrad_backend(void) {
  ensure_initialized();
  return g_shared.pku ? SDRAD_BACKEND_PKU : SDRAD_BACKEND_UNPROTECTED;
}

SDRAD_EXPORT const char *sdrad_backend_name(void) {
  return sdrad_backend() == SDRAD_BACKEND_PKU ? "pku" : "unprotected";
}

SDRAD_HIDDEN int sdrad_impl_last_fault(sdrad_fault *out) {
  ThreadState *ts = thread_state_if_any();
  if (!ts || !ts->has_fault) return 0;
  if (out) {
    check_caller_write(ts, "sdrad_last_fault", out, sizeof(*out));
    *out = ts->last_fault;
  }
  return 1;
}

SDRAD_HIDDEN void sdrad_impl_clear_fault(void) {
  if (ThreadState *ts = thread_state_if_any()) {
    ts->has_fault = 0;
    ts->last_error = 0;
  }
}

SDRAD_HIDDEN int32_t sdrad_impl_last_error(void) {
  ThreadState *ts = thread_state_if_any();
  return ts ? ts->last_error : 0;
}

}  // extern "C"
