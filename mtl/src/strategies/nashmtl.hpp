#pragma once
#include <vector>

#include "alpha_fair.hpp"
#include "hyda/mtl/strategy.hpp"
#include "options.hpp"

namespace hyda::mtl {

// Nash-MTL: Navon, Shamsian, Achituve, Maron, Kawaguchi, Chechik & Fetaya, "Multi-Task
// Learning as a Bargaining Game", ICML 2022. The update d = sum_k a_k g_k is the Nash
// bargaining solution among the tasks, characterised in the paper's Section 3 by
//     G a = 1 / a   (elementwise),  a > 0,
// i.e. <g_k, d> = 1 / a_k: each task's share of the progress is inversely proportional to
// its weight. As in the authors' code, the system is solved on G / ||G||_F (their
// normalization_factor), so a is the authors' coefficient: the solution on G itself is
// a / sqrt(||G||_F), whose d always has norm sqrt(K) whatever the gradients. We solve it
// exactly, by Newton's method on a strictly convex function whose stationary point it is
// (alpha_fair.hpp, shared with FairGrad), to 1e-12 relative, where the authors run up to
// 20 convex-concave iterations of cvxpy/ECOS until ||G a - 1/a|| < 1e-3 (each from the
// previous step's a). Where the system has no solution the authors' solver fails and their
// code keeps the previous a; we do so for a task with a zero gradient (a batch without its
// labels: its a_k multiplies nothing, and its head's gradient is zero too) and, with all
// gradients zero, for every task (initially a = 1). At a Pareto-stationary point (g_2 =
// -g_1, say) the solver's ridge, 1e-8 G_kk on the diagonal, gives a finite solution
// (a_k^2 G_kk <= 1e8 K ||G||_F) whose combined step is the vanishing combination.
//
// Options (the authors' defaults): update_weights_every=1: a is recomputed on steps that
// are multiples of it, and kept in between; max_norm=1.0 (0: off): the shared step
// sum_k c_k g_k is scaled down to that norm when longer, c = a min(1, max_norm / ||d||)
// with ||d||^2 = a^T G a from G, as the authors' torch.nn.utils.clip_grad_norm_ on the
// shared parameters does. (optim_niter, the budget of their iterative solver, has no
// counterpart.)
// Heads: the authors differentiate sum_k a_k L_k whole, so head k takes a_k h_k, unclipped:
// heads=weighted by default, the weights a without the clipping (head_weights).
class NashMTL final : public Strategy {
public:
    NashMTL(int tasks, detail::Options& options);
    std::string name() const override { return "nashmtl"; }
    void visit_state(StateVisitor& v) override;

private:
    void do_coefficients(const StepContext& ctx, std::span<double> c) override;
    void do_head_weights(std::span<const double> c, std::span<double> h) const override;

    long long update_every_;
    double max_norm_;
    bool solved_ = false;
    detail::AlphaFairSolver solver_;
    std::vector<double> alpha_, normalized_, Ga_;  // a; G / ||G||_F; G a
};

}  // namespace hyda::mtl
