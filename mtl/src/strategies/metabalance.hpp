#pragma once
#include <vector>

#include "hyda/mtl/strategy.hpp"
#include "options.hpp"

namespace hyda::mtl {

// MetaBalance: He, Feng, Cheng, Ji, Guo & Caverlee, "MetaBalance: Improving Multi-Task
// Recommendations via Adapting Gradient Magnitudes of Auxiliary Tasks", WWW 2022.
//
// Each auxiliary task's gradient of the shared parameters is pulled towards the main
// task's magnitude. With moving averages of the gradient norms (from 0),
//     m_k <- beta m_k + (1 - beta) ||g_k||,
// auxiliary task k's gradient becomes
//     g_k <- r (m_main / m_k) g_k + (1 - r) g_k,     so c_k = r m_main / m_k + (1 - r),
// and the main task keeps c_main = 1. The relax factor r sets how close: r = 1 gives the
// auxiliary gradients the main one's (averaged) norm, r = 0 leaves them alone. The paper
// names three strategies: reduce the auxiliary gradients larger than the main one
// (decrease), enlarge the smaller ones (increase), or both; the authors' code
// (github.com/facebookresearch/MetaBalance, metabalance.py) applies the rule to every
// auxiliary gradient, i.e. both, the default here. "Larger" compares the moving averages.
//
// Deviation: the authors' code keeps the norms, and so the coefficients, per parameter
// tensor (each weight matrix and bias of the shared layers on its own); the trainer
// combines every shared parameter with one coefficient per task, so here the norms are
// over all shared parameters together (||g_k||^2 = G_kk). A task whose averaged norm is
// still 0 (no gradient yet) keeps c_k = 1, where the code would divide by 0.
//
// Defaults, the authors' code's: relax r = 0.7, beta = 0.9. Options: relax (in [0, 1]),
// beta (in [0, 1)), strategy=both|decrease|increase. Heads default own: the authors'
// code leaves the task layers' gradients unscaled.
class MetaBalance final : public Strategy {
public:
    MetaBalance(int tasks, detail::Options& options);
    std::string name() const override { return "metabalance"; }
    void visit_state(StateVisitor& v) override;

private:
    void do_coefficients(const StepContext& ctx, std::span<double> c) override;

    enum class Adapt { both, decrease, increase };
    double relax_, beta_;
    Adapt adapt_;
    std::vector<double> norm_average_;  // m_k
};

}  // namespace hyda::mtl
