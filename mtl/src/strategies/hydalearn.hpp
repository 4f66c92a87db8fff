#pragma once
#include <vector>

#include "hyda/mtl/strategy.hpp"
#include "options.hpp"

namespace hyda::mtl {

// Options (defaults first, the paper's rule): gain=first_order|exact|sample,
// batch=train|held_out, normalize=sum|one|main, aux=on|off, and the variants of
// docs/hydalearn.md: precondition=step|lr (the gains' P), measure=gain|cosine|normalized, smooth=B
// (0 <= B < 1: a running average of the measure over steps), prior=L (0 <= L <= 1: shrink
// toward equal weights), granularity=whole|layer (per-layer gains, with gain=first_order),
// self_gain=batch|debiased (debiased: the main task's own gain without its rows' self
// terms, n/(n-1) (delta_main - sum_i ||a_i||_P^2); with first-order gains on the training batch).
// preset=paper|held_out_prior: held_out_prior changes the defaults above to batch=held_out,
// normalize=main, prior=0.5, granularity=layer (docs/results.md's best variant).
class HydaLearn final : public Strategy {
public:
    HydaLearn(int tasks, int main, detail::Options& options);
    std::string name() const override { return "hydalearn"; }
    void visit_state(StateVisitor& v) override;
    Needs needs() const override;

private:
    void do_coefficients(const StepContext& ctx, std::span<double> c) override;
    void do_layer_coefficients(const StepContext& ctx, std::span<double> c, std::span<double> per_layer) override;
    void do_sample_weights(const SampleContext& ctx, std::span<double> w) override;
    // The measure x_k of every task from one G and its gains: the gain, cos(g_main, g_k), or
    // the gain per unit gradient length delta_k / ||g_k||.
    void measure(std::span<const double> gram, std::span<const double> gains, std::span<double> x) const;
    // The weights c from the measure x: its running average m (m = x on the first step),
    // clipped at 0, the main task kept, normalised, shrunk toward equal weights.
    void weigh(std::span<const double> x, std::span<double> m, bool first, std::span<double> c) const;

    enum class Gain { first_order, exact, sample };
    enum class Measure { gain, cosine, normalized };
    enum class Normalize { sum_to_tasks, sum_to_one, main_is_one };
    int tasks_, main_;
    Gain gain_ = Gain::first_order;
    bool held_out_ = false, auxiliary_ = true, lr_precondition_ = false, per_layer_ = false, debiased_ = false;
    Measure measure_ = Measure::gain;
    double smooth_ = 0, prior_ = 0;
    Normalize normalize_ = Normalize::sum_to_tasks;
    std::vector<double> x_, smoothed_, layer_smoothed_;  // the step's measure; its running averages (whole trunk, per layer)
    bool started_ = false;
    std::vector<char> silent_;  // gain=sample: the auxiliary tasks none of whose rows helps on this batch
};

}  // namespace hyda::mtl
