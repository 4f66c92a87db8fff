#pragma once
#include <vector>

#include "hyda/mtl/strategy.hpp"
#include "options.hpp"

namespace hyda::mtl {

// OL-AUX: Lin, Baweja, Kantor & Held, "Adaptive auxiliary task weighting for reinforcement
// learning", NeurIPS 2019.
//
// The loss is L_main + sum_k w_k L_k over the auxiliary tasks k, with w_k initially 1 and
// the main task's weight fixed at 1. The weights follow the main loss they lead to: after
// an SGD step theta' = theta - alpha grad L(theta),
//     dL_main(theta') / dw_k = -alpha <grad L_main(theta'), grad L_k(theta)>
//                            ~ -alpha <g_main, g_k>,
// and over a horizon of N steps the paper sums these terms and takes one step of size
// beta_paper on w. We implement, every N steps,
//     w_k <- max(0, w_k + beta sum_{j=1..N} G_main,k(j)),
// G_main,k(j) = <g_main, g_k> on the j-th batch of the window (the main row of G).
// The heads add nothing to these inner products (each is reached by one task only), so
// the inner products over the shared parameters are those over all parameters.
//
// Deviations from the paper, and why:
// - beta = alpha * beta_paper: the strategy does not see the optimizer's step size, and
//   under Adam the step is not alpha g anyway; the product is the one tunable quantity.
//   Like the paper, the inner products are of raw gradients, whatever the optimizer.
// - The paper does not clip w; we clip at 0 (clip=off restores the paper's rule), since a
//   negative weight would turn an auxiliary task into gradient ascent on its loss.
//
// Options: horizon N (default 5), beta (default 0.1), clip=on|off (default on).
class OnlineAuxiliaryWeighting final : public Strategy {
public:
    OnlineAuxiliaryWeighting(int tasks, int main, detail::Options& options);
    std::string name() const override { return "olaux"; }
    void visit_state(StateVisitor& v) override;

private:
    void do_coefficients(const StepContext& ctx, std::span<double> c) override;

    int main_;
    int horizon_;
    double beta_;
    bool clip_;
    int steps_in_window_ = 0;
    std::vector<double> weights_, window_sum_;  // w; sum of <g_main, g_k> over the window
};

}  // namespace hyda::mtl
