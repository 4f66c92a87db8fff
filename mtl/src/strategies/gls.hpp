#pragma once
#include <vector>

#include "hyda/mtl/strategy.hpp"

namespace hyda::mtl {

// Geometric Loss Strategy: Chennupati, Sistu, Yogamani & Rawashdeh, "MultiNet++:
// Multi-Stream Feature Aggregation and Geometric Loss Strategy for Multi-Task Learning",
// CVPR Workshops 2019.
//
// The training loss is the geometric mean of the task losses, L = (prod_k L_k)^(1/K). Its
// gradient is sum_k c_k g_k with
//     c_k = dL / dL_k = L / (K L_k),
// computed as exp(mean_j log L_j - log L_k) / K (no product to overflow or underflow). A
// task whose loss is small gets a large coefficient: the strategy is invariant to the
// scale of each loss (L_k -> a L_k leaves every c_k L_k unchanged).
//
// Deviation: a zero loss would make the product 0 and c of that task infinite. A loss
// is never negative, so a task with L_k = 0 is at a minimum with g_k = 0 (in hyda, it is
// mostly a task without labels in the batch): it sits the step out (c_k = 0), and the
// geometric mean runs over the other tasks. The paper's gradient has no value there
// (LibMTL's GLS, differentiating (prod_k L_k)^(1/K), gets 0 * inf).
//
// No options; heads default weighted (the geometric mean is differentiated whole).
class GeometricLossStrategy final : public Strategy {
public:
    explicit GeometricLossStrategy(int tasks);
    std::string name() const override { return "gls"; }

private:
    void do_coefficients(const StepContext& ctx, std::span<double> c) override;

    std::vector<double> log_losses_;
};

}  // namespace hyda::mtl
