/*
 * sdrad/boundary.h - C++ types that own memory, returned by value from an
 * isolated function or passed as in/out/inout parameters (included by
 * <sdrad/isolate.h> in C++ with the plugin; docs/plugin.md, "C++ types
 * that own memory").
 *
 * Parameters: in (and by value) objects are deep-copied into the domain
 * (boundary_in<T> below, or the serial form of std::vector, std::optional,
 * std::pair, std::tuple of such types); out objects are made in the domain
 * and copy-assigned to the caller's after a successful call; inout both.
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
#include <cstdint>
#include <cstring>
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

template <class T, class = void> struct has_boundary_in : std::false_type {};
template <class T>
struct has_boundary_in<T, std::void_t<decltype(sizeof(boundary_in<T>))>>
    : std::true_type {};

/// The serial form of the in-parameters that are not one run of bytes
/// (std::vector<std::string>, std::optional<T>, std::pair, std::tuple):
/// size() bytes written by write() in the caller, read back by read() in
/// the domain.  A type with boundary_in is its bytes after a length.
template <class T, class = void> struct codec;

template <class T> struct codec<T, std::enable_if_t<has_boundary_in<T>::value>> {
  static std::size_t size(const T &v) {
    return sizeof(std::uint64_t) + boundary_in<T>::size(v);
  }
  static void write(const T &v, unsigned char *&p) {
    std::uint64_t n = boundary_in<T>::size(v);
    std::memcpy(p, &n, sizeof n);
    if (n)
      std::memcpy(p + sizeof n, boundary_in<T>::data(v), n);
    p += sizeof n + n;
  }
  static void make(void *slot, const unsigned char *&p) {
    std::uint64_t n;
    std::memcpy(&n, p, sizeof n);
    boundary_in<T>::make(slot, p + sizeof n, static_cast<std::size_t>(n));
    p += sizeof n + n;
  }
};
template <class T>
struct codec<T, std::enable_if_t<!has_boundary_in<T>::value &&
                                 (std::is_arithmetic_v<T> ||
                                  std::is_enum_v<T>)>> {
  static std::size_t size(const T &) { return sizeof(T); }
  static void write(const T &v, unsigned char *&p) {
    std::memcpy(p, &v, sizeof v);
    p += sizeof v;
  }
  static void make(void *slot, const unsigned char *&p) {
    T v;
    std::memcpy(&v, p, sizeof v);
    ::new (slot) T(v);
    p += sizeof v;
  }
};

template <class T, class = void> struct has_codec : std::false_type {};
template <class T>
struct has_codec<T, std::void_t<decltype(sizeof(codec<T>))>>
    : std::true_type {};

/// Reads one T out of the serial form into a temporary, for containers.
template <class T> T read(const unsigned char *&p) {
  alignas(T) unsigned char buf[sizeof(T)];
  codec<T>::make(buf, p);
  T *obj = std::launder(reinterpret_cast<T *>(buf));
  T v(std::move(*obj));
  obj->~T();
  return v;
}

template <class E, class A>
struct codec<std::vector<E, A>,
             std::enable_if_t<!has_boundary_in<std::vector<E, A>>::value &&
                              has_codec<E>::value>> {
  using T = std::vector<E, A>;
  static std::size_t size(const T &v) {
    std::size_t n = sizeof(std::uint64_t);
    for (const E &e : v)
      n += codec<E>::size(e);
    return n;
  }
  static void write(const T &v, unsigned char *&p) {
    std::uint64_t n = v.size();
    std::memcpy(p, &n, sizeof n);
    p += sizeof n;
    for (const E &e : v)
      codec<E>::write(e, p);
  }
  static void make(void *slot, const unsigned char *&p) {
    std::uint64_t n;
    std::memcpy(&n, p, sizeof n);
    p += sizeof n;
    T *v = ::new (slot) T();
    v->reserve(static_cast<std::size_t>(n));
    for (std::uint64_t i = 0; i < n; ++i)
      v->push_back(read<E>(p));
  }
};
template <class E>
struct codec<std::optional<E>, std::enable_if_t<has_codec<E>::value>> {
  using T = std::optional<E>;
  static std::size_t size(const T &v) {
    return 1 + (v ? codec<E>::size(*v) : 0);
  }
  static void write(const T &v, unsigned char *&p) {
    *p++ = v ? 1 : 0;
    if (v)
      codec<E>::write(*v, p);
  }
  static void make(void *slot, const unsigned char *&p) {
    if (*p++)
      ::new (slot) T(read<E>(p));
    else
      ::new (slot) T();
  }
};
template <class... E>
struct codec<std::tuple<E...>,
             std::enable_if_t<(has_codec<E>::value && ...)>> {
  using T = std::tuple<E...>;
  static std::size_t size(const T &v) {
    return std::apply(
        [](const E &...e) { return (std::size_t{0} + ... + codec<E>::size(e)); },
        v);
  }
  static void write(const T &v, unsigned char *&p) {
    std::apply([&p](const E &...e) { (codec<E>::write(e, p), ...); }, v);
  }
  static void make(void *slot, const unsigned char *&p) {
    // Braced initialisation reads the elements from left to right.
    ::new (slot) T{read<E>(p)...};
  }
};
template <class A, class B>
struct codec<std::pair<A, B>,
             std::enable_if_t<has_codec<A>::value && has_codec<B>::value>> {
  using T = std::pair<A, B>;
  static std::size_t size(const T &v) {
    return codec<A>::size(v.first) + codec<B>::size(v.second);
  }
  static void write(const T &v, unsigned char *&p) {
    codec<A>::write(v.first, p);
    codec<B>::write(v.second, p);
  }
  static void make(void *slot, const unsigned char *&p) {
    A a = read<A>(p);
    ::new (slot) T(std::move(a), read<B>(p));
  }
};

/// What the thunk calls for an in (or inout) parameter of type T: size and
/// pack in the caller (pack writes size() bytes into the domain's zeroed
/// copy), make and destroy in the domain.  One run of bytes for a type
/// with boundary_in, the serial form of codec<T> otherwise; defined only
/// for the types that have either (the plugin checks).
template <class T, class = void> struct boundary_in_ops;

template <class T>
struct boundary_in_ops<T, std::enable_if_t<has_boundary_in<T>::value>> {
  static unsigned long long size(const void *obj) {
    return boundary_in<T>::size(*static_cast<const T *>(obj));
  }
  static void pack(const void *obj, void *dst) {
    const T &v = *static_cast<const T *>(obj);
    if (std::size_t n = boundary_in<T>::size(v))
      std::memcpy(dst, boundary_in<T>::data(v), n);
  }
  static void make(void *slot, const void *p, unsigned long long n) {
    boundary_in<T>::make(slot, p, static_cast<std::size_t>(n));
  }
  static void destroy(void *slot) { static_cast<T *>(slot)->~T(); }
};
template <class T>
struct boundary_in_ops<T, std::enable_if_t<!has_boundary_in<T>::value &&
                                           has_codec<T>::value>> {
  static unsigned long long size(const void *obj) {
    return codec<T>::size(*static_cast<const T *>(obj));
  }
  static void pack(const void *obj, void *dst) {
    auto *p = static_cast<unsigned char *>(dst);
    codec<T>::write(*static_cast<const T *>(obj), p);
  }
  static void make(void *slot, const void *p, unsigned long long) {
    auto *q = static_cast<const unsigned char *>(p);
    codec<T>::make(slot, q);
  }
  static void destroy(void *slot) { static_cast<T *>(slot)->~T(); }
};

/// What the thunk calls for an out (or inout) parameter of type T:
/// make_default in the domain (out: the object the body fills), assign in
/// the caller after a successful call (*caller = domain's object, a deep
/// copy with the caller's allocator), destroy in the domain afterwards.
template <class T> struct boundary_out_ops {
  static void make_default(void *slot) {
    if constexpr (std::is_default_constructible_v<T>)
      ::new (slot) T();
  }
  static void assign(void *dst, const void *src) {
    *static_cast<T *>(dst) = *static_cast<const T *>(src);
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
