#pragma once
#include <vector>

#include "hyda/mtl/strategy.hpp"
#include "options.hpp"
#include "symmetric_eigen.hpp"

namespace hyda::mtl {

// IMTL: Liu, Li, Kuang, Xue, Chen, Yang, Liao & Zhang, "Towards Impartial Multi-task
// Learning", ICLR 2021 (openreview.net/forum?id=IMPnRXEWpvr). Two balances and their
// combination, option mode:
//
// - IMTL-G (mode=gradient), gradient balance of the shared parameters: coefficients a with
//   sum_k a_k = 1 such that d = sum_k a_k g_k has equal projections on every unit
//   gradient u_k = g_k / ||g_k||. The paper's closed form takes g_1 as reference:
//       a_{2..K} = g_1 U^T (D U^T)^-1,  a_1 = 1 - sum_{k>=2} a_k,
//   with rows D_k = g_1 - g_k and U_k = u_1 - u_k. In terms of G the conditions read
//   G a = t n (n_k = ||g_k|| = sqrt(G_kk)) and sum a = 1; with C = N^-1 G N^-1 the
//   cosines of the gradients (N = diag(n)),
//       a = N^-1 C^+ 1 / (1^T N^-1 C^+ 1),
//   which is the paper's formula whenever the gradients are linearly independent (the
//   only case where it is defined; the result does not depend on which task is the
//   reference) and stays defined otherwise, C^+ being the pseudo-inverse on C's
//   eigenpairs above its numerical rank (symmetric_eigen.hpp). A task with a zero gradient
//   (no direction) gets coefficient 0; identical gradients share equally; parallel ones
//   share equally between their unit vectors (g_2 = 2 g_1 gives a = (2/3, 1/3), the limit
//   of the paper's formula as g_2 = 2 (g_1 + e) turns into 2 g_1). Where
//   1^T N^-1 C^+ 1 vanishes (up to 1e-12 of the sum of its terms' sizes: no combination
//   with sum 1 has equal projections) every coefficient is 0, as in torchjd.
//   Working on C rather than G keeps the rank decision independent of the gradients'
//   scales: on G, a task with a gradient 1e3 times smaller than another's sits at 1e-6 of
//   G's largest eigenvalue, near any rank threshold, while IMTL-G's answer does not
//   depend on the scales at all. (Quinton & Rey, "Jacobian Descent for Multi-Objective
//   Optimization", 2024, generalise IMTL-G to dependent gradients with G^+ n, torchjd's
//   IMTLG; on dependent gradients of different norms the two differ: for g_2 = 2 g_1 it
//   gives (1/3, 2/3).)
// - IMTL-L (mode=loss), loss balance: each task has a learnable scale s_k (initially 0)
//   and the loss e^{s_k} L_k - s_k, so c_k = e^{s_k}, and s_k descends its own gradient
//       d/ds_k = e^{s_k} L_k - 1        (fixed point: e^{s_k} L_k = 1)
//   by plain gradient descent, s_k <- s_k - lr (e^{s_k} L_k - 1), after the step's
//   coefficients are taken (as uncertainty.hpp does for Kendall et al.'s s_k).
// - IMTL (mode=hybrid, the paper's Algorithm 1 and default): IMTL-G on the scaled
//   gradients e^{s_k} g_k (Gram matrix S G S, S = diag(e^{s_k})), s_k learned as in
//   IMTL-L: c_k = a_k e^{s_k}. The direction is IMTL-G's (equal projections on the unit
//   gradients do not depend on their scales); the loss scales set its length.
//
// Heads: Algorithm 1 updates each task's own parameters with its scaled loss
// e^{s_k} L_k - s_k, whatever the balance of the shared ones: head k's gradient is
// e^{s_k} h_k (1 under IMTL-G) with heads=weighted, the default, and h_k with heads=own.
// The heads never take the gradient balance a_k, which concerns the shared parameters.
//
// Options: mode=hybrid|gradient|loss, lr=0.01 (of s), ub=off|on.
// Deviations, and why:
// - The paper's Algorithm 1 computes g_k with respect to the shared features z (the
//   trunk's output), the cheaper upper-bound choice of MGDA-UB; ub=on does that (the
//   trainer's feature_gram), and the coefficients then combine the gradients of the
//   shared parameters, as the paper's sum_k a_k L_k does. The default is ub=off, the
//   gradients of the shared parameters themselves (LibMTL's default, and the G hyda has
//   from its single sweep at no extra cost).
// - The paper learns s with the network's optimizer; s gets plain gradient descent with
//   its own learning rate (a strategy does not own the trainer's optimizer).
// - The authors released no code. The re-implementations in the Nash-MTL, FairGrad and
//   Aligned-MTL repositories invert D U^T, adding 1e-8 I when the inversion fails
//   (coefficients of order 1e8 on dependent gradients; LibMTL's has no fallback); the
//   pseudo-inverse keeps them bounded.
class IMTL final : public Strategy {
public:
    IMTL(int tasks, detail::Options& options);
    std::string name() const override { return "imtl"; }
    void visit_state(StateVisitor& v) override;
    Needs needs() const override;

private:
    void do_coefficients(const StepContext& ctx, std::span<double> c) override;
    void do_head_weights(std::span<const double> c, std::span<double> h) const override;
    // IMTL-G's coefficients for the Gram matrix gram_.
    void balance(std::span<double> a);

    enum class Mode { hybrid, gradient, loss };
    Mode mode_;
    double lr_;
    bool ub_;
    std::vector<double> log_scale_;  // s_k
    std::vector<double> scale_;      // e^{s_k} of the step
    std::vector<double> gram_, norms_, cosines_, pinv_one_;  // G; ||g_k||; C; C^+ 1
    detail::SymmetricEigen eigen_;
};

}  // namespace hyda::mtl
