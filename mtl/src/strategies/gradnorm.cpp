#include "gradnorm.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace hyda::mtl {
namespace {

// The least weight an update leaves, before renormalisation (the mean weight is 1): see
// gradnorm.hpp.
constexpr double min_weight = 1e-3;

}  // namespace

GradNorm::GradNorm(int tasks, detail::Options& options)
    : alpha_(options.number("alpha", 1.5)),
      lr_(options.number("lr", 0.025)),
      weights_(std::size_t(tasks), 1.0),
      initial_loss_(std::size_t(tasks), 0.0) {
    if (!(lr_ >= 0) || !(alpha_ >= 0)) throw std::invalid_argument("gradnorm: lr and alpha must be >= 0");
}

Needs GradNorm::needs() const {
    Needs n;
    n.last_layer_gram = true;
    return n;
}

void GradNorm::do_coefficients(const StepContext& ctx, std::span<double> c) {
    std::copy(weights_.begin(), weights_.end(), c.begin());
    const std::size_t K = weights_.size();
    auto grad_norm = [&](std::size_t k) { return std::sqrt(ctx.gram_last[k * K + k]); };
    auto loss_ratio = [&](std::size_t k) { return initial_loss_[k] > 0 ? ctx.losses[k] / initial_loss_[k] : 1.0; };

    double mean_g = 0, mean_ratio = 0;
    for (std::size_t k = 0; k < K; ++k) {
        if (initial_loss_[k] <= 0) initial_loss_[k] = ctx.losses[k];
        mean_g += weights_[k] * grad_norm(k) / double(K);
        mean_ratio += loss_ratio(k) / double(K);
    }
    for (std::size_t k = 0; k < K; ++k) {
        const double target = mean_g * std::pow(loss_ratio(k) / mean_ratio, alpha_);
        const double gap = weights_[k] * grad_norm(k) - target;
        weights_[k] = std::max(weights_[k] - lr_ * double((gap > 0) - (gap < 0)) * grad_norm(k), min_weight);
    }
    const double scale = double(K) / std::accumulate(weights_.begin(), weights_.end(), 0.0);
    for (double& w : weights_) w *= scale;
}

void GradNorm::visit_state(StateVisitor& v) {
    v("weights", weights_);
    v("initial_loss", initial_loss_);
}

}  // namespace hyda::mtl
