#pragma once
#include <vector>

#include "hyda/mtl/strategy.hpp"
#include "options.hpp"
#include "simplex_qp.hpp"

namespace hyda::mtl {

// CAGrad: Liu, Liu, Jin, Stone & Liu, "Conflict-Averse Gradient Descent for Multi-task
// Learning", NeurIPS 2021 (Algorithm 1). The update d maximises the smallest task
// improvement min_i <g_i, d> over the ball ||d - g_0|| <= c ||g_0|| around the average
// gradient g_0 = (1/K) sum_k g_k. Through the dual problem:
//     w = argmin over the simplex of F(w) = <g_w, g_0> + sqrt(phi) ||g_w||,
//         g_w = sum_k w_k g_k, phi = c^2 ||g_0||^2,
//     d = g_0 + sqrt(phi) / ||g_w|| g_w.
// c = 0 is gradient descent on the average loss (coefficients 1/K, not the 1 of "equal").
// We find w exactly, on G scaled by 1/||g_0||^2 (w does not depend on the scale of G, and
// the scaled problem has ||g_0|| = 1, so its tolerances are scale-free): F is not a QP,
// but its minimiser is that of the simplex QP min 0.5 w^T G w + mu <g_w, g_0> for the mu
// where ||g_w|| = c mu, found by a bracketed root search with an exact QP
// (simplex_qp.hpp) per evaluation. (An accelerated projected gradient method did this
// before; on random 5-task problems it stopped up to 1.7e-3 ||g_0||^2 above the least F.)
// Options: c=0.5 (>= 0; the paper's convergence result needs c < 1),
// rescale=1+c^2|1+c|none: d is divided by 1 + c^2, 1 + c or 1. The paper's algorithm does
// not rescale; the authors' released code does, by 1 + c^2 by default (its rescale=1),
// and so do we. Their learning rates still do not carry over: their supervised training
// scripts (github.com/Cranial-XIX/CAGrad, nyuv2/utils.py and cityscapes/utils.py,
// overwrite_grad) multiply the returned direction by the number of tasks K "to match the
// sum loss", so their step is K (g_0 + lambda g_w) / (1 + c^2), K times ours: use K times
// their learning rate (at c = 0 their step is the sum of the task gradients, ours the
// mean, 1/K of the "equal" strategy's).
// Deviations: the authors solve for w with scipy's SLSQP, we with our own (same convex
// problem). If g_0 or g_w is zero up to rounding (below 1e-6 of the largest task
// gradient's norm), d = g_0: the authors' code adds 1e-8 to both norms to the same end.
class CAGrad final : public Strategy {
public:
    CAGrad(int tasks, detail::Options& options);
    std::string name() const override { return "cagrad"; }

private:
    void do_coefficients(const StepContext& ctx, std::span<double> c) override;

    // ||g_w(mu)|| - c mu for w(mu) the QP's minimiser, which it leaves in w_ (G w in gw_).
    double residual(double mu);
    // w_ = argmin F over the simplex.
    void solve();

    int tasks_;
    double c_, divide_by_;
    detail::SimplexQP qp_;
    std::vector<double> gram_, mean_gram_;  // G / ||g_0||^2, and <g_i, g_0> on that scale
    std::vector<double> linear_, w_, gw_;   // mu <g_i, g_0>; w; G w
};

}  // namespace hyda::mtl
