// The alpha-fair allocation by Newton's method; see alpha_fair.hpp.
#include "alpha_fair.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace hyda::mtl::detail {
namespace {

constexpr double tolerance = 1e-12;  // of the residual, relative to the terms it sums
constexpr int max_steps = 200;       // a guard; 8 to 15 steps in practice
// Below this Newton decrement (squared) the full step is taken without the Armijo test:
// inside the region of quadratic convergence, where f's decrease is at rounding level
// and comparing values of f would reject good steps.
constexpr double quadratic_phase = 1e-2;

}  // namespace

AlphaFairSolver::AlphaFairSolver(std::size_t n) : n_(n), H_(n * n), L_(n * n), w_(n), trial_(n), grad_(n), step_(n), Hw_(n) {}

double AlphaFairSolver::objective(std::span<const double> w) const {
    double f = 0;
    for (std::size_t i = 0; i < n_; ++i) {
        double Hw = 0;
        for (std::size_t j = 0; j < n_; ++j) Hw += H_[i * n_ + j] * w[j];
        const double p = 1 - 1 / alpha_;
        f += 0.5 * w[i] * Hw - (alpha_ == 1 ? std::log(w[i]) : std::pow(w[i], p) / p);
    }
    return f;
}

bool AlphaFairSolver::solve(std::span<const double> G, double alpha, std::span<double> w) {
    const std::size_t n = n_;
    if (G.size() != n * n || w.size() != n)
        throw std::invalid_argument("alpha_fair: sizes G " + std::to_string(G.size()) + ", w " + std::to_string(w.size()) + " for " + std::to_string(n) + " tasks");
    if (!std::all_of(G.begin(), G.end(), [](double x) { return std::isfinite(x); })) throw std::invalid_argument("alpha_fair: G has a non-finite entry");
    if (!(alpha > 0) || !std::isfinite(alpha)) throw std::invalid_argument("alpha_fair: alpha must be finite and > 0");
    alpha_ = alpha;

    // ||G||_F, computed without overflow.
    double largest = 0, sum = 0;
    for (double x : G) largest = std::max(largest, std::abs(x));
    if (largest == 0) return false;
    for (double x : G) sum += (x / largest) * (x / largest);
    const double norm = largest * std::sqrt(sum);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j) H_[i * n + j] = G[i * n + j] / norm + (i == j ? ridge : 0.0);

    const double e = 1 / alpha;  // w^(-e) is phi'
    for (std::size_t k = 0; k < n; ++k) w_[k] = std::pow(H_[k * n + k], -alpha / (alpha + 1));  // exact for a diagonal G
    for (int iteration = 0; iteration < max_steps; ++iteration) {
        bool converged = true;
        for (std::size_t i = 0; i < n; ++i) {
            double Hw = 0, size = 0;
            for (std::size_t j = 0; j < n; ++j) Hw += H_[i * n + j] * w_[j], size += std::abs(H_[i * n + j]) * w_[j];
            const double we = std::pow(w_[i], e);
            converged = converged && std::abs(we * Hw - 1) <= tolerance * (we * size + 1);
            grad_[i] = Hw - 1 / we;
        }
        if (converged) break;
        // Newton step: (H + diag(e w^(-e-1))) step = -grad, by Cholesky (H is PSD plus the
        // ridge, the diagonal positive: the matrix is positive definite).
        for (std::size_t i = 0; i < n; ++i) {
            for (std::size_t j = 0; j <= i; ++j) {
                double s = H_[i * n + j] + (i == j ? e * std::pow(w_[i], -e - 1) : 0.0);
                for (std::size_t k = 0; k < j; ++k) s -= L_[i * n + k] * L_[j * n + k];
                L_[i * n + j] = i == j ? std::sqrt(std::max(s, 0.0)) : s / L_[j * n + j];
            }
        }
        for (std::size_t i = 0; i < n; ++i) {
            double s = -grad_[i];
            for (std::size_t k = 0; k < i; ++k) s -= L_[i * n + k] * step_[k];
            step_[i] = s / L_[i * n + i];
        }
        for (std::size_t i = n; i-- > 0;) {
            double s = step_[i];
            for (std::size_t k = i + 1; k < n; ++k) s -= L_[k * n + i] * step_[k];
            step_[i] = s / L_[i * n + i];
        }
        double slope = 0;  // grad . step = -(Newton decrement)^2
        for (std::size_t i = 0; i < n; ++i) slope += grad_[i] * step_[i];
        if (!(slope < 0)) break;  // no descent left above rounding

        double t = 1;
        auto try_step = [&] {
            for (std::size_t i = 0; i < n; ++i) trial_[i] = w_[i] + t * step_[i];
            return std::all_of(trial_.begin(), trial_.end(), [](double x) { return x > 0; });
        };
        while (!try_step()) t /= 2;
        if (-slope > quadratic_phase) {
            const double f = objective(w_);
            while (objective(trial_) > f + 0.25 * t * slope && t > 1e-20) {
                t /= 2;
                try_step();
            }
        }
        std::swap(w_, trial_);
    }
    const double scale = std::pow(norm, -alpha / (alpha + 1));
    for (std::size_t k = 0; k < n; ++k) w[k] = scale * w_[k];
    return true;
}

}  // namespace hyda::mtl::detail
