#pragma once
// Internal, included only by the per-path translation units: a uniform view of a SIMD
// register for the kernel templates. Lanes<T, Arch> wraps xsimd::batch<T, Arch>;
// Lanes<T, scalar_arch> is the one-lane path in plain C++.
#include <cmath>
#include <cstddef>
#include <xsimd/xsimd.hpp>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace hyda::detail {

struct scalar_arch {};

template <class T, class Arch>
struct Lanes {
    using V = xsimd::batch<T, Arch>;
    static constexpr int width = static_cast<int>(V::size);
    static V load(const T* p) { return V::load_unaligned(p); }
    static V load_aligned(const T* p) { return V::load_aligned(p); }
    static void store(T* p, const V& v) { v.store_unaligned(p); }
    static V splat(T x) { return V(x); }
    static T reduce_add(const V& v) { return xsimd::hadd(v); }
    static T reduce_max(const V& v) {
        alignas(64) T lanes[width];
        v.store_aligned(lanes);
        T m = lanes[0];
        for (int i = 1; i < width; ++i) m = lanes[i] > m ? lanes[i] : m;
        return m;
    }
};

template <class T>
struct Lanes<T, scalar_arch> {
    using V = T;
    static constexpr int width = 1;
    static V load(const T* p) { return *p; }
    static V load_aligned(const T* p) { return *p; }
    static void store(T* p, V v) { *p = v; }
    static V splat(T x) { return x; }
    static T reduce_add(V v) { return v; }
    static T reduce_max(V v) { return v; }
};

// a * b + c, fused wherever the path has an FMA instruction.
template <class T>
inline T madd(T a, T b, T c) {
    return a * b + c;
}
template <class T, class Arch>
inline xsimd::batch<T, Arch> madd(const xsimd::batch<T, Arch>& a, const xsimd::batch<T, Arch>& b,
                                  const xsimd::batch<T, Arch>& c) {
    return xsimd::fma(a, b, c);
}
#if defined(__AVX512F__)
// xsimd 8.1 lowers fma for avx512f to a multiply and an add; use the fused instruction.
inline xsimd::batch<float, xsimd::avx512f> madd(const xsimd::batch<float, xsimd::avx512f>& a,
                                                const xsimd::batch<float, xsimd::avx512f>& b,
                                                const xsimd::batch<float, xsimd::avx512f>& c) {
    return _mm512_fmadd_ps(a, b, c);
}
inline xsimd::batch<double, xsimd::avx512f> madd(const xsimd::batch<double, xsimd::avx512f>& a,
                                                 const xsimd::batch<double, xsimd::avx512f>& b,
                                                 const xsimd::batch<double, xsimd::avx512f>& c) {
    return _mm512_fmadd_pd(a, b, c);
}
#endif

}  // namespace hyda::detail

namespace hyda::detail {

// Math on one lane (T) or one register (xsimd::batch), so kernel templates can be written
// once for both. The xsimd versions are accurate to a few ulp.
template <class T> inline T vexp(T x) { return std::exp(x); }
template <class T> inline T vlog(T x) { return std::log(x); }
template <class T> inline T vlog1p(T x) { return std::log1p(x); }
template <class T> inline T vtanh(T x) { return std::tanh(x); }
template <class T> inline T verf(T x) { return std::erf(x); }
template <class T> inline T verfc(T x) { return std::erfc(x); }
template <class T> inline T vabs(T x) { return std::abs(x); }
template <class T> inline T vmax(T a, T b) { return a > b ? a : b; }
template <class T> inline T vselect(bool c, T a, T b) { return c ? a : b; }

template <class T, class A> inline xsimd::batch<T, A> vexp(const xsimd::batch<T, A>& x) { return xsimd::exp(x); }
template <class T, class A> inline xsimd::batch<T, A> vlog(const xsimd::batch<T, A>& x) { return xsimd::log(x); }
template <class T, class A> inline xsimd::batch<T, A> vlog1p(const xsimd::batch<T, A>& x) { return xsimd::log1p(x); }
template <class T, class A> inline xsimd::batch<T, A> vtanh(const xsimd::batch<T, A>& x) { return xsimd::tanh(x); }
template <class T, class A> inline xsimd::batch<T, A> verf(const xsimd::batch<T, A>& x) { return xsimd::erf(x); }
template <class T, class A> inline xsimd::batch<T, A> verfc(const xsimd::batch<T, A>& x) { return xsimd::erfc(x); }
template <class T, class A> inline xsimd::batch<T, A> vabs(const xsimd::batch<T, A>& x) { return xsimd::abs(x); }
template <class T, class A>
inline xsimd::batch<T, A> vmax(const xsimd::batch<T, A>& a, const xsimd::batch<T, A>& b) {
    return xsimd::max(a, b);
}
template <class T, class A>
inline xsimd::batch<T, A> vselect(const xsimd::batch_bool<T, A>& c, const xsimd::batch<T, A>& a,
                                  const xsimd::batch<T, A>& b) {
    return xsimd::select(c, a, b);
}

}  // namespace hyda::detail
