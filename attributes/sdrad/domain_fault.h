/*
 * sdrad/domain_fault.h - SDRAD_ISOLATE(..., rethrow): a failed call throws
 * sdrad::domain_fault in the caller instead of returning the alternate
 * result (included by <sdrad/isolate.h> in C++ with the plugin).
 *
 * An exception that escapes the isolated function is caught inside the
 * domain (by detail::run_catching, which the thunk runs around the body):
 * its what() is copied into the argument block and rethrown in the caller
 * as domain_fault{kind() == SDRAD_FAULT_EXCEPTION, original_what()}; the
 * domain stays (the exception unwound it normally).  A fault (segv, abort,
 * stack smash, canary, ...) discards the domain as always and throws
 * domain_fault{kind() == the fault's kind}.  A call that could not run at
 * all (no domain, nesting, out of memory) throws kind() == 0 and
 * error() == sdrad_last_error().
 */
#ifndef SDRAD_DOMAIN_FAULT_H
#define SDRAD_DOMAIN_FAULT_H

#include <sdrad/sdrad.h>

#include <cstddef>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>

namespace sdrad {

class domain_fault : public std::runtime_error {
public:
  domain_fault(int kind, int error, std::string domain, std::string what)
      : std::runtime_error(message(kind, error, domain, what)), Kind(kind),
        Error(error), Domain(std::move(domain)), What(std::move(what)) {}

  /// enum sdrad_fault_kind; 0 if the call could not run (see error()).
  int kind() const noexcept { return Kind; }
  /// "exception", "segv", ... ("none" for a call that could not run).
  const char *kind_name() const noexcept { return sdrad_fault_kind_name(Kind); }
  /// sdrad_last_error() for a call that could not run, else 0.
  int error() const noexcept { return Error; }
  const std::string &domain() const noexcept { return Domain; }
  /// The escaped exception's what() (truncated to 255 bytes), else "".
  const std::string &original_what() const noexcept { return What; }

private:
  static std::string message(int kind, int error, const std::string &domain,
                             const std::string &what) {
    std::string M = "sdrad: ";
    M += kind ? sdrad_fault_kind_name(kind) : sdrad_error_name(error);
    M += " in domain '" + domain + "'";
    if (!what.empty())
      M += ": " + what;
    return M;
  }
  int Kind, Error;
  std::string Domain, What;
};

namespace detail {

/// Bytes of what() the argument block carries back.
constexpr std::size_t what_size = 256;

/// Runs in the domain around the entry: catches what escapes and copies
/// its what() into the block.  Returns 1 if something was caught.
inline int run_catching(void (*entry)(void *), void *blk, char *what) noexcept {
  const char *text;
  try {
    entry(blk);
    return 0;
  } catch (const std::exception &e) {
    text = e.what();
  } catch (...) {
    text = "an exception not derived from std::exception";
  }
  std::strncpy(what, text ? text : "", what_size - 1);
  what[what_size - 1] = '\0';
  return 1;
}

/// Called (with false) at the start of every rethrow function's body: clang
/// marks a body that cannot throw nounwind, and then emits the callers'
/// calls without landing pads, so the domain_fault the thunk throws would
/// end the program.  A call that may throw keeps it from doing so.
inline void may_throw(bool really) {
  if (really)
    throw std::bad_exception();
}

/// Runs in the caller: throws the domain_fault for a failed call (the
/// thunk cleared the fault record before the call).
[[noreturn]] inline void throw_fault(const char *domain, const char *what) {
  if (what)
    throw domain_fault(SDRAD_FAULT_EXCEPTION, 0, domain, what);
  sdrad_fault f;
  if (sdrad_last_fault(&f) && f.kind != SDRAD_FAULT_NONE)
    throw domain_fault(f.kind, 0, domain, "");
  throw domain_fault(0, sdrad_last_error(), domain, "");
}

} // namespace detail
} // namespace sdrad

#endif /* SDRAD_DOMAIN_FAULT_H */
