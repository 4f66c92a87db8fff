#pragma once
#include "hyda/mtl/strategy.hpp"
#include "options.hpp"

namespace hyda::mtl {

// Random Loss Weighting: Lin, Ye, Zhang & Tsang, "Reasonable Effectiveness of Random
// Weighting: A Litmus Test for Multi-Task Learning", TMLR 2022 (arXiv 2111.10603, first
// titled "A Closer Look at Loss Weighting in Multi-Task Learning").
//
// Every step draws fresh weights, lambda = f(x) with x from a fixed distribution, and
// descends sum_k lambda_k L_k. As implemented (the distributions and the normalisation f
// of the authors' code, LibMTL's RLW, the paper's authors' library):
//     normal (default)       x_k ~ N(0, 1),  lambda = softmax(x)
//     uniform                x_k ~ U(0, 1),  lambda = softmax(x)
//     dirichlet              x ~ Dir(1, ..., 1) (normalised Exp(1) draws, ad::dirichlet), lambda = softmax(x)
//     bernoulli              x_k ~ B(1/2), redrawn until some x_k = 1, lambda = x
//     constrained_bernoulli  one task drawn uniformly gets 1, the others 0
// then c = scale * lambda. (The softmax of a Dirichlet draw, which sums to 1 already, is
// the authors' code's.) The draws come from hyda::ad::Rng seeded with the step's seed
// (StepContext::seed), x_0 first: the same seed gives the same weights.
//
// Scale: the authors' code uses the softmax as it is (weights summing to 1, not K), so
// the default scale=1 takes steps 1/K of the size `equal` takes with the same learning
// rate; scale=K (the task count) matches the sum of `equal`'s weights.
//
// Options: dist=normal|uniform|dirichlet|bernoulli|constrained_bernoulli, scale (default 1, > 0).
class RandomLossWeighting final : public Strategy {
public:
    explicit RandomLossWeighting(detail::Options& options);
    std::string name() const override { return "rlw"; }

private:
    void do_coefficients(const StepContext& ctx, std::span<double> c) override;

    enum class Distribution { normal, uniform, dirichlet, bernoulli, constrained_bernoulli };
    double scale_;
    Distribution dist_ = Distribution::normal;
};

}  // namespace hyda::mtl
