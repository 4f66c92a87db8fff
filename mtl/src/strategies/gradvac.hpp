#pragma once
#include <vector>

#include "hyda/mtl/strategy.hpp"
#include "options.hpp"

namespace hyda::mtl {

// GradVac: Wang, Tsvetkov, Firat & Cao, "Gradient Vaccine: Investigating and Improving
// Multi-task Optimization in Massively Multilingual Models", ICLR 2021 (Algorithm 1).
// Each pair of tasks (i, j) has a target cosine phi_ij, an exponential moving average of
// the cosines seen, starting at 0. For each task i, g_i^PT starts as g_i; then, for every
// other task j in a random order drawn afresh for each i, with
// phi = cos(g_i^PT, g_j) (the ORIGINAL g_j):
//     if phi < phi_ij:  g_i^PT += ||g_i^PT|| (phi_ij sqrt(1 - phi^2) - phi sqrt(1 - phi_ij^2))
//                                 / (||g_j|| sqrt(1 - phi_ij^2)) g_j,
//                       which makes cos(g_i^PT, g_j) = phi_ij exactly;
//     phi_ij <- (1 - beta) phi_ij + beta phi   (phi measured before the correction).
// The update direction is sum_i g_i^PT. With every target 0 this is PCGrad. Every g_i^PT is
// a combination of the g_k: we keep its coefficients and take inner products through G.
// Options:
//   granularity=whole (default) | layer. whole: one G over the whole shared trunk and one
//     target per pair. layer: the rule on each shared layer separately (a trunk linear
//     layer's weight and bias together, Model::shared_layer_of), with its own G, targets
//     and coefficients, the same random orders serving every layer (as in LibMTL); the
//     per-task coefficients it reports (and weighted heads use) are the layers' mean. The
//     paper compares granularities (whole model to single parameter matrices); whole is
//     LibMTL's and torchjd's default. LibMTL's third choice, one group per parameter
//     tensor (weight and bias apart), is not offered.
//   beta=0.01, in [0, 1]: a slow EMA, as we read the paper's setting (unchecked against its
//   text; LibMTL and torchjd default to 0.5).
// Deviations from LibMTL's code: it moves a target only when it corrects (the update sits
// inside its `if`), so a target that starts at 0 can only fall; we move it after every
// pair, as the paper's algorithm and torchjd do. Where g_i^PT or g_j is zero (no cosine)
// we skip the pair, correction and target alike; LibMTL adds 1e-8 to the denominators and
// moves the target towards 0. A target of exactly 1 admits no correction and is skipped.
class GradVac final : public Strategy {
public:
    GradVac(int tasks, detail::Options& options);
    std::string name() const override { return "gradvac"; }
    void visit_state(StateVisitor& v) override;
    Needs needs() const override {
        Needs n;
        n.layer_grams = per_layer_;
        return n;
    }

private:
    void do_coefficients(const StepContext& ctx, std::span<double> c) override;
    void do_layer_coefficients(const StepContext& ctx, std::span<double> c, std::span<double> per_layer) override;

    // This step's random orders: for each i, the tasks j != i.
    void draw_orders(std::uint64_t seed);
    // The rule on one group of parameters with Gram matrix gram and targets (tasks x
    // tasks): out = the coefficients of sum_i g_i^PT over the group's g_k.
    void vaccinate(std::span<const double> gram, std::span<double> targets, std::span<double> out);

    int tasks_;
    double beta_ = 0.01;
    bool per_layer_ = false;
    std::vector<double> targets_;      // phi, groups x tasks x tasks (sized at the first step per layer)
    std::vector<double> vaccinated_;   // g_i^PT's coefficients over the g_k
    std::vector<double> inner_;        // <g_i^PT, g_k> for every k: G times vaccinated_
    std::vector<std::size_t> orders_;  // tasks x (tasks - 1): the j visited for each i, in order
};

}  // namespace hyda::mtl
