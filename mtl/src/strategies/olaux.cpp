#include "olaux.hpp"

#include <algorithm>
#include <cmath>

namespace hyda::mtl {
namespace {

int horizon_option(detail::Options& options) {
    const double n = options.number("horizon", 5);
    if (!(n >= 1 && n <= 1e9) || n != std::floor(n)) throw std::invalid_argument("olaux: horizon must be a positive integer");
    return int(n);
}

}  // namespace

OnlineAuxiliaryWeighting::OnlineAuxiliaryWeighting(int tasks, int main, detail::Options& options)
    : main_(main),
      horizon_(horizon_option(options)),
      beta_(options.number("beta", 0.1)),
      clip_(options.text("clip", "on", {"on", "off"}) == "on"),
      weights_(std::size_t(tasks), 1.0),
      window_sum_(std::size_t(tasks), 0.0) {
    if (!(beta_ >= 0)) throw std::invalid_argument("olaux: beta must be >= 0");
}

void OnlineAuxiliaryWeighting::do_coefficients(const StepContext& ctx, std::span<double> c) {
    std::copy(weights_.begin(), weights_.end(), c.begin());
    const std::size_t K = weights_.size(), m = std::size_t(main_);
    for (std::size_t k = 0; k < K; ++k) window_sum_[k] += ctx.gram[m * K + k];
    if (++steps_in_window_ < horizon_) return;
    for (std::size_t k = 0; k < K; ++k) {
        if (k == m) continue;
        weights_[k] += beta_ * window_sum_[k];
        if (clip_) weights_[k] = std::max(0.0, weights_[k]);
    }
    std::fill(window_sum_.begin(), window_sum_.end(), 0.0);
    steps_in_window_ = 0;
}

void OnlineAuxiliaryWeighting::visit_state(StateVisitor& v) {
    v("steps_in_window", steps_in_window_);
    v("weights", weights_);
    v("window_sum", window_sum_);
}

}  // namespace hyda::mtl
