// The cyclic Jacobi eigen-decomposition; see symmetric_eigen.hpp.
#include "symmetric_eigen.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace hyda::mtl::detail {
namespace {

constexpr double eps = std::numeric_limits<double>::epsilon();
constexpr int max_sweeps = 60;  // a guard: sweeps converge quadratically, 5 to 10 in practice

}  // namespace

SymmetricEigen::SymmetricEigen(std::size_t n) : n_(n), a_(n * n), values_(n), vectors_(n * n), scratch_(n * n), order_(n) {}

void SymmetricEigen::decompose(std::span<const double> A) {
    const std::size_t n = n_;
    if (A.size() != n * n) throw std::invalid_argument("symmetric_eigen: " + std::to_string(A.size()) + " entries for a " + std::to_string(n) + " x " + std::to_string(n) + " matrix");
    if (!std::all_of(A.begin(), A.end(), [](double x) { return std::isfinite(x); })) throw std::invalid_argument("symmetric_eigen: a non-finite entry");
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = i; j < n; ++j) a_[i * n + j] = a_[j * n + i] = A[i * n + j];
    std::fill(vectors_.begin(), vectors_.end(), 0.0);
    for (std::size_t i = 0; i < n; ++i) vectors_[i * n + i] = 1;

    auto a = [&](std::size_t i, std::size_t j) -> double& { return a_[i * n + j]; };
    for (int sweep = 0; sweep < max_sweeps; ++sweep) {
        bool rotated = false;
        for (std::size_t p = 0; p + 1 < n; ++p) {
            for (std::size_t q = p + 1; q < n; ++q) {
                const double apq = a(p, q);
                if (apq == 0 || std::abs(apq) <= eps * std::sqrt(std::abs(a(p, p) * a(q, q)))) continue;
                rotated = true;
                // The rotation J (c at pp and qq, s at pq, -s at qp) with (J^T A J)_pq = 0:
                // t = tan(theta) is the smaller root of t^2 + 2 tau t - 1 = 0.
                const double tau = (a(q, q) - a(p, p)) / (2 * apq);
                const double t = (tau >= 0 ? 1.0 : -1.0) / (std::abs(tau) + std::hypot(1.0, tau));
                const double c = 1 / std::sqrt(1 + t * t), s = t * c;
                for (std::size_t k = 0; k < n; ++k) {
                    if (k == p || k == q) continue;
                    const double akp = a(k, p), akq = a(k, q);
                    a(k, p) = a(p, k) = c * akp - s * akq;
                    a(k, q) = a(q, k) = s * akp + c * akq;
                }
                a(p, p) -= t * apq;
                a(q, q) += t * apq;
                a(p, q) = a(q, p) = 0;
                for (std::size_t k = 0; k < n; ++k) {  // V J
                    const double vkp = vectors_[k * n + p], vkq = vectors_[k * n + q];
                    vectors_[k * n + p] = c * vkp - s * vkq;
                    vectors_[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
        if (!rotated) break;
    }

    // Largest first, the columns of V with them.
    for (std::size_t i = 0; i < n; ++i) order_[i] = i;
    std::sort(order_.begin(), order_.end(), [&](std::size_t i, std::size_t j) { return a(i, i) > a(j, j) || (a(i, i) == a(j, j) && i < j); });
    for (std::size_t j = 0; j < n; ++j) {
        values_[j] = a(order_[j], order_[j]);
        for (std::size_t k = 0; k < n; ++k) scratch_[k * n + j] = vectors_[k * n + order_[j]];
    }
    std::swap(vectors_, scratch_);
}

std::size_t SymmetricEigen::rank() const {
    if (n_ == 0 || !(values_[0] > 0)) return 0;
    const double threshold = double(n_) * std::ldexp(1.0, -23) * values_[0];
    return std::size_t(std::count_if(values_.begin(), values_.end(), [&](double l) { return l > threshold; }));
}

}  // namespace hyda::mtl::detail
