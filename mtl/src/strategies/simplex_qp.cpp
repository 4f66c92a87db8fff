// Exact small QPs over the simplex or the nonnegative orthant; see simplex_qp.hpp.
#include "simplex_qp.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "newton_step.hpp"

namespace hyda::mtl::detail {
namespace {

// Relative to the magnitude of the terms a quantity sums: far above their rounding (n eps
// is 1.4e-14 for n = 64), far below any difference that matters to a task weighting.
constexpr double tolerance = 1e-12;

}  // namespace

SimplexQP::SimplexQP(std::size_t n) : n_(n) {
    free_.reserve(n);
    basis_.reserve(n);
    for (auto* v : {&g_, &g_scale_, &p_, &h_, &y_}) v->resize(n);
    H_.resize(n * n);
    L_.resize(n * n);
}

void SimplexQP::gradient(std::span<const double> a) {
    for (std::size_t i = 0; i < n_; ++i) {
        double sum = b_.empty() ? 0.0 : b_[i], size = b_.empty() ? 0.0 : std::abs(b_[i]);
        for (std::size_t j = 0; j < n_; ++j) {
            sum += Q_[i * n_ + j] * a[j];
            size += std::abs(Q_[i * n_ + j]) * a[j];
        }
        g_[i] = sum;
        g_scale_[i] = size;
    }
}

bool SimplexQP::direction(std::span<const double> a) {
    // Coordinates y on the face: p = sum_t y_t z_t, z_t = e_{basis_t} - e_r on the simplex
    // (r the free index of largest weight, so sum p = 0 holds exactly) or e_{basis_t}.
    basis_.clear();
    if (simplex_) {
        reference_ = *std::max_element(free_.begin(), free_.end(), [&](std::size_t i, std::size_t j) { return a[i] < a[j]; });
        for (std::size_t i : free_)
            if (i != reference_) basis_.push_back(i);
    } else {
        basis_ = free_;
    }
    const std::size_t m = basis_.size(), r = reference_;
    auto q = [&](std::size_t i, std::size_t j) { return Q_[i * n_ + j]; };
    for (std::size_t t = 0; t < m; ++t) {  // H = Z^T Q Z, h = Z^T g
        const std::size_t i = basis_[t];
        h_[t] = simplex_ ? g_[i] - g_[r] : g_[i];
        for (std::size_t u = 0; u <= t; ++u) {
            const std::size_t j = basis_[u];
            H_[t * n_ + u] = simplex_ ? q(i, j) - q(i, r) - q(r, j) + q(r, r) : q(i, j);
        }
    }
    auto to_p = [&](std::size_t count) {
        std::fill(p_.begin(), p_.end(), 0.0);
        for (std::size_t t = 0; t < count; ++t) {
            p_[basis_[t]] += y_[t];
            if (simplex_) p_[r] -= y_[t];
        }
    };
    // Cholesky H = L L^T, row by row. Row t's off-diagonal part is L_PP^{-1} H_Pt for the
    // rows P before it, so a vanishing pivot gives the null direction at once:
    // y_P = -H_PP^{-1} H_Pt = -L_PP^{-T} (row t), y_t = 1 (H y = 0 up to that pivot).
    for (std::size_t t = 0; t < m; ++t) {
        double* row = &L_[t * n_];
        for (std::size_t u = 0; u < t; ++u) {
            double s = H_[t * n_ + u];
            for (std::size_t v = 0; v < u; ++v) s -= row[v] * L_[u * n_ + v];
            row[u] = s / L_[u * n_ + u];
        }
        double pivot = H_[t * n_ + t];
        for (std::size_t v = 0; v < t; ++v) pivot -= row[v] * row[v];
        const double scale = simplex_ ? q(basis_[t], basis_[t]) + q(r, r) : q(basis_[t], basis_[t]);
        if (pivot <= tolerance * scale) {
            for (std::size_t u = t; u-- > 0;) {
                double s = -row[u];
                for (std::size_t v = u + 1; v < t; ++v) s -= L_[v * n_ + u] * y_[v];
                y_[u] = s / L_[u * n_ + u];
            }
            y_[t] = 1;
            to_p(t + 1);
            dependent_ = basis_[t];
            return false;
        }
        row[t] = std::sqrt(pivot);
    }
    newton_step(L_.data(), n_, m, h_.data(), y_.data());  // y = -(L L^T)^{-1} h
    to_p(m);
    return true;
}

double SimplexQP::solve(std::span<const double> Q, std::span<const double> b, Region region, std::span<double> a) {
    const std::size_t n = n_;
    if (Q.size() != n * n || !(b.empty() || b.size() == n) || a.size() != n)
        throw std::invalid_argument("simplex_qp: sizes Q " + std::to_string(Q.size()) + ", b " + std::to_string(b.size()) + ", a " + std::to_string(a.size()) +
                                    " for " + std::to_string(n) + " variables");
    for (std::span<const double> s : {Q, b})
        if (!std::all_of(s.begin(), s.end(), [](double x) { return std::isfinite(x); })) throw std::invalid_argument("simplex_qp: Q or b has a non-finite entry");
    Q_ = Q;
    b_ = b;
    simplex_ = region == Region::simplex;
    std::fill(a.begin(), a.end(), 0.0);
    free_.clear();
    if (simplex_) {  // start at the best vertex
        std::size_t best = 0;
        auto value = [&](std::size_t k) { return 0.5 * Q[k * n + k] + (b.empty() ? 0.0 : b[k]); };
        for (std::size_t k = 1; k < n; ++k)
            if (value(k) < value(best)) best = k;
        a[best] = 1;
        free_.push_back(best);
    }
    const double infinity = std::numeric_limits<double>::infinity();
    const int max_steps = 100 + 20 * int(n);  // a few n in practice; a guard, not a budget
    std::size_t freed = n;                      // the index freed by the previous step, if any
    for (int step = 0; step < max_steps; ++step) {
        gradient(a);
        const bool newton = direction(a);
        // Along the null direction of a just-freed index k, f changes at the rate of k's
        // multiplier, which the release found negative beyond rounding: trust that sign
        // (the slope computed below sums larger terms, and a flat verdict would undo the
        // release and free k again forever).
        const bool freed_descends = !newton && dependent_ == freed;
        freed = n;
        double slope = 0, slope_size = 0, curvature = 0;
        for (std::size_t i : free_) {
            slope += g_[i] * p_[i];
            slope_size += std::abs(p_[i]) * g_scale_[i];
            for (std::size_t j : free_) curvature += p_[i] * Q[i * n + j] * p_[j];
        }
        double length = 1;  // the face's minimiser
        if (!newton) {
            // f is linear along a null direction (up to a curvature below the pivot
            // tolerance): take it downhill, to the line's minimum or the next bound. If it
            // is flat, go away from the index that made the face singular, to the bound
            // that drops it (or an earlier one).
            const bool flat = !freed_descends && std::abs(slope) <= tolerance * slope_size;
            if (flat || (!freed_descends && slope > 0)) {
                for (std::size_t i : free_) p_[i] = -p_[i];
                slope = -slope;
            }
            length = !flat && slope < 0 && curvature > 0 ? -slope / curvature : infinity;
        }
        std::size_t blocking = n;
        for (std::size_t i : free_)
            if (p_[i] < 0 && a[i] < length * -p_[i]) length = a[i] / -p_[i], blocking = i;
        if (length == infinity) throw std::invalid_argument("simplex_qp: the objective is unbounded below");
        for (std::size_t i : free_) a[i] = std::max(a[i] + length * p_[i], 0.0);
        if (blocking < n) {
            a[blocking] = 0;
            free_.erase(std::find(free_.begin(), free_.end(), blocking));
        }
        if (simplex_) {
            double sum = 0;
            for (std::size_t i : free_) sum += a[i];
            for (std::size_t i : free_) a[i] /= sum;
        }
        if (!newton || blocking < n) continue;

        // a minimises f over its face: free the bound with the most negative multiplier.
        gradient(a);
        double lambda = 0, lambda_size = 0;
        if (simplex_)
            for (std::size_t i : free_) lambda += a[i] * g_[i], lambda_size += a[i] * g_scale_[i];
        std::size_t release = n;
        double most = 0;
        for (std::size_t k = 0; k < n; ++k) {
            const double mu = g_[k] - lambda;
            if (mu < most && mu < -tolerance * (g_scale_[k] + lambda_size) && std::find(free_.begin(), free_.end(), k) == free_.end()) most = mu, release = k;
        }
        if (release == n) return lambda;
        free_.push_back(release);
        freed = release;
    }
    throw std::runtime_error("simplex_qp: no convergence in " + std::to_string(max_steps) + " steps");
}

}  // namespace hyda::mtl::detail
