#pragma once
#include <vector>

#include "hyda/mtl/strategy.hpp"
#include "options.hpp"
#include "symmetric_eigen.hpp"

namespace hyda::mtl {

// Aligned-MTL: Senushkin, Patakin, Kuznetsov & Konushin, "Independent Component Alignment
// for Multi-Task Learning", CVPR 2023 (Algorithm 1). The task gradients, as the columns of
// a matrix, are replaced by the closest (Procrustes) matrix with orthogonal columns of
// equal norms, which has condition number 1: with G = V Lambda V^T,
//     B = sigma V Lambda^(-1/2) V^T,   sigma = sqrt(lambda_min),
// the aligned gradients are sum_k B_kj g_k (their Gram matrix B G B = sigma^2 V V^T), and
// the update combines them with the task weights w: c = B w.
// Rank-deficient G (dependent or zero gradients): only the eigenpairs above the numerical
// rank enter B (symmetric_eigen.hpp: eigenvalues above K 2^-23 lambda_max, the authors'
// threshold), and lambda_min is the smallest of those, so B G B = sigma^2 times the
// projector on G's range, still all eigenvalues equal there, and c has no part along
// G's null space (which no direction of the gradients has either). G = 0: B = I, c = w
// (torchjd's choice; the authors' code fails there).
//
// Options: weights=w0,w1,... (default 1 each: the authors' code sums the aligned
// gradients; torchjd takes the mean, 1/K each, a K times shorter step), e.g. a larger
// main-task weight for auxiliary learning; scale=min|median|rmse, sigma^2 the smallest,
// the (lower) median or the mean of the retained eigenvalues (the authors' scale_mode, min
// being the paper's); ub=off|on: on is Aligned-MTL-UB, B from the Gram matrix of the
// gradients with respect to the trunk's output h instead of the shared parameters
// (the trainer's feature_gram, summed over the batch), c = B w then combining the
// gradients of the shared parameters, as the authors' code back-propagates the aligned
// representation gradient sum_j (B w)_j dL_j/dh through the trunk.
// Heads: the authors' code leaves the task heads their own gradients (its
// scale_decoder_grad is off by default): heads=own.
class AlignedMTL final : public Strategy {
public:
    AlignedMTL(int tasks, detail::Options& options);
    std::string name() const override { return "alignedmtl"; }
    Needs needs() const override;

private:
    void do_coefficients(const StepContext& ctx, std::span<double> c) override;

    enum class Scale { min, median, rmse };
    std::vector<double> weights_;
    Scale scale_;
    bool ub_;
    detail::SymmetricEigen eigen_;
    std::vector<double> projected_;  // V_r^T w, then scaled by sigma / sqrt(lambda)
};

}  // namespace hyda::mtl
