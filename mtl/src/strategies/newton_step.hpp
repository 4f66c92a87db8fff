#pragma once
// Internal: the Newton step of the small solvers (simplex_qp, alpha_fair) once their
// Hessian is factored by Cholesky.
#include <cstddef>

namespace hyda::mtl::detail {

// step = -(L L^T)^{-1} g for the m x m lower-triangular factor L, row-major with row
// stride `stride`: L w = -g by forward substitution, then L^T step = w by back
// substitution. g and step may be the same array.
inline void newton_step(const double* L, std::size_t stride, std::size_t m, const double* g, double* step) {
    for (std::size_t i = 0; i < m; ++i) {
        double s = -g[i];
        for (std::size_t k = 0; k < i; ++k) s -= L[i * stride + k] * step[k];
        step[i] = s / L[i * stride + i];
    }
    for (std::size_t i = m; i-- > 0;) {
        double s = step[i];
        for (std::size_t k = i + 1; k < m; ++k) s -= L[k * stride + i] * step[k];
        step[i] = s / L[i * stride + i];
    }
}

}  // namespace hyda::mtl::detail
