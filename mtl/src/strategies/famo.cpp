// FAMO (Liu et al., NeurIPS 2023); see famo.hpp.
#include "famo.hpp"

#include <algorithm>
#include <cmath>

#include "softmax.hpp"

namespace hyda::mtl {
namespace {

constexpr double log_eps = 1e-8;  // the authors' L + 1e-8
constexpr double beta1 = 0.9, beta2 = 0.999, adam_eps = 1e-8;  // torch.optim.Adam's defaults

}  // namespace

FAMO::FAMO(int tasks, detail::Options& options)
    : lr_(options.number("lr", 0.025)),
      decay_(options.number("decay", 0.01)),
      adam_(options.text("update", "adam", {"adam", "gd"}) == "adam"),
      logits_(std::size_t(tasks), 0.0),
      weights_(std::size_t(tasks)),
      delta_(std::size_t(tasks)),
      first_moment_(std::size_t(tasks), 0.0),
      second_moment_(std::size_t(tasks), 0.0) {
    if (!(lr_ >= 0)) throw std::invalid_argument("famo: lr must be >= 0");
    if (!(decay_ >= 0)) throw std::invalid_argument("famo: decay must be >= 0");
}

Needs FAMO::needs() const {
    Needs n;
    n.losses_after_step = true;
    return n;
}

void FAMO::do_coefficients(const StepContext& ctx, std::span<double> c) {
    std::copy(logits_.begin(), logits_.end(), weights_.begin());
    detail::softmax(weights_);
    double S = 0;
    for (std::size_t k = 0; k < c.size(); ++k) S += c[k] = ctx.losses[k] > 0 ? weights_[k] / (ctx.losses[k] + log_eps) : 0.0;
    for (double& x : c) x = S > 0 ? x / S : 0.0;
}

void FAMO::do_after_step(std::span<const double> before, std::span<const double> after) {
    const std::size_t K = logits_.size();
    std::copy(logits_.begin(), logits_.end(), weights_.begin());
    detail::softmax(weights_);
    // delta over the tasks measured on both sides; the others get the z-weighted mean.
    double present = 0, mean = 0;
    for (std::size_t k = 0; k < K; ++k) {
        if (!(before[k] > 0 && after[k] > 0)) continue;
        delta_[k] = std::log(before[k] + log_eps) - std::log(after[k] + log_eps);
        present += weights_[k];
        mean += weights_[k] * delta_[k];
    }
    mean = present > 0 ? mean / present : 0.0;
    for (std::size_t k = 0; k < K; ++k)
        if (!(before[k] > 0 && after[k] > 0)) delta_[k] = mean;
    // sum_j z_j delta_j is now `mean` itself.
    ++updates_;
    for (std::size_t k = 0; k < K; ++k) {
        const double grad = weights_[k] * (delta_[k] - mean) + decay_ * logits_[k];
        if (!adam_) {
            logits_[k] -= lr_ * grad;
            continue;
        }
        first_moment_[k] = beta1 * first_moment_[k] + (1 - beta1) * grad;
        second_moment_[k] = beta2 * second_moment_[k] + (1 - beta2) * grad * grad;
        const double m_hat = first_moment_[k] / (1 - std::pow(beta1, double(updates_)));
        const double v_hat = second_moment_[k] / (1 - std::pow(beta2, double(updates_)));
        logits_[k] -= lr_ * m_hat / (std::sqrt(v_hat) + adam_eps);
    }
}

void FAMO::visit_state(StateVisitor& v) {
    v("updates", updates_);
    v("logits", logits_);
    v("first_moment", first_moment_);
    v("second_moment", second_moment_);
}

}  // namespace hyda::mtl
