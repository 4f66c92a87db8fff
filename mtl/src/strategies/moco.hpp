#pragma once
#include <vector>

#include "hyda/mtl/strategy.hpp"
#include "options.hpp"
#include "simplex_qp.hpp"

namespace hyda::mtl {

// MoCo: Fernando, Shen, Liu, Chaudhury, Murugesan & Chen, "Mitigating Gradient Bias in
// Multi-objective Learning: A Provably Convergent Approach", ICLR 2023. MGDA's weights
// computed from noisy gradients give a biased direction; MoCo tracks each task's gradient
// and takes small steps on the weights. At step t = 1, 2, ...:
//     y_k <- y_k - beta_t (y_k - g_k),                      beta_t = beta / t^beta_sigma
//     lambda <- Proj_simplex(lambda - gamma_t (Y^T Y + rho I) lambda),
//                                                           gamma_t = gamma / t^gamma_sigma
//     the shared parameters move along Y lambda = sum_k lambda_k y_k,
// with y_k = 0 and lambda = 1/K before the first step, Proj_simplex the Euclidean
// projection. The trainer keeps the y_k (Needs::tracked_gradients) and gives Y^T Y as
// tracked_gram; the coefficients are lambda. The projection is the simplex QP
// min 0.5 ||a||^2 - <v, a> (simplex_qp.hpp), solved exactly.
// Options (defaults LibMTL's, which it implemented from the authors' code; the paper tunes
// beta and gamma per experiment): beta=0.5 in (0, 1], beta_sigma=0.5, gamma=0.1,
// gamma_sigma=0.5, rho=0 (all >= 0); normalize=none | loss: what enters the tracker, g_k
// (the paper) or L_k g_k / ||g_k|| (LibMTL, and an option of the authors' code).
// Deviations: LibMTL (and the authors' CAGrad-based script) maps lambda back to the
// simplex with a softmax of lambda - gamma_t (Y^T Y + rho I) lambda; we project, as the
// paper's algorithm and the authors' LibMTL-based code (github.com/heshandevaka/MoCo,
// "Tracking") do. That code steps with 2 Y^T Y lambda; we use the paper's
// (Y^T Y + rho I) lambda (a factor 2 in gamma). normalize=loss gives a zero gradient the
// factor 0, where LibMTL divides by ||g_k|| + 1e-8. The direction is a convex combination,
// as MGDA's; the authors' CAGrad-based script multiplies it by the number of tasks.
class MoCo final : public Strategy {
public:
    MoCo(int tasks, detail::Options& options);
    std::string name() const override { return "moco"; }
    void visit_state(StateVisitor& v) override;
    Needs needs() const override {
        Needs n;
        n.tracked_gradients = true;
        return n;
    }

private:
    double do_track(const StepContext& ctx, std::span<double> scale) override;
    void do_coefficients(const StepContext& ctx, std::span<double> c) override;

    int tasks_;
    double beta_, beta_sigma_, gamma_, gamma_sigma_, rho_;
    bool normalize_ = false;
    detail::SimplexQP qp_;
    std::vector<double> identity_;  // the projection's quadratic term
    std::vector<double> lambda_, step_;  // lambda; minus the point to project
};

}  // namespace hyda::mtl
