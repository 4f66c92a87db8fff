#pragma once
#include <vector>

#include "hyda/mtl/strategy.hpp"
#include "options.hpp"

namespace hyda::mtl {

// Smooth Tchebycheff scalarization: Lin, Zhang, Yang, Liu, Wang & Zhang, "Smooth
// Tchebycheff Scalarization for Multi-Objective Optimization", ICML 2024.
//
// The paper minimises the smooth maximum of the preference-weighted distances to an
// ideal point z,
//     g(x) = mu log sum_k exp(lambda_k (f_k(x) - z_k) / mu),
// whose gradient weights task k by its softmax share: sum_k s_k lambda_k grad f_k with
// s = softmax(lambda (f - z) / mu). As mu -> 0 it becomes the Tchebycheff max_k
// lambda_k (f_k - z_k): all weight on the worst task.
//
// As implemented, after the authors' multi-task code (github.com/Xi-L/STCH, STCH_MTL,
// their LibMTL's STCH): the objectives are log-losses normalised by a nadir point n
// measured during a warm-up, f_k = log(L_k / n_k) with z = 0, and the objective is
// multiplied by K:
// - epochs 0 .. warmup: descend sum_k log L_k, c_k = 1 / L_k; during epoch `warmup` (the
//   last warm-up epoch) n_k accumulates the mean of task k's batch losses;
// - afterwards: a_k = lambda_k log(L_k / n_k) / mu, s = softmax(a),
//       c_k = K s_k lambda_k / L_k.
// With the defaults (warmup=4) the first five epochs are warm-up, as in the code.
//
// Deviations: a task with L_k = 0 (g_k = 0: a minimum, or no labels in the batch) sits
// the step out (c_k = 0, left out of the softmax and of the nadir mean), where the code
// adds 1e-20 inside its logs; a task that had no positive loss in the nadir epoch gets
// n_k = 1. The code has no preference vector (lambda = 1); the option is the paper's.
//
// Options: mu (default 1, > 0), warmup (default 4, an integer >= 0), preference=l0,l1,...
// (default all 1, each > 0). Heads default weighted (the scalarised loss is
// differentiated whole).
class SmoothTchebycheff final : public Strategy {
public:
    SmoothTchebycheff(int tasks, detail::Options& options);
    std::string name() const override { return "stch"; }
    void visit_state(StateVisitor& v) override;

private:
    void do_coefficients(const StepContext& ctx, std::span<double> c) override;

    double mu_;
    int warmup_;
    bool have_nadir_ = false;
    std::vector<double> preference_, nadir_sum_, nadir_count_, nadir_, scaled_;
};

}  // namespace hyda::mtl
