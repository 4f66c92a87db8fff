#include "uncertainty.hpp"

#include <cmath>

namespace hyda::mtl {

UncertaintyWeighting::UncertaintyWeighting(int tasks, detail::Options& options)
    : lr_(options.number("lr", 0.01)), log_variance_(std::size_t(tasks), 0.0) {
    if (!(lr_ >= 0)) throw std::invalid_argument("uncertainty: lr must be >= 0");
}

void UncertaintyWeighting::do_coefficients(const StepContext& ctx, std::span<double> c) {
    for (std::size_t k = 0; k < log_variance_.size(); ++k) {
        double& s = log_variance_[k];
        c[k] = std::exp(-s);
        s -= lr_ * (1 - c[k] * ctx.losses[k]);
    }
}

void UncertaintyWeighting::visit_state(StateVisitor& v) {
    v("log_variance", log_variance_);
}

}  // namespace hyda::mtl
