#pragma once
#include <vector>

#include "hyda/mtl/strategy.hpp"
#include "options.hpp"

namespace hyda::mtl {

// GradNorm: Chen, Badrinarayanan, Lee & Rabinovich, "GradNorm: Gradient normalization for
// adaptive loss balancing in deep multitask networks", ICML 2018 (arXiv 1711.02257),
// Algorithm 1.
//
// Learnable weights w_k (initially 1) are the step's coefficients. W is the last shared
// weight matrix (the trainer's gram_last); on every step, with n_k = ||grad_W L_k||:
//     G_k = w_k n_k,  Gbar = mean_k G_k,
//     Ltilde_k = L_k(t) / L_k(0),  r_k = Ltilde_k / mean_i Ltilde_i,
//     L_grad = sum_k |G_k - Gbar r_k^alpha|,   the targets Gbar r_k^alpha held constant,
//     dL_grad/dw_k = sign(G_k - Gbar r_k^alpha) n_k,
//     w_k <- w_k - lr dL_grad/dw_k,   then w <- w K / sum_i w_i.
// The network's step uses the weights before this update (the paper updates w and the
// network from the same forward pass). A task whose weighted gradient is above its target
// loses weight, one below gains it: gradient norms move towards Gbar r_k^alpha, and tasks
// that train slowly (large r_k) get larger targets.
//
// Deviations from the paper, and why:
// - L_k(0) is the first positive loss of task k rather than the first step's: a batch
//   without labels for a task gives loss 0, which cannot serve as a reference. Until then
//   Ltilde_k = 1, the value at t = 0.
// - w gets plain gradient descent with its own learning rate: the strategy does not own
//   the trainer's optimizer.
// - A step never takes w_k below 1e-3 (a thousandth of the mean weight) before the
//   renormalisation. Algorithm 1 does not bound the step, and one of size lr n_k > w_k
//   makes w_k negative (gradient ascent on task k); the renormalisation then divides by
//   a sum that may be near 0 or negative: with n = (100, 1) and the default lr, w goes
//   (1, 1) -> (6.3, -4.3) -> (-16, 18). The paper's weights are loss weights, meant to
//   stay positive. The floor keeps its update unchanged whenever no weight reaches it,
//   which updating log w_k instead (as some re-implementations do, by a softmax) would
//   not; the authors released no code to follow.
//
// Options: alpha (default 1.5), lr (default 0.025).
class GradNorm final : public Strategy {
public:
    GradNorm(int tasks, detail::Options& options);
    std::string name() const override { return "gradnorm"; }
    void visit_state(StateVisitor& v) override;
    Needs needs() const override;

private:
    void do_coefficients(const StepContext& ctx, std::span<double> c) override;

    double alpha_, lr_;
    std::vector<double> weights_, initial_loss_;  // initial_loss_ 0: not seen yet
};

}  // namespace hyda::mtl
