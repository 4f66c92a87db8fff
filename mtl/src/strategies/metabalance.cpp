// MetaBalance (He et al., WWW 2022) over all shared parameters; see metabalance.hpp.
#include "metabalance.hpp"

#include <algorithm>
#include <cmath>

namespace hyda::mtl {

MetaBalance::MetaBalance(int tasks, detail::Options& options)
    : relax_(options.number("relax", 0.7)), beta_(options.number("beta", 0.9)), norm_average_(std::size_t(tasks), 0.0) {
    const std::string adapt = options.text("strategy", "both", {"both", "decrease", "increase"});
    adapt_ = adapt == "both" ? Adapt::both : adapt == "decrease" ? Adapt::decrease : Adapt::increase;
    if (!(relax_ >= 0 && relax_ <= 1)) throw std::invalid_argument("metabalance: relax must be in [0, 1]");
    if (!(beta_ >= 0 && beta_ < 1)) throw std::invalid_argument("metabalance: beta must be in [0, 1)");
}

void MetaBalance::do_coefficients(const StepContext& ctx, std::span<double> c) {
    const std::size_t K = c.size(), m = std::size_t(ctx.main);
    for (std::size_t k = 0; k < K; ++k) norm_average_[k] = beta_ * norm_average_[k] + (1 - beta_) * std::sqrt(std::max(0.0, ctx.gram[k * K + k]));
    const double target = norm_average_[m];
    for (std::size_t k = 0; k < K; ++k) {
        const double mk = norm_average_[k];
        const bool adapt = k != m && mk > 0 &&
                           (adapt_ == Adapt::both || (adapt_ == Adapt::decrease && mk > target) || (adapt_ == Adapt::increase && mk < target));
        c[k] = adapt ? relax_ * target / mk + (1 - relax_) : 1.0;
    }
}

void MetaBalance::visit_state(StateVisitor& v) {
    v("norm_average", norm_average_);
}

}  // namespace hyda::mtl
