#pragma once
// Internal, included only by the per-path translation units: elementwise and reduction
// kernels of one SIMD path.
//
// Maps run whole registers; the last partial register is copied into a zero-padded
// scratch register and goes through the same vector code, so every element sees the
// same arithmetic wherever it lies. Maps over large arrays are split into fixed chunks
// across threads; reductions run on the calling thread. Both are thread-count independent.
#include <algorithm>
#include <cstddef>
#include <limits>
#include <utility>

#include "parallel.hpp"
#include "simd.hpp"

namespace hyda::detail {

template <class T, class Arch>
struct Elementwise {
    using L = Lanes<T, Arch>;
    using V = typename L::V;
    static constexpr int W = L::width;

    // out[i] = f(in_0[i], in_1[i], ...) for i in [begin, end).
    template <class F, class... In>
    static void map_range(std::size_t begin, std::size_t end, const F& f, T* out, const In*... in) {
        std::size_t i = begin;
        for (; i + W <= end; i += W) L::store(out + i, f(L::load(in + i)...));
        if (i < end) {
            alignas(64) T tail[sizeof...(In) + 1][W] = {};
            std::size_t k = 0;
            ((std::copy(in + i, in + end, tail[k++])), ...);
            const V r = [&]<std::size_t... I>(std::index_sequence<I...>) {
                return f(L::load(tail[I])...);
            }(std::index_sequence_for<In...>{});
            L::store(tail[sizeof...(In)], r);
            std::copy(tail[sizeof...(In)], tail[sizeof...(In)] + (end - i), out + i);
        }
    }

    template <class F, class... In>
    static void map(std::size_t n, const F& f, T* out, const In*... in) {
        constexpr std::size_t chunk = std::size_t(1) << 14;  // a multiple of every W
        if (n < 4 * chunk || num_threads() == 1) return map_range(0, n, f, out, in...);
        const int chunks = int((n + chunk - 1) / chunk);
        auto task = [&](int c) {
            map_range(std::size_t(c) * chunk, std::min(n, std::size_t(c + 1) * chunk), f, out, in...);
        };
        parallel_for(chunks, task);
    }

    static void axpy(std::size_t n, T a, const T* x, T* y) {
        const V va = L::splat(a);
        map(n, [&](V xv, V yv) { return madd(va, xv, yv); }, y, x, y);
    }
    static void scale(std::size_t n, T a, const T* x, T* y) {
        const V va = L::splat(a);
        map(n, [&](V xv) { return va * xv; }, y, x);
    }
    static void add(std::size_t n, const T* x, const T* y, T* z) { map(n, [](V a, V b) { return a + b; }, z, x, y); }
    static void sub(std::size_t n, const T* x, const T* y, T* z) { map(n, [](V a, V b) { return a - b; }, z, x, y); }
    static void mul(std::size_t n, const T* x, const T* y, T* z) { map(n, [](V a, V b) { return a * b; }, z, x, y); }
    static void div(std::size_t n, const T* x, const T* y, T* z) { map(n, [](V a, V b) { return a / b; }, z, x, y); }
    static void sub_mul(std::size_t n, const T* x, const T* y, const T* w, T* z) {
        map(n, [](V a, V b, V c) { return madd(-b, c, a); }, z, x, y, w);
    }

    static void exp(std::size_t n, const T* x, T* y) { map(n, [](V v) { return vexp(v); }, y, x); }
    static void log(std::size_t n, const T* x, T* y) { map(n, [](V v) { return vlog(v); }, y, x); }
    static V softplus_v(V v) { return vmax(v, L::splat(T(0))) + vlog1p(vexp(-vabs(v))); }
    static void softplus(std::size_t n, const T* x, T* y) { map(n, [](V v) { return softplus_v(v); }, y, x); }
    static void relu(std::size_t n, const T* x, T* y) {
        map(n, [](V v) { return vmax(v, L::splat(T(0))); }, y, x);
    }
    static void leaky_relu(std::size_t n, T slope, const T* x, T* y) {
        const V s = L::splat(slope);
        map(n, [&](V v) { return vselect(v > L::splat(T(0)), v, s * v); }, y, x);
    }
    static void sigmoid(std::size_t n, const T* x, T* y) {
        const V one = L::splat(T(1));
        map(n, [&](V v) { return one / (one + vexp(-v)); }, y, x);
    }
    static void tanh(std::size_t n, const T* x, T* y) { map(n, [](V v) { return vtanh(v); }, y, x); }
    // Phi(x) = erfc(-x / sqrt 2) / 2, the standard normal CDF. Not (1 + erf(x / sqrt 2)) / 2:
    // for x < 0 that cancels, e.g. it loses all digits of Phi(-6) in float.
    static V normal_cdf(V v) { return L::splat(T(0.5)) * verfc(v * L::splat(T(-0.70710678118654752440))); }
    static void gelu(std::size_t n, const T* x, T* y) { map(n, [](V v) { return v * normal_cdf(v); }, y, x); }

    // dx = beta * dx + contribution(dy, v), v the forward input or output. beta == 0
    // overwrites dx without reading it, sparing a pass to zero it first.
    template <class F>
    static void backward(std::size_t n, T beta, const T* v, const T* dy, T* dx, const F& contribution) {
        if (beta == T(0)) return map(n, [&](V g, V x) { return contribution(g, x); }, dx, dy, v);
        const V b = L::splat(beta);
        map(n, [&](V d, V g, V x) { return madd(b, d, contribution(g, x)); }, dx, dx, dy, v);
    }
    static void relu_backward(std::size_t n, const T* x, const T* dy, T* dx, T beta) {
        const V zero = L::splat(T(0));
        backward(n, beta, x, dy, dx, [&](V g, V v) { return vselect(v > zero, g, zero); });
    }
    static void leaky_relu_backward(std::size_t n, T slope, const T* x, const T* dy, T* dx, T beta) {
        const V zero = L::splat(T(0)), one = L::splat(T(1)), s = L::splat(slope);
        backward(n, beta, x, dy, dx, [&](V g, V v) { return g * vselect(v > zero, one, s); });
    }
    static void sigmoid_backward(std::size_t n, const T* y, const T* dy, T* dx, T beta) {
        const V one = L::splat(T(1));
        backward(n, beta, y, dy, dx, [&](V g, V v) { return g * (v * (one - v)); });
    }
    static void tanh_backward(std::size_t n, const T* y, const T* dy, T* dx, T beta) {
        const V one = L::splat(T(1));
        backward(n, beta, y, dy, dx, [&](V g, V v) { return g * (one - v * v); });
    }
    // gelu'(x) = Phi(x) + x * phi(x), phi(x) = exp(-x^2 / 2) / sqrt(2 pi).
    static void gelu_backward(std::size_t n, const T* x, const T* dy, T* dx, T beta) {
        const V inv_sqrt_2pi = L::splat(T(0.39894228040143267794)), minus_half = L::splat(T(-0.5));
        backward(n, beta, x, dy, dx, [&](V g, V v) {
            const V pdf = inv_sqrt_2pi * vexp(minus_half * v * v);
            return g * madd(v, pdf, normal_cdf(v));
        });
    }

    static T sum(std::size_t n, const T* x) {
        V acc[4] = {L::splat(T(0)), L::splat(T(0)), L::splat(T(0)), L::splat(T(0))};
        std::size_t i = 0;
        for (; i + 4 * W <= n; i += 4 * W)
            for (int u = 0; u < 4; ++u) acc[u] = acc[u] + L::load(x + i + u * W);
        for (; i + W <= n; i += W) acc[0] = acc[0] + L::load(x + i);
        T s = L::reduce_add((acc[0] + acc[1]) + (acc[2] + acc[3]));
        for (; i < n; ++i) s += x[i];
        return s;
    }
    static T dot(std::size_t n, const T* x, const T* y) {
        V acc[4] = {L::splat(T(0)), L::splat(T(0)), L::splat(T(0)), L::splat(T(0))};
        std::size_t i = 0;
        for (; i + 4 * W <= n; i += 4 * W)
            for (int u = 0; u < 4; ++u) acc[u] = madd(L::load(x + i + u * W), L::load(y + i + u * W), acc[u]);
        for (; i + W <= n; i += W) acc[0] = madd(L::load(x + i), L::load(y + i), acc[0]);
        T s = L::reduce_add((acc[0] + acc[1]) + (acc[2] + acc[3]));
        for (; i < n; ++i) s += x[i] * y[i];
        return s;
    }
    static T max(std::size_t n, const T* x) {
        T m = -std::numeric_limits<T>::infinity();
        std::size_t i = 0;
        if (n >= std::size_t(W)) {
            V acc = L::load(x);
            for (i = W; i + W <= n; i += W) acc = vmax(acc, L::load(x + i));
            m = L::reduce_max(acc);
        }
        for (; i < n; ++i) m = x[i] > m ? x[i] : m;
        return m;
    }

    static void row_sums(std::size_t rows, std::size_t cols, const T* A, std::size_t ld, T* out) {
        for (std::size_t r = 0; r < rows; ++r) out[r] = sum(cols, A + r * ld);
    }
    // Column blocks of 4 registers summed down all rows in registers: a pass over A with
    // no traffic on out. Each column adds its rows in order, whichever block it falls in.
    static void col_sums(std::size_t rows, std::size_t cols, const T* A, std::size_t ld, T* out, T beta) {
        auto finish = [&](T* o, V s) { L::store(o, beta == T(0) ? s : madd(L::splat(beta), L::load(o), s)); };
        std::size_t j = 0;
        for (; j + 4 * W <= cols; j += 4 * W) {
            V acc[4] = {L::splat(T(0)), L::splat(T(0)), L::splat(T(0)), L::splat(T(0))};
            for (std::size_t r = 0; r < rows; ++r)
                for (int u = 0; u < 4; ++u) acc[u] = acc[u] + L::load(A + r * ld + j + u * W);
            for (int u = 0; u < 4; ++u) finish(out + j + u * W, acc[u]);
        }
        for (; j + W <= cols; j += W) {
            V acc = L::splat(T(0));
            for (std::size_t r = 0; r < rows; ++r) acc = acc + L::load(A + r * ld + j);
            finish(out + j, acc);
        }
        for (; j < cols; ++j) {
            T acc = T(0);
            for (std::size_t r = 0; r < rows; ++r) acc = acc + A[r * ld + j];
            out[j] = beta == T(0) ? acc : beta * out[j] + acc;
        }
    }
    // log sum_j exp(a_j) = m + log sum_j exp(a_j - m), m = max_j a_j.
    static void row_logsumexp(std::size_t rows, std::size_t cols, const T* A, std::size_t ld, T* out) {
        for (std::size_t r = 0; r < rows; ++r) {
            const T* a = A + r * ld;
            const T m = max(cols, a);
            if (!(m > -std::numeric_limits<T>::infinity() && m < std::numeric_limits<T>::infinity())) {
                out[r] = m;  // all -inf, or an inf / NaN present: nothing to stabilize
                continue;
            }
            const V vm = L::splat(m);
            V acc = L::splat(T(0));
            std::size_t j = 0;
            for (; j + W <= cols; j += W) acc = acc + vexp(L::load(a + j) - vm);
            if (j < cols) {
                // Padding lanes hold m (exp(0) = 1) and are multiplied by 0: they add exactly
                // nothing, as exp(-inf) would, without -inf reaching exp, whose conversion
                // of x / log 2 to an integer is undefined for -inf (UBSan's float-cast-overflow).
                alignas(64) T tail[W], keep[W];
                std::fill(tail, tail + W, m);
                std::fill(keep, keep + W, T(0));
                std::copy(a + j, a + cols, tail);
                std::fill(keep, keep + (cols - j), T(1));
                acc = acc + vexp(L::load(tail) - vm) * L::load(keep);
            }
            out[r] = m + std::log(L::reduce_add(acc));
        }
    }
};

}  // namespace hyda::detail
