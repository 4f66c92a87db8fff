#pragma once
#include <vector>

#include "hyda/mtl/strategy.hpp"
#include "options.hpp"

namespace hyda::mtl {

// FAMO: Liu, Feng, Stone & Liu, "FAMO: Fast Adaptive Multitask Optimization", NeurIPS 2023.
//
// Task logits xi (initially 0) give weights z = softmax(xi), and the step descends
// sum_k z_k log L_k / S with S = sum_k z_k / L_k, so
//     c_k = z_k / (L_k S),        sum_k c_k = 1,
// (with L_k + 1e-8 for L_k, as in the authors' code). After the optimizer step FAMO
// measures every task's loss on the same batch at the new parameters and moves xi to
// favour the tasks whose log-loss fell least:
//     delta_k = log(L_k + 1e-8) - log(L'_k + 1e-8)      (before, after the step)
//     d = J^T delta,  J = dz/dxi:  d_k = z_k (delta_k - sum_j z_j delta_j)
//     xi <- xi - lr (d + decay xi)                          update=gd: Algorithm 1
// or, the default, the same gradient d + decay xi given to Adam (betas 0.9, 0.999, eps
// 1e-8, bias-corrected), as the authors' code does (github.com/Cranial-XIX/FAMO,
// famo.py: torch.optim.Adam with weight_decay = decay).
//
// The losses around the step come from the trainer (Needs::losses_after_step), both
// without dropout so that they differ by the step alone: the authors measure both in
// training mode, i.e. two different dropout masks where the network has dropout.
//
// Defaults, from the authors' code: lr 0.025 (their --method-params-lr), decay 0.01
// (their --gamma and famo.py's; their QM9 script uses 0.001, LibMTL's FAMO 0.001); the
// losses' lower bounds are 0 (their min_losses). Their scripts also clip the shared
// parameters' gradient at norm 1; hyda's TrainOptions::clip_norm = 1 clips all
// parameters together.
//
// Deviation: a task with L_k = 0 (g_k = 0: a minimum, or no labels in the batch) would
// take nearly all of the weight (z_k / 1e-8 dominates S) on a zero gradient. It sits the
// step out instead: c_k = 0 and S runs over the others; and if either of its losses
// around the step is 0 it leaves xi alone (its delta_k is set to the z-weighted mean of
// the others', which makes d_k = 0 and d the same as over the other tasks alone).
//
// Options: lr (default 0.025, >= 0), decay (default 0.01, >= 0), update=adam|gd.
// Heads default weighted (the weighted log-loss is differentiated whole).
class FAMO final : public Strategy {
public:
    FAMO(int tasks, detail::Options& options);
    std::string name() const override { return "famo"; }
    void visit_state(StateVisitor& v) override;
    Needs needs() const override;

private:
    void do_coefficients(const StepContext& ctx, std::span<double> c) override;
    void do_after_step(std::span<const double> before, std::span<const double> after) override;

    double lr_, decay_;
    bool adam_;
    std::int64_t updates_ = 0;
    std::vector<double> logits_, weights_, delta_, first_moment_, second_moment_;  // xi, z, delta; Adam's m, v
};

}  // namespace hyda::mtl
