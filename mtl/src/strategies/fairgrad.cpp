// FairGrad (Ban & Ji, ICML 2024): alpha-fair shares of the update, G w = w^(-1/alpha);
// see fairgrad.hpp.
#include "fairgrad.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "gram.hpp"

namespace hyda::mtl {

FairGrad::FairGrad(int tasks, detail::Options& options)
    : alpha_(options.number("alpha", 1.0)), max_norm_(options.number("max_norm", 1.0)), solver_(std::size_t(tasks)), w_(std::size_t(tasks)), gw_(std::size_t(tasks)) {
    if (!(alpha_ > 0)) throw std::invalid_argument("fairgrad: alpha must be > 0");
    if (!(max_norm_ >= 0)) throw std::invalid_argument("fairgrad: max_norm must be >= 0 (0: no clipping)");
}

void FairGrad::do_coefficients(const StepContext& ctx, std::span<double> c) {
    std::fill(w_.begin(), w_.end(), 0.0);  // stays 0 for a task with a zero gradient
    solver_.solve(ctx.gram, alpha_, w_);
    const double clip = detail::clip_factor(ctx.gram, w_, gw_, max_norm_);
    for (std::size_t k = 0; k < c.size(); ++k) c[k] = clip * w_[k];
}

void FairGrad::do_head_weights(std::span<const double>, std::span<double> h) const { std::copy(w_.begin(), w_.end(), h.begin()); }

}  // namespace hyda::mtl
