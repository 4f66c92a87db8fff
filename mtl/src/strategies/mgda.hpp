#pragma once
#include <vector>

#include "hyda/mtl/strategy.hpp"
#include "options.hpp"

namespace hyda::mtl {

// MGDA: Sener & Koltun, "Multi-Task Learning as Multi-Objective Optimization", NeurIPS
// 2018. The update direction is the min-norm point of the convex hull of the task
// gradients, d = sum_k a_k g_k with a = argmin over the simplex of ||sum_k a_k g_k||^2:
// either d = 0 (a Pareto-stationary point) or -d decreases every task's loss. Solved on
// G as in the paper: for two tasks by the closed form of its Algorithm 1; for more, by
// the Frank-Wolfe solver of its Algorithm 2 (start at a_k = 1/K, move towards the vertex
// e_t with the smallest (G a)_t, exact line search by Algorithm 1) until the step is
// negligible or max_iter steps.
// Options: max_iter=250, tol=1e-5 (stop when a step moves a by less than tol in L1 norm;
// both defaults from the authors' code), normalize=none|l2|loss|loss+: run the solver on
// g_k / n_k with n_k = 1, ||g_k||, L_k or L_k ||g_k||. The normalizations come from the
// authors' released code, not the paper; there the weights a_k found for the normalized
// gradients multiply the unnormalized losses, whereas we return a_k / n_k so that the
// update is exactly the min-norm point of the normalized gradients' hull.
// Deviations: we use the gradients of all shared parameters, i.e. the paper's exact MGDA,
// not its MGDA-UB bound (gradients with respect to the shared representation), because
// the trainer already has G over the shared parameters from its single backward sweep.
// The authors' training script calls another solver (projected gradient started at the
// best pair of tasks) and clips Algorithm 1's step to [0.001, 0.999]; we follow the
// paper's Algorithms 1 and 2 as written.
class MGDA final : public Strategy {
public:
    MGDA(int tasks, detail::Options& options);
    std::string name() const override { return "mgda"; }

private:
    void do_coefficients(const StepContext& ctx, std::span<double> c) override;

    enum class Normalize { none, l2, loss, loss_l2 };
    double normalizer(const StepContext& ctx, int k) const;

    int tasks_, max_iter_;
    double tol_;
    Normalize normalize_;
    std::vector<double> scale_, gram_, gram_alpha_;  // n_k, G of the g_k / n_k, G a
};

}  // namespace hyda::mtl
