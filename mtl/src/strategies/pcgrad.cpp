// PCGrad (Yu et al., NeurIPS 2020) in coefficient space; see pcgrad.hpp.
#include "pcgrad.hpp"

#include <algorithm>
#include "hyda/autodiff/random.hpp"

#include "gram.hpp"

namespace hyda::mtl {

PCGrad::PCGrad(int tasks, detail::Options& options)
    : tasks_(tasks), projected_(std::size_t(tasks)), others_(std::size_t(tasks - 1)) {
    mean_ = options.text("reduction", "sum", {"sum", "mean"}) == "mean";
}

void PCGrad::do_coefficients(const StepContext& ctx, std::span<double> c) {
    const std::size_t K = std::size_t(tasks_);
    ad::Rng rng(ctx.seed);
    std::fill(c.begin(), c.end(), 0.0);
    for (std::size_t i = 0; i < K; ++i) {
        std::fill(projected_.begin(), projected_.end(), 0.0);
        projected_[i] = 1;
        for (std::size_t j = 0, at = 0; j < K; ++j)
            if (j != i) others_[at++] = j;
        ad::shuffle(others_.begin(), others_.end(), rng);
        for (const std::size_t j : others_) {
            const double norm2 = ctx.gram[j * K + j];
            if (!(norm2 > 0)) continue;
            // <g_i^PC, g_j>: the original g_j, whatever has been removed from g_i^PC so far.
            const double inner = detail::dot(projected_, detail::gram_row(ctx.gram, K, j));
            if (inner < 0) projected_[j] -= inner / norm2;
        }
        for (std::size_t k = 0; k < K; ++k) c[k] += projected_[k];
    }
    if (mean_)
        for (double& x : c) x /= double(K);
}

}  // namespace hyda::mtl
