// MGDA (Sener & Koltun, NeurIPS 2018): Frank-Wolfe on G; see mgda.hpp.
#include "mgda.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "gram.hpp"

namespace hyda::mtl {
namespace {

// The paper's Algorithm 1: the gamma in [0, 1] minimising ||gamma u + (1 - gamma) v||^2,
// from uu = <u, u>, uv = <u, v>, vv = <v, v>.
double min_norm_on_segment(double uu, double uv, double vv) {
    if (uv >= uu) return 1;
    if (uv >= vv) return 0;
    return (vv - uv) / (uu - 2 * uv + vv);
}

}  // namespace

MGDA::MGDA(int tasks, detail::Options& options)
    : tasks_(tasks), scale_(std::size_t(tasks)), gram_(std::size_t(tasks) * std::size_t(tasks)), gram_alpha_(std::size_t(tasks)) {
    const double max_iter = options.number("max_iter", 250);
    tol_ = options.number("tol", 1e-5);
    const std::string norm = options.text("normalize", "none", {"none", "l2", "loss", "loss+"});
    normalize_ = norm == "none" ? Normalize::none : norm == "l2" ? Normalize::l2 : norm == "loss" ? Normalize::loss : Normalize::loss_l2;
    if (!(max_iter >= 0 && max_iter <= std::numeric_limits<int>::max()) || max_iter != std::floor(max_iter) || !(tol_ >= 0)) throw std::invalid_argument("mgda: max_iter must be an integer in [0, " + std::to_string(std::numeric_limits<int>::max()) + "] and tol >= 0");
    max_iter_ = int(max_iter);
}

double MGDA::normalizer(const StepContext& ctx, int k) const {
    const std::size_t K = std::size_t(tasks_);
    const double norm = std::sqrt(ctx.gram[std::size_t(k) * K + std::size_t(k)]), loss = ctx.losses[std::size_t(k)];
    double n = 1;
    switch (normalize_) {
        case Normalize::none: break;
        case Normalize::l2: n = norm; break;
        case Normalize::loss: n = loss; break;
        case Normalize::loss_l2: n = loss * norm; break;
    }
    // A zero normalizer comes with a zero gradient (or loss), which no scale changes.
    return n > 0 && std::isfinite(n) ? n : 1.0;
}

void MGDA::do_coefficients(const StepContext& ctx, std::span<double> alpha) {
    const std::size_t K = std::size_t(tasks_);
    for (int k = 0; k < tasks_; ++k) scale_[std::size_t(k)] = normalizer(ctx, k);
    for (std::size_t i = 0; i < K; ++i)
        for (std::size_t j = 0; j < K; ++j) gram_[i * K + j] = ctx.gram[i * K + j] / (scale_[i] * scale_[j]);

    if (K == 2) {
        const double gamma = min_norm_on_segment(gram_[0], gram_[1], gram_[3]);
        alpha[0] = gamma;
        alpha[1] = 1 - gamma;
    } else {
        std::fill(alpha.begin(), alpha.end(), 1.0 / double(K));
        detail::gram_times(gram_, alpha, gram_alpha_);
        for (int it = 0; it < max_iter_; ++it) {
            // The vertex minimising the linearisation of ||d||^2, then Algorithm 1 on the
            // segment between it (u = g_t) and the current point (v = d).
            const std::size_t t = std::size_t(std::min_element(gram_alpha_.begin(), gram_alpha_.end()) - gram_alpha_.begin());
            const double gamma = min_norm_on_segment(gram_[t * K + t], gram_alpha_[t], detail::dot(alpha, gram_alpha_));
            const double moved = 2 * gamma * (1 - alpha[t]);  // ||a_new - a||_1
            for (double& a : alpha) a *= 1 - gamma;
            alpha[t] += gamma;
            const auto column = detail::gram_row(gram_, K, t);
            for (std::size_t k = 0; k < K; ++k) gram_alpha_[k] = (1 - gamma) * gram_alpha_[k] + gamma * column[k];
            if (moved < tol_) break;
        }
    }
    // The direction sum_k a_k (g_k / n_k), as coefficients of the g_k themselves.
    for (std::size_t k = 0; k < K; ++k) alpha[k] /= scale_[k];
}

}  // namespace hyda::mtl
