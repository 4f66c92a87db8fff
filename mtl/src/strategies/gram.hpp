#pragma once
// Internal: working in coefficient space. A vector x of K coefficients stands for the
// direction sum_k x_k g_k; the Gram matrix G (K x K, row-major, symmetric) gives every
// inner product of such directions without touching a parameter.
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

}  // namespace hyda::mtl::detail
