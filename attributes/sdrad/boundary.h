/*
 * sdrad/boundary.h - C++ types that own memory, returned by value from an
 * isolated function (included by <sdrad/isolate.h> in C++ with the plugin).
 *
 * The domain builds the result in its own memory.  After a successful call
 * the thunk copy-constructs it into the caller's memory (a deep copy, made
 * by the caller's code with the caller's allocator) and then destroys the
 * domain's object inside the domain, so the caller's value never refers to
 * domain memory and later faults of the domain cannot change it.
 *
 * The plugin accepts a returned type if it is
 *   - a scalar (not a pointer), or an array of accepted types;
 *   - a class with sdrad::boundary_traits<T> (below: std::basic_string,
 *     std::vector, std::optional, std::pair, std::tuple; their element types
 *     must be accepted too);
 *   - a class without user-declared copy constructor and destructor (an
 *     aggregate, say) whose bases and fields are all accepted.
 * Anything else (a pointer, a reference, std::string_view, std::span, a
 * class with a user-defined copy that the plugin cannot see through) is a
 * compile error that names the type.
 *
 * Customisation point: specialise sdrad::boundary_traits for your type if
 * its copy constructor makes a deep copy that shares no memory with the
 * source and its destructor frees what the object owns:
 *
 *   template <> struct sdrad::boundary_traits<my::buffer> {};
 *
 * List element types the plugin must check as well in `elements`:
 *
 *   template <class T> struct sdrad::boundary_traits<my::list<T>> {
 *     using elements = sdrad::boundary_elements<T>;
 *   };
 */
#ifndef SDRAD_BOUNDARY_H
#define SDRAD_BOUNDARY_H

#include <new>
#include <optional>
#include <cstddef>
#include <string_view>
#if __cplusplus >= 202002L && __has_include(<span>)
#include <span>
#endif
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace sdrad {

/// Defined (specialised) for the class types whose copy is deep.
template <class T, class = void> struct boundary_traits;

/// The element types of a boundary_traits specialisation.
template <class... E> struct boundary_elements {};

template <class C, class Tr, class A>
struct boundary_traits<std::basic_string<C, Tr, A>> {
  using elements = boundary_elements<C>;
};
template <class T, class A> struct boundary_traits<std::vector<T, A>> {
  using elements = boundary_elements<T>;
};
template <class T> struct boundary_traits<std::optional<T>> {
  using elements = boundary_elements<T>;
};
template <class A, class B> struct boundary_traits<std::pair<A, B>> {
  using elements = boundary_elements<A, B>;
};
template <class... T> struct boundary_traits<std::tuple<T...>> {
  using elements = boundary_elements<T...>;
};

/// In-parameters deep-copied into the domain, SDRAD_IN(1) on a const
/// reference: data()/size() give the bytes to copy (in the caller), make()
/// rebuilds the object from the domain's copy, in the domain (its
/// allocations come from the domain heap).  Specialise it for your types.
template <class T, class = void> struct boundary_in;

template <class C, class Tr, class A>
struct boundary_in<std::basic_string<C, Tr, A>> {
  using T = std::basic_string<C, Tr, A>;
  static const void *data(const T &v) { return v.data(); }
  static std::size_t size(const T &v) { return v.size() * sizeof(C); }
  static void make(void *slot, const void *p, std::size_t n) {
    ::new (slot) T(static_cast<const C *>(p), n / sizeof(C));
  }
};
template <class C, class Tr>
struct boundary_in<std::basic_string_view<C, Tr>> {
  using T = std::basic_string_view<C, Tr>;
  static const void *data(const T &v) { return v.data(); }
  static std::size_t size(const T &v) { return v.size() * sizeof(C); }
  static void make(void *slot, const void *p, std::size_t n) {
    ::new (slot) T(static_cast<const C *>(p), n / sizeof(C));
  }
};
template <class E, class A>
struct boundary_in<std::vector<E, A>,
                   std::enable_if_t<std::is_trivially_copyable_v<E> &&
                                    !std::is_pointer_v<E>>> {
  using T = std::vector<E, A>;
  static const void *data(const T &v) { return v.data(); }
  static std::size_t size(const T &v) { return v.size() * sizeof(E); }
  static void make(void *slot, const void *p, std::size_t n) {
    const E *b = static_cast<const E *>(p);
    ::new (slot) T(b, b + n / sizeof(E));
  }
};
#if __cplusplus >= 202002L && __has_include(<span>)
template <class E, std::size_t N>
struct boundary_in<std::span<const E, N>,
                   std::enable_if_t<std::is_trivially_copyable_v<E> &&
                                    !std::is_pointer_v<E>>> {
  using T = std::span<const E, N>;
  static const void *data(const T &v) { return v.data(); }
  static std::size_t size(const T &v) { return v.size_bytes(); }
  static void make(void *slot, const void *p, std::size_t n) {
    ::new (slot) T(static_cast<const E *>(p), n / sizeof(E));
  }
};
#endif

namespace detail {
/// What the thunk calls for an in-parameter of type T (boundary_in<T>):
/// data and size in the caller, make and destroy in the domain.
template <class T> struct boundary_in_ops {
  static const void *data(const void *obj) {
    return boundary_in<T>::data(*static_cast<const T *>(obj));
  }
  static unsigned long long size(const void *obj) {
    return boundary_in<T>::size(*static_cast<const T *>(obj));
  }
  static void make(void *slot, const void *p, unsigned long long n) {
    boundary_in<T>::make(slot, p, static_cast<std::size_t>(n));
  }
  static void destroy(void *slot) { static_cast<T *>(slot)->~T(); }
};

/// What the thunk calls (the plugin references these for each returned
/// type): copy_out in the caller after a successful call, destroy in the
/// domain afterwards, make_default in the caller for the result of a failed
/// call without fallback(f) (the plugin requires a fallback for a type that
/// is not default-constructible).
template <class T> struct boundary {
  static void copy_out(void *dst, const void *src) {
    ::new (dst) T(*static_cast<const T *>(src));
  }
  static void destroy(void *obj) { static_cast<T *>(obj)->~T(); }
  static void make_default(void *dst) {
    if constexpr (std::is_default_constructible_v<T>)
      ::new (dst) T();
  }
};
} // namespace detail

} // namespace sdrad

#endif /* SDRAD_BOUNDARY_H */
