#pragma once
#include <vector>

#include "hyda/mtl/strategy.hpp"
#include "options.hpp"

namespace hyda::mtl {

// DB-MTL: Lin, Jiang, Ye, Zhang, Chen, Chen, Liu & Kwok, "Dual-Balancing for Multi-Task
// Learning", arXiv 2308.12029, 2023.
//
// Two balancing steps:
// - loss scale: each task descends log L_k, whose gradient is g_k / L_k (the authors' code
//   adds 1e-8: g_k / (L_k + 1e-8), as here);
// - gradient magnitude: each task's (log-loss) gradient is rescaled to the largest norm
//   among the tasks, the norms taken from an exponential moving average.
// The paper and the authors' code (LibMTL's DB_MTL) keep the moving average of each
// task's gradient VECTOR, ghat_k <- beta ghat_k + (1 - beta) g_k / L_k (from 0), and step
// along sum_k (max_j ||ghat_j|| / ||ghat_k||) ghat_k. That is parameter-sized state per
// task, and ||ghat_k|| needs inner products of gradients from different steps, which the
// Gram matrix of one step does not hold.
//
// As implemented (deviation): the moving average of each task's gradient NORM,
//     m_k <- beta m_k + (1 - beta) ||g_k|| / (L_k + 1e-8)        (from 0, as the code's ghat)
//     c_k = (max_j m_j / m_k) / (L_k + 1e-8),
// so the step is along the current log-loss gradients, each scaled to the largest
// averaged norm. Same as the paper's when the gradients do not change between steps
// (then ||ghat_k|| = m_k). Otherwise they differ: the paper's direction carries past
// gradients (a momentum, which averages noise out), ours is this step's; and the norm of
// an average is at most the average of the norms, so the scales differ where a task's
// gradients are noisy.
// Like the code's ghat, m starts at 0 with no bias correction; the ratios do not see the
// bias (common to all m_k), the step's scale does, as in the code: (1 - beta^t) of the
// largest norm at step t.
// A task with L_k = 0 (g_k = 0: a minimum, or no labels in the batch) or m_k = 0 gets
// c_k = 0, where the code's max / (||ghat_k|| + 1e-8) multiplies a zero vector.
//
// Options: beta (default 0.9, in [0, 1)), beta_sigma (default 0; beta at step t is
// beta / t^beta_sigma, as in the code). Heads default weighted (the paper differentiates
// log L_k for every parameter), so head k takes c_k h_k; the code's heads take
// h_k / (L_k + 1e-8), without the magnitude factor max_j m_j / m_k (>= 1).
class DualBalancing final : public Strategy {
public:
    DualBalancing(int tasks, detail::Options& options);
    std::string name() const override { return "dbmtl"; }
    void visit_state(StateVisitor& v) override;

private:
    void do_coefficients(const StepContext& ctx, std::span<double> c) override;

    double beta_, beta_sigma_;
    std::int64_t steps_ = 0;
    std::vector<double> norm_average_;  // m_k
};

}  // namespace hyda::mtl
