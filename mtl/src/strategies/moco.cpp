// MoCo (Fernando et al., ICLR 2023): tracked gradients, projected steps on the weights;
// see moco.hpp.
#include "moco.hpp"

#include <cmath>
#include <stdexcept>

#include "gram.hpp"

namespace hyda::mtl {

MoCo::MoCo(int tasks, detail::Options& options)
    : tasks_(tasks), qp_(std::size_t(tasks)), identity_(std::size_t(tasks) * std::size_t(tasks), 0.0),
      lambda_(std::size_t(tasks), 1.0 / tasks), step_(std::size_t(tasks)) {
    beta_ = options.number("beta", 0.5);
    if (!(beta_ > 0 && beta_ <= 1)) throw std::invalid_argument("moco: beta must be in (0, 1]");
    beta_sigma_ = options.number("beta_sigma", 0.5);
    gamma_ = options.number("gamma", 0.1);
    gamma_sigma_ = options.number("gamma_sigma", 0.5);
    rho_ = options.number("rho", 0);
    for (const auto& [key, value] : {std::pair{"beta_sigma", beta_sigma_}, {"gamma", gamma_}, {"gamma_sigma", gamma_sigma_}, {"rho", rho_}})
        if (!(value >= 0)) throw std::invalid_argument(std::string("moco: ") + key + " must be >= 0");
    normalize_ = options.text("normalize", "none", {"none", "loss"}) == "loss";
    for (std::size_t k = 0; k < std::size_t(tasks); ++k) identity_[k * std::size_t(tasks) + k] = 1;
}

double MoCo::do_track(const StepContext& ctx, std::span<double> scale) {
    const std::size_t K = std::size_t(tasks_);
    for (std::size_t k = 0; k < K; ++k) {
        const double norm = std::sqrt(ctx.gram[k * K + k]);
        scale[k] = !normalize_ ? 1.0 : norm > 0 ? ctx.losses[k] / norm : 0.0;
    }
    return beta_ / std::pow(double(ctx.step + 1), beta_sigma_);
}

void MoCo::do_coefficients(const StepContext& ctx, std::span<double> c) {
    const double gamma_t = gamma_ / std::pow(double(ctx.step + 1), gamma_sigma_);
    // The QP's linear term is minus the point to project: gamma_t (Y^T Y + rho I) lambda - lambda.
    detail::gram_times(ctx.tracked_gram, lambda_, step_);
    for (std::size_t k = 0; k < lambda_.size(); ++k) step_[k] = gamma_t * (step_[k] + rho_ * lambda_[k]) - lambda_[k];
    qp_.solve(identity_, step_, detail::SimplexQP::Region::simplex, lambda_);
    std::copy(lambda_.begin(), lambda_.end(), c.begin());
}

void MoCo::visit_state(StateVisitor& v) {
    v("lambda", lambda_);
}

}  // namespace hyda::mtl
