// The alpha-fair allocation by Newton's method; see alpha_fair.hpp.
#include "alpha_fair.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "newton_step.hpp"

namespace hyda::mtl::detail {
namespace {

constexpr double tolerance = 1e-12;  // of the residual, relative to the terms it sums
constexpr int max_steps = 200;       // a guard; at most 27 steps seen (alpha_fair.hpp)
// Below this Newton decrement (squared) the full step is taken without the Armijo test:
// inside the region of quadratic convergence, where f's decrease is at rounding level
// and comparing values of f would reject good steps.
constexpr double quadratic_phase = 1e-2;

}  // namespace

AlphaFairSolver::AlphaFairSolver(std::size_t n) : n_(n), H_(n * n), L_(n * n), w_(n), trial_(n), grad_(n), step_(n) { present_.reserve(n); }

double AlphaFairSolver::objective(std::span<const double> w) const {
    const std::size_t m = m_;
    const double p = 1 - 1 / alpha_;
    double f = 0;
    for (std::size_t i = 0; i < m; ++i) {
        double Hw = 0;
        for (std::size_t j = 0; j < m; ++j) Hw += H_[i * m + j] * w[j];
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

    // The tasks with a gradient, and ||G||_F, computed without overflow.
    present_.clear();
    double largest = 0, sum = 0;
    for (std::size_t k = 0; k < n; ++k)
        if (G[k * n + k] > 0) present_.push_back(k);
    for (double x : G) largest = std::max(largest, std::abs(x));
    if (present_.empty()) return false;
    for (double x : G) sum += (x / largest) * (x / largest);
    const double norm = largest * std::sqrt(sum);
    const std::size_t m = m_ = present_.size();
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < m; ++j) {
            const double g = G[present_[i] * n + present_[j]] / norm;
            H_[i * m + j] = i == j ? g * (1 + ridge) : g;
        }

    const double e = 1 / alpha;  // w^(-e) is phi'
    for (std::size_t k = 0; k < m; ++k) w_[k] = std::pow(H_[k * m + k], -alpha / (alpha + 1));  // exact for a diagonal G
    for (int iteration = 0; iteration < max_steps; ++iteration) {
        bool converged = true;
        for (std::size_t i = 0; i < m; ++i) {
            double Hw = 0, size = 0;
            for (std::size_t j = 0; j < m; ++j) Hw += H_[i * m + j] * w_[j], size += std::abs(H_[i * m + j]) * w_[j];
            const double we = std::pow(w_[i], e);
            converged = converged && std::abs(we * Hw - 1) <= tolerance * (we * size + 1);
            grad_[i] = Hw - 1 / we;
        }
        if (converged) break;
        // Newton step: (H + diag(e w^(-e-1))) step = -grad, by Cholesky (H is positive
        // definite with the ridge, the diagonal term positive).
        for (std::size_t i = 0; i < m; ++i) {
            for (std::size_t j = 0; j <= i; ++j) {
                double s = H_[i * m + j] + (i == j ? e * std::pow(w_[i], -e - 1) : 0.0);
                for (std::size_t k = 0; k < j; ++k) s -= L_[i * m + k] * L_[j * m + k];
                L_[i * m + j] = i == j ? std::sqrt(std::max(s, 0.0)) : s / L_[j * m + j];
            }
        }
        newton_step(L_.data(), m, m, grad_.data(), step_.data());
        double slope = 0;  // grad . step = -(Newton decrement)^2
        for (std::size_t i = 0; i < m; ++i) slope += grad_[i] * step_[i];
        if (!(slope < 0)) break;  // no descent left above rounding

        double t = 1;
        auto try_step = [&] {
            for (std::size_t i = 0; i < m; ++i) trial_[i] = w_[i] + t * step_[i];
            return std::all_of(trial_.begin(), trial_.begin() + std::ptrdiff_t(m), [](double x) { return x > 0; });
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
    for (std::size_t i = 0; i < m; ++i) w[present_[i]] = scale * w_[i];
    return true;
}

}  // namespace hyda::mtl::detail
