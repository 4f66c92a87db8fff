#pragma once
#include <vector>

#include "hyda/mtl/strategy.hpp"
#include "options.hpp"

namespace hyda::mtl {

// Dynamic Weight Average: Liu, Johns & Davison, "End-to-end multi-task learning with
// attention", CVPR 2019 (arXiv 1803.10704), eq. 1.
//
// The weights of epoch t follow each task's rate of descent over the two epochs before:
//     w_k(t) = K exp(r_k(t-1) / T) / sum_i exp(r_i(t-1) / T),   r_k(t-1) = L_k(t-1) / L_k(t-2),
// with L_k the task's mean training loss over an epoch (end_epoch's argument) and
// w_k(t) = 1 for the first two epochs. A task whose loss falls more slowly gets more
// weight; the weights sum to K.
//
// Deviation: a task with no labels in epoch t-2 (mean loss 0) has no rate of descent;
// it counts as r = 1 (no change) rather than dividing by zero.
//
// Options: temperature T (default 2, the paper's value).
class DynamicWeightAverage final : public Strategy {
public:
    DynamicWeightAverage(int tasks, detail::Options& options);
    std::string name() const override { return "dwa"; }
    void visit_state(StateVisitor& v) override;

private:
    void do_coefficients(const StepContext& ctx, std::span<double> c) override;
    void do_end_epoch(std::span<const double> mean_losses) override;

    double temperature_;
    int epochs_seen_ = 0;
    std::vector<double> weights_, previous_, latest_;  // w(t); L(t-2), L(t-1)
};

}  // namespace hyda::mtl
