#pragma once
#include <vector>

#include "hyda/mtl/strategy.hpp"
#include "options.hpp"
#include "simplex_qp.hpp"

namespace hyda::mtl {

// UPGrad and DualProj: Quinton & Rey, "Jacobian Descent for Multi-Objective
// Optimization", arXiv 2406.16232, 2024 (the torchjd library). Both project onto the dual
// cone of the task gradients, {d : <d, g_j> >= 0 for every j}, so that the update
// conflicts with no task. The projection of sum_k u_k g_k onto that cone is sum_k v_k g_k
// with (their Proposition 1)
//     v = argmin v^T G v  over  v >= u,
// solved exactly (to rounding) as the QP over a = v - u >= 0 with linear term G u
// (simplex_qp.hpp); at the minimiser G v >= 0, the non-conflict.
// - UPGrad ("unconflicting projection of gradients"): each g_i, scaled by the preference
//   p_i, projected separately, then summed: c = sum_i argmin_{v >= p_i e_i} v^T G v.
// - DualProj: the combination sum_k p_k g_k projected once: c = argmin_{v >= p} v^T G v
//   (the projection of Lopez-Paz & Ranzato's GEM, NeurIPS 2017, eq. 11).
// Options: weights=p0,p1,... (torchjd's pref_vector; default 1/K each, the mean).
// Heads: torchjd's mtl_backward gives the task-specific parameters their own loss's
// gradient: heads=own.
// Deviation: torchjd divides G by its trace and adds 1e-4 I (reg_eps) before calling
// quadprog, which needs a positive definite matrix; the projection does not depend on
// G's scale, and our solver takes a singular G as it is, so we do neither: the result is
// the exact projection, where the regularised one is off by about 1e-4 relative (and its
// non-conflict only approximate). torchjd also treats a G of trace below 1e-4 (norm_eps) as
// zero, returning c = p; we do so only for G = 0 (where every v >= u is a minimiser).
class UPGrad final : public Strategy {
public:
    UPGrad(int tasks, detail::Options& options);
    std::string name() const override { return "upgrad"; }

private:
    void do_coefficients(const StepContext& ctx, std::span<double> c) override;

    std::vector<double> pref_;
    detail::SimplexQP qp_;
    std::vector<double> u_, b_, a_;  // the lower bound u, G u, v - u
};

class DualProj final : public Strategy {
public:
    DualProj(int tasks, detail::Options& options);
    std::string name() const override { return "dualproj"; }

private:
    void do_coefficients(const StepContext& ctx, std::span<double> c) override;

    std::vector<double> pref_;
    detail::SimplexQP qp_;
    std::vector<double> b_, a_;  // G p, v - p
};

}  // namespace hyda::mtl
