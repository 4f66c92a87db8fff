// DB-MTL (Lin et al. 2023), with moving averages of gradient norms; see dbmtl.hpp.
#include "dbmtl.hpp"

#include <algorithm>
#include <cmath>

namespace hyda::mtl {
namespace {

constexpr double log_eps = 1e-8;  // the authors' log(L_k + 1e-8)

}  // namespace

DualBalancing::DualBalancing(int tasks, detail::Options& options)
    : beta_(options.number("beta", 0.9)), beta_sigma_(options.number("beta_sigma", 0.0)), norm_average_(std::size_t(tasks), 0.0) {
    if (!(beta_ >= 0 && beta_ < 1)) throw std::invalid_argument("dbmtl: beta must be in [0, 1)");
    if (!(beta_sigma_ >= 0)) throw std::invalid_argument("dbmtl: beta_sigma must be >= 0");
}

void DualBalancing::do_coefficients(const StepContext& ctx, std::span<double> c) {
    const std::size_t K = c.size();
    const double beta = beta_ / std::pow(double(++steps_), beta_sigma_);
    for (std::size_t k = 0; k < K; ++k) {
        const double norm = std::sqrt(std::max(0.0, ctx.gram[k * K + k])) / (ctx.losses[k] + log_eps);
        norm_average_[k] = beta * norm_average_[k] + (1 - beta) * norm;
    }
    const double top = *std::max_element(norm_average_.begin(), norm_average_.end());
    for (std::size_t k = 0; k < K; ++k) {
        const double m = norm_average_[k];
        c[k] = ctx.losses[k] > 0 && m > 0 ? top / m / (ctx.losses[k] + log_eps) : 0.0;
    }
}

void DualBalancing::visit_state(StateVisitor& v) {
    v("steps", steps_);
    v("norm_average", norm_average_);
}

}  // namespace hyda::mtl
