#pragma once
#include <vector>

#include "hyda/mtl/strategy.hpp"
#include "options.hpp"

namespace hyda::mtl {

// PCGrad: Yu, Kumar, Gupta, Levine, Hausman & Finn, "Gradient Surgery for Multi-Task
// Learning", NeurIPS 2020 (Algorithm 1). For each task i, g_i^PC starts as g_i; then, for
// every other task j in a random order drawn afresh for each i, if <g_i^PC, g_j> < 0 the
// component of g_i^PC along the ORIGINAL g_j is removed:
//     g_i^PC -= <g_i^PC, g_j> / ||g_j||^2 g_j.
// The update direction is sum_i g_i^PC. Every g_i^PC is a combination of the g_k, so we
// keep its coefficients and take inner products through G: the result is the coefficient
// of each g_k in the sum.
// Options: reduction=sum (the paper) | mean (divides by the number of tasks, as some
// re-implementations do).
// We follow the paper's algorithm: for each i a fresh random order of the j != i, drawn
// from the step's seed. The authors' released TensorFlow code (github.com/tianheyu927/
// PCGrad, PCGrad_tf.py) calls tf.random.shuffle on the stacked losses but discards the
// shuffled copy it returns, so no shuffle takes effect: every g_i is projected on g_0,
// g_1, ..., g_{K-1} in task order, g_i itself included (which changes g_i^PC only if
// <g_i^PC, g_i> < 0). Had the copy been kept, one order would have served every i.
// A task whose gradient is zero has no normal plane and is skipped.
class PCGrad final : public Strategy {
public:
    PCGrad(int tasks, detail::Options& options);
    std::string name() const override { return "pcgrad"; }

private:
    void do_coefficients(const StepContext& ctx, std::span<double> c) override;

    int tasks_;
    bool mean_ = false;
    std::vector<double> projected_;    // g_i^PC's coefficients over the g_k
    std::vector<std::size_t> others_;  // the tasks j != i, in this i's random order
};

}  // namespace hyda::mtl
