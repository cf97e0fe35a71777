/*
 * sdrad/boundary.h - C++ types that own memory, returned by value from an
 * isolated function or passed as in/out/inout parameters (included by
 * <sdrad/isolate.h> in C++ with the plugin; docs/plugin.md, "C++ types
 * that own memory").
 *
 * Parameters: in (and by value) objects are deep-copied into the domain
 * (boundary_in<T> below, or the serial form of std::vector, std::optional,
 * std::pair, std::tuple and aggregates - structs without bases, arrays,
 * bit-fields or user-declared constructors, at most 16 fields - of such
 * types and scalars); out objects are made in the domain and
 * copy-assigned to the caller's after a successful call; inout both.  The
 * caller's pack() never writes more than the bytes it sized: an object
 * that changed in between (another thread) fails the call, said on stderr.
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

#include <atomic>
#include <new>
#include <optional>
#include <cstddef>
#include <cstdint>
#include <cstdio>
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
/// Element types copied as their bytes: no pointers in them.  Arithmetic
/// and enum types, and trivially copyable aggregates whose fields are all
/// such (struct Point { int x, y; }; specialised at the end of this
/// header, where the fields can be found).  Any other class element, which
/// may hold a pointer - std::string_view, say - goes through the serial
/// form below, or is an error for std::span.
template <class E, class = void>
struct plain_bytes : std::bool_constant<std::is_arithmetic_v<E> || std::is_enum_v<E>> {};
template <class E>
constexpr bool plain_bytes_v = plain_bytes<E>::value;

template <class E, class A>
struct boundary_in<std::vector<E, A>, std::enable_if_t<plain_bytes_v<E>>> {
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
struct boundary_in<std::span<const E, N>, std::enable_if_t<plain_bytes_v<E>>> {
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

/// Writes the serial form into the bytes the caller sized: never past
/// them.  A write that does not fit (the object grew between size() and
/// pack(): another thread changed it) only clears `ok`.
struct writer {
  unsigned char *p, *end;
  bool ok = true;
  void put(const void *src, std::size_t n) {
    if (!ok || n > static_cast<std::size_t>(end - p)) {
      ok = false;
      return;
    }
    if (n)
      std::memcpy(p, src, n);
    p += n;
  }
};

/// The serial form of the in-parameters that are not one run of bytes
/// (std::vector<std::string>, std::optional<T>, std::pair, std::tuple,
/// aggregates): size() bytes written by write() in the caller, read back
/// by make() in the domain.  A type with boundary_in is its bytes after a
/// length.
template <class T, class = void> struct codec;

template <class T> struct codec<T, std::enable_if_t<has_boundary_in<T>::value>> {
  static std::size_t size(const T &v) {
    return sizeof(std::uint64_t) + boundary_in<T>::size(v);
  }
  static void write(const T &v, writer &w) {
    std::uint64_t n = boundary_in<T>::size(v);
    w.put(&n, sizeof n);
    w.put(boundary_in<T>::data(v), static_cast<std::size_t>(n));
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
  static void write(const T &v, writer &w) { w.put(&v, sizeof v); }
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
  static void write(const T &v, writer &w) {
    std::uint64_t n = v.size();
    w.put(&n, sizeof n);
    for (const E &e : v)
      codec<E>::write(e, w);
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
  static void write(const T &v, writer &w) {
    unsigned char given = v ? 1 : 0;
    w.put(&given, 1);
    if (v)
      codec<E>::write(*v, w);
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
  static void write(const T &v, writer &w) {
    std::apply([&w](const E &...e) { (codec<E>::write(e, w), ...); }, v);
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
  static void write(const T &v, writer &w) {
    codec<A>::write(v.first, w);
    codec<B>::write(v.second, w);
  }
  static void make(void *slot, const unsigned char *&p) {
    A a = read<A>(p);
    ::new (slot) T(std::move(a), read<B>(p));
  }
};

//===-- Aggregates: struct { std::string name; std::vector<int> v; } ----===//
// Their fields, found with structured bindings, in declaration order.  The
// plugin accepts an aggregate only if it has no bases, no array, bit-field
// or anonymous-union members, and at most max_fields fields, so the two
// counts below agree (it names the type otherwise).

constexpr std::size_t max_fields = 16;

/// Converts to any field type: T{field_filler...} counts the fields.
struct field_filler {
  template <class U> operator U() const;
};
template <class T, class = void, class... F>
struct brace_initializable : std::false_type {};
template <class T, class... F>
struct brace_initializable<T, std::void_t<decltype(T{std::declval<F>()...})>,
                           F...> : std::true_type {};
template <class T, class... F> constexpr std::size_t field_count() {
  if constexpr (sizeof...(F) > max_fields)
    return max_fields + 1;
  else if constexpr (brace_initializable<T, void, F..., field_filler>::value)
    return field_count<T, F..., field_filler>();
  else
    return sizeof...(F);
}

/// std::tie of the fields of \p v, an aggregate with N fields.
template <std::size_t N, class T> auto tie_fields(T &v) {
  // clang-format off
  if constexpr (N == 0) { return std::tie(); }
  else if constexpr (N == 1) { auto &[a] = v; return std::tie(a); }
  else if constexpr (N == 2) { auto &[a, b] = v; return std::tie(a, b); }
  else if constexpr (N == 3) { auto &[a, b, c] = v; return std::tie(a, b, c); }
  else if constexpr (N == 4) { auto &[a, b, c, d] = v; return std::tie(a, b, c, d); }
  else if constexpr (N == 5) { auto &[a, b, c, d, e] = v; return std::tie(a, b, c, d, e); }
  else if constexpr (N == 6) { auto &[a, b, c, d, e, f] = v; return std::tie(a, b, c, d, e, f); }
  else if constexpr (N == 7) { auto &[a, b, c, d, e, f, g] = v; return std::tie(a, b, c, d, e, f, g); }
  else if constexpr (N == 8) { auto &[a, b, c, d, e, f, g, h] = v; return std::tie(a, b, c, d, e, f, g, h); }
  else if constexpr (N == 9) { auto &[a, b, c, d, e, f, g, h, i] = v; return std::tie(a, b, c, d, e, f, g, h, i); }
  else if constexpr (N == 10) { auto &[a, b, c, d, e, f, g, h, i, j] = v; return std::tie(a, b, c, d, e, f, g, h, i, j); }
  else if constexpr (N == 11) { auto &[a, b, c, d, e, f, g, h, i, j, k] = v; return std::tie(a, b, c, d, e, f, g, h, i, j, k); }
  else if constexpr (N == 12) { auto &[a, b, c, d, e, f, g, h, i, j, k, l] = v; return std::tie(a, b, c, d, e, f, g, h, i, j, k, l); }
  else if constexpr (N == 13) { auto &[a, b, c, d, e, f, g, h, i, j, k, l, m] = v; return std::tie(a, b, c, d, e, f, g, h, i, j, k, l, m); }
  else if constexpr (N == 14) { auto &[a, b, c, d, e, f, g, h, i, j, k, l, m, n] = v; return std::tie(a, b, c, d, e, f, g, h, i, j, k, l, m, n); }
  else if constexpr (N == 15) { auto &[a, b, c, d, e, f, g, h, i, j, k, l, m, n, o] = v; return std::tie(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o); }
  else { static_assert(N == 16, "at most max_fields fields"); auto &[a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p] = v; return std::tie(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p); }
  // clang-format on
}

template <class T, class = void> struct is_plain_aggregate : std::false_type {};
template <class T>
struct is_plain_aggregate<
    T, std::enable_if_t<std::is_class_v<T> && std::is_aggregate_v<T> &&
                        !has_boundary_in<T>::value &&
                        field_count<T>() <= max_fields>> : std::true_type {};

/// The field types of an aggregate, as std::tuple<F...> (cv removed).
template <class Tie> struct field_types;
template <class... F> struct field_types<std::tuple<F &...>> {
  using type = std::tuple<std::remove_cv_t<F>...>;
};
template <class T>
using fields_of = typename field_types<decltype(tie_fields<field_count<T>()>(
    std::declval<T &>()))>::type;

template <class Tuple> struct all_have_codec;
template <class... F>
struct all_have_codec<std::tuple<F...>>
    : std::bool_constant<(has_codec<F>::value && ...)> {};

template <class T, class = void>
struct aggregate_has_codec : std::false_type {};
template <class T>
struct aggregate_has_codec<T, std::enable_if_t<is_plain_aggregate<T>::value>>
    : all_have_codec<fields_of<T>> {};

template <class T>
struct codec<T, std::enable_if_t<aggregate_has_codec<T>::value>> {
  using Fields = fields_of<T>;
  static std::size_t size(const T &v) {
    return std::apply(
        [](const auto &...f) {
          return (std::size_t{0} + ... +
                  codec<std::remove_cv_t<std::remove_reference_t<
                      decltype(f)>>>::size(f));
        },
        tie_fields<field_count<T>()>(v));
  }
  static void write(const T &v, writer &w) {
    std::apply(
        [&w](const auto &...f) {
          (codec<std::remove_cv_t<std::remove_reference_t<decltype(f)>>>::write(
               f, w),
           ...);
        },
        tie_fields<field_count<T>()>(v));
  }
  template <std::size_t... I>
  static void make(void *slot, const unsigned char *&p,
                   std::index_sequence<I...>) {
    // Braced initialisation reads the fields from left to right.
    ::new (slot) T{read<std::tuple_element_t<I, Fields>>(p)...};
  }
  static void make(void *slot, const unsigned char *&p) {
    make(slot, p, std::make_index_sequence<std::tuple_size_v<Fields>>());
  }
};

/// "... [T = NAME]" (__PRETTY_FUNCTION__ of the function below).
template <class T> const char *pretty_name() { return __PRETTY_FUNCTION__; }

/// Says on stderr that an in parameter of type T changed while it was
/// copied (the thunk then fails the call without entering the domain):
/// at most 11 times per type, the last saying that further ones are not.
template <class T> int changed_while_copied() {
  static std::atomic<unsigned> said{0};
  unsigned n = said.fetch_add(1, std::memory_order_relaxed);
  if (n > 10)
    return 1;
  const char *s = pretty_name<T>(), *t = std::strstr(s, "T = ");
  t = t ? t + 4 : s;
  const char *e = std::strrchr(t, ']');
  std::fprintf(stderr,
               "sdrad: an in parameter of type '%.*s' changed while it was "
               "copied into the domain (another thread modified it?); the "
               "isolated call is not made%s\n",
               static_cast<int>(e && e > t ? e - t : std::strlen(t)), t,
               n == 10 ? " (further ones are not reported)" : "");
  return 1;
}

/// What the thunk calls for an in (or inout) parameter of type T: size and
/// pack in the caller (pack writes at most the n = size() bytes the caller
/// sized into the domain's zeroed copy and returns non-zero, writing
/// nothing more, if the object no longer has that size), make and destroy
/// in the domain.  One run of bytes for a type with boundary_in, the
/// serial form of codec<T> otherwise; defined only for the types that have
/// either (the plugin checks).
template <class T, class = void> struct boundary_in_ops;

template <class T>
struct boundary_in_ops<T, std::enable_if_t<has_boundary_in<T>::value>> {
  static unsigned long long size(const void *obj) {
    return boundary_in<T>::size(*static_cast<const T *>(obj));
  }
  static int pack(const void *obj, void *dst, unsigned long long n) {
    const T &v = *static_cast<const T *>(obj);
    if (boundary_in<T>::size(v) != n)
      return changed_while_copied<T>();
    if (n)
      std::memcpy(dst, boundary_in<T>::data(v), static_cast<std::size_t>(n));
    return 0;
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
  static int pack(const void *obj, void *dst, unsigned long long n) {
    auto *p = static_cast<unsigned char *>(dst);
    writer w{p, p + n};
    codec<T>::write(*static_cast<const T *>(obj), w);
    if (!w.ok || w.p != w.end)
      return changed_while_copied<T>();
    return 0;
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
template <class Tuple> struct all_plain_bytes;
template <class... F>
struct all_plain_bytes<std::tuple<F...>>
    : std::bool_constant<(plain_bytes<F>::value && ...)> {};

} // namespace detail

/// A trivially copyable aggregate of plain fields (recursively) is its bytes.
template <class E>
struct plain_bytes<E, std::enable_if_t<std::is_class_v<E> &&
                                       std::is_trivially_copyable_v<E> &&
                                       detail::is_plain_aggregate<E>::value>>
    : detail::all_plain_bytes<detail::fields_of<E>> {};

} // namespace sdrad

#endif /* SDRAD_BOUNDARY_H */
