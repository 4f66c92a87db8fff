#pragma once
#include <vector>

#include "hyda/mtl/strategy.hpp"
#include "options.hpp"

namespace hyda::mtl {

// Uncertainty weighting: Kendall, Gal & Cipolla, "Multi-task learning using uncertainty
// to weigh losses for scene geometry and semantics", CVPR 2018 (arXiv 1705.07115).
//
// Each task has a learnable s_k = log sigma_k^2 (initially 0), and the total loss is the
// common simplified form
//     L = sum_k exp(-s_k) L_k + s_k,
// so the coefficient of task k is c_k = exp(-s_k), and s_k descends its own gradient
//     dL/ds_k = 1 - exp(-s_k) L_k           (fixed point: exp(-s_k) = 1 / L_k)
// by plain gradient descent, s_k <- s_k - lr dL/ds_k, after the coefficients of the
// step are taken (both the network and s move from the same point, as in joint training).
//
// Deviations from the paper, and why:
// - The paper's regression form is exp(-s) L / 2 + s / 2 (eq. 7 with s = log sigma^2),
//   the simplified form is twice that for every task: same fixed point in s, the factor 2
//   is absorbed by the learning rate. The paper's classification form, exp(-s) L + s / 2,
//   would halve the classification tasks' weights relative to the regression tasks'; we
//   use one form for every task kind, as most implementations do.
// - The paper learns s with the network's optimizer. A strategy does not own the
//   trainer's optimizer, so s gets plain gradient descent with its own learning rate.
//
// Options: lr (default 0.01).
class UncertaintyWeighting final : public Strategy {
public:
    UncertaintyWeighting(int tasks, detail::Options& options);
    std::string name() const override { return "uncertainty"; }
    void visit_state(StateVisitor& v) override;

private:
    void do_coefficients(const StepContext& ctx, std::span<double> c) override;

    double lr_;
    std::vector<double> log_variance_;  // s_k
};

}  // namespace hyda::mtl
