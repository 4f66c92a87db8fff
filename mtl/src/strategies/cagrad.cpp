// CAGrad (Liu et al., NeurIPS 2021): its dual problem solved on G; see cagrad.hpp.
#include "cagrad.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "gram.hpp"

namespace hyda::mtl {
namespace {

constexpr double negligible = 1e-12;  // a squared norm below this times max_k ||g_k||^2 is rounding
constexpr int max_evaluations = 200;  // of the root search; a guard (11 typically, 21 at most seen)

}  // namespace

CAGrad::CAGrad(int tasks, detail::Options& options) : tasks_(tasks), qp_(std::size_t(tasks)) {
    c_ = options.number("c", 0.5);
    if (!(c_ >= 0) || !std::isfinite(c_)) throw std::invalid_argument("cagrad: c must be a finite number >= 0");
    const std::string rescale = options.text("rescale", "1+c^2", {"1+c^2", "1+c", "none"});
    divide_by_ = rescale == "1+c^2" ? 1 + c_ * c_ : rescale == "1+c" ? 1 + c_ : 1;
    const std::size_t K = std::size_t(tasks);
    for (auto* v : {&mean_gram_, &linear_, &w_, &gw_}) v->resize(K);
    gram_.resize(K * K);
}

double CAGrad::residual(double mu) {
    for (std::size_t k = 0; k < w_.size(); ++k) linear_[k] = mu * mean_gram_[k];
    qp_.solve(gram_, linear_, detail::SimplexQP::Region::simplex, w_);
    detail::gram_times(gram_, w_, gw_);
    return std::sqrt(std::max(detail::dot(w_, gw_), 0.0)) - c_ * mu;
}

void CAGrad::solve() {
    // F(w) = <g_w, g_0> + c ||g_w|| is not a QP, but each of its minimisers is one of a
    // family of QPs: w(mu) = argmin over the simplex of 0.5 w^T G w + mu <g_w, g_0>, whose
    // KKT conditions divided by mu are F's when ||g_w(mu)|| = c mu. The residual r(mu)
    // of that equation changes sign once, from + to -: the minimum over w of
    // <g_w, g_0> + c (||g_w||^2 / t + t) / 2, whose minimum over t is F's, is convex in
    // t = c mu, with slope of the sign of -r. It is <= 0 at hi = max_k ||g_k|| / c (no
    // ||g_w|| exceeds max_k ||g_k||). The search starts at lo, where c lo is the least
    // ||g_w|| above rounding (sqrt(negligible) max_k ||g_k||): below it ||g_w||, computed
    // from G, is noise, and a root there means d = g_0 anyway. Regula falsi (Illinois: the
    // end kept twice has its residual halved, so both ends move) finds the root; each QP
    // is exact, and F is flat to first order at the root.
    double largest = 0;
    for (std::size_t k = 0; k < w_.size(); ++k) largest = std::max(largest, gram_[k * w_.size() + k]);
    double lo = std::sqrt(negligible * largest) / c_, hi = std::sqrt(largest) / c_, r_lo = residual(lo);
    if (r_lo <= 0) return;  // ||g_w|| below rounding: w_ = w(lo), and d = g_0
    double r_hi = residual(hi);
    int moved = 0;  // the end the last step moved: 1 lo, -1 hi
    for (int evaluation = 2; evaluation < max_evaluations && r_hi < 0 && hi - lo > 1e-13 * hi; ++evaluation) {
        double mu = (lo * r_hi - hi * r_lo) / (r_hi - r_lo);
        if (!(mu > lo && mu < hi)) mu = (lo + hi) / 2;  // rounding at a tiny bracket
        const double r = residual(mu);
        if (r == 0) {
            lo = hi = mu;
        } else if (r > 0) {
            lo = mu, r_lo = r;
            if (moved == 1) r_hi /= 2;
            moved = 1;
        } else {
            hi = mu, r_hi = r;
            if (moved == -1) r_lo /= 2;
            moved = -1;
        }
    }
    residual(r_hi >= 0 ? hi : (lo + hi) / 2);
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
