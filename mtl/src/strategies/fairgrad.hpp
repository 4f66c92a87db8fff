#pragma once
#include <vector>

#include "alpha_fair.hpp"
#include "hyda/mtl/strategy.hpp"
#include "options.hpp"

namespace hyda::mtl {

// FairGrad: Ban & Ji, "Fair Resource Allocation in Multi-Task Learning", ICML 2024. The
// tasks share the progress of the update d = sum_k w_k g_k by alpha-fairness (Mo &
// Walrand's utility, the utility of task k being <g_k, d>), whose optimum satisfies
//     G w = w^(-1/alpha)   (elementwise),  w > 0:
// alpha = 1 is proportional fairness (Nash-MTL's system G w = 1/w), alpha -> infinity
// max-min fairness, alpha -> 0 the plain sum of the utilities. We solve it on G as given
// (as the authors' code does: no normalisation) with the solver Nash-MTL uses
// (alpha_fair.hpp: Newton's method, to 1e-12 relative; its ridge, 1e-8 G_kk on the
// diagonal, gives a finite w at a Pareto-stationary point, where the system has no
// solution). The authors use scipy's least_squares on G w - w^(-1/alpha) from w = 1/K,
// bounded to w >= 0, to its default tolerances. A task with a zero gradient (no labels in
// the batch) has no solution either (w_k -> infinity, against a zero gradient) and gets 0.
//
// Options: alpha=1.0 (the authors' default; their CelebA and QM9 scripts use 2.0),
// max_norm=1.0 (0: off): the shared step is scaled down to that norm when longer,
// c = w min(1, max_norm / ||d||) with ||d||^2 = w^T G w, as their
// clip_grad_norm_ on the shared parameters does.
// Heads: the authors' code sets only the shared gradient, each head keeping its own
// task's (heads=own); with heads=weighted a head takes w_k h_k, unclipped.
// Deviation: the authors' code multiplies d by K "to match the sum loss" before clipping;
// the paper's update is d itself, which we return (use K times their learning rate where
// the clipping does not bind).
class FairGrad final : public Strategy {
public:
    FairGrad(int tasks, detail::Options& options);
    std::string name() const override { return "fairgrad"; }

private:
    void do_coefficients(const StepContext& ctx, std::span<double> c) override;
    void do_head_weights(std::span<const double> c, std::span<double> h) const override;

    double alpha_, max_norm_;
    detail::AlphaFairSolver solver_;
    std::vector<double> w_, gw_;  // w; G w
};

}  // namespace hyda::mtl
