/*
 * sdrad/isolate.h - annotations for SDRaD-C++ isolation.
 *
 * With clang-19 -fplugin=SDRaDPlugin.so these expand to the plugin's
 * attributes; with any other compiler (or without the plugin) they expand to
 * nothing, so annotated code still builds and runs, unisolated.
 *
 *   SDRAD_ISOLATE(args...)   on a function: run it in a memory domain.
 *       args, all optional, in any order:
 *         "name"               domain name (functions naming the same domain
 *                              share it, across translation units); default:
 *                              the function's own domain
 *         integrity            policy (default): the domain may read memory
 *                              outside it but write only its own
 *         confidentiality      the domain may neither read nor write memory
 *                              outside it
 *         fallback(f)          on a fault return f(same arguments)
 *         fallback_value(v)    on a fault return v (a literal)
 *         shared               the returned pointer is meant to point outside
 *                              the domain (silences the warning)
 *         rethrow              (C++) a failed call throws sdrad::domain_fault
 *                              (kind, domain, an escaped exception's what())
 *                              instead of returning the alternate result
 *         ok_if(cmp)           what a successful return is, for out(n, if_ok):
 *                              ok_if(== 0), ok_if(>= 0), ok_if(!= nullptr),
 *                              ok_if(true), ...
 *       Without fallback the function returns zero (0, 0.0, NULL, {}) on a
 *       fault; sdrad_last_fault() (<sdrad/sdrad.h>) tells what happened.
 *
 *   On pointer parameters ("n" is another parameter's name or a constant,
 *   counted in elements of the pointee type, bytes for void *):
 *   SDRAD_IN(n)      copy n elements into the domain before the call
 *   SDRAD_OUT(n)     give the domain n zeroed elements, copy them back to
 *                    the caller's buffer only if the call succeeds
 *   SDRAD_INOUT(n)   both
 *   SDRAD_OUT(n, if_ok), SDRAD_INOUT(n, if_ok)
 *                    copy back only if the result satisfies ok_if(...)
 *   SDRAD_OUT(n, returned), SDRAD_INOUT(n, returned)
 *                    copy back only as many elements as the function
 *                    returns (none if negative, at most n); both options
 *                    may be given: SDRAD_OUT(n, if_ok, returned)
 *   On a reference parameter the count is 1: SDRAD_IN(1) const T &x
 *   C++ types that own memory (std::string, std::vector, std::optional,
 *   std::pair, std::tuple, aggregates, types with sdrad::boundary_traits),
 *   by reference or pointer with count 1: SDRAD_IN(1) const T & deep-copies
 *   in, SDRAD_OUT(1) T & deep-copies back after success, SDRAD_INOUT(1) T &
 *   both.  By value, std::string, std::vector, std::string_view and
 *   std::span<const T> are deep-copied in without annotation; other
 *   classes that own memory or hold pointers are errors (or SDRAD_SHARED).
 *   SDRAD_STRING     copy a NUL-terminated string in
 *   SDRAD_SHARED     pass the pointer as is (also on a function: its result)
 *
 * Example:
 *   SDRAD_ISOLATE("parser", fallback_value(-1))
 *   int parse_request(SDRAD_IN(len) const char *buf, size_t len,
 *                     SDRAD_OUT(1) struct request *out);
 */
#ifndef SDRAD_ISOLATE_H
#define SDRAD_ISOLATE_H

/* -DSDRAD_DISABLE builds annotated code without isolation even with the
 * plugin loaded. */
#if defined(__has_attribute) && !defined(SDRAD_DISABLE)
/* __SDRAD_PLUGIN__: the plugin built for Clang 16, whose __has_attribute
 * does not see plugin attributes. */
#if __has_attribute(sdrad_isolate) || defined(__SDRAD_PLUGIN__)
#define SDRAD_HAVE_PLUGIN 1
#endif
#endif

#ifdef SDRAD_HAVE_PLUGIN
/* Arguments are macro-expanded, then handed to the attributes as text (a
 * count may name a parameter declared after the pointer). */
#define SDRAD_STR_(...) #__VA_ARGS__
#define SDRAD_ISOLATE(...) __attribute__((sdrad_isolate(SDRAD_STR_(__VA_ARGS__))))
#define SDRAD_IN(...) __attribute__((sdrad_in(SDRAD_STR_(__VA_ARGS__))))
#define SDRAD_OUT(...) __attribute__((sdrad_out(SDRAD_STR_(__VA_ARGS__))))
#define SDRAD_INOUT(...) __attribute__((sdrad_inout(SDRAD_STR_(__VA_ARGS__))))
#define SDRAD_STRING __attribute__((sdrad_string))
#define SDRAD_SHARED __attribute__((sdrad_shared))
#if defined(__cplusplus) && __cplusplus >= 201703L
#include <sdrad/boundary.h> /* returned std::string, std::vector, ... (C++17) */
#endif
#ifdef __cplusplus
#include <sdrad/domain_fault.h> /* SDRAD_ISOLATE(..., rethrow) */
#endif
#else
#define SDRAD_ISOLATE(...)
#define SDRAD_IN(...)
#define SDRAD_OUT(...)
#define SDRAD_INOUT(...)
#define SDRAD_STRING
#define SDRAD_SHARED
#endif

#endif /* SDRAD_ISOLATE_H */
