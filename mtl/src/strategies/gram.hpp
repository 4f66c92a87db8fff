#pragma once
// Internal: working in coefficient space. A vector x of K coefficients stands for the
// direction sum_k x_k g_k; the Gram matrix G (K x K, row-major, symmetric) gives every
// inner product of such directions without touching a parameter.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <span>

namespace hyda::mtl::detail {

// <u, v> of two coefficient vectors' directions, u^T G v, is dot(u, G v).
inline double dot(std::span<const double> a, std::span<const double> b) { return std::inner_product(a.begin(), a.end(), b.begin(), 0.0); }

// Row i of G: the inner products <g_i, g_k> (also column i, G being symmetric).
inline std::span<const double> gram_row(std::span<const double> gram, std::size_t tasks, std::size_t i) { return gram.subspan(i * tasks, tasks); }

// out = G x: out_i = <g_i, sum_k x_k g_k>.
inline void gram_times(std::span<const double> gram, std::span<const double> x, std::span<double> out) {
    for (std::size_t i = 0; i < x.size(); ++i) out[i] = dot(gram_row(gram, x.size(), i), x);
}

// min(1, max_norm / ||sum_k x_k g_k||): the factor that clips the direction of x to norm
// max_norm (0: no clipping), as clip_grad_norm_ on the shared parameters would. Gx: scratch
// of size K.
inline double clip_factor(std::span<const double> gram, std::span<const double> x, std::span<double> Gx, double max_norm) {
    if (max_norm == 0) return 1;
    gram_times(gram, x, Gx);
    const double length = std::sqrt(std::max(dot(x, Gx), 0.0));
    return length > max_norm ? max_norm / length : 1.0;
}

}  // namespace hyda::mtl::detail
