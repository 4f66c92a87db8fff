// CAGrad (Liu et al., NeurIPS 2021): its dual problem solved on G; see cagrad.hpp.
#include "cagrad.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <stdexcept>

#include "gram.hpp"

namespace hyda::mtl {
namespace {

constexpr int max_iterations = 1000;
constexpr double tolerance = 1e-8;  // on the duality gap, relative to ||g_0||^2
constexpr double smallest_step = 1e-20;
constexpr double negligible = 1e-12;  // a squared norm below this times max_k ||g_k||^2 is rounding

// Euclidean projection of v onto the probability simplex: v_k - theta clipped at 0, with
// theta found from v sorted in decreasing order (Held, Wolfe & Crowder 1974).
void project_to_simplex(std::span<double> v, std::span<double> sorted) {
    std::copy(v.begin(), v.end(), sorted.begin());
    std::sort(sorted.begin(), sorted.end(), std::greater<>());
    double sum = 0, theta = 0;
    for (std::size_t j = 0; j < sorted.size(); ++j) {
        sum += sorted[j];
        const double t = (sum - 1) / double(j + 1);
        if (sorted[j] > t) theta = t;
    }
    for (double& x : v) x = std::max(x - theta, 0.0);
}

}  // namespace

CAGrad::CAGrad(int tasks, detail::Options& options) : tasks_(tasks) {
    c_ = options.number("c", 0.5);
    if (!(c_ >= 0) || !std::isfinite(c_)) throw std::invalid_argument("cagrad: c must be a finite number >= 0");
    const std::string rescale = options.text("rescale", "1+c^2", {"1+c^2", "1+c", "none"});
    divide_by_ = rescale == "1+c^2" ? 1 + c_ * c_ : rescale == "1+c" ? 1 + c_ : 1;
    const std::size_t K = std::size_t(tasks);
    for (auto* v : {&mean_gram_, &w_, &gw_, &y_, &gy_, &trial_, &gw_trial_, &grad_, &sorted_}) v->resize(K);
    gram_.resize(K * K);
}

double CAGrad::objective(std::span<const double> w, std::span<double> gw) const {
    detail::gram_times(gram_, w, gw);
    return detail::dot(mean_gram_, w) + c_ * std::sqrt(std::max(detail::dot(w, gw), 0.0));
}

void CAGrad::gradient(std::span<const double> w, std::span<const double> gw, std::span<double> out) const {
    const double norm = std::sqrt(std::max(detail::dot(w, gw), 0.0));
    for (std::size_t k = 0; k < w.size(); ++k) out[k] = mean_gram_[k] + (norm > 0 ? c_ * gw[k] / norm : 0.0);
}

void CAGrad::solve() {
    // Accelerated projected gradient (FISTA, Beck & Teboulle 2009) with backtracking,
    // restarted from the last iterate when momentum stops decreasing F (O'Donoghue &
    // Candes 2015): G is often ill-conditioned, which leaves F nearly flat in places.
    std::fill(w_.begin(), w_.end(), 1.0 / double(tasks_));
    std::copy(w_.begin(), w_.end(), y_.begin());
    double f = objective(w_, gw_), step = 1, theta = 1;
    for (int it = 0; it < max_iterations; ++it) {
        // Stop on the duality gap: at d(w) = g_0 + c g_w / ||g_w||, the primal value
        // min_i <g_i, d(w)> is min_i dF/dw_i, and F(w) = <w, dF/dw>.
        gradient(w_, gw_, grad_);
        if (detail::dot(w_, grad_) - *std::min_element(grad_.begin(), grad_.end()) <= tolerance) return;

        const double f_y = objective(y_, gy_);
        gradient(y_, gy_, grad_);
        // Backtracking: accept the step once F lies under its quadratic model there.
        double f_trial = 0;
        for (;;) {
            for (std::size_t k = 0; k < w_.size(); ++k) trial_[k] = y_[k] - step * grad_[k];
            project_to_simplex(trial_, sorted_);
            f_trial = objective(trial_, gw_trial_);
            double model = f_y;
            for (std::size_t k = 0; k < w_.size(); ++k) {
                const double move = trial_[k] - y_[k];
                model += grad_[k] * move + move * move / (2 * step);
            }
            if (f_trial <= model) break;
            step /= 2;
            if (step < smallest_step) return;  // no decrease left that rounding lets us see
        }
        if (f_trial >= f) {
            if (theta == 1) return;  // not even a plain step from w decreases F: rounding level
            std::copy(w_.begin(), w_.end(), y_.begin());  // momentum overshot: restart from w
            theta = 1;
            continue;
        }
        const double theta_next = (1 + std::sqrt(1 + 4 * theta * theta)) / 2;
        for (std::size_t k = 0; k < w_.size(); ++k) y_[k] = trial_[k] + (theta - 1) / theta_next * (trial_[k] - w_[k]);
        theta = theta_next;
        w_.swap(trial_);
        gw_.swap(gw_trial_);
        f = f_trial;
        step *= 2;
    }
}

void CAGrad::do_coefficients(const StepContext& ctx, std::span<double> c) {
    const std::size_t K = std::size_t(tasks_);
    double mean_norm2 = 0, largest_norm2 = 0;  // ||g_0||^2, max_k ||g_k||^2
    for (std::size_t i = 0; i < K; ++i) {
        largest_norm2 = std::max(largest_norm2, ctx.gram[i * K + i]);
        for (std::size_t j = 0; j < K; ++j) mean_norm2 += ctx.gram[i * K + j];
    }
    mean_norm2 /= double(K * K);
    std::fill(c.begin(), c.end(), 1.0 / double(K) / divide_by_);  // d = g_0
    if (c_ == 0 || mean_norm2 <= negligible * largest_norm2) return;

    for (std::size_t i = 0; i < K * K; ++i) gram_[i] = ctx.gram[i] / mean_norm2;
    for (std::size_t i = 0; i < K; ++i) {  // <g_i, g_0>
        const auto row = detail::gram_row(gram_, K, i);
        mean_gram_[i] = std::accumulate(row.begin(), row.end(), 0.0) / double(K);
    }
    solve();
    // On the scaled G, sqrt(phi) = c and ||g_w||^2 = w^T G w.
    const double gw_norm2 = detail::dot(w_, gw_);
    if (gw_norm2 <= negligible * largest_norm2 / mean_norm2) return;
    const double lambda = c_ / std::sqrt(gw_norm2);
    for (std::size_t k = 0; k < K; ++k) c[k] += lambda * w_[k] / divide_by_;
}

}  // namespace hyda::mtl
